"""``StoreLink``: the monitor's link to the local store (``stored.py`` decides what to
read and write through it).

Loading: the newest rows at once (so the first frame has them), the rest in
chunks between polls. Writing: the batches and progress samples each step
changed, in one transaction. Any store failure switches the store off for the
rest of the run with a one-line notice; polling goes on exactly as without it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from batch_tui.api.models import TERMINAL_STATUSES
from batch_tui.monitor.snapshot import UNCONFIRMED, Snapshot
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
