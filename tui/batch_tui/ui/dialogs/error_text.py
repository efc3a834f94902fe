"""Enter on a row of the errors table: the error's full text, wrapped and scrollable."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from batch_tui.ui.dialogs.base import Dialog
from batch_tui.ui.text import inert

#: The most of one error that is shown (a hostile server may send megabytes).
MAX_ERROR_CHARS = 100_000


class ErrorText(Dialog[None]):
    """One error in full, with where it comes from; Escape (or q, or Enter) goes back."""

    BINDINGS = [
        Binding("escape,q,enter", "app.pop_screen", "Back"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    DEFAULT_CSS = """
    ErrorText > VerticalScroll {
        width: 90%;
        max-height: 80%;
        border: thick $error;
        padding: 0 1;
    }
    ErrorText #error-source {
        text-style: bold;
        margin-bottom: 1;
    }
    """

    def __init__(self, source: str, where: str, message: str | None) -> None:
        super().__init__()
        self.source = source
        """``validation error`` or ``failed item``."""
        self.where = where
        """Which input row or item it is about, in words."""
        self.message = message

    def compose(self):
        heading = Text(f"{self.source} · {self.where}")
        with VerticalScroll():
            yield Static(heading, id="error-source")
            yield Static(
                inert(self.message or "(no error text)", multiline=True, max_chars=MAX_ERROR_CHARS),
                id="error-text",
            )

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_help(self) -> None:
        """?: the keys here."""
        from batch_tui.ui.dialogs.help import HelpScreen

        keys = [
            ("up / down, pageup / pagedown", "Scroll the error"),
            ("escape / q / enter", "Back to the dashboard"),
        ]
        self.app.push_screen(HelpScreen([("An error in full", keys)]))
