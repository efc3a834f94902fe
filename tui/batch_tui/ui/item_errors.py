"""The failed items shown in the errors table, from the first page of a batch's results.

An interim home: this request is moving into the monitor (which owns every
request), and this module goes with it. Until then the dashboard uses it in one
place, ``Dashboard._item_errors_for``.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget

from batch_tui.api.errors import ApiError
from batch_tui.api.models import ItemResult
from batch_tui.clock import Clock
from batch_tui.monitor.monitor import BatchMonitor, Snapshot

#: Failed items shown in the errors table come from the first results page...
ITEM_ERRORS_PAGE = 100
#: ...fetched again at most this often while the failure count moves.
ITEM_ERRORS_EVERY = 30.0


class ItemErrors:
    """Fetches and keeps each failing batch's failed items; ``loaded`` hears of new ones."""

    def __init__(
        self,
        node: Widget,
        monitor: BatchMonitor,
        clock: Clock,
        loaded: Callable[[str, tuple[ItemResult, ...]], None],
    ) -> None:
        self.node = node
        self.monitor = monitor
        self.clock = clock
        self.loaded = loaded
        self._items: dict[str, tuple[int, float, tuple[ItemResult, ...]]] = {}

    def cached(self, batch_id: str | None) -> tuple[ItemResult, ...] | None:
        """The failed items known for this batch (None: never fetched)."""
        cached = self._items.get(batch_id or "")
        return cached[2] if cached else None

    def want(self, snapshot: Snapshot | None) -> None:
        """Fetch the first page of a failing batch's items, unless that is fresh enough."""
        if snapshot is None or not snapshot.batch.failure_count or not snapshot.batch.id:
            return
        batch_id = snapshot.batch.id
        cached = self._items.get(batch_id)
        now = self.clock()
        if cached is not None and (
            cached[0] == snapshot.batch.failure_count or now - cached[1] < ITEM_ERRORS_EVERY
        ):
            return
        self._items[batch_id] = (snapshot.batch.failure_count, now, cached[2] if cached else ())
        self.node.run_worker(
            self._fetch(batch_id, snapshot.batch.failure_count),
            group="item-errors",
            exit_on_error=False,
        )

    async def _fetch(self, batch_id: str, failures: int) -> None:
        try:
            page = await self.monitor.results_page(batch_id, limit=ITEM_ERRORS_PAGE)
        except ApiError:
            return  # the table keeps what it had; the next look tries again
        failed = tuple(item for item in page.items if item.status == "failed")
        self._items[batch_id] = (failures, self.clock(), failed)
        self.loaded(batch_id, failed)
