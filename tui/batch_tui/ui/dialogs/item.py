"""Enter on a result: one item in full, its content and context."""

from __future__ import annotations

import json

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from batch_tui.api.models import ItemResult
from batch_tui.core.format import MISSING, money
from batch_tui.ui.dialogs.base import Dialog
from batch_tui.ui.dialogs.help import HelpScreen, Sections
from batch_tui.ui.text import inert

#: An item's status, in colour.
ITEM_STYLES = {"completed": "green", "failed": "bold red", "skipped": "magenta"}


def item_detail(item: ItemResult) -> Table:
    """Everything about one item: its content and context in full."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    rows = [
        ("Item", inert(item.id or MISSING)),
        ("Index", Text(MISSING if item.item_index is None else str(item.item_index))),
        ("Key", inert(item.idempotency_key or MISSING)),
        ("Status", inert(item.status or MISSING, ITEM_STYLES.get(item.status or "", ""))),
        ("Verdict", inert(item.verdict or MISSING)),
        ("Confidence", Text(MISSING if item.confidence is None else f"{item.confidence:.3f}")),
        ("Decision", inert(item.decision or MISSING)),
        ("Cost", Text(money(item.cost_cents))),
        (
            "Time",
            Text(MISSING if item.processing_time_ms is None else f"{item.processing_time_ms:,} ms"),
        ),
        ("Retries", Text(MISSING if item.retry_count is None else str(item.retry_count))),
        ("Error", inert(item.error_message or MISSING, "red" if item.error_message else "")),
        ("Content", inert(item.content or MISSING, multiline=True, max_chars=60_000)),
        (
            "Context",
            inert(
                json.dumps(item.item_context, indent=2, ensure_ascii=False)
                if item.item_context is not None
                else MISSING,
                multiline=True,
                max_chars=20_000,
            ),
        ),
    ]
    for label, value in rows:
        grid.add_row(Text(label), value)
    return grid


class ItemScreen(Dialog[None]):
    """One item in full; Escape goes back."""

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    DEFAULT_CSS = """
    ItemScreen > VerticalScroll {
        width: 90%;
        height: 80%;
    }
    """

    def __init__(self, item: ItemResult, help_sections: Sections) -> None:
        super().__init__()
        self.item = item
        self.help_sections = help_sections
        """What ``?`` lists: the keys here and on the results screen."""

    def compose(self):
        with VerticalScroll():
            yield Static(item_detail(self.item))

    def action_help(self) -> None:
        """?: the keys here and on the results screen."""
        self.app.push_screen(HelpScreen(self.help_sections))
