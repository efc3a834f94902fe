"""``a``: ask for a batch id to watch."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from batch_tui.settings.config import ConfigError, parse_batch_id
from batch_tui.ui.dialogs.base import Dialog
from batch_tui.ui.text import inert


class AddWatch(Dialog[str | None]):
    """A one-line prompt; Enter watches the id, Escape gives up."""

    BINDINGS = [Binding("escape", "give_up", "Cancel", show=False)]

    DEFAULT_CSS = """
    AddWatch > Vertical {
        width: 60;
    }
    AddWatch #problem {
        color: $error;
        height: auto;
    }
    """

    def compose(self):
        with Vertical():
            yield Static("Watch a batch: its id, then Enter (Escape gives up)")
            yield Input(placeholder="batch_…", id="batch-id")
            yield Static("", id="problem")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#problem", Static).update("Type a batch id (batch_…), then Enter.")
            return
        try:
            batch_id = parse_batch_id(event.value.strip())
        except ConfigError as exc:
            # The user's own typing, shown back literally.
            self.query_one("#problem", Static).update(inert(str(exc)))
            return
        self.dismiss(batch_id)

    def action_give_up(self) -> None:
        self.dismiss(None)
