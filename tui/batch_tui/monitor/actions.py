"""What the user asks of the monitor beyond polling: results pages, item errors, cancels.

Each goes through the same gate as the polls (a rejected key, a 429 hold, the rate
budget) and the same lock, so no request ever overlaps another. A user's explicit
request is sent even while polling is paused. ``BatchMonitor`` mixes this in.
"""

from __future__ import annotations

from dataclasses import replace

from batch_tui.api.errors import ApiError, NotFound, RateLimited, RequestRejected, Unauthorized
from batch_tui.api.models import ResultsPage
from batch_tui.monitor.cancels import CancelAnswer, cancel_answer, cancel_verdict, unclear_answer
from batch_tui.monitor.parts import MonitorParts
from batch_tui.monitor.snapshot import CancelOutcome, Change, ItemErrors, Snapshot

#: Item errors are kept for this many batches (the highlighted one and recent ones).
ITEM_ERRORS_KEPT = 20
#: The first page of results the errors table shows failed items from.
ITEM_ERRORS_PAGE = 100


class ActionsMixin(MonitorParts):
    """Results, item errors and cancels for ``BatchMonitor``: see the module docstring."""

    def is_cancelling(self, batch_id: str) -> bool:
        """True while a cancel for this batch is in flight."""
        return batch_id in self._cancelling

    async def results_page(self, batch_id: str, *, offset: int = 0, limit: int = 50) -> ResultsPage:
        """One page of a batch's item results, asked for by the user (so sent even
        while polling is paused); raises ``ApiError``, including ``RateLimited`` when
        a 429 hold or the budget forbids sending now."""
        async with self._lock:
            self._check_gate()
            self._sending()
            try:
                return await self.client.get_results(batch_id, limit=limit, offset=offset)
            except RateLimited as exc:
                self.scheduler.rate_limited(exc.retry_after, self.clock())
                self._update_status(state="rate limited")
                raise
            finally:
                self._answered()

    def _check_gate(self) -> None:
        """Raise when nothing may be sent now, whatever the user asks."""
        now = self.clock()
        if self.scheduler.stopped:
            raise Unauthorized("the API key was rejected; press r to try again")
        held = self.scheduler.paused_until
        if held is not None and now < held:
            raise RateLimited(
                f"rate limited: the server asked for a pause of {held - now:.0f} s more",
                retry_after=held - now,
            )
        if not self.budget.can_send(now):
            wait = self.budget.next_window(now) - now
            raise RateLimited(
                f"the rate budget is spent until the next window (in {wait:.0f} s)",
                retry_after=wait,
            )

    async def cancel(self, batch_id: str) -> CancelOutcome:
        """Send exactly one cancel for this batch, and report what really happened.

        A second call while the first is in flight sends nothing. The batch is read
        again at once, and that read decides (``cancel_verdict``): a server that
        answers "cancelled" (or "Cancellation requested", or names another batch)
        while the batch still runs has only been asked, and the outcome says
        "requested, still running". A cancel the server applied is reported as done
        even if its answer was lost.
        """
        if batch_id in self._cancelling:
            return CancelOutcome(batch_id, False, "A cancel is already in flight", sent=False)
        self._cancelling.add(batch_id)
        try:
            async with self._lock:
                return await self._cancel_and_verify(batch_id)
        finally:
            self._cancelling.discard(batch_id)
            self._wake.set()

    async def _cancel_and_verify(self, batch_id: str) -> CancelOutcome:
        """One POST, then the batch read again at once; the read decides."""
        answer = await self._send_cancel(batch_id)
        if isinstance(answer, CancelOutcome):
            return answer
        return cancel_verdict(batch_id, answer, await self._reread(batch_id))

    async def _send_cancel(self, batch_id: str) -> CancelOutcome | CancelAnswer:
        """One POST: a refusal's outcome (nothing was cancelled), or what the server said."""
        self._sending()
        try:
            result = await self.client.cancel_batch(batch_id)
        except (RequestRejected, NotFound, Unauthorized, RateLimited) as exc:
            # A clear refusal: nothing was cancelled. The batch is re-read on schedule.
            self.scheduler.refresh_one(batch_id, self.clock())
            held = isinstance(exc, RateLimited)
            if isinstance(exc, RateLimited):
                # A 429 holds every request, this one's successors included.
                self.scheduler.rate_limited(exc.retry_after, self.clock())
            elif isinstance(exc, Unauthorized):
                # As for a poll: nothing more is sent (a cancel of many stops) until r.
                self.scheduler.unauthorized()
                self._update_status(
                    state="unauthorized",
                    last_error=f"{exc.kind}: {exc.message}",
                    last_error_message=exc.message,
                )
            refused = isinstance(exc, RequestRejected | NotFound)
            return CancelOutcome(batch_id, False, exc.message, held=held, refused=refused)
        except ApiError as exc:
            return unclear_answer(f"{exc.kind}: {exc.message}")
        finally:
            self._answered()
        return cancel_answer(batch_id, result)

    async def _reread(self, batch_id: str) -> str | None:
        """Fetch the batch now (the user asked, so even while paused); its status or None."""
        try:
            self._check_gate()
            change = await self._fetch(batch_id)
        except ApiError:
            self.scheduler.refresh_one(batch_id, self.clock())
            return None
        self._save()
        snapshot = self.fleet.get(batch_id)
        status = snapshot.batch.status if snapshot is not None else None
        if status == "cancelled" and batch_id in change.finished:
            # Cancelled here: the cancel's own outcome tells the screen; the event
            # (for hooks and the desktop) still goes out with the change.
            change = replace(change, finished=change.finished - {batch_id})
        self._emit(change)
        return status

    def _want_item_errors(self, snapshot: Snapshot, now: float) -> None:
        """Ask for the highlighted batch's failed items when its failures changed."""
        batch = snapshot.batch
        if not batch.failure_count or not batch.id:
            return
        known = self.item_errors.get(batch.id)
        if known is None or known.failures != batch.failure_count:
            self.scheduler.want_item_errors(batch.id, now)
            self._wake.set()

    async def _fetch_item_errors(self, batch_id: str) -> Change:
        self._sending()
        try:
            page = await self.client.get_results(batch_id, limit=ITEM_ERRORS_PAGE)
        finally:
            self._answered()
        now = self.clock()
        self.scheduler.errors_done(batch_id, now)
        snapshot = self.fleet.get(batch_id)
        failures = snapshot.batch.failure_count or 0 if snapshot else 0
        failed = tuple(item for item in page.items if item.status == "failed")
        self.item_errors.pop(batch_id, None)
        self.item_errors[batch_id] = ItemErrors(failures, now, failed, len(page.items))
        while len(self.item_errors) > ITEM_ERRORS_KEPT:
            del self.item_errors[next(iter(self.item_errors))]
        return Change(frozenset({batch_id}))
