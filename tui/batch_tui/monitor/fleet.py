"""``Fleet``: every batch shown, newest first, and what each fresh snapshot means.

Holds the snapshots in list order (newest first, as the API lists them) and keeps
that order as batches arrive without re-sorting the whole history: new rows are
placed by binary search, so adding a page costs the page, not the organisation's
whole history. It also notes progress samples (pace and ETA), finishes and
failure-rate alarms as snapshots arrive: a finish when a batch seen running is
seen finished, or when a batch created since start-up is first seen finished
(``announce_after``); an alarm once per rise of the rate past the threshold.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Container, Iterable
from dataclasses import replace

from batch_tui.api.models import Batch
from batch_tui.core.defaults import DEFAULT_ALARM_MIN_ITEMS, DEFAULT_ALARM_RATE, DEFAULT_STALL_AFTER
from batch_tui.monitor.alarms import BatchEvent, StallWatch, unaccounted
from batch_tui.monitor.insight import Progress, failure_rate
from batch_tui.monitor.snapshot import Snapshot


def order_key(batch_id: str, batch: Batch) -> tuple[float, str]:
    """Newest first, as the API lists them (ties by id); batches never seen in a list
    (no creation time) go last."""
    created = batch.created_at
    return (-created.timestamp() if created else math.inf, batch_id)


#: At most this many alarmed batches are remembered (each fires once per rise).
MAX_ALARMED = 10_000


class _Order:
    """Batch ids in list order, searchable by binary search: a float and an id a row,
    so a history of 100,000 costs under a megabyte beyond the ids themselves."""

    def __init__(self) -> None:
        self._at = array("d")
        self.ids: list[str] = []

    def __len__(self) -> int:
        return len(self.ids)

    def _position(self, at: float, batch_id: str) -> int:
        index = bisect.bisect_left(self._at, at)
        while index < len(self._at) and self._at[index] == at and self.ids[index] < batch_id:
            index += 1
        return index

    def add(self, key: tuple[float, str]) -> None:
        """Place one id by its key."""
        at, batch_id = key
        if not self.ids or (at, batch_id) > (self._at[-1], self.ids[-1]):
            self._at.append(at)  # older than everything (history, the store): the end
            self.ids.append(batch_id)
            return
        index = self._position(at, batch_id)
        self._at.insert(index, at)
        self.ids.insert(index, batch_id)

    def discard(self, key: tuple[float, str]) -> None:
        """Take one id out, if it is there under this key."""
        index = self._position(*key)
        if index < len(self.ids) and self.ids[index] == key[1]:
            del self._at[index]
            del self.ids[index]

    def keep_only(self, keep: Container[str]) -> None:
        """Drop every id not in ``keep``, in one pass (eviction drops thousands)."""
        kept = [
            (at, batch_id)
            for at, batch_id in zip(self._at, self.ids, strict=True)
            if batch_id in keep
        ]
        self._at = array("d", (at for at, _ in kept))
        self.ids = [batch_id for _, batch_id in kept]

    def last(self) -> tuple[float, str] | None:
        """The key of the oldest row."""
        return (self._at[-1], self.ids[-1]) if self.ids else None


class Fleet:
    """The snapshots of every batch shown, in list order, with their pace and alarms."""

    def __init__(
        self,
        alarm_rate: float = DEFAULT_ALARM_RATE,
        alarm_min_items: int = DEFAULT_ALARM_MIN_ITEMS,
        stall_after: float = DEFAULT_STALL_AFTER,
    ) -> None:
        self.snapshots: dict[str, Snapshot] = {}
        """Every batch shown, by id, newest first."""
        self.progress: dict[str, Progress] = {}
        """Each running batch's recent progress, for throughput, ETA and burn rate."""
        self.alarm_rate = alarm_rate
        self.alarm_min_items = alarm_min_items
        self._order = _Order()
        self._alarmed: dict[str, None] = {}
        """Batches whose alarm fired, until their rate is seen below the threshold
        (not when their row goes: a row let go and read again is the same batch)."""
        self.finished_now: set[str] = set()
        """Batches seen finishing since the last ``take_events``."""
        self.alarms_now: set[str] = set()
        """Batches that passed the alarm threshold since the last ``take_events``."""
        self.events: list[BatchEvent] = []
        """Every event since the last ``take_events``, in the order noticed."""
        self.stalls = StallWatch(stall_after)
        """When each changing batch last moved."""
        self.missing: set[str] = set()
        """Batches shown that the server said do not exist (counted nowhere)."""
        self.added = 0
        """Rows added since start (new batches, history read back)."""
        self.announce_after: float | None = None
        """Batches created after this (server time: the newest creation seen when the
        first discovery pass ended) are announced when first seen, in whatever state:
        a quick failure first seen already failed fires ``failed``. None until then:
        what was finished at start-up fires nothing."""

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
        fresh = {s.batch.id: s for s in snapshots if s.batch.id}
        if not fresh:
            return
        for batch_id in fresh:
            old = self.snapshots.get(batch_id)
            if old is not None:
                self._order.discard(order_key(batch_id, old.batch))
            else:
                self.added += 1
        keys = sorted(order_key(batch_id, s.batch) for batch_id, s in fresh.items())
        last = self._order.last()
        for key in keys:
            self._order.add(key)
            self.snapshots.pop(key[1], None)
            self.snapshots[key[1]] = fresh[key[1]]
        if last is not None and keys[0] < last:
            # Some landed among the rows already shown: the dict's order follows.
            self.snapshots = {batch_id: self.snapshots[batch_id] for batch_id in self._order.ids}

    def remove(self, batch_id: str) -> None:
        """Stop showing this batch."""
        old = self.snapshots.pop(batch_id, None)
        self.missing.discard(batch_id)
        self.progress.pop(batch_id, None)
        self.stalls.forget(batch_id)
        if old is not None:
            self._order.discard(order_key(batch_id, old.batch))

    def evict(self, batch_ids: set[str]) -> None:
        """Stop holding these (finished) batches in memory, all at once."""
        self.snapshots = {i: s for i, s in self.snapshots.items() if i not in batch_ids}
        self._order.keep_only(self.snapshots.keys())
        for batch_id in batch_ids:
            self.progress.pop(batch_id, None)

    @property
    def order(self) -> list[str]:
        """Every batch held, in list order (newest first)."""
        return self._order.ids

    def mark(
        self, batch_id: str, error: str | None, planned: float | None, *, not_found: bool = False
    ) -> bool:
        """Note why this batch's data may be out of date (or that the server says it
        does not exist); True when that changed it."""
        old = self.snapshots.get(batch_id)
        if old is None:
            return False
        stalled_since = old.stalled_since
        if not_found:
            self.missing.add(batch_id)
            self.stalls.forget(batch_id)  # never asked again: nothing can move it
            stalled_since = None
        else:
            self.missing.discard(batch_id)
        new = replace(
            old,
            error=error,
            planned_interval=planned,
            not_found=not_found,
            stalled_since=stalled_since,
        )
        self.snapshots[batch_id] = new
        return new != old

    # ── what a fresh snapshot means ──────────────────────────────────────────

    def observe(self, old: Snapshot | None, new: Snapshot) -> Snapshot:
        """Note progress samples, a finish, a stall and an alarm; returns ``new`` with
        its alarm and stall marks."""
        batch = new.batch
        batch_id = batch.id or ""
        stalled_since = None
        if batch.is_terminal:
            self.progress.pop(batch_id, None)  # no pace to show once it is over
            self.stalls.forget(batch_id)
        else:
            progress = self.progress.setdefault(batch_id, Progress())
            progress.add(new.updated_at, batch.processed_items, batch.total_cost_cents)
            stalled_since, stalled_now = self.stalls.observe(batch, new.updated_at)
            if stalled_now and stalled_since is not None:
                self._event("stalled", batch, stalled_for=new.updated_at - stalled_since)
        if old is None or old.batch.status is None:
            # First seen: announced only when created since start-up (a quick failure).
            finished = batch.is_terminal and self.created_since_start(batch)
        else:
            finished = batch.is_terminal and not old.batch.is_terminal
        if finished:
            self.finished_now.add(batch_id)
            self._event(batch.status or "", batch, unaccounted=unaccounted(batch))
        rate = failure_rate(batch.failure_count, batch.processed_items)
        alarm = (
            rate is not None
            and rate >= self.alarm_rate
            and (batch.processed_items or 0) >= self.alarm_min_items
        )
        if rate is not None and not alarm:
            self._alarmed.pop(batch_id, None)  # the rate dropped: a new rise alarms again
        if alarm and batch_id not in self._alarmed and not batch.is_terminal:
            self._alarmed[batch_id] = None
            while len(self._alarmed) > MAX_ALARMED:
                del self._alarmed[next(iter(self._alarmed))]  # the oldest: a bounded memory
            self.alarms_now.add(batch_id)
            self._event("failure_alarm", batch)
        if alarm != new.alarm or stalled_since != new.stalled_since:
            return replace(new, alarm=alarm, stalled_since=stalled_since)
        return new

    def created_since_start(self, batch: Batch) -> bool:
        """Created after what the first discovery pass saw: new since start-up."""
        created = batch.created_at
        after = self.announce_after
        return after is not None and created is not None and created.timestamp() > after

    def start_announcing(self, floor: float | None = None) -> None:
        """The first discovery pass is over: from now on a batch created after the
        newest one known (and after ``floor``, when given: a list not newest first
        may not have shown the newest yet) is announced when first seen, even
        already finished."""
        if self.announce_after is not None:
            return
        newest = next(iter(self.snapshots.values()), None)
        created = newest.batch.created_at if newest is not None else None
        after = created.timestamp() if created is not None else -math.inf
        self.announce_after = after if floor is None else max(after, floor)

    def _event(
        self,
        kind: str,
        batch: Batch,
        *,
        unaccounted: int | None = None,
        stalled_for: float | None = None,
    ) -> None:
        self.events.append(BatchEvent(kind, batch.id or "", batch, unaccounted, stalled_for))

    def take_events(self) -> tuple[frozenset[str], frozenset[str], tuple[BatchEvent, ...]]:
        """The finishes, alarms and every event noticed since the last call."""
        events = frozenset(self.finished_now), frozenset(self.alarms_now), tuple(self.events)
        self.finished_now.clear()
        self.alarms_now.clear()
        self.events.clear()
        return events
