"""What is worth telling someone about a batch: events, stalls and unaccounted items.

One stream of ``BatchEvent``s (a batch completed, failed or was cancelled; it
stalled; it tripped the failure-rate alarm) is made here, in the monitor, and
every consumer reads the same one: the notifications on screen, the desktop
notifications and the ``on_event`` hook. Each event fires once per transition.

``StallWatch`` keeps, for each batch that can still change (and only those), when
its status or processed count last moved; a batch that has not moved for
``stall_after`` seconds is stalled until it moves again. Time comes from the
observations (the monitor's clock), so a frozen clock freezes stalls too.
"""

from __future__ import annotations

from dataclasses import dataclass

from batch_tui.api.models import Batch
from batch_tui.core.defaults import DEFAULT_STALL_AFTER

#: Every kind of event, as the hook's ``BATCH_EVENT`` names it.
EVENT_KINDS = ("completed", "failed", "cancelled", "stalled", "failure_alarm")


@dataclass(frozen=True, slots=True)
class BatchEvent:
    """Something happened to one batch that a person (or a script) should hear about."""

    kind: str
    """One of ``EVENT_KINDS``."""
    batch_id: str
    batch: Batch
    """The batch as it was when the event fired."""
    unaccounted: int | None = None
    """For ``completed``: items neither succeeded nor failed (None: all accounted for)."""
    stalled_for: float | None = None
    """For ``stalled``: seconds since the batch last moved."""


def unaccounted(batch: Batch) -> int | None:
    """Items a completed batch does not account for: successes + failures should
    equal processed, and processed the total. None when they do (or when the
    batch is not completed, or the server left a count out)."""
    if batch.status != "completed":
        return None
    counts = (batch.total_items, batch.processed_items, batch.success_count, batch.failure_count)
    if any(n is None for n in counts):
        return None
    total, processed, successes, failures = (int(n or 0) for n in counts)
    missing = max(abs(total - processed), abs(processed - successes - failures))
    missing = max(missing, abs(total - successes - failures))
    return missing or None


class StallWatch:
    """When each changing batch last moved, and which are stalled (module docstring)."""

    def __init__(self, stall_after: float = DEFAULT_STALL_AFTER) -> None:
        self.stall_after = stall_after
        """Seconds without movement after which a batch is stalled."""
        self._moved: dict[str, tuple[str | None, int | None, float, bool]] = {}
        # batch id → (status, processed, when that was first seen, stalled event fired)

    def __len__(self) -> int:
        return len(self._moved)

    def observe(self, batch: Batch, at: float) -> tuple[float | None, bool]:
        """Note one observation of a batch that can still change. Returns since when
        it has been stalled (None: it is not) and whether it just became stalled."""
        batch_id = batch.id or ""
        state = (batch.status, batch.processed_items)
        known = self._moved.get(batch_id)
        if known is None or known[:2] != state:
            # First seen, or it moved: the clock starts now (a batch already stuck
            # when the dashboard starts is stalled ``stall_after`` later), but a
            # pending batch has been pending since it was created.
            since = at
            if known is None and batch.status == "pending" and batch.created_at is not None:
                since = min(at, batch.created_at.timestamp())
            self._moved[batch_id] = (*state, since, False)
        return self._check(batch_id, at)

    def _check(self, batch_id: str, at: float) -> tuple[float | None, bool]:
        status, processed, since, fired = self._moved[batch_id]
        if at - since < self.stall_after:
            return None, False
        if not fired:
            self._moved[batch_id] = (status, processed, since, True)
        return since, not fired

    def forget(self, batch_id: str) -> None:
        """The batch is final (or no longer shown): nothing about it is kept."""
        self._moved.pop(batch_id, None)


def alarm_fields(batch: Batch, now: float, stall_after: float) -> dict[str, bool | int | None]:
    """``stalled`` and ``unaccounted`` for one look at a batch (``status --json``).

    One look cannot tell whether a count moves, so ``stalled`` is known only for a
    pending batch (pending since it was created) and a final one (never); it is
    None otherwise. ``unaccounted`` is a completed batch's missing items (0 when
    its counts add up), None for any other status.
    """
    stalled: bool | None = None
    if batch.is_terminal:
        stalled = False
    elif batch.status == "pending" and batch.created_at is not None:
        stalled = now - batch.created_at.timestamp() >= stall_after
    missing = unaccounted(batch) or 0 if batch.status == "completed" else None
    return {"stalled": stalled, "unaccounted": missing}


def status_word(
    batch: Batch, *, stalled: bool | None = False, not_found: bool = False
) -> str:
    """The word a batch list shows in its status column: what matters more than the
    status first (not found, stalled, incomplete). The dashboard's rows and
    ``status``'s table both use it."""
    if not_found:
        return "not found"
    if stalled:
        return "stalled"
    if unaccounted(batch):
        return "incomplete"
    return batch.status or "—"
