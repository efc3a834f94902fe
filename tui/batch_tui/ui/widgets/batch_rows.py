"""The batch list's rows, apart from the widget: which batches are shown in what
order, and each row's cells and rendered strip.

Cells and strips are made lazily, when a row is first drawn after a change, and
dropped when its batch changes: a poll that changes rows off screen costs almost
nothing, and one that changes a few visible rows costs a few row renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.strip import Strip

from batch_tui.monitor.insight import Progress
from batch_tui.monitor.monitor import Change, Snapshot
from batch_tui.ui.view import ListView
from batch_tui.ui.widgets.columns import (
    ALL_KEYS,
    BY_KEY,
    COLUMN_INDEX,
    COLUMNS,
    PADDING,
    Cells,
    Extras,
    layout,
    row_cells,
    row_width,
)
from batch_tui.ui.widgets.segments import cell_segments

__all__ = [
    "CACHED_ROWS",
    "COLUMNS",
    "COLUMN_INDEX",
    "PADDING",
    "Rows",
    "cells_strip",
    "header_strip",
    "layout",
    "row_cells",
    "row_width",
]


def cells_strip(
    cells: Cells, columns, console: Console, slot: Mapping[str, int] = COLUMN_INDEX
) -> Strip:
    """One line of fixed-width, padded cells, for these columns (``slot``: where
    each column's cell is among ``cells``)."""
    segments: list[Segment] = []
    pad = Segment(" " * PADDING)
    for key, _, width in columns:
        segments.append(pad)
        segments.extend(cell_segments(cells[slot[key]], width, console))
        segments.append(pad)
    # One segment per run of one style, not per cell and pad: every segment costs the
    # compositor a step and the terminal a colour code, on every redraw of the row.
    return Strip(Segment.simplify(segments), row_width(columns))


def header_strip(columns, console: Console) -> Strip:
    """The column titles, laid out as a row."""
    titles = tuple(Text(title) for _, title, _ in columns)
    return cells_strip(titles, columns, console, {key: i for i, (key, _, _) in enumerate(columns)})


#: Rendered rows kept: a few screens' worth. Rows scrolled far out of sight are
#: made again when they come back, so the cache never grows with the history.
CACHED_ROWS = 400


def _evict(cache: dict) -> None:
    """Drop the least recently used entries past ``CACHED_ROWS``."""
    while len(cache) > CACHED_ROWS:
        del cache[next(iter(cache))]


class Rows:
    """The rows of the batch list, keyed by batch id, in the order the view gives.

    A row's cells are made for ``keys`` only: the columns chosen, whatever fits now.
    """

    def __init__(
        self, keys: tuple[str, ...] = ALL_KEYS, progress: Mapping[str, Progress] | None = None
    ) -> None:
        self.keys = keys
        """The cells each row has, in this order."""
        self.slot = {key: index for index, key in enumerate(keys)}
        """Where each column's cell is in a row's cells."""
        self._timely = [(self.slot[k], BY_KEY[k].cell) for k in keys if BY_KEY[k].timely]
        self.extras = Extras({} if progress is None else progress)
        """Running batches' progress and the profile name, for the cells that show them."""
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
            cells = row_cells(self.snapshots[batch_id], self.now, self.keys, self.extras)
        self._cells[batch_id] = cells  # the most recently used go last
        _evict(self._cells)
        return cells

    def strip(self, batch_id: str, columns, console: Console) -> Strip:
        """One row, rendered for these columns."""
        strip = self._strips.pop(batch_id, None)
        if strip is None:
            strip = cells_strip(self.cells(batch_id), columns, console, self.slot)
        self._strips[batch_id] = strip
        _evict(self._strips)
        return strip

    def forget_strips(self) -> None:
        """Render every row again (the columns changed)."""
        self._strips.clear()

    def forget(self) -> None:
        """Make every row's cells again (their colours, or what they show besides the
        snapshot, changed)."""
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
        """Bring the time-dependent cells (stale mark, age, pace, ETA) of made rows up
        to ``now``; the rows that read differently."""
        self.snapshots, self.now = snapshots, now
        dirty = []
        for batch_id, old in list(self._cells.items()):
            snapshot = snapshots.get(batch_id)
            if snapshot is None:
                continue
            cells = list(old)
            for index, make in self._timely:
                cells[index] = make(snapshot, now, self.extras)
            if cells != list(old):
                self._cells[batch_id] = tuple(cells)
                self._strips.pop(batch_id, None)
                dirty.append(batch_id)
        return dirty
