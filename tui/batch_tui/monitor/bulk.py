"""Cancelling many batches at once: one cancel each, in turn, paced by the rate budget.

Each cancel is the single cancel (one POST, then the batch read again, and the
read decides: ``cancels.cancel_verdict``), each request sent through the same
lock once the same gate allows it: while the budget is spent or a 429 holds, the next
cancel waits (and the status says so) rather than being refused. A batch that is
already finished when its turn comes is skipped without a request. Only one cancel
of many runs at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from batch_tui.monitor.actions import Canceller
from batch_tui.monitor.cancels import CancelAnswer, cancel_verdict
from batch_tui.monitor.gate import RequestGate
from batch_tui.monitor.snapshot import BulkProgress, Change
from batch_tui.monitor.state import MonitorState
from batch_tui.monitor.status import StatusBuilder

#: The longest nap between two looks at the gate while a cancel waits for it.
NAP = 0.25
#: How often one batch's cancel is sent again after a 429 before it counts as failed.
HELD_TRIES = 3
#: A spent budget that names no time to wait: look again after this long.
MIN_WAIT = 0.5

T = TypeVar("T")

#: What became of one batch: the outcome view's words.
CANCELLED, FINISHED, FAILED = "cancelled", "already finished", "failed"
#: The server took the cancel, but the batch read again still runs.
REQUESTED = "requested, still running"


@dataclass(frozen=True)
class BulkOutcome:
    """What came of one batch of a cancel of many."""

    batch_id: str
    name: str | None
    outcome: str
    """``cancelled``, ``requested, still running`` (the server took it, the batch
    still runs), ``already finished`` (nothing left to cancel) or ``failed``."""
    message: str
    """The detail: the server's answer, the status found, or why it failed."""


class BulkCanceller:
    """Cancels many batches in turn: see the module docstring."""

    def __init__(
        self,
        state: MonitorState,
        gate: RequestGate,
        canceller: Canceller,
        status: StatusBuilder,
    ) -> None:
        self.state = state
        self.gate = gate
        self.canceller = canceller
        self.status = status
        self._bulk_running = False
        """A cancel of many runs (a second one is refused)."""

    @property
    def bulk_cancelling(self) -> bool:
        """True while a cancel of many batches runs."""
        return self._bulk_running

    async def cancel_many(self, batch_ids: Sequence[str]) -> list[BulkOutcome] | None:
        """Cancel each of these batches in turn, one request each, never beyond the
        budget; what came of each, in order. None (and nothing sent) when a cancel
        of many is already running."""
        if self._bulk_running:
            return None
        self._bulk_running = True
        ids = list(dict.fromkeys(batch_ids))
        self.state.cancelling.update(ids)
        try:
            outcomes = []
            for number, batch_id in enumerate(ids, start=1):
                progress = BulkProgress(number, len(ids))
                outcomes.append(await self._cancel_in_turn(batch_id, progress))
                self.state.cancelling.discard(batch_id)
            return outcomes
        finally:
            self._bulk_running = False
            self.state.cancelling.difference_update(ids)
            self.status.update(cancelling=None)
            self.state.emit(Change())
            self.state.wake.set()

    async def _cancel_in_turn(self, batch_id: str, progress: BulkProgress) -> BulkOutcome:
        send = partial(self.canceller.send, batch_id)
        tries = 0
        while True:
            sent = await self._when_allowed(batch_id, progress, send)
            if isinstance(sent, BulkOutcome):
                return sent
            if isinstance(sent, CancelAnswer):
                break
            tries += 1
            # After a 429 the gate holds the next try until the server's pause is over.
            if not sent.held or tries == HELD_TRIES:
                break
        reread = partial(self.canceller.reread, batch_id)
        if isinstance(sent, CancelAnswer):
            # The answer is a claim: the batch read again (when the gate allows) decides.
            read = await self._when_allowed(batch_id, progress, reread)
            status = self._status_of(batch_id) if isinstance(read, BulkOutcome) else read
            verdict = cancel_verdict(batch_id, sent, status)
            outcome = CANCELLED if verdict.ok else REQUESTED if verdict.requested else FAILED
            return BulkOutcome(batch_id, self._name(batch_id), outcome, verdict.message)
        if sent.refused:
            # Often the batch finished before its cancel arrived: read it to say so.
            read = await self._when_allowed(batch_id, progress, reread)
            skipped = read if isinstance(read, BulkOutcome) else self._not_to_send(batch_id)
            if skipped is not None and skipped.outcome == FINISHED:
                return skipped
        return BulkOutcome(batch_id, self._name(batch_id), FAILED, sent.message)

    def _status_of(self, batch_id: str) -> str | None:
        snapshot = self.state.fleet.get(batch_id)
        return snapshot.batch.status if snapshot is not None else None

    async def _when_allowed(
        self, batch_id: str, progress: BulkProgress, send: Callable[[], Awaitable[T]]
    ) -> T | BulkOutcome:
        """``send()`` (one request about this batch) as soon as the gate allows; a
        ``BulkOutcome`` instead when there is no point (finished, or the key was
        rejected)."""
        while True:
            async with self.state.lock:
                skipped = self._not_to_send(batch_id)
                if skipped is not None:
                    return skipped
                wait = self.gate.wait(MIN_WAIT)
                self._show_progress(progress, None if wait <= 0 else self.state.clock() + wait)
                if wait <= 0:
                    return await send()
            await asyncio.sleep(min(wait, NAP))

    def _not_to_send(self, batch_id: str) -> BulkOutcome | None:
        """Why this batch's cancel is not sent, looked at just before sending."""
        snapshot = self.state.fleet.get(batch_id)
        if snapshot is not None and snapshot.batch.is_terminal:
            status = snapshot.batch.status or "finished"
            return BulkOutcome(batch_id, snapshot.batch.name, FINISHED, status)
        if snapshot is not None and not snapshot.batch.is_cancellable:
            message = "not sent: its status is unknown (only pending, validating or processing)"
            return BulkOutcome(batch_id, snapshot.batch.name, FAILED, message)
        if self.state.scheduler.stopped:
            message = "not sent: the API key was rejected (press r to try again)"
            return BulkOutcome(batch_id, self._name(batch_id), FAILED, message)
        return None

    def _show_progress(self, progress: BulkProgress, waiting_until: float | None) -> None:
        shown = BulkProgress(progress.current, progress.total, waiting_until)
        if self.state.status.cancelling != shown:
            self.status.update(cancelling=shown)
            self.state.emit(Change())

    def _name(self, batch_id: str) -> str | None:
        snapshot = self.state.fleet.get(batch_id)
        return snapshot.batch.name if snapshot is not None else None
