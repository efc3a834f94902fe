"""``Canceller``: one batch's cancel, and the truth about what came of it.

A cancel goes through the same gate as the polls (a rejected key, a 429 hold, the
rate budget) and the same lock, so it never overlaps another request; it is sent
even while polling is paused, because the user asked. Exactly one is in flight per
batch. When the server's answer does not say what happened, the batch is read
again and its status decides.
"""

from __future__ import annotations

from dataclasses import replace

from batch_tui.api.errors import ApiError, NotFound, RateLimited, RequestRejected, Unauthorized
from batch_tui.monitor.gate import RequestGate
from batch_tui.monitor.listing import Lister
from batch_tui.monitor.snapshot import CancelOutcome, Change
from batch_tui.monitor.state import MonitorState
from batch_tui.monitor.status import StatusBuilder
from batch_tui.monitor.stored import StoredRows


class Canceller:
    """See the module docstring."""

    def __init__(
        self,
        state: MonitorState,
        gate: RequestGate,
        lister: Lister,
        status: StatusBuilder,
        stored: StoredRows,
    ) -> None:
        self.state = state
        self.gate = gate
        self.lister = lister
        self.status = status
        self.stored = stored

    def is_cancelling(self, batch_id: str) -> bool:
        """True while a cancel for this batch is in flight."""
        return batch_id in self.state.cancelling

    async def cancel(self, batch_id: str) -> CancelOutcome:
        """Send exactly one cancel for this batch, and report what really happened.

        A second call while the first is in flight sends nothing. When the server's
        answer does not say (a timeout, a 5xx, a 204 or a body that is not JSON),
        the batch is read again and its status decides the outcome: a cancel the
        server applied is reported as done even if its answer was lost.
        """
        state = self.state
        if batch_id in state.cancelling:
            return CancelOutcome(batch_id, False, "A cancel is already in flight", sent=False)
        state.cancelling.add(batch_id)
        try:
            async with state.lock:
                return await self.cancel_and_verify(batch_id)
        finally:
            state.cancelling.discard(batch_id)
            state.wake.set()

    async def cancel_and_verify(self, batch_id: str, *, reread: bool = True) -> CancelOutcome:
        """One POST, and the batch read again: at once, or (``reread`` False, for a
        confirmed answer) when the scheduler's budget next allows. The caller holds
        the lock."""
        state = self.state
        self.gate.sending()
        try:
            result = await state.client.cancel_batch(batch_id)
        except (RequestRejected, NotFound, Unauthorized, RateLimited) as exc:
            # A clear refusal: nothing was cancelled. The batch is re-read on schedule.
            state.scheduler.refresh_one(batch_id, state.clock())
            held = isinstance(exc, RateLimited)
            if isinstance(exc, RateLimited):
                # A 429 holds every request, this one's successors included.
                state.scheduler.rate_limited(exc.retry_after, state.clock())
            elif isinstance(exc, Unauthorized):
                # As for a poll: nothing more is sent (a cancel of many stops) until r.
                state.scheduler.unauthorized()
                self.status.update(
                    state="unauthorized",
                    last_error=f"{exc.kind}: {exc.message}",
                    last_error_message=exc.message,
                )
            refused = isinstance(exc, RequestRejected | NotFound)
            return CancelOutcome(batch_id, False, exc.message, held=held, refused=refused)
        except ApiError as exc:
            unclear: str | None = (
                f"the answer to the cancel was unclear ({exc.kind}: {exc.message})"
            )
        else:
            if result.confirmed:
                self._show_status(batch_id, result.status)
            unclear = None if result.confirmed else "the server's answer to the cancel was empty"
            message: str = result.message or "Batch cancelled"
        finally:
            self.gate.answered()
        if unclear is None and not reread:
            # The row already shows the server's answer; its final figures can wait.
            state.scheduler.refresh_one(batch_id, state.clock())
            return CancelOutcome(batch_id, True, message)
        status = await self.reread(batch_id)
        if unclear is None:
            return CancelOutcome(batch_id, True, message)
        if status == "cancelled":
            return CancelOutcome(batch_id, True, f"cancelled ({unclear}; re-reading it shows so)")
        if status is None:
            return CancelOutcome(
                batch_id, False, f"{unclear}, and the batch could not be re-read: press r to check"
            )
        return CancelOutcome(batch_id, False, f"{unclear}; the batch is still {status}")

    def _show_status(self, batch_id: str, status: str | None) -> None:
        """Show the server's answer at once, so no second cancel can be confirmed in the
        moment before the re-read lands."""
        state = self.state
        old = state.fleet.get(batch_id)
        if old is not None and status:
            state.fleet.put(replace(old, batch=replace(old.batch, status=status)))
            state.emit(Change(frozenset({batch_id})))

    async def reread(self, batch_id: str) -> str | None:
        """Fetch the batch now (the user asked, so even while paused); its status or None.
        The caller holds the lock."""
        state = self.state
        try:
            self.gate.check()
            change = await self.lister.fetch(batch_id)
        except ApiError:
            state.scheduler.refresh_one(batch_id, state.clock())
            return None
        self.stored.save()
        state.emit(change)
        snapshot = state.fleet.get(batch_id)
        return snapshot.batch.status if snapshot is not None else None
