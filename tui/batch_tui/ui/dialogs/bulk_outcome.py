"""After a cancel of many: what became of each marked batch, in a table the user
dismisses (cancelled, already finished, or failed with the reason)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from batch_tui.monitor.bulk import CANCELLED, FAILED, FINISHED, REQUESTED, BulkOutcome
from batch_tui.ui.dialogs.base import Dialog
from batch_tui.ui.text import inert

#: A name longer than this is cut short in the table (the id tells batches apart).
NAME_CHARS = 24
#: How each outcome reads in the table.
OUTCOME_STYLES = {CANCELLED: "green", REQUESTED: "yellow", FINISHED: "dim", FAILED: "bold red"}


def outcome_cell(outcome: BulkOutcome) -> Text:
    """``cancelled``, ``requested, still running: why``, ``already finished
    (completed)`` or ``failed: why``."""
    text = Text(outcome.outcome, style=OUTCOME_STYLES.get(outcome.outcome, ""))
    if outcome.outcome in (FAILED, REQUESTED):
        text.append(": ")
        text.append_text(inert(outcome.message, max_chars=200))
    elif outcome.outcome == FINISHED:
        text.append(" (")
        text.append_text(inert(outcome.message, max_chars=60))
        text.append(")")
    return text


def outcome_counts(outcomes: Sequence[BulkOutcome]) -> str:
    """``4 cancelled · 1 requested, still running · 2 already finished · 1 failed``:
    the kinds that occurred."""
    counts = Counter(outcome.outcome for outcome in outcomes)
    kinds = (CANCELLED, REQUESTED, FINISHED, FAILED)
    return " · ".join(f"{counts[kind]} {kind}" for kind in kinds if counts[kind])


class BulkOutcomeScreen(Dialog[None]):
    """One row per marked batch: name, id, outcome. Escape, q or Enter closes it."""

    BINDINGS = [Binding("escape,q,enter", "close", "Close")]

    DEFAULT_CSS = """
    BulkOutcomeScreen > Vertical {
        width: 90%;
        max-width: 120;
        max-height: 85%;
        padding: 0 1;
    }
    BulkOutcomeScreen #outcome-title {
        text-style: bold;
        margin-bottom: 1;
    }
    BulkOutcomeScreen DataTable {
        height: auto;
        max-height: 20;
    }
    BulkOutcomeScreen #outcome-note {
        color: $text-muted;
        margin-top: 1;
    }
    """

    def __init__(self, outcomes: Sequence[BulkOutcome]) -> None:
        super().__init__()
        self.outcomes = tuple(outcomes)

    def compose(self):
        kinds = {outcome.outcome for outcome in self.outcomes}
        note = "A finished batch had nothing left to cancel. Escape, q or Enter closes this."
        if REQUESTED in kinds:
            note = "Those not cancelled stay marked: c tries them again. " + note
        elif FAILED in kinds:
            note = "The failed ones stay marked: c tries them again. " + note
        with Vertical():
            yield Static(
                inert(f"Cancel of many: {outcome_counts(self.outcomes)}"), id="outcome-title"
            )
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Static(note, id="outcome-note")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "ID", "Outcome")
        for outcome in self.outcomes:
            table.add_row(
                inert(outcome.name or "", max_chars=NAME_CHARS),
                inert(outcome.batch_id, max_chars=60),
                outcome_cell(outcome),
            )
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter on the focused table selects a row: here it closes, as it says.
        event.stop()
        self.dismiss(None)

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """(name, id, outcome) as the table shows them, in plain text."""
        table = self.query_one(DataTable)
        return [
            tuple(cell.plain if isinstance(cell, Text) else str(cell) for cell in row)  # type: ignore[misc]
            for row in (table.get_row_at(index) for index in range(table.row_count))
        ]
