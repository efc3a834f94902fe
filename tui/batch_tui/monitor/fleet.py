"""``Fleet``: every batch shown, newest first, and what each fresh snapshot means.

Holds the snapshots in list order (newest first, as the API lists them) and keeps
that order as batches arrive without re-sorting the whole history: new rows are
placed by binary search, so adding a page costs the page, not the organisation's
whole history. It also notes progress samples (pace and ETA), finishes and
failure-rate alarms as snapshots arrive.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import replace

from batch_tui.api.models import Batch
from batch_tui.defaults import DEFAULT_ALARM_MIN_ITEMS, DEFAULT_ALARM_RATE
from batch_tui.monitor.insight import Progress, failure_rate
from batch_tui.monitor.snapshot import Snapshot

OrderKey = tuple[bool, float, str]


def order_key(batch_id: str, batch: Batch) -> OrderKey:
    """Newest first, as the API lists them; batches never seen in a list go last."""
    created = batch.created_at
    return (created is None, -(created.timestamp() if created else 0.0), batch_id)


class Fleet:
    """The snapshots of every batch shown, in list order, with their pace and alarms."""

    def __init__(
        self,
        alarm_rate: float = DEFAULT_ALARM_RATE,
        alarm_min_items: int = DEFAULT_ALARM_MIN_ITEMS,
    ) -> None:
        self.snapshots: dict[str, Snapshot] = {}
        """Every batch shown, by id, newest first."""
        self.progress: dict[str, Progress] = {}
        """Each running batch's recent progress, for throughput, ETA and burn rate."""
        self.alarm_rate = alarm_rate
        self.alarm_min_items = alarm_min_items
        self._keys: list[OrderKey] = []
        self._alarmed: set[str] = set()
        self.finished_now: set[str] = set()
        """Batches seen finishing since the last ``take_events``."""
        self.alarms_now: set[str] = set()
        """Batches that passed the alarm threshold since the last ``take_events``."""
        self.missing: set[str] = set()
        """Batches shown that the server said do not exist (counted nowhere)."""

    def __contains__(self, batch_id: object) -> bool:
        return batch_id in self.snapshots

    def get(self, batch_id: str) -> Snapshot | None:
        """The snapshot of this batch, if it is shown."""
        return self.snapshots.get(batch_id)

    # ── placing rows ─────────────────────────────────────────────────────────

    def put(self, snapshot: Snapshot) -> bool:
        """Store a snapshot of a batch already shown, or add it; True when it was new."""
        batch_id = snapshot.batch.id or ""
        if not snapshot.not_found:
            self.missing.discard(batch_id)
        old = self.snapshots.get(batch_id)
        if old is not None and old.batch.created_at == snapshot.batch.created_at:
            self.snapshots[batch_id] = snapshot
            return False
        self.add_many([snapshot])
        return old is None

    def add_many(self, snapshots: Iterable[Snapshot]) -> None:
        """Add (or re-place) several rows in list order, rebuilding the order at most once."""
        fresh = [s for s in snapshots if s.batch.id]
        if not fresh:
            return
        for snapshot in fresh:
            old = self.snapshots.get(snapshot.batch.id or "")
            if old is not None:
                key = order_key(old.batch.id or "", old.batch)
                index = bisect.bisect_left(self._keys, key)
                if index < len(self._keys) and self._keys[index] == key:
                    del self._keys[index]
        keys = sorted((order_key(s.batch.id or "", s.batch), s) for s in fresh)
        if not self._keys or keys[0][0] > self._keys[-1]:
            # Older than everything shown (history, the store): append in order.
            for key, snapshot in keys:
                self.snapshots.pop(key[2], None)
                self.snapshots[key[2]] = snapshot
                self._keys.append(key)
            return
        for key, snapshot in keys:
            bisect.insort(self._keys, key)
            self.snapshots[key[2]] = snapshot
        self.snapshots = {key[2]: self.snapshots[key[2]] for key in self._keys}

    def remove(self, batch_id: str) -> None:
        """Stop showing this batch."""
        old = self.snapshots.pop(batch_id, None)
        self.missing.discard(batch_id)
        self.progress.pop(batch_id, None)
        self._alarmed.discard(batch_id)
        if old is not None:
            key = order_key(batch_id, old.batch)
            index = bisect.bisect_left(self._keys, key)
            if index < len(self._keys) and self._keys[index] == key:
                del self._keys[index]

    def mark(
        self, batch_id: str, error: str | None, planned: float | None, *, not_found: bool = False
    ) -> bool:
        """Note why this batch's data may be out of date (or that the server says it
        does not exist); True when that changed it."""
        old = self.snapshots.get(batch_id)
        if old is None:
            return False
        if not_found:
            self.missing.add(batch_id)
        else:
            self.missing.discard(batch_id)
        new = replace(old, error=error, planned_interval=planned, not_found=not_found)
        self.snapshots[batch_id] = new
        return new != old

    # ── what a fresh snapshot means ──────────────────────────────────────────

    def observe(self, old: Snapshot | None, new: Snapshot) -> Snapshot:
        """Note progress samples, a finish and an alarm; returns ``new`` with its alarm flag."""
        batch = new.batch
        batch_id = batch.id or ""
        if batch.is_terminal:
            self.progress.pop(batch_id, None)  # no pace to show once it is over
        else:
            progress = self.progress.setdefault(batch_id, Progress())
            progress.add(new.updated_at, batch.processed_items, batch.total_cost_cents)
        if (
            old is not None
            and old.batch.status is not None
            and not old.batch.is_terminal
            and batch.is_terminal
        ):
            self.finished_now.add(batch_id)
            self._alarmed.discard(batch_id)
        rate = failure_rate(batch.failure_count, batch.processed_items)
        alarm = (
            rate is not None
            and rate >= self.alarm_rate
            and (batch.processed_items or 0) >= self.alarm_min_items
        )
        if alarm and batch_id not in self._alarmed and not batch.is_terminal:
            self._alarmed.add(batch_id)
            self.alarms_now.add(batch_id)
        return replace(new, alarm=alarm) if alarm != new.alarm else new

    def take_events(self) -> tuple[frozenset[str], frozenset[str]]:
        """The finishes and alarms noticed since the last call."""
        events = frozenset(self.finished_now), frozenset(self.alarms_now)
        self.finished_now.clear()
        self.alarms_now.clear()
        return events
