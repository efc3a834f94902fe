"""The modal that confirms a cancel of many marked batches: how many, which (the first
few by name), what they have cost so far, and which marked ones are skipped."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from batch_tui.api.models import Batch
from batch_tui.core.format import money, plural
from batch_tui.ui.dialogs.confirm_cancel import ConfirmCancel
from batch_tui.ui.styles import status_text
from batch_tui.ui.text import inert

#: Batches listed by name at most; the rest are counted ("and 12 more").
LISTED = 10
#: Lines of the dialog besides the listed batches: on a short terminal fewer are
#: listed, so the buttons always fit.
OTHER_LINES = 19


def bulk_summary(
    to_cancel: Sequence[Batch], skipped: Sequence[Batch], listed: int = LISTED
) -> Group:
    """The batches to cancel (at most ``listed`` by name), their cost so far, and the
    marked batches that are skipped because they cannot be cancelled."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, justify="right")
    for batch in to_cancel[:listed]:
        grid.add_row(
            inert(batch.name or "", max_chars=80),
            inert(batch.id or "", max_chars=60),
            status_text(batch.status),
            Text(money(batch.total_cost_cents)),
        )
    lines: list[Table | Text] = [grid]
    if len(to_cancel) > listed:
        lines.append(Text(f"… and {len(to_cancel) - listed} more", style="italic"))
    cost = sum(batch.total_cost_cents or 0 for batch in to_cancel)
    lines.append(Text.assemble(("Cost so far  ", "bold"), money(cost)))
    finished = sum(1 for batch in skipped if batch.is_terminal)
    if finished:
        lines.append(Text(f"{finished} finished, skipped: nothing is sent for them"))
    if len(skipped) > finished:
        other = len(skipped) - finished
        lines.append(Text(f"{other} of unknown status, skipped: nothing is sent for them"))
    return Group(*lines)


class ConfirmBulkCancel(ConfirmCancel):
    """Asks "cancel these N batches?"; the same keys as the single cancel (y only
    confirms; Enter presses "Keep running"), dismissing with True or False."""

    DEFAULT_CSS = """
    ConfirmBulkCancel > Vertical {
        width: 96;
        padding: 0 2;
    }
    """

    def __init__(self, to_cancel: Sequence[Batch], skipped: Sequence[Batch]) -> None:
        super().__init__(to_cancel[0])
        self.to_cancel = tuple(to_cancel)
        """The marked batches that can be cancelled, in the order they will be sent."""
        self.skipped = tuple(skipped)
        """The marked batches that cannot (finished, or of unknown status)."""

    @property
    def _listed(self) -> int:
        return max(1, min(LISTED, self.app.size.height - OTHER_LINES))

    def compose(self):
        with Vertical():
            yield Static(self._question(), id="question")
            yield Static(self._summary(), id="summary")
            yield Static(
                "One cancel request each, in turn, within the rate limit; then what became "
                "of each. Completed items keep their results.",
                id="note",
            )
            with Horizontal():
                yield Button("Keep running (n)", id="decline")
                confirm = Button(self._button(), id="confirm", variant="error")
                confirm.can_focus = False
                yield confirm

    def _question(self) -> str:
        return f"Cancel {plural(len(self.to_cancel), 'marked batch')}?"

    def _summary(self) -> Group:
        return bulk_summary(self.to_cancel, self.skipped, self._listed)

    def _button(self) -> str:
        return f"Cancel {plural(len(self.to_cancel), 'batch')} (y)"

    def show_batches(self, to_cancel: Sequence[Batch], skipped: Sequence[Batch]) -> None:
        """The marked batches moved on while the question is open (one finished, say):
        show them as they are now. Each is checked again when its turn comes."""
        if (tuple(to_cancel), tuple(skipped)) == (self.to_cancel, self.skipped):
            return
        self.to_cancel, self.skipped = tuple(to_cancel), tuple(skipped)
        self.query_one("#question", Static).update(self._question())
        self.query_one("#summary", Static).update(self._summary())
        self.query_one("#confirm", Button).label = self._button()

    def show(self, batch: Batch) -> None:
        """Not used: ``show_batches`` follows the many."""
