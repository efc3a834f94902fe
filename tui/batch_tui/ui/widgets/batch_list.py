"""The batch list: one row per batch, updated in place by row key.

A Line API widget rather than a ``DataTable``: every row is rendered once into a
cached ``Strip`` and re-rendered only when one of its cells changes, and a poll
that changes a few rows repaints just those rows (if they are on screen). The
stock table renders every visible cell again after any update, which costs tens
of milliseconds a frame on a large list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from batch_tui.format import age, count, money
from batch_tui.monitor.monitor import Change, Snapshot
from batch_tui.ui.styles import progress_bar, status_text
from batch_tui.ui.text import inert
from batch_tui.ui.view import ListView

Cells = tuple[Text, ...]

#: (key, title, width): fixed widths, so an update never re-measures the table.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("mark", "", 1),
    ("id", "ID", 18),
    ("name", "Name", 22),
    ("status", "Status", 10),
    ("progress", "Progress", 25),
    ("ok", "OK", 5),
    ("failed", "Failed", 6),
    ("cost", "Cost", 8),
    ("age", "Age", 4),
)
COLUMN_INDEX = {key: index for index, (key, _, _) in enumerate(COLUMNS)}
#: For a pane under 100 columns: what matters most, without the id (the detail
#: pane shows it).
NARROW_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("mark", "", 1),
    ("name", "Name", 22),
    ("status", "Status", 10),
    ("progress", "Progress", 25),
    ("failed", "Failed", 6),
)
#: The essentials, for a pane under 70 columns.
COMPACT_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("mark", "", 1),
    ("name", "Name", 18),
    ("status", "Status", 10),
    ("progress", "Progress", 13),
    ("failed", "Fail", 5),
)
#: Blank cells either side of each column's content.
PADDING = 1


def row_width(columns) -> int:
    """Cells a row of these columns takes."""
    return sum(width + 2 * PADDING for _, _, width in columns)


def mark_cell(snapshot: Snapshot, now: datetime) -> Text:
    """``!`` when the row's data is stale (its refresh failed, or it is too old);
    ``?`` when the server sent fields that could not be used."""
    if snapshot.is_stale(now.timestamp()):
        return Text("!", style="bold yellow")
    if snapshot.batch.bad_fields:
        return Text("?", style="bold magenta")
    return Text("")


def age_cell(snapshot: Snapshot, now: datetime) -> Text:
    """How long ago the batch was created."""
    return Text(age(snapshot.batch.created_at, now), justify="right")


def row_cells(snapshot: Snapshot, now: datetime) -> Cells:
    """The cells of one batch's row, as inert text."""
    batch = snapshot.batch
    name = inert(batch.name or "", max_chars=60)
    name.overflow = "ellipsis"
    progress = progress_bar(batch.progress)
    progress.append(f" {count(batch.processed_items)}/{count(batch.total_items)}")
    failures = batch.failure_count
    return (
        mark_cell(snapshot, now),
        inert(batch.id or "", max_chars=60),
        name,
        status_text(batch.status),
        progress,
        Text(count(batch.success_count), justify="right"),
        Text(
            count(failures),
            # The failure-rate alarm: hard to miss from across the room.
            style="bold white on red" if snapshot.alarm else "red" if failures else "",
            justify="right",
        ),
        Text(money(batch.total_cost_cents), justify="right"),
        age_cell(snapshot, now),
    )


def _cell_segments(text: Text, width: int, console) -> list[Segment]:
    """One cell's segments, exactly ``width`` cells wide."""
    plain = text.plain
    if not text.spans and cell_len(plain) <= width:
        # The common case (one style, fits): no copy, no Rich render pass.
        gap = " " * (width - cell_len(plain))
        padded = gap + plain if text.justify == "right" else plain + gap
        style = console.get_style(text.style) if text.style else None
        return [Segment(padded, style)]
    cell = text.copy()
    cell.no_wrap = True
    cell.truncate(width, overflow=text.overflow or "crop")
    cell.align(text.justify or "left", width)
    return list(cell.render(console))


def _cells_strip(cells: Cells, columns, console) -> Strip:
    """One line of fixed-width, padded cells, for these columns."""
    segments: list[Segment] = []
    pad = Segment(" " * PADDING)
    for key, _, width in columns:
        segments.append(pad)
        segments.extend(_cell_segments(cells[COLUMN_INDEX[key]], width, console))
        segments.append(pad)
    return Strip(segments, row_width(columns))


class BatchList(ScrollView, can_focus=True):
    """The list of batches. ``apply()`` diffs snapshots against what is shown.

    Rows are keyed by batch id, so the cursor and the scroll position follow the
    highlighted batch when rows are added, removed or reordered.
    """

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    COMPONENT_CLASSES = {"batch-list--header", "batch-list--cursor"}

    DEFAULT_CSS = """
    BatchList {
        height: 1fr;
        background: $surface;
        color: $foreground;
        & > .batch-list--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .batch-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .batch-list--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    @dataclass
    class Highlighted(Message):
        """The cursor now rests on a different batch (or on none)."""

        batch_list: BatchList
        batch_id: str | None

        @property
        def control(self) -> BatchList:
            return self.batch_list

    cursor_row: reactive[int] = reactive(0, repaint=False)
    """The index of the highlighted row."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._snapshots: Mapping[str, Snapshot] = {}
        self._now = datetime.min
        # Cells and strips are made lazily, when a row is first drawn after a change:
        # a poll that changes rows off screen costs almost nothing.
        self._cells: dict[str, Cells] = {}
        self._strips: dict[str, Strip] = {}
        self._announced: str | None = None
        self._header: Strip | None = None
        self.view = ListView()
        """Which batches are shown, and in what order."""
        self.columns = COLUMNS
        """The columns shown: all of them, or the compact set."""

    def fit(self, width: int) -> None:
        """Choose the columns for a pane this wide: all, the narrow set, or the essentials."""
        columns = COMPACT_COLUMNS if width < 70 else NARROW_COLUMNS if width < 100 else COLUMNS
        if columns is self.columns:
            return
        self.columns = columns
        self._strips.clear()
        self._header = None
        self.virtual_size = Size(row_width(columns), len(self._order) + 1)
        self.refresh()

    # ── reading ──────────────────────────────────────────────────────────────

    @property
    def row_count(self) -> int:
        """How many batches the list shows."""
        return len(self._order)

    @property
    def row_ids(self) -> list[str]:
        """Batch ids in the order shown."""
        return list(self._order)

    @property
    def current_batch_id(self) -> str | None:
        """The id of the highlighted batch, if any."""
        if 0 <= self.cursor_row < len(self._order):
            return self._order[self.cursor_row]
        return None

    def get_row_index(self, batch_id: str) -> int:
        """Where this batch's row is (KeyError when it is not shown)."""
        return self._index[batch_id]

    def cell_text(self, batch_id: str, column: str) -> str:
        """The text one cell shows."""
        return self._row_cells(batch_id)[COLUMN_INDEX[column]].plain

    def _row_cells(self, batch_id: str) -> Cells:
        cells = self._cells.get(batch_id)
        if cells is None:
            cells = self._cells[batch_id] = row_cells(self._snapshots[batch_id], self._now)
        return cells

    # ── updating ─────────────────────────────────────────────────────────────

    def apply(
        self, snapshots: Mapping[str, Snapshot], now: datetime, change: Change | None = None
    ) -> None:
        """Make the list show ``snapshots`` in their order, touching only what changed.

        With a ``change``, only the rows it names are looked at (a poll that changed
        a few rows costs a few row renders, and only for rows on screen); without
        one, every row is redrawn.
        """
        keep_id = self.current_batch_id
        keep_offset = self.cursor_row - round(self.scroll_y)
        self._snapshots, self._now = snapshots, now
        if change is None:
            self._cells.clear()
            self._strips.clear()
            reorder, dirty = True, []
        else:
            dirty = [batch_id for batch_id in change.changed if batch_id in snapshots]
            for batch_id in (*dirty, *change.removed):
                self._cells.pop(batch_id, None)
                self._strips.pop(batch_id, None)
            reorder = (
                change.reordered
                or any(batch_id in self._index for batch_id in change.removed)
                or any(batch_id not in self._index for batch_id in dirty)
                # Filtered or sorted: a changed value can move or hide a row.
                or (not self.view.is_default and bool(dirty))
            )
        if reorder:
            self._reorder(keep_id, keep_offset)
        else:
            self._refresh_rows(dirty)
        self._announce()

    def set_view(self, view: ListView) -> None:
        """Filter and sort differently; the cursor stays on its batch if it is still shown."""
        if view == self.view:
            return
        keep_id = self.current_batch_id
        keep_offset = self.cursor_row - round(self.scroll_y)
        self.view = view
        self._reorder(keep_id, keep_offset)
        self._announce()

    def _reorder(self, keep_id: str | None, keep_offset: int) -> None:
        self._order = self.view.order(self._snapshots)
        self._index = {batch_id: index for index, batch_id in enumerate(self._order)}
        self.virtual_size = Size(row_width(self.columns), len(self._order) + 1)
        self._restore_cursor(keep_id, keep_offset)
        self.refresh()

    def refresh_times(self, snapshots: Mapping[str, Snapshot], now: datetime) -> None:
        """Bring the time-dependent cells (age, stale mark) of drawn rows up to ``now``."""
        self._snapshots, self._now = snapshots, now
        dirty = []
        for batch_id, old in list(self._cells.items()):
            snapshot = snapshots.get(batch_id)
            if snapshot is None:
                continue
            mark, age_now = mark_cell(snapshot, now), age_cell(snapshot, now)
            if mark != old[0] or age_now != old[-1]:
                self._cells[batch_id] = (mark, *old[1:-1], age_now)
                self._strips.pop(batch_id, None)
                dirty.append(batch_id)
        self._refresh_rows(dirty)

    def _refresh_rows(self, batch_ids: Iterable[str]) -> None:
        """Repaint just these rows, where they are on screen."""
        top = round(self.scroll_y)
        height = self.scrollable_content_region.height
        width = self.scrollable_content_region.width
        for batch_id in batch_ids:
            y = self._index.get(batch_id, -1) - top + 1
            if 1 <= y < height:
                self.refresh(Region(0, y, width, 1))

    def _restore_cursor(self, batch_id: str | None, offset: int) -> None:
        if not self._order:
            self.cursor_row = 0
            return
        if batch_id is not None and batch_id in self._index:
            target = self._index[batch_id]
        else:
            target = min(max(self.cursor_row, 0), len(self._order) - 1)
        self.cursor_row = target
        # Keep the highlighted batch on the same screen line it was on.
        self.scroll_to(y=max(0, target - max(offset, 0)), animate=False, immediate=True)
        self._scroll_cursor_into_view()

    def _announce(self) -> None:
        batch_id = self.current_batch_id
        if batch_id != self._announced:
            self._announced = batch_id
            self.post_message(self.Highlighted(self, batch_id))

    # ── the cursor ───────────────────────────────────────────────────────────

    def move_cursor(self, row: int) -> None:
        """Highlight row ``row`` (clamped) and bring it into view."""
        if not self._order:
            return
        row = min(max(row, 0), len(self._order) - 1)
        if row != self.cursor_row:
            old = self.cursor_row
            self.cursor_row = row
            self._refresh_rows([self._order[i] for i in (old, row) if 0 <= i < len(self._order)])
        self._scroll_cursor_into_view()
        self._announce()

    def _scroll_cursor_into_view(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - max(1, self.scrollable_content_region.height - 2))

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + max(1, self.scrollable_content_region.height - 2))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._order) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(round(self.scroll_y) + event.y - 1)

    def on_resize(self) -> None:
        self._scroll_cursor_into_view()

    # ── rendering ────────────────────────────────────────────────────────────

    def _row_strip(self, batch_id: str) -> Strip:
        strip = self._strips.get(batch_id)
        if strip is None:
            strip = self._strips[batch_id] = _cells_strip(
                self._row_cells(batch_id), self.columns, self.app.console
            )
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x = round(self.scroll_x)
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            if self._header is None:
                title_of = {key: title for key, title, _ in self.columns}
                titles = tuple(Text(title_of.get(key, "")) for key, _, _ in COLUMNS)
                self._header = _cells_strip(titles, self.columns, self.app.console)
            style = base + self.get_component_rich_style("batch-list--header")
            return self._header.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)
        row = round(self.scroll_y) + y - 1
        if not 0 <= row < len(self._order):
            return Strip.blank(width, base)
        strip = self._row_strip(self._order[row])
        if row == self.cursor_row:
            style = base + self.get_component_rich_style("batch-list--cursor")
            # The cursor's colours replace the cells' own, as a selection should.
            return Strip(
                Segment.apply_style(
                    strip.crop_extend(scroll_x, scroll_x + width, None), post_style=style
                ),
                width,
            )
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base)
