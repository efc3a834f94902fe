"""``?``: every key, in one place."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from batch_tui.ui.commands import binding_rows
from batch_tui.ui.dialogs.base import Dialog

#: (section title, [(keys, what they do)]).
Sections = list[tuple[str, list[tuple[str, str]]]]


def _section_grid(sections: Sections) -> Table:
    """Keys and what they do, section by section, in one column."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    # Words wrap whole; only a word longer than the column is folded.
    table.add_column(overflow="fold", ratio=1)
    for number, (title, rows) in enumerate(sections):
        if number:
            table.add_row(Text(""), Text(""))
        table.add_row(Text(title, style="bold underline"), Text(""))
        for keys, description in rows:
            table.add_row(Text(keys), Text(description))
    return table


#: Below this many columns (or with one section) the help is one column: two side
#: by side would squeeze the descriptions to a word or two a line.
TWO_COLUMNS = 100


def keys_table(sections: Sections, width: int = TWO_COLUMNS) -> Table:
    """Every section's keys, in two columns of about equal length (one, when the
    screen is narrow or there is a single section)."""
    if width < TWO_COLUMNS or len(sections) < 2:
        return _section_grid(sections)
    lines = [len(rows) + 2 for _, rows in sections]
    half, split = sum(lines) / 2, len(sections)
    for index in range(len(sections)):
        if sum(lines[: index + 1]) >= half:
            split = index + 1
            break
    table = Table.grid(padding=(0, 4))
    table.add_row(_section_grid(sections[:split]), _section_grid(sections[split:]))
    return table


def results_sections(bindings) -> Sections:
    """The results screen's keys (Enter on a batch), for its own ``?``."""
    return [
        ("Results (Enter)", [(k, d) for k, d in binding_rows(bindings) if d not in MOVING]),
        (
            "Results: moving",
            [
                ("k / j", "Up, down (the next page loads near the end)"),
                ("pgup / pgdn", "A screen up, down"),
                ("home / end", "First item, last loaded item"),
                ("enter", "The item's full content and context"),
            ],
        ),
    ]


#: Descriptions of the moving keys, listed in their own section.
MOVING = {"Down", "Up", "Last loaded item", "First item"}


class HelpScreen(Dialog[None]):
    """A list of every key; any of Escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "app.pop_screen", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen > VerticalScroll {
        width: 110;
        max-height: 90%;
    }
    """

    def __init__(self, sections: Sections) -> None:
        super().__init__()
        self.sections = sections

    def compose(self):
        with VerticalScroll():
            yield Static(keys_table(self.sections, self.app.size.width))
            yield Static(Text("Escape, q or ? closes this.", style="dim"))
