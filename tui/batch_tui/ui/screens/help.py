"""``?``: every key, in one place."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def keys_table(sections: list[tuple[str, list[Binding]]]) -> Table:
    """A two-column table of keys and what they do, by section."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for title, bindings in sections:
        table.add_row(Text(title, style="bold underline"), Text(""))
        seen = set()
        for binding in bindings:
            if binding.description in seen or not binding.description:
                continue
            seen.add(binding.description)
            keys = binding.key_display or binding.key.replace(",", " / ")
            table.add_row(Text(keys), Text(binding.description))
        table.add_row(Text(""), Text(""))
    return table


class HelpScreen(ModalScreen[None]):
    """A list of every key; any of Escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "app.pop_screen", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 72;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    """

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self):
        with VerticalScroll():
            yield Static(keys_table(self.sections))
            yield Static(Text("Escape, q or ? closes this.", style="dim"))
