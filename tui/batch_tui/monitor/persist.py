"""The monitor's link to the local store: what to draw at start, what to write back.

Loading: the newest rows at once (so the first frame has them), the rest in
chunks between polls. Writing: the batches and progress samples each step
changed, in one transaction. Any store failure switches the store off for the
rest of the run with a one-line notice; polling goes on exactly as without it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from batch_tui.api.models import TERMINAL_STATUSES
from batch_tui.monitor.insight import Progress
from batch_tui.monitor.parts import MonitorParts
from batch_tui.monitor.snapshot import UNCONFIRMED, Change, Snapshot
from batch_tui.store.db import Store, StoredBatch, StoreUnavailable
from batch_tui.store.history import HistoryReader

#: Rows drawn at start before anything else happens.
FIRST_ROWS = 500
#: Rows read per chunk afterwards, between polls.
CHUNK_ROWS = 5000
#: How often old rows and samples are pruned.
PRUNE_EVERY = 3600.0


class StoreLink:
    """Reads from and writes to a ``Store`` on the monitor's behalf; never raises."""

    def __init__(self, store: Store | None, problem: str | None = None) -> None:
        self.store = store
        self.problem = problem
        """Why the store is off, for the status line (None while it works)."""
        self.unused = "the local store is off"
        """Why there is no store when that is by choice (``--no-store``, ``--demo``)."""
        self.loaded = 0
        self.total = 0
        self._pruned_at: float | None = None
        if store is not None:
            self.total = self._guard(store.count) or 0

    @property
    def active(self) -> bool:
        """True while the store is in use."""
        return self.store is not None

    @property
    def fully_loaded(self) -> bool:
        """True once every stored row has been read."""
        return self.store is None or self.loaded >= self.total

    def _guard(self, action):
        try:
            return action()
        except (sqlite3.Error, StoreUnavailable, OSError) as exc:
            self.off(f"the local store stopped working ({exc}); running without it")
            return None

    def off(self, problem: str) -> None:
        """Stop using the store for the rest of the run."""
        if self.store is not None:
            self.store.close()
        self.store = None
        self.problem = problem

    @property
    def off_reason(self) -> str:
        """Why the store is not in use: its problem, or the choice that turned it off."""
        return self.problem or self.unused

    def history(self) -> HistoryReader | None:
        """A reader of the store's daily history for a worker thread (None when off)."""
        return None if self.store is None else HistoryReader(self.store.path)

    def next_rows(self, first: bool = False) -> list[Snapshot]:
        """The next chunk of stored rows as snapshots (running ones marked unconfirmed)."""
        store = self.store
        if store is None or self.fully_loaded:
            return []
        limit = FIRST_ROWS if first else CHUNK_ROWS
        rows = self._guard(lambda: store.load(limit, self.loaded)) or []
        self.loaded += limit
        return [self._snapshot(row) for row in rows]

    def rewind(self, offset: int) -> None:
        """Rows from ``offset`` on are to be read again (the monitor let them go)."""
        store = self.store
        if store is not None:
            self.total = self._guard(store.count) or 0
            self.loaded = min(self.loaded, offset)

    @staticmethod
    def _snapshot(row: StoredBatch) -> Snapshot:
        final = row.batch.status in TERMINAL_STATUSES
        return Snapshot(
            row.batch,
            updated_at=row.updated_at,
            detail_at=row.detail_at,
            error=None if final else UNCONFIRMED,
        )

    def samples(self, batch_ids: Iterable[str]) -> dict[str, list[tuple[float, int, float | None]]]:
        """Stored progress samples of these (running) batches."""
        store = self.store
        if store is None:
            return {}
        return self._guard(lambda: store.samples(batch_ids)) or {}

    def meta(self, key: str) -> str | None:
        """A bookkeeping value of the store's (None when off)."""
        store = self.store
        return None if store is None else self._guard(lambda: store.meta(key))

    def set_meta(self, key: str, value: str) -> None:
        """Remember a bookkeeping value."""
        store = self.store
        if store is not None:
            self._guard(lambda: store.set_meta(key, value))

    def save(self, snapshots: Iterable[Snapshot], now: float) -> None:
        """Write these snapshots (and a progress sample of each running one)."""
        store = self.store
        if store is None:
            return
        rows: list[StoredBatch] = []
        samples: list[tuple[str, float, int, float | None]] = []
        for snapshot in snapshots:
            batch_id = snapshot.batch.id
            if snapshot.error == UNCONFIRMED or not batch_id:
                continue  # nothing new to keep
            rows.append(StoredBatch(snapshot.batch, snapshot.updated_at, snapshot.detail_at))
            batch = snapshot.batch
            if not batch.is_terminal and batch.processed_items is not None:
                samples.append(
                    (batch_id, snapshot.updated_at, batch.processed_items, batch.total_cost_cents)
                )
        self._guard(lambda: store.save(rows, samples))
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            self._guard(lambda: store.prune(now))

    def close(self) -> None:
        """Close the store."""
        if self.store is not None:
            self.store.close()


class StoreMixin(MonitorParts):
    """Reading the store at start and writing each step's changes, for ``BatchMonitor``."""

    def _load_store_first(self) -> None:
        """Draw the newest stored rows at once, with the progress behind their pace."""
        if not self.store.active:
            return
        self._add_stored(self.store.next_rows(first=True))
        self.scheduler.history_complete = self.store.meta("history_complete") == "1"
        self.scheduler.history_ready = self.store.fully_loaded

    def _load_store_chunk(self) -> bool:
        """Read the next chunk of stored rows while older batches are wanted (the
        cursor nears the end, a find needs them); True when there was one. Stored
        history costs memory only once the user asks for it, like the server's."""
        if self.store.fully_loaded or not self.scheduler.history_wanted:
            return False
        rows = self.store.next_rows()
        if rows:
            self._add_stored(rows)
            self._history_loaded([row.batch for row in rows])
            self._emit(Change(reordered=True))
        if self.store.fully_loaded:
            # What the store holds is all drawn: older batches come from the server now.
            self.scheduler.history_ready = True
            self._place_history_walk()
        return bool(rows)

    def _add_stored(self, rows: list[Snapshot]) -> None:
        now = self.clock()
        fresh = [row for row in rows if row.batch.id not in self.fleet]
        running = [row for row in fresh if row.error == UNCONFIRMED]
        for row in running:
            self.scheduler.saw_summary(row.batch.id or "", row.batch.status, now)
        for batch_id, samples in self.store.samples(r.batch.id or "" for r in running).items():
            progress = self.fleet.progress.setdefault(batch_id, Progress())
            for at, processed, cost in samples:
                progress.add(at, processed, cost)
        self.fleet.add_many(fresh)
        self._listed.update(row.batch.id or "" for row in fresh)

    def _save(self) -> None:
        if not self._dirty:
            return
        dirty = [self.fleet.snapshots[i] for i in self._dirty if i in self.fleet.snapshots]
        self._dirty.clear()
        self.store.save(dirty, self.clock())
