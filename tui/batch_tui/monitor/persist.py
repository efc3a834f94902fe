"""``StoreLink``: the monitor's link to the local store (``stored.py`` decides what to
read and write through it).

Loading: the newest rows at once (so the first frame has them), the rest in
chunks between polls. Writing: the batches and progress samples the steps
changed, merged by batch and written in one transaction at most every
``WRITE_EVERY`` seconds (at once before anything reads the file back, and at close).

The event loop never waits for the store. Writes are handed to one worker thread
of the link's own, which owns the writing connection; reads on the loop use a
second connection that gives up after a few milliseconds. Another program holding
the store's lock only delays what is written (kept, merged by batch, and written
once the lock is free) and what is read (read again later): the status line says
the store is locked, and the store is used again as soon as it is free. Only a
store that is broken (not merely busy) is switched off for the rest of the run,
with a one-line notice; polling goes on exactly as without it. Rows read back
that are unusable are skipped and counted, and the status line says how many.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from batch_tui.api.models import TERMINAL_STATUSES
from batch_tui.monitor.snapshot import UNCONFIRMED, Snapshot
from batch_tui.store.db import Store, StoredBatch, StoreLocked, StoreUnavailable, is_locked

if TYPE_CHECKING:
    from batch_tui.store.history import HistoryReader

#: Rows drawn at start before anything else happens.
FIRST_ROWS = 500
#: Rows read per chunk afterwards, between polls.
CHUNK_ROWS = 5000
#: How often old rows and samples are pruned.
PRUNE_EVERY = 3600.0
#: Progress samples kept waiting while the store is locked; the oldest go first.
MAX_WAITING_SAMPLES = 100_000
#: How often a store that was locked when opened is tried again, in seconds.
REOPEN_EVERY = 10.0
#: Writes go out at most this often (seconds): a running batch's row changes at every
#: poll, and what comes in meanwhile is merged by batch and written in one go. A
#: crash loses at most these seconds of it (the next start polls them again).
WRITE_EVERY = 10.0
#: How long a read of stored rows waits for the writes before it (seconds), on the
#: event loop: a write takes milliseconds, unless another program holds the lock.
READ_WAIT = 0.05
#: What the status line says while another program holds the store's lock.
LOCKED_NOTICE = "the local store is locked by another program; its writes wait (nothing is lost)"

_T = TypeVar("_T")

Sample = tuple[str, float, int, "float | None"]


class StoreLink:
    """Reads from and writes to a ``Store`` on the monitor's behalf; never raises,
    never blocks the event loop (see the module docstring)."""

    def __init__(self, store: Store | None, problem: str | None = None) -> None:
        self.store: Store | None = None
        self.problem = problem
        """Why the store is off, for the status line (None while it works)."""
        self.unused = "the local store is off"
        """Why there is no store when that is by choice (``--no-store``, ``--demo``)."""
        self.locked = False
        """True while another program's lock keeps the store from us (it is retried)."""
        self.loaded = 0
        self.total = 0
        self._reader: Store | None = None
        self._pruned_at: float | None = None
        self._broken: str | None = None
        self._mutex = threading.Lock()  # guards what waits to be written
        self._rows: dict[str, StoredBatch] = {}
        self._samples: list[Sample] = []
        self._meta: dict[str, str] = {}
        self._prune_at: float | None = None
        self._job: Future[None] | None = None
        self._writing = False
        """The worker is writing, or about to: a save needs no new job (guarded by ``_mutex``)."""
        self._hurry = threading.Event()
        """Set to write what waits now, not at the next ``WRITE_EVERY`` (flush, close)."""
        self._written_at = -WRITE_EVERY
        self._worker: ThreadPoolExecutor | None = None
        self.reopen: Callable[[], Store] | None = None
        """Opens the store again, when it was locked at the start (tried in a thread
        every ``REOPEN_EVERY`` seconds until it opens)."""
        self._reopened: Store | None = None
        self.catch_up = False
        """True once a store opened late: everything held is to be written, not only
        what changed since (the monitor clears it when it has)."""
        self._reopen_tried = 0.0
        self._reopening = False
        if store is not None:
            self._attach(store)

    def _attach(self, store: Store) -> None:
        try:
            reader = store.reader()
        except StoreUnavailable as exc:
            store.close()
            self.problem = str(exc)
            return
        self.store, self._reader = store, reader
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="batch-tui-store")
        self.total = self._read(reader.count, 0)

    @property
    def active(self) -> bool:
        """True while the store is in use."""
        self._check()
        return self.store is not None

    @property
    def fully_loaded(self) -> bool:
        """True once every stored row has been read."""
        return self.store is None or self.loaded >= self.total

    @property
    def skipped(self) -> int:
        """Stored rows read back and skipped as unusable (hand-edited, planted)."""
        return sum(s.skipped for s in (self.store, self._reader) if s is not None)

    @property
    def notice(self) -> str | None:
        """What the status line should say about the store: why it is off, that it is
        locked, or how many of its rows were skipped (None: nothing to say)."""
        self._check()
        if self.problem:
            return self.problem
        if self.locked:
            return LOCKED_NOTICE
        if skipped := self.skipped:
            rows = "row" if skipped == 1 else "rows"
            return f"skipped {skipped:,} unreadable {rows} of the local store"
        return None

    def _check(self) -> None:
        # The worker thread notes a broken store; the loop's thread switches it off.
        if self._broken is not None and self.store is not None:
            self.off(self._broken)
        if self._reopened is not None:
            store, self._reopened = self._reopened, None
            self.problem = None
            self._attach(store)
            self.catch_up = self.store is not None
        elif self.store is None and self.reopen is not None:
            self._try_reopen()

    def _try_reopen(self) -> None:
        """Open the store again in a thread of its own, now and then, until it opens."""
        now = time.monotonic()
        if self._reopening or now - self._reopen_tried < REOPEN_EVERY:
            return
        self._reopening, self._reopen_tried = True, now
        opener = self.reopen

        def attempt() -> None:
            try:
                self._reopened = opener()  # type: ignore[misc]
                self.reopen = None
            except StoreUnavailable as exc:
                if not isinstance(exc, StoreLocked):
                    self.reopen = None  # broken, not busy: stays off
                    self.problem = str(exc)
            finally:
                self._reopening = False

        threading.Thread(target=attempt, name="batch-tui-store-open", daemon=True).start()

    def _read(self, action: Callable[[], _T], default: _T) -> _T:
        """``action()`` on the loop's reading connection; ``default`` when locked (read
        again later) or broken (the store is switched off)."""
        result = self._try(action)
        return default if result is None else result

    def _try(self, action: Callable[[], _T]) -> _T | None:
        """``action()``, or None when the store is locked (``locked`` is set: try
        again later) or broken (it is switched off)."""
        self._check()
        try:
            result = action()
        except (sqlite3.Error, StoreUnavailable, OSError) as exc:
            if is_locked(exc):
                self.locked = True
                self._kick()
                return None
            self.off(f"the local store stopped working ({exc}); running without it")
            return None
        return result

    def off(self, problem: str) -> None:
        """Stop using the store for the rest of the run."""
        self._stop(wait=False)
        self.problem = problem

    @property
    def off_reason(self) -> str:
        """Why the store is not in use: its problem, or the choice that turned it off."""
        return self.problem or self.unused

    def history(self) -> HistoryReader | None:
        """A reader of the store's daily history for a worker thread (None when off)."""
        if self.store is None:
            return None
        # Loaded with the history screen (h), not with the dashboard.
        from batch_tui.store.history import HistoryReader

        # It reads the file: what this run saw is written first (writes are batched).
        return HistoryReader(self.store.path, written=self.flush)

    def next_rows(self, first: bool = False) -> list[Snapshot]:
        """The next chunk of stored rows as snapshots (running ones marked unconfirmed);
        none while the store is locked (they are read again later)."""
        reader = self._reader
        if reader is None or self.fully_loaded or not self._written():
            return []
        limit = FIRST_ROWS if first else CHUNK_ROWS
        offset = self.loaded
        rows = self._try(lambda: reader.load(limit, offset))
        if rows is None:
            return []  # locked: read again later (broken: the store is off)
        self.loaded += limit
        return [self._snapshot(row) for row in rows]

    def rewind(self, offset: int) -> None:
        """Rows from ``offset`` on are to be read again (the monitor let them go)."""
        reader = self._reader
        if reader is not None:
            self.total = self._read(reader.count, self.total)
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
        reader = self._reader
        if reader is None:
            return {}
        ids = list(batch_ids)
        return self._read(lambda: reader.samples(ids), {})

    def meta(self, key: str) -> str | None:
        """A bookkeeping value of the store's (None when off or locked)."""
        reader = self._reader
        if reader is None:
            return None
        with self._mutex:
            if key in self._meta:
                return self._meta[key]
        return self._read(lambda: reader.meta(key), None)

    def set_meta(self, key: str, value: str) -> None:
        """Remember a bookkeeping value."""
        if self.store is None:
            return
        with self._mutex:
            self._meta[key] = value
        self._kick()

    def save(self, snapshots: Iterable[Snapshot], now: float) -> None:
        """Write these snapshots (and a progress sample of each running one), in the
        worker thread."""
        self._check()
        if self.store is None:
            return
        rows: list[StoredBatch] = []
        samples: list[Sample] = []
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
        with self._mutex:
            for row in rows:
                self._rows[row.batch.id or ""] = row  # a later snapshot is the newer one
            self._samples.extend(samples)
            del self._samples[:-MAX_WAITING_SAMPLES]
            if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
                self._pruned_at = self._prune_at = now
        self._kick()

    def _kick(self) -> None:
        """Start the worker on what waits to be written, unless it is at it already
        (it then writes this too: it writes until nothing waits)."""
        store, worker = self.store, self._worker
        if store is None or worker is None:
            return
        with self._mutex:
            waiting = bool(self._rows or self._samples or self._meta or self._prune_at)
            if not waiting or self._writing:
                return
            self._writing = True
        self._job = worker.submit(self._write, store)

    def _write(self, store: Store, *, at_once: bool = False) -> None:
        """In the worker thread: once ``WRITE_EVERY`` has passed since the last write
        (or sooner, when hurried; ``at_once`` when closing), write everything waiting,
        again while more arrives meanwhile. ``_writing`` is cleared under the same
        lock that finds nothing left, so a save in between is never left waiting for
        a next poll that a paused or idle dashboard may not make."""
        try:
            if not at_once:
                self._hurry.wait(self._written_at + WRITE_EVERY - time.monotonic())
                self._hurry.clear()
            while self._write_waiting(store):
                self._written_at = time.monotonic()
        finally:
            with self._mutex:
                self._writing = False

    def _write_waiting(self, store: Store) -> bool:
        """Write what waits, in one go; True when there was some and it was written.
        On a lock, keep it for the next try (merged with anything newer)."""
        with self._mutex:
            rows, self._rows = self._rows, {}
            samples, self._samples = self._samples, []
            meta, self._meta = self._meta, {}
            prune_at, self._prune_at = self._prune_at, None
            if not (rows or samples or meta or prune_at is not None):
                self._writing = False
                return False
        if self._broken is not None:
            return False
        try:
            for key, value in meta.items():
                store.set_meta(key, value)
            store.save(rows.values(), samples)
            if prune_at is not None:
                store.prune(prune_at)
        except (sqlite3.Error, StoreUnavailable, OSError) as exc:
            if not is_locked(exc):
                self._broken = f"the local store stopped working ({exc}); running without it"
                return False
            self.locked = True
            with self._mutex:
                for batch_id, row in rows.items():
                    self._rows.setdefault(batch_id, row)
                self._samples[:0] = samples
                del self._samples[:-MAX_WAITING_SAMPLES]
                for key, value in meta.items():
                    self._meta.setdefault(key, value)
                if prune_at is not None and self._prune_at is None:
                    self._prune_at = prune_at
            return False
        self.locked = False
        return True

    def flush(self) -> None:
        """Wait until everything handed to the worker so far is written (or found
        locked); for closing, the history screen's reads, and tests that read the file."""
        self.write_now()
        job = self._job
        if job is not None:
            job.result()
        self._hurry.clear()  # all written: the next write keeps its time

    def _written(self) -> bool:
        """True when nothing this run saw waits to be written, so the file can be read
        by offset (rows written late would shift what an offset finds). A write
        waiting for its time is hurried and waited for a moment; False when it takes
        longer (a lock): read again later."""
        with self._mutex:
            waiting = self._writing or bool(self._rows or self._samples)
        if not waiting:
            return True
        self.write_now()
        job = self._job
        try:
            if job is not None:
                job.result(timeout=READ_WAIT)
        except TimeoutError:
            return False
        with self._mutex:
            return not (self._rows or self._samples)

    def write_now(self) -> None:
        """Write what waits at once, not at its time (rows about to leave memory, to be
        read back from the file); never waits for it."""
        self._hurry.set()
        self._kick()

    def _stop(self, *, wait: bool) -> None:
        store, reader, worker = self.store, self._reader, self._worker
        self.store = self._reader = self._worker = None
        if reader is not None:
            reader.close()
        if worker is None or store is None:
            return
        self._hurry.set()  # a write waiting for its time goes now
        if not wait:
            # The worker may be in a write: it closes the connection once done.
            worker.submit(store.close)
            worker.shutdown(wait=False)
            return
        worker.submit(self._write, store, at_once=True)
        worker.shutdown(wait=True)
        if store.created and self._empty(store):
            store.remove()  # created this run and never filled: leave nothing behind
        else:
            store.close()

    @staticmethod
    def _empty(store: Store) -> bool:
        try:
            return store.count() == 0
        except sqlite3.Error:
            return False

    def close(self) -> None:
        """Write what waits, then close the store; a store this run created and left
        empty (a rejected key, a server never reached) is removed. Blocks for at most
        one busy timeout: call it from a thread when the loop must go on."""
        self._check()
        self._stop(wait=True)
