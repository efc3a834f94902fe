"""The batch list's rows, apart from the widget: which batches are shown in what
order, and each row's cells and rendered strip.

Cells and strips are made lazily, when a row is first drawn after a change, and
dropped when its batch changes: a poll that changes rows off screen costs almost
nothing, and one that changes a few visible rows costs a few row renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.strip import Strip

from batch_tui.format import age, count, money
from batch_tui.monitor.alarms import unaccounted
from batch_tui.monitor.monitor import Change, Snapshot
from batch_tui.ui.styles import INCOMPLETE_STYLE, STALLED_STYLE, progress_bar, status_text
from batch_tui.ui.text import inert
from batch_tui.ui.view import ListView

Cells = tuple[Text, ...]

Column = tuple[str, str, int]

#: Every column the list can show, in the order shown: (key, title, width). A
#: layout (``layout``) picks some of them for the width there is; widths are fixed
#: within a layout, so an update never re-measures the table.
COLUMNS: tuple[Column, ...] = (
    ("mark", "", 1),
    ("id", "ID", 18),
    ("short_id", "ID", 6),
    ("name", "Name", 22),
    ("status", "Status", 10),
    ("progress", "Progress", 25),
    ("ok", "OK", 5),
    ("failed", "Failed", 6),
    ("cost", "Cost", 8),
    ("age", "Age", 5),
)
COLUMN_INDEX = {key: index for index, (key, _, _) in enumerate(COLUMNS)}
#: The name's narrowest, and widest, width: spare cells go to the name up to this.
NAME_MIN, NAME_MAX = 14, 48
#: The progress bar and percentage without the counts.
PROGRESS_NARROW = 13
#: What is added, most useful first, while it fits: (column, width). A column
#: already chosen grows to the width; the full id replaces the short one.
PRIORITIES: tuple[tuple[str, int], ...] = (
    ("failed", 6),
    ("cost", 8),
    ("short_id", 6),
    ("ok", 5),
    ("age", 5),
    ("name", 22),
    ("progress", 25),
    ("id", 18),
)
#: Blank cells either side of each column's content.
PADDING = 1


def row_width(columns) -> int:
    """Cells a row of these columns takes."""
    return sum(width + 2 * PADDING for _, _, width in columns)


def layout(width: int) -> tuple[Column, ...]:
    """The columns for a list ``width`` cells wide: the essentials (name, status,
    progress), then columns by priority while they fit, so nothing ever runs off
    the edge; the cells left over widen the name."""
    widths = {"mark": 1, "name": NAME_MIN, "status": 10, "progress": PROGRESS_NARROW}
    used = sum(w + 2 * PADDING for w in widths.values())
    for key, wanted in PRIORITIES:
        extra = wanted - widths.get(key, -2 * PADDING)  # a new column costs its padding too
        replaced = widths.get("short_id", -2 * PADDING) + 2 * PADDING if key == "id" else 0
        if used + extra - replaced <= width:
            widths[key] = wanted
            used += extra - replaced
            if replaced:
                del widths["short_id"]
    widths["name"] = min(NAME_MAX, widths["name"] + max(0, width - used))
    return tuple((key, title, widths[key]) for key, title, _ in COLUMNS if key in widths)


def mark_cell(snapshot: Snapshot, now: datetime) -> Text:
    """``!`` when the row's data is stale (its refresh failed, or it is too old);
    ``?`` when the server sent fields that could not be used."""
    if snapshot.is_stale(now.timestamp()):
        return Text("!", style="bold yellow")
    if snapshot.batch.bad_fields:
        return Text("?", style="bold magenta")
    return Text("")


def status_cell(snapshot: Snapshot) -> Text:
    """The status, or what matters more: not found, stalled, incomplete."""
    if snapshot.not_found:
        return Text("not found", style="bold red")
    if snapshot.stalled_since is not None:
        return Text("stalled", style=STALLED_STYLE)
    if unaccounted(snapshot.batch):
        return Text("incomplete", style=INCOMPLETE_STYLE)
    return status_text(snapshot.batch.status)


def age_cell(snapshot: Snapshot, now: datetime) -> Text:
    """How long ago the batch was created."""
    return Text(age(snapshot.batch.created_at, now), justify="right")


def row_cells(snapshot: Snapshot, now: datetime) -> Cells:
    """The cells of one batch's row, as inert text."""
    batch = snapshot.batch
    name = inert(batch.name or "", max_chars=60)
    name.overflow = "ellipsis"
    progress = progress_bar(batch.progress, status=batch.status)
    progress.append(f" {count(batch.processed_items)}/{count(batch.total_items)}")
    failures = batch.failure_count
    return (
        mark_cell(snapshot, now),
        inert(batch.id or "", max_chars=60),
        inert((batch.id or "")[-6:]),
        name,
        status_cell(snapshot),
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


def cell_segments(text: Text, width: int, console: Console) -> list[Segment]:
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
    cell.align("right" if text.justify == "right" else "left", width)
    return list(cell.render(console))


def cells_strip(cells: Cells, columns, console: Console) -> Strip:
    """One line of fixed-width, padded cells, for these columns."""
    segments: list[Segment] = []
    pad = Segment(" " * PADDING)
    for key, _, width in columns:
        segments.append(pad)
        segments.extend(cell_segments(cells[COLUMN_INDEX[key]], width, console))
        segments.append(pad)
    return Strip(segments, row_width(columns))


def header_strip(columns, console: Console) -> Strip:
    """The column titles, laid out as a row."""
    title_of = {key: title for key, title, _ in columns}
    titles = tuple(Text(title_of.get(key, "")) for key, _, _ in COLUMNS)
    return cells_strip(titles, columns, console)


#: Rendered rows kept: a few screens' worth. Rows scrolled far out of sight are
#: made again when they come back, so the cache never grows with the history.
CACHED_ROWS = 400


def _evict(cache: dict) -> None:
    """Drop the least recently used entries past ``CACHED_ROWS``."""
    while len(cache) > CACHED_ROWS:
        del cache[next(iter(cache))]


class Rows:
    """The rows of the batch list, keyed by batch id, in the order the view gives."""

    def __init__(self) -> None:
        self.order: list[str] = []
        """Batch ids in the order shown."""
        self.index: dict[str, int] = {}
        """Where each shown batch's row is."""
        self.snapshots: Mapping[str, Snapshot] = {}
        self.now = datetime.min
        self._cells: dict[str, Cells] = {}
        self._strips: dict[str, Strip] = {}

    def __len__(self) -> int:
        return len(self.order)

    def cells(self, batch_id: str) -> Cells:
        """One row's cells (made now if the batch changed since they were last made)."""
        cells = self._cells.pop(batch_id, None)
        if cells is None:
            cells = row_cells(self.snapshots[batch_id], self.now)
        self._cells[batch_id] = cells  # the most recently used go last
        _evict(self._cells)
        return cells

    def strip(self, batch_id: str, columns, console: Console) -> Strip:
        """One row, rendered for these columns."""
        strip = self._strips.pop(batch_id, None)
        if strip is None:
            strip = cells_strip(self.cells(batch_id), columns, console)
        self._strips[batch_id] = strip
        _evict(self._strips)
        return strip

    def forget_strips(self) -> None:
        """Render every row again (the columns changed)."""
        self._strips.clear()

    def forget(self) -> None:
        """Make every row's cells again (their colours changed)."""
        self._cells.clear()
        self._strips.clear()

    def update(
        self,
        snapshots: Mapping[str, Snapshot],
        now: datetime,
        change: Change | None,
        view: ListView,
    ) -> tuple[bool, list[str]]:
        """Take new snapshots; (whether the order must be worked out again, the rows
        that changed in place). Without a ``change``, every row is made again."""
        self.snapshots, self.now = snapshots, now
        if change is None:
            self._cells.clear()
            self._strips.clear()
            return True, []
        dirty = [batch_id for batch_id in change.changed if batch_id in snapshots]
        for batch_id in (*dirty, *change.removed):
            self._cells.pop(batch_id, None)
            self._strips.pop(batch_id, None)
        reorder = (
            change.reordered
            or any(batch_id in self.index for batch_id in change.removed)
            or any(batch_id not in self.index for batch_id in dirty)
            # Filtered or sorted: a changed value can move or hide a row.
            or (not view.is_default and bool(dirty))
        )
        return reorder, dirty

    def reorder(self, view: ListView) -> None:
        """Work out which batches are shown, and in what order."""
        self.order = view.order(self.snapshots)
        self.index = {batch_id: index for index, batch_id in enumerate(self.order)}

    def refresh_times(self, snapshots: Mapping[str, Snapshot], now: datetime) -> list[str]:
        """Bring the time-dependent cells (age, stale mark) of made rows up to ``now``;
        the rows that read differently."""
        self.snapshots, self.now = snapshots, now
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
        return dirty
