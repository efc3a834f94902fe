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
from batch_tui.format import money
from batch_tui.ui.screens.confirm_cancel import ConfirmCancel
from batch_tui.ui.styles import status_text
from batch_tui.ui.text import inert

#: Batches listed by name; the rest are counted ("and 12 more").
LISTED = 10


def plural(count: int, word: str) -> str:
    """``1 batch``, ``3 batches``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}es"


def bulk_summary(to_cancel: Sequence[Batch], skipped: Sequence[Batch]) -> Group:
    """The batches to cancel (at most ``LISTED`` by name), their cost so far, and the
    marked batches that are skipped because they cannot be cancelled."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, justify="right")
    for batch in to_cancel[:LISTED]:
        grid.add_row(
            inert(batch.name or "", max_chars=80),
            inert(batch.id or "", max_chars=60),
            status_text(batch.status),
            Text(money(batch.total_cost_cents)),
        )
    lines: list[Table | Text] = [grid]
    if len(to_cancel) > LISTED:
        lines.append(Text(f"… and {len(to_cancel) - LISTED} more", style="italic"))
    cost = sum(batch.total_cost_cents or 0 for batch in to_cancel)
    lines.append(Text.assemble("\n", ("Cost so far  ", "bold"), money(cost)))
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
    }
    """

    def __init__(self, to_cancel: Sequence[Batch], skipped: Sequence[Batch]) -> None:
        super().__init__(to_cancel[0])
        self.to_cancel = tuple(to_cancel)
        """The marked batches that can be cancelled, in the order they will be sent."""
        self.skipped = tuple(skipped)
        """The marked batches that cannot (finished, or of unknown status)."""

    def compose(self):
        count = len(self.to_cancel)
        with Vertical():
            yield Static(f"Cancel {plural(count, 'marked batch')}?", id="question")
            yield Static(bulk_summary(self.to_cancel, self.skipped), id="summary")
            yield Static(
                "One cancel request each, in turn, within the rate limit; then a table of "
                "what became of each. Pending and queued items are skipped; completed "
                "items keep their results.",
                id="note",
            )
            with Horizontal():
                yield Button("Keep running (n)", id="decline")
                confirm = Button(f"Cancel {plural(count, 'batch')} (y)", id="confirm")
                confirm.variant = "error"
                confirm.can_focus = False
                yield confirm

    def show(self, batch: Batch) -> None:
        """The list of many is what it was when asked: each is checked again when sent."""
