"""``Canceller``: one batch's cancel, and the truth about what came of it.

A cancel goes through the same gate as the polls (a rejected key, a 429 hold, the
rate budget) and the same lock, so it never overlaps another request; it is sent
even while polling is paused, because the user asked. Exactly one is in flight per
batch. The server's answer is a claim: the batch is read again at once, and that
read decides (``cancels.cancel_verdict``).
"""

from __future__ import annotations

from dataclasses import replace

from batch_tui.api.errors import ApiError, NotFound, RateLimited, RequestRejected, Unauthorized
from batch_tui.monitor.cancels import CancelAnswer, cancel_answer, cancel_verdict, unclear_answer
from batch_tui.monitor.gate import RequestGate
from batch_tui.monitor.listing import Lister
from batch_tui.monitor.snapshot import CancelOutcome
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

        A second call while the first is in flight sends nothing. The batch is read
        again at once, and that read decides (``cancel_verdict``): a server that
        answers "cancelled" (or "Cancellation requested", or names another batch)
        while the batch still runs has only been asked, and the outcome says
        "requested, still running". A cancel the server applied is reported as done
        even if its answer was lost.
        """
        state = self.state
        if batch_id in state.cancelling:
            return CancelOutcome(batch_id, False, "A cancel is already in flight", sent=False)
        state.cancelling.add(batch_id)
        try:
            async with state.lock:
                answer = await self.send(batch_id)
                if isinstance(answer, CancelOutcome):
                    return answer
                return cancel_verdict(batch_id, answer, await self.reread(batch_id))
        finally:
            state.cancelling.discard(batch_id)
            state.wake.set()

    async def send(self, batch_id: str) -> CancelOutcome | CancelAnswer:
        """One POST: a refusal's outcome (nothing was cancelled), or what the server
        said. The caller holds the lock."""
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
            return unclear_answer(f"{exc.kind}: {exc.message}")
        finally:
            self.gate.answered()
        return cancel_answer(batch_id, result)

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
        snapshot = state.fleet.get(batch_id)
        status = snapshot.batch.status if snapshot is not None else None
        if status == "cancelled" and batch_id in change.finished:
            # Cancelled here: the cancel's own outcome tells the screen; the event
            # (for hooks and the desktop) still goes out with the change.
            change = replace(change, finished=change.finished - {batch_id})
        state.emit(change)
        return status
