"""The errors table: a failed batch's ``validationErrors``, row by row."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.containers import Vertical
from textual.reactive import var
from textual.widgets import DataTable, Static

from batch_tui.api.models import ItemResult, ValidationIssue
from batch_tui.core.format import MISSING, count
from batch_tui.monitor.monitor import ItemErrors, Snapshot
from batch_tui.ui.empty_state import NO_BATCH
from batch_tui.ui.text import cut, inert

#: The source and row columns' widths, and what the table's cell padding and
#: scroll bar take besides; the error column has the rest, at least ``MIN_ERROR_WIDTH``.
SOURCE_WIDTH = 10
ROW_WIDTH = 10
FIXED_WIDTH = SOURCE_WIDTH + ROW_WIDTH + 3 * 2 + 2
MIN_ERROR_WIDTH = 16


@dataclass(frozen=True)
class ErrorRows:
    """Everything the errors table shows; the table is refilled only when this changes
    (so a poll that changes other fields keeps the user's place in it)."""

    batch_id: str | None = None
    """None: no batch selected."""
    has_detail: bool = False
    validation: tuple[ValidationIssue, ...] = ()
    items: tuple[ItemResult, ...] = ()
    validation_count: int | None = None
    """How many validation errors the server listed (only the first are kept)."""
    not_found: bool = False
    """The server says there is no such batch."""
    scanned: int = 0
    """How many results were looked at for failed items (the first page)."""
    failure_count: int | None = None
    """How many items of the batch failed in all."""
    placeholder: str = NO_BATCH
    """What to say while no batch is highlighted (why the list is empty)."""

    @classmethod
    def of(
        cls, snapshot: Snapshot | None, errors: ItemErrors | None, placeholder: str = NO_BATCH
    ) -> ErrorRows:
        """The rows for this snapshot and the failed items the monitor fetched."""
        if snapshot is None:
            return cls(placeholder=placeholder)
        return cls(
            snapshot.batch.id,
            snapshot.has_detail,
            tuple(snapshot.batch.validation_errors or ()),
            errors.items if errors else (),
            snapshot.batch.validation_error_count,
            snapshot.not_found,
            errors.scanned if errors else 0,
            snapshot.batch.failure_count,
        )

    @property
    def title(self) -> str:
        """The table's title: what its rows are out of, truthfully."""
        parts = []
        kept = len(self.validation)
        listed = self.validation_count if self.validation_count is not None else kept
        if listed > kept:
            parts.append(f"first {count(kept)} of {count(listed)} validation")
        elif kept:
            parts.append(f"{count(kept)} validation")
        if self.items or self.scanned:
            if not self.items and self.failure_count:
                # The body says none failed here: the title must not read "0 of 4".
                parts.append(
                    f"{count(self.failure_count)} failed, none in the first "
                    f"{count(self.scanned)} items"
                )
            else:
                failed = f"{count(len(self.items))}"
                if self.failure_count is not None and self.failure_count > len(self.items):
                    failed += f" of {count(self.failure_count)}"
                parts.append(f"{failed} failed (first {count(self.scanned)} items)")
        return "Errors: " + " · ".join(parts) if parts else "Errors"

    @property
    def empty_message(self) -> str:
        """What to say instead of rows (empty when there are rows)."""
        if self.batch_id is None:
            return self.placeholder
        if self.not_found:
            return "Not found: the server has no batch with this id."
        if not self.has_detail and not self.items:
            return "Loading…"
        if not self.validation and not self.items and self.failure_count and self.scanned:
            return (
                f"None of the first {count(self.scanned)} items failed; "
                f"{count(self.failure_count)} failed further on (Enter: the results)."
            )
        if not self.validation and not self.items:
            return "No validation errors and no failed items."
        return ""


def where(source: str, number: int | None) -> str:
    """Which input row or item an error is about, in words."""
    value = MISSING if number is None else str(number)
    return f"{source}{value}" if source.endswith("#") else f"{source} {value}"


class ErrorsTable(Vertical):
    """The highlighted batch's validation errors and failed items, each labelled
    with its source, or a clear empty state. Its inputs are bound from the screen.
    It takes the focus (Tab), and Enter on a row shows that error in full."""

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

    rows: var[ErrorRows] = var(ErrorRows)
    """What the table shows (bound from the screen)."""

    _error_width = MIN_ERROR_WIDTH
    _filled: tuple[object, ...] | None = None
    """What the table's rows were last filled from (with the error column's width)."""
    _message: str | None = None
    """What the empty state last said."""

    def compose(self):
        yield Static("", id="errors-empty", markup=False)
        yield DataTable(cursor_type="row", id="errors-rows")

    def on_resize(self) -> None:
        width = max(MIN_ERROR_WIDTH, self.scrollable_content_region.width - FIXED_WIDTH)
        if width != self._error_width:
            self._error_width = width
            self.watch_rows(self.rows)

    @property
    def table(self) -> DataTable:
        """The rows themselves (what takes the focus)."""
        return self.query_one(DataTable)

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        # The dialog is loaded when first shown: the dashboard's start does without.
        from batch_tui.ui.dialogs.error_text import ErrorText

        key = str(event.row_key.value)
        index = int(key[1:])
        if key.startswith("v"):
            issue = self.rows.validation[index]
            chosen = ErrorText("Validation error", where("input row", issue.row), issue.error)
        else:
            item = self.rows.items[index]
            chosen = ErrorText("Failed item", where("item #", item.item_index), item.error_message)
        self.app.push_screen(chosen)

    def watch_rows(self, rows: ErrorRows) -> None:
        # A poll of the highlighted batch changes its counts, which move only the
        # title: the rows and the message are made again only when theirs change.
        self.border_title = rows.title
        filled = (rows.validation, rows.items, self._error_width)
        if filled != self._filled:
            self._filled = filled
            self._fill(rows)
        message = rows.empty_message
        if message != self._message:
            self._message = message
            empty = self.query_one("#errors-empty", Static)
            empty.update(message)
            empty.display = bool(message)
            self.table.display = not message

    def _fill(self, rows: ErrorRows) -> None:
        table = self.table
        width = self._error_width
        # The error column takes what the pane has left, and text longer than that
        # ends in "…" (the table's own cut drops letters without a sign).
        table.clear(columns=True)
        table.add_column("Source", width=SOURCE_WIDTH, key="source")
        table.add_column("Row / item", width=ROW_WIDTH, key="row")
        table.add_column("Error (⏎ all)", width=width, key="error")
        for index, issue in enumerate(rows.validation):
            row = Text(where("row", issue.row), justify="right")
            table.add_row(
                Text("validation", style="yellow"),
                row,
                cut(inert(issue.error or MISSING, max_chars=200), width),
                key=f"v{index}",
            )
        for index, item in enumerate(rows.items):
            number = Text(where("item #", item.item_index), justify="right")
            table.add_row(
                Text("item", style="red"),
                number,
                cut(inert(item.error_message or MISSING, max_chars=200), width),
                key=f"i{index}",
            )
