"""``h``: the last 30 days from the local store, as charts and a table of days.

Four charts (batches, items, failure rate and cost per day) over a table of the
days, newest first; the day under the cursor lists its batches beside it. Enter
on a day closes the screen and filters the dashboard's list to the batches that
finished that day. Every read of the store runs in a worker thread on a
connection of its own, so a long history never freezes the screen.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from batch_tui.core.clock import Clock
from batch_tui.core.format import MISSING, compact, count, money, percent
from batch_tui.monitor.history import (
    HISTORY_DAYS,
    DayTotals,
    FinishedBatch,
    HistoryReader,
    StoreUnavailable,
)
from batch_tui.monitor.insight import failure_rate
from batch_tui.ui import workers
from batch_tui.ui.styles import status_text
from batch_tui.ui.text import cut, inert
from batch_tui.ui.view import FinishedOn
from batch_tui.ui.widgets.day_charts import FIGURES, DayChart
from batch_tui.ui.widgets.key_bar import KeyBar

#: From this width the four charts stand in one row; below it, two by two.
ONE_ROW = 120
#: The columns (label, width) of the table of days and of the day's batches.
DAY_COLUMNS = (("Day", 9), ("Batches", 7), ("Items", 6), ("Fail %", 6), ("Cost", 10))
BATCH_COLUMNS = (
    ("Name", 20),
    ("Status", 9),
    ("Items", 6),
    ("Fail %", 6),
    ("Cost", 9),
    ("Finished", 8),
)


def day_label(day: DayTotals) -> str:
    """A day as the table and the list's filter line name it: ``Thu 2026-01-15``."""
    return day.day.strftime("%a %Y-%m-%d")


def day_cells(day: DayTotals) -> tuple[Text, ...]:
    """One row of the table of days."""
    rate = day.failure_rate
    return (
        Text(day.day.strftime("%a %m-%d")),
        Text(count(day.batches), justify="right"),
        Text(compact(day.items), justify="right"),
        Text(MISSING if rate is None else f"{rate:.1%}", justify="right"),
        Text(money(day.cost_cents) if day.batches else MISSING, justify="right"),
    )


def not_loaded_cells(day: DayTotals) -> tuple[Text, ...]:
    """A day the history has not reached yet: unknown, never zero."""
    dim = "dim italic"
    return (
        Text(day.day.strftime("%a %m-%d")),
        Text("not yet", style=dim, justify="right"),
        *(Text(MISSING, style=dim, justify="right") for _ in DAY_COLUMNS[2:]),
    )


def loaded_from(days: list[DayTotals], partial: str | None) -> int:
    """Where the days the history has reached begin (oldest first): while it still
    loads, the days before the oldest with a finished batch are not known, not zero."""
    if partial is None:
        return 0
    return next((index for index, day in enumerate(days) if day.batches), len(days))


def batch_cells(row: FinishedBatch) -> tuple[Text, ...]:
    """One of the day's batches: its name shown inertly, never as markup."""
    batch = row.batch
    return (
        cut(inert(batch.name or batch.id or MISSING, max_chars=120), BATCH_COLUMNS[0][1]),
        status_text(batch.status),
        Text(compact(batch.processed_items), justify="right"),
        Text(percent(failure_rate(batch.failure_count, batch.processed_items)), justify="right"),
        Text(money(batch.total_cost_cents), justify="right"),
        Text(datetime.fromtimestamp(row.finished).strftime("%H:%M")),
    )


class HistoryScreen(Screen[FinishedOn | None]):
    """The local store's last 30 days; dismissed with the day chosen (or None)."""

    BINDINGS = [
        Binding("escape,q,h", "close", "Back"),
        Binding("enter", "choose_day", "Show the day in the list", priority=True),
        Binding("r", "reload", "Reload"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    DEFAULT_CSS = """
    HistoryScreen > .history-line {
        height: 1;
        padding: 0 1;
    }
    HistoryScreen > #history-title {
        background: $panel;
        text-style: bold;
    }
    HistoryScreen > #history-state {
        color: $text-muted;
    }
    HistoryScreen > #charts {
        layout: grid;
        grid-size: 4 1;
        grid-gutter: 0 1;
        height: 2fr;
        min-height: 8;
    }
    HistoryScreen.-two-rows > #charts {
        grid-size: 2 2;
        height: 1fr;
        min-height: 10;
    }
    HistoryScreen > #tables {
        height: 3fr;
    }
    HistoryScreen.-two-rows > #tables {
        height: 1fr;
    }
    HistoryScreen #days {
        width: 52;
        height: 1fr;
    }
    HistoryScreen #day {
        width: 1fr;
        padding-left: 1;
    }
    HistoryScreen #day-title {
        height: 1;
        text-style: bold;
    }
    HistoryScreen #day-batches {
        height: 1fr;
    }
    """

    def __init__(self, reader: HistoryReader, clock: Clock, partial: str | None = None) -> None:
        super().__init__()
        self.reader = reader
        self.clock = clock
        self.partial = partial
        """How much of the server's history is loaded, while not all of it is
        (``1,680 of 100,000 batches loaded``); None when it all is."""
        self.days: list[DayTotals] = []
        """Oldest first, as the charts draw them (the table lists them newest first)."""
        self.shown_day: DayTotals | None = None
        """The day whose batches are listed."""

    def compose(self) -> ComposeResult:
        local = datetime.fromtimestamp(self.clock()).astimezone()
        offset = local.strftime("%z")
        zone = f"UTC{offset[:3]}:{offset[3:]}"
        if local.tzname() not in ("UTC", zone):
            zone = f"{local.tzname()}, {zone}"
        if self.partial is None:
            title = f"History: batches finished in the last {HISTORY_DAYS} days"
        else:
            title = f"History so far ({self.partial}; still loading)"
        yield Static(
            Text(f"{title}, by local day ({zone})"),
            id="history-title",
            classes="history-line",
        )
        with Container(id="charts"):
            for number, figure in enumerate(FIGURES):
                yield DayChart(figure, id=f"chart-{number}")
        with Horizontal(id="tables"):
            days: DataTable[Text] = DataTable(cursor_type="row", id="days")
            for label, width in DAY_COLUMNS:
                days.add_column(label, width=width)
            yield days
            with Vertical(id="day"):
                yield Static("", id="day-title")
                batches: DataTable[Text] = DataTable(cursor_type="row", id="day-batches")
                for label, width in BATCH_COLUMNS:
                    batches.add_column(label, width=width)
                yield batches
        yield Static("Reading the local store…", id="history-state", classes="history-line")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#days", DataTable).focus()
        self.load_days()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < ONE_ROW, "-two-rows")

    # ── reading, off the event loop ──────────────────────────────────────────

    def load_days(self) -> None:
        """Add up the days in a worker thread, then show them."""
        workers.start(
            self, self._read_days, what="Reading the history", group="history-days", exclusive=True
        )

    def load_day(self, day: DayTotals) -> None:
        """Read one day's batches in a worker thread, then list them."""
        workers.start(
            self,
            lambda: self._read_day(day),
            what="Reading the day's batches",
            about=day_label(day),
            group="history-day",
            exclusive=True,
        )

    def on_work_failed(self, message: workers.WorkFailed) -> None:
        """A read failed: the state line says so (the app's notification too)."""
        self._state(f"{message.title}: {message.text}")

    def _read_days(self) -> None:
        try:
            days = self.reader.days(self.clock())
        except StoreUnavailable as exc:
            self.app.call_from_thread(self._state, str(exc))
            return
        self.app.call_from_thread(self._show_days, days)

    def _read_day(self, day: DayTotals) -> None:
        try:
            rows = self.reader.batches(day) if day.batches else []
        except StoreUnavailable as exc:
            self.app.call_from_thread(self._state, str(exc))
            return
        self.app.call_from_thread(self._show_day, day, rows)

    def _state(self, message: str) -> None:
        if self.is_attached:
            self.query_one("#history-state", Static).update(inert(message, max_chars=300))

    def _show_days(self, days: list[DayTotals]) -> None:
        if not self.is_attached:
            return  # closed while the store was read
        self.days = days
        start = loaded_from(days, self.partial)
        for chart in self.query(DayChart):
            chart.show(days[start:])
        table = self.query_one("#days", DataTable)
        keep = table.cursor_row
        table.clear()
        for index in range(len(days) - 1, -1, -1):
            cells = day_cells(days[index]) if index >= start else not_loaded_cells(days[index])
            if self.partial is not None and index == start:
                # The oldest day reached is loaded only in part: "at least".
                at_least = Text(f"{count(days[index].batches)}+", justify="right")
                cells = (cells[0], at_least, *cells[2:])
            table.add_row(*cells, key=str(index))
        table.move_cursor(row=min(keep, table.row_count - 1))
        finished = sum(day.batches for day in days)
        skipped = sum(day.skipped for day in days)
        # A hand-edited store's rows are left out of the sums, and said to be.
        rows = "row" if skipped == 1 else "rows"
        unread = f" · {count(skipped)} unreadable stored {rows} skipped" if skipped else ""
        if self.partial is None:
            span = f"in {HISTORY_DAYS} days"
        else:
            span = f"in the {len(days) - start} newest days loaded so far (older: not yet loaded)"
        self._state(
            f"{count(finished)} batches finished {span}{unread} · "
            "Enter shows the highlighted day's batches in the list"
        )

    def _show_day(self, day: DayTotals, rows: list[FinishedBatch]) -> None:
        if not self.is_attached:
            return
        self.shown_day = day
        shown = f"the latest {count(len(rows))} of " if len(rows) < day.batches else ""
        title = f"{day_label(day)}: {shown}{count(day.batches)} finished"
        self.query_one("#day-title", Static).update(Text(title))
        table = self.query_one("#day-batches", DataTable)
        table.clear()
        for number, row in enumerate(rows):
            table.add_row(*batch_cells(row), key=str(number))

    def _highlighted_day(self) -> DayTotals | None:
        table = self.query_one("#days", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.days[int(key or 0)]

    # ── keys ─────────────────────────────────────────────────────────────────

    @on(DataTable.RowHighlighted, "#days")
    def _day_highlighted(self, event: DataTable.RowHighlighted) -> None:
        day = self._highlighted_day()
        if day is not None:
            self.load_day(day)

    @on(DataTable.RowSelected, "#days")
    def _day_clicked(self, event: DataTable.RowSelected) -> None:
        self.action_choose_day()

    def action_choose_day(self) -> None:
        """Enter: back to the list, showing only the batches that finished that day."""
        day = self._highlighted_day()
        if day is not None:
            self.dismiss(FinishedOn(day_label(day), day.start, day.stop))

    def action_close(self) -> None:
        """Back to the dashboard, its list as it was."""
        self.dismiss(None)

    def action_reload(self) -> None:
        """Read the store again (the dashboard keeps writing to it)."""
        self.load_days()

    def action_help(self) -> None:
        """?: the keys of this screen."""
        from batch_tui.ui.dialogs.help import HelpScreen

        keys = [
            ("up / down, pageup / pagedown", "Move through the days; the day's batches follow"),
            ("enter", "Back to the list, showing only the batches finished that day"),
            ("tab", "Move between the days and the day's batches"),
            ("r", "Read the store again"),
            ("escape / q / h", "Back to the dashboard"),
        ]
        self.app.push_screen(HelpScreen([("History (h)", keys)]))
