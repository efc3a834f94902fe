"""The errors table: a failed batch's ``validationErrors``, row by row."""

from __future__ import annotations

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from batch_tui.api.models import ItemResult
from batch_tui.format import MISSING
from batch_tui.monitor.monitor import Snapshot
from batch_tui.ui.text import inert


class ErrorsTable(Vertical):
    """The highlighted batch's validation errors and failed items, each labelled
    with its source, or a clear empty state."""

    DEFAULT_CSS = """
    ErrorsTable {
        border: round $primary-darken-2;
        border-title-color: $text-muted;
    }
    ErrorsTable > DataTable {
        height: 1fr;
    }
    ErrorsTable > #errors-empty {
        padding: 0 1;
        color: $text-muted;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._state: object = None

    def compose(self):
        yield Static("", id="errors-empty")
        table: DataTable[Text] = DataTable(cursor_type="row", id="errors-rows")
        table.can_focus = False
        yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Source", width=10, key="source")
        table.add_column("Row", width=6, key="row")
        table.add_column("Error", key="error")
        self.show(None)

    def show(self, snapshot: Snapshot | None, failed_items: list[ItemResult] | None = None) -> None:
        """Show the batch's validation errors, then its failed items' errors."""
        errors = snapshot.batch.validation_errors if snapshot else None
        items = tuple(failed_items or ())
        state = (
            snapshot.batch.id if snapshot else None,
            snapshot.has_detail if snapshot else None,
            errors,
            items,
        )
        if state == self._state:
            return  # unchanged: keep the user's place in the table
        self._state = state
        table = self.query_one(DataTable)
        empty = self.query_one("#errors-empty", Static)
        table.clear()
        if snapshot is None:
            message = "No batch selected."
        elif not snapshot.has_detail and not items:
            message = "Loading…"
        elif not errors and not items:
            message = "No validation errors and no failed items."
        else:
            message = ""
        for index, issue in enumerate(errors or ()):
            row = Text(MISSING if issue.row is None else str(issue.row), justify="right")
            table.add_row(
                Text("validation", style="yellow"),
                row,
                inert(issue.error or MISSING, max_chars=1000),
                key=f"v{index}",
            )
        for index, item in enumerate(items):
            number = Text(
                MISSING if item.item_index is None else str(item.item_index), justify="right"
            )
            table.add_row(
                Text("item", style="red"),
                number,
                inert(item.error_message or MISSING, max_chars=1000),
                key=f"i{index}",
            )
        empty.update(message)
        empty.display = bool(message)
        table.display = not message
        listed = snapshot.batch.validation_error_count if snapshot else None
        total = (listed if listed is not None else len(errors or ())) + len(items)
        self.border_title = f"Errors ({total})" if total else "Errors"
