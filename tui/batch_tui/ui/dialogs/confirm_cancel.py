"""The modal that confirms a cancel: it shows what would be stopped, and what it cost."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from batch_tui.api.models import Batch
from batch_tui.core.format import count, money, percent
from batch_tui.ui.dialogs.base import Dialog
from batch_tui.ui.styles import status_text
from batch_tui.ui.text import inert


def cancel_summary(batch: Batch) -> Table:
    """The facts a user needs before cancelling: id, name, progress, cost so far."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(Text("ID"), inert(batch.id or "", max_chars=200))
    grid.add_row(Text("Name"), inert(batch.name or "", max_chars=200))
    grid.add_row(Text("Status"), status_text(batch.status))
    grid.add_row(
        Text("Progress"),
        Text(
            f"{count(batch.processed_items)} / {count(batch.total_items)} "
            f"({percent(batch.progress)})"
        ),
    )
    grid.add_row(Text("Cost so far"), Text(money(batch.total_cost_cents)))
    return grid


class ConfirmCancel(Dialog[bool]):
    """Asks "cancel this batch?"; dismisses with True (y only) or False (n, Escape).

    Enter never confirms: it is the dashboard's Results key, and ``c`` followed by a
    quick Enter must not cancel a batch. (Enter presses the focused button, which
    is "Keep running"; the cancel button can be clicked but never takes the focus.)
    The summary follows the batch while the question is open (``show``).
    """

    BINDINGS = [
        Binding("y", "confirm", "Yes, cancel it"),
        Binding("n", "decline", "No, keep it"),
        Binding("escape", "decline", "No", show=False),
        Binding("q", "decline", "No", show=False),
    ]

    DEFAULT_CSS = """
    ConfirmCancel > Vertical {
        width: 64;
        border: thick $error;
    }
    ConfirmCancel #question {
        text-style: bold;
        margin-bottom: 1;
    }
    ConfirmCancel #note {
        color: $text-muted;
        margin-top: 1;
    }
    ConfirmCancel Horizontal {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ConfirmCancel Button {
        margin-left: 2;
    }
    /* A question about cancelling is read whole: notifications wait behind it
       (they are still listed, and show again once it is answered). Hidden,
       not ``display: none``, which the rack overrides whenever one comes. */
    ConfirmCancel Toast {
        visibility: hidden;
    }
    """

    def __init__(self, batch: Batch, profile: Text | None = None) -> None:
        super().__init__()
        self.profile = profile
        """The profile in use, named in the question (None: no profile)."""
        self.target = batch
        """The batch the question is about (not ``batch``: that is ``Widget.batch()``)."""
        self._answered = False

    def compose(self):
        with Vertical():
            question = Text("Cancel this batch")
            if self.profile is not None:
                question.append(" on ").append_text(self.profile)
            yield Static(question.append("?"), id="question")
            yield Static(cancel_summary(self.target), id="summary")
            yield Static(
                "Pending and queued items are skipped; completed items keep their results.",
                id="note",
            )
            with Horizontal():
                yield Button("Keep running (n)", id="decline")
                confirm = Button("Cancel batch (y)", id="confirm", variant="error")
                confirm.can_focus = False
                yield confirm

    def show(self, batch: Batch) -> None:
        """The batch moved on while the question is open: show it as it is now."""
        if batch != self.target:
            self.target = batch
            self.query_one("#summary", Static).update(cancel_summary(batch))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._answer(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self._answer(True)

    def action_decline(self) -> None:
        self._answer(False)

    def _answer(self, confirmed: bool) -> None:
        # A key repeat can arrive before the screen is gone: answer once only.
        if not self._answered:
            self._answered = True
            self.dismiss(confirmed)
