"""The batch list: one row per batch, updated in place by row key."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from batch_tui.format import age, count, money
from batch_tui.monitor.monitor import Change, Snapshot
from batch_tui.ui.styles import progress_bar, status_text
from batch_tui.ui.text import inert

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


def mark_cell(snapshot: Snapshot, now: datetime) -> Text:
    """``!`` when the row's data is stale: its refresh failed, or it is too old."""
    return Text("!", style="bold yellow") if snapshot.is_stale(now.timestamp()) else Text("")


def age_cell(snapshot: Snapshot, now: datetime) -> Text:
    """How long ago the batch was created."""
    return Text(age(snapshot.batch.created_at, now), justify="right")


def row_cells(snapshot: Snapshot, now: datetime) -> Cells:
    """The cells of one batch's row, as inert text."""
    batch = snapshot.batch
    name = inert(batch.name or "", max_chars=60)
    name.no_wrap, name.overflow = True, "ellipsis"
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
        Text(count(failures), style="red" if failures else "", justify="right"),
        Text(money(batch.total_cost_cents), justify="right"),
        age_cell(snapshot, now),
    )


class BatchList(DataTable[Text]):
    """The list of batches. ``apply()`` diffs snapshots against what is shown.

    Rows are keyed by batch id, so the cursor and the scroll position follow the
    highlighted batch when rows are added, removed or reordered.
    """

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    DEFAULT_CSS = """
    BatchList {
        height: 1fr;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._shown: dict[str, Cells] = {}

    def on_mount(self) -> None:
        for key, title, width in COLUMNS:
            self.add_column(title, width=width, key=key)

    @property
    def current_batch_id(self) -> str | None:
        """The id of the highlighted batch, if any."""
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # the cursor can briefly point past a removed last row
            return None

    def apply(
        self, snapshots: Mapping[str, Snapshot], now: datetime, change: Change | None = None
    ) -> None:
        """Make the table show ``snapshots`` in their order, touching only what changed.

        With a ``change``, only the rows it names are looked at (a poll that changed
        a few rows costs a few cell updates); without one, every row is compared.
        """
        keep_id = self.current_batch_id
        keep_row = self.cursor_row
        keep_offset = self.cursor_row - round(self.scroll_y)
        if change is None:
            removed = [batch_id for batch_id in self._shown if batch_id not in snapshots]
            candidates: Iterable[str] = snapshots
        else:
            removed = [batch_id for batch_id in change.removed if batch_id in self._shown]
            candidates = change.changed
        with self.app.batch_update():
            for batch_id in removed:
                self.remove_row(batch_id)
                del self._shown[batch_id]
            added = False
            for batch_id in candidates:
                snapshot = snapshots.get(batch_id)
                if snapshot is None:
                    continue
                cells = row_cells(snapshot, now)
                old = self._shown.get(batch_id)
                if old is None:
                    self.add_row(*cells, key=batch_id)
                    added = True
                else:
                    self._update_row(batch_id, old, cells)
                self._shown[batch_id] = cells
            if added:
                self._reorder(list(snapshots))
            if added or removed:
                self._restore_cursor(keep_id, keep_row, keep_offset)

    def refresh_times(self, snapshots: Mapping[str, Snapshot], now: datetime) -> None:
        """Bring the time-dependent cells (age, stale mark) up to ``now``."""
        with self.app.batch_update():
            for batch_id, old in self._shown.items():
                snapshot = snapshots.get(batch_id)
                if snapshot is None:
                    continue
                cells = (mark_cell(snapshot, now), *old[1:-1], age_cell(snapshot, now))
                if cells[0] != old[0] or cells[-1] != old[-1]:
                    self._update_row(batch_id, old, cells)
                    self._shown[batch_id] = cells

    def _update_row(self, batch_id: str, old: Cells, new: Cells) -> None:
        for (column, _, _), new_cell, old_cell in zip(COLUMNS, new, old):
            if new_cell != old_cell:
                self.update_cell(batch_id, column, new_cell)

    def _reorder(self, order: list[str]) -> None:
        current = [row.key.value for row in self.ordered_rows]
        if current == order:
            return
        position = {batch_id: index for index, batch_id in enumerate(order)}
        rank = {self._shown[batch_id][1].plain: position[batch_id] for batch_id in order}
        self.sort("id", key=lambda id_cell: rank.get(id_cell.plain, len(rank)))

    def _restore_cursor(self, batch_id: str | None, row: int, offset: int) -> None:
        if not self.row_count:
            return
        if batch_id is not None and batch_id in self._shown:
            target = self.get_row_index(batch_id)
        else:
            target = min(max(row, 0), self.row_count - 1)
        if target != self.cursor_row:
            self.move_cursor(row=target, scroll=False)
        wanted_scroll = max(0, target - max(offset, 0))
        if round(self.scroll_y) != wanted_scroll:
            # After the refresh: rows just added are not yet part of the scrollable size.
            self.call_after_refresh(self.scroll_to, y=wanted_scroll, animate=False)
