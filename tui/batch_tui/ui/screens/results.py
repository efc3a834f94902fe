"""Enter on a batch: its items, page by page as you scroll, and each item in full."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from batch_tui.api.errors import ApiError
from batch_tui.api.models import Batch, ItemResult, ResultsPage
from batch_tui.core.clock import to_datetime
from batch_tui.core.format import MISSING, count, money
from batch_tui.integrations.export import export_results
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.ui import workers
from batch_tui.ui.dialogs.help import HelpScreen, results_sections
from batch_tui.ui.dialogs.item import ITEM_STYLES, ItemScreen
from batch_tui.ui.export_copy import export_failed, written_to
from batch_tui.ui.styles import status_text
from batch_tui.ui.text import cut, inert
from batch_tui.ui.widgets.key_bar import KeyBar

PAGE = 50
#: Load the next page when the cursor comes this close to the last loaded row.
PREFETCH = 10
#: With only failed items shown, at most this many pages are fetched ahead unasked.
LOOK_AHEAD_PAGES = 5
COLUMNS = (
    ("index", "#", 6),
    ("status", "Status", 10),
    ("verdict", "Verdict", 8),
    ("confidence", "Conf.", 6),
    ("decision", "Decision", 9),
    ("cost", "Cost", 8),
    ("time", "Time", 7),
    ("error", "Error", 40),
)


def item_cells(item: ItemResult) -> tuple[Text, ...]:
    """One result row, inert."""
    confidence = MISSING if item.confidence is None else f"{item.confidence:.2f}"
    seconds = (
        MISSING if item.processing_time_ms is None else f"{item.processing_time_ms / 1000:.1f}s"
    )
    cells = (
        Text(MISSING if item.item_index is None else str(item.item_index), justify="right"),
        inert(item.status or MISSING, ITEM_STYLES.get(item.status or "", ""), max_chars=20),
        inert(item.verdict or MISSING, max_chars=20),
        Text(confidence, justify="right"),
        inert(item.decision or MISSING, max_chars=20),
        Text(money(item.cost_cents), justify="right"),
        Text(seconds, justify="right"),
        inert(item.error_message or "", "red", max_chars=200),
    )
    return tuple(cut(cell, width) for cell, (_, _, width) in zip(cells, COLUMNS, strict=True))


class ResultsScreen(Screen):
    """A batch's item results. Pages load as the cursor nears the end."""

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("f", "toggle_failed", "Failed only"),
        Binding("e", "export('csv')", "Export CSV"),
        Binding("E", "export('json')", "Export JSON"),
        Binding("r", "load_now", "Load more / retry"),
        Binding("question_mark", "help", "Help", key_display="?"),
        # Over the table's own keys: End goes to the last row (not the right edge),
        # and moving at the bottom asks for the next page even where the cursor
        # cannot move on.
        Binding("down,j", "cursor_down", "Down", show=False, priority=True),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("end", "last", "Last loaded item", show=False, priority=True),
        Binding("home", "first", "First item", show=False, priority=True),
    ]

    DEFAULT_CSS = """
    ResultsScreen > #results-title {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    ResultsScreen > DataTable {
        height: 1fr;
    }
    ResultsScreen > #results-state {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    def __init__(self, monitor: BatchMonitor, batch: Batch) -> None:
        super().__init__()
        self.monitor = monitor
        self.subject = batch
        """The batch whose items are shown (not ``batch``: that is ``Widget.batch()``)."""
        self.items: list[ItemResult] = []
        self.total: int | None = None
        self.has_more = True
        self.failed_only = False
        self.fetching = False

    def compose(self):
        title = Text("Results of ", style="bold")
        title.append_text(inert(self.subject.name or self.subject.id or "", "bold", max_chars=100))
        title.append("  ")
        title.append_text(inert(self.subject.id or "", "dim", max_chars=100))
        title.append("  ")
        title.append_text(status_text(self.subject.status))
        yield Static(title, id="results-title")
        table: DataTable[Text] = DataTable(cursor_type="row", id="results")
        for key, label, width in COLUMNS:
            table.add_column(label, width=width, key=key)
        yield table
        yield Static("", id="results-state")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.load_more()

    def _state(self, message: str = "") -> None:
        shown = self.query_one(DataTable).row_count
        text = Text(
            f"{count(shown)} shown · {count(len(self.items))} of {count(self.total)} loaded"
        )
        if self.failed_only:
            text.append(" · failed only (f shows all)")
        if self.subject.validation_errors:
            text.append(f" · {self._validation_words()} (in the errors table and exports)")
        if message:
            text.append("  ")
            text.append_text(inert(message, "red", max_chars=200))
        self.query_one("#results-state", Static).update(text)

    def load_more(self, look_ahead: int = LOOK_AHEAD_PAGES) -> None:
        """Fetch the next page, unless one is on its way or there is none."""
        workers.start(
            self,
            self._load_more(look_ahead),
            what="Results page",
            about=self.subject.id or "",
            group="results-page",
        )

    def on_work_failed(self, message: workers.WorkFailed) -> None:
        """A page failed (a bug or a hostile answer): this page is lost, not the
        screen; the state line says so and r asks again (the app's toast names it)."""
        if self.is_attached:
            self._state(f"{message.text} (r retries)")

    async def _load_more(self, look_ahead: int) -> None:
        """The next page, on its way.

        With only failed items shown, a page without enough of them fetches the
        next by itself, but at most ``look_ahead`` pages per request of the user's:
        a batch with no failures must not cost its whole result set.
        """
        if self.fetching or not self.has_more:
            return
        self.fetching = True
        try:
            page = await self.monitor.results_page(
                self.subject.id or "", offset=len(self.items), limit=PAGE
            )
        except ApiError as exc:
            if self.is_attached:
                self._state(f"{exc.kind}: {exc.message} (r retries)")
            return
        finally:
            self.fetching = False
        if not self.is_attached:
            return  # the user left while the page was on its way
        self._take(page)
        if self.failed_only and self.query_one(DataTable).row_count < PREFETCH and look_ahead > 1:
            self.load_more(look_ahead - 1)  # few failures so far: look further

    def _take(self, page: ResultsPage) -> None:
        """Add a page's items; stop at the stated total, or at a page with nothing new."""
        known = {item.id for item in self.items if item.id}
        fresh = [item for item in page.items if not item.id or item.id not in known]
        if page.pagination.total is not None:
            self.total = page.pagination.total
            fresh = fresh[: max(0, self.total - len(self.items))]
        first = len(self.items)
        self.items.extend(fresh)
        reached = self.total is not None and len(self.items) >= self.total
        self.has_more = page.pagination.has_more and bool(fresh) and not reached
        self._add_rows(range(first, len(self.items)))
        self._state()

    def _add_rows(self, indices) -> None:
        table = self.query_one(DataTable)
        for index in indices:
            item = self.items[index]
            if self.failed_only and item.status != "failed":
                continue
            table.add_row(*item_cells(item), key=str(index))

    @on(DataTable.RowHighlighted)
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        self._near_end()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        item = self.items[int(event.row_key.value or 0)]
        self.app.push_screen(ItemScreen(item, results_sections(self.BINDINGS)))

    def action_toggle_failed(self) -> None:
        """Show only failed items, or all of them again."""
        table = self.query_one(DataTable)
        keep = None
        if table.row_count:
            keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.failed_only = not self.failed_only
        table.clear()
        self._add_rows(range(len(self.items)))
        if keep is not None and keep in {r.key.value for r in table.ordered_rows}:
            table.move_cursor(row=table.get_row_index(keep))
        self._state()
        if table.row_count < PREFETCH:
            self.load_more()

    def action_export(self, fmt: str) -> None:
        """Write the loaded results and the batch's errors to a file here."""
        try:
            path = export_results(
                self.subject, self.items, fmt, now=to_datetime(self.monitor.clock())
            )
        except OSError as exc:
            self.notify(export_failed(exc), severity="error", markup=False)
            return
        written = f"{count(len(self.items))} loaded items"
        if self.subject.validation_errors:
            written = f"{self._validation_words()} and {written}"
        self.notify(written_to(written, path), title="Exported", markup=False)

    def _validation_words(self) -> str:
        """``3 validation errors``, or ``the first 1,000 of 4,200 validation errors``."""
        kept = len(self.subject.validation_errors or ())
        listed = self.subject.validation_error_count
        if listed is not None and listed > kept:
            return f"the first {count(kept)} of {count(listed)} validation errors"
        return f"{count(kept)} validation error{'' if kept == 1 else 's'}"

    def _near_end(self) -> None:
        table = self.query_one(DataTable)
        if table.cursor_row >= table.row_count - PREFETCH:
            self.load_more()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()
        self._near_end()  # at the last row no highlight event comes: ask here too

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_last(self) -> None:
        """End: the last item loaded, and the next page asked for."""
        table = self.query_one(DataTable)
        table.move_cursor(row=table.row_count - 1)
        self._near_end()

    def action_first(self) -> None:
        """Home: the first item."""
        self.query_one(DataTable).move_cursor(row=0)

    def action_load_now(self) -> None:
        """r: fetch the next page now (after a failed one, that is the retry)."""
        if not self.has_more:
            self.notify("Every item is loaded.", timeout=2)
        self.load_more()

    def action_help(self) -> None:
        """?: the keys of this screen."""
        self.app.push_screen(HelpScreen(results_sections(self.BINDINGS)))
