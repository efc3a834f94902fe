"""``Results``: what the user reads beyond the polls — results pages and item errors.

A results page is asked for by the user and sent even while polling is paused;
the highlighted batch's failed items (the errors table) are fetched when its
failure count changes. Both go through the one gate.
"""

from __future__ import annotations

from batch_tui.api.errors import RateLimited
from batch_tui.api.models import ResultsPage
from batch_tui.monitor.gate import RequestGate
from batch_tui.monitor.snapshot import Change, ItemErrors, Snapshot
from batch_tui.monitor.state import MonitorState
from batch_tui.monitor.status import StatusBuilder

#: Item errors are kept for this many batches (the highlighted one and recent ones).
ITEM_ERRORS_KEPT = 20
#: The first page of results the errors table shows failed items from.
ITEM_ERRORS_PAGE = 100


class Results:
    """See the module docstring."""

    def __init__(self, state: MonitorState, gate: RequestGate, status: StatusBuilder) -> None:
        self.state = state
        self.gate = gate
        self.status = status

    async def page(self, batch_id: str, *, offset: int = 0, limit: int = 50) -> ResultsPage:
        """One page of a batch's item results, asked for by the user (so sent even
        while polling is paused); raises ``ApiError``, including ``RateLimited`` when
        a 429 hold or the budget forbids sending now."""
        state = self.state
        async with state.lock:
            self.gate.check()
            self.gate.sending()
            try:
                return await state.client.get_results(batch_id, limit=limit, offset=offset)
            except RateLimited as exc:
                state.scheduler.rate_limited(exc.retry_after, state.clock())
                self.status.update(state="rate limited")
                raise
            finally:
                self.gate.answered()

    def want_item_errors(self, snapshot: Snapshot, now: float) -> None:
        """Ask for the highlighted batch's failed items when its failures changed."""
        batch = snapshot.batch
        if not batch.failure_count or not batch.id:
            return
        known = self.state.item_errors.get(batch.id)
        if known is None or known.failures != batch.failure_count:
            self.state.scheduler.want_item_errors(batch.id, now)
            self.state.wake.set()

    async def fetch_item_errors(self, batch_id: str) -> Change:
        """The first page of this batch's results: its failed items, for the errors table."""
        state = self.state
        self.gate.sending()
        try:
            page = await state.client.get_results(batch_id, limit=ITEM_ERRORS_PAGE)
        finally:
            self.gate.answered()
        now = state.clock()
        state.scheduler.errors_done(batch_id, now)
        snapshot = state.fleet.get(batch_id)
        failures = snapshot.batch.failure_count or 0 if snapshot else 0
        failed = tuple(item for item in page.items if item.status == "failed")
        state.item_errors.pop(batch_id, None)
        state.item_errors[batch_id] = ItemErrors(failures, now, failed, len(page.items))
        while len(state.item_errors) > ITEM_ERRORS_KEPT:
            del state.item_errors[next(iter(state.item_errors))]
        return Change(frozenset({batch_id}))
