"""``Store``: every batch the monitor has seen, and the progress behind pace and ETA.

One SQLite database (WAL mode) per service and organisation. Batches are kept in
the API's own JSON shape and read back through ``Batch.from_json``, so a stored
row is exactly as trustworthy as a server answer. What it never holds: the API
key (the file name is a hash of it, see ``location.py``).

Two dashboards on one machine may share a store: WAL lets one write while the
other reads, a busy timeout waits out the other's short writes, and an upsert
keeps whichever copy of a batch is newer (a finished batch is never overwritten
by an older running copy). Every failure is raised as ``StoreUnavailable`` with a
one-line reason; the monitor then runs without the store and loses nothing else.

On a shared host the store is private (see ``core/private.py``): its directory is
0700 and refused when another user owns it or may write to it, the file and its
``-wal``/``-shm`` are 0600, and a symlink at any of their paths is refused, never
followed.

Every value read back is checked as a server answer is (``api/reading.py``'s
limits): a row with a time that is no finite unix time before 2100, a count that is
no whole number up to ``ABSURD``, or a body that is no batch, is skipped and counted
in ``skipped``, never fatal.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from batch_tui.api.models import TERMINAL_STATUSES, Batch
from batch_tui.api.reading import ABSURD
from batch_tui.api.shape import batch_to_json
from batch_tui.core.private import NotPrivate, check_private_file, create_private_file, private_dir

#: The schema this code writes. A store with a higher number was written by a newer
#: batch-tui: it is left untouched and the dashboard runs without it.
SCHEMA_VERSION = 2
#: At most this many batches are kept; the oldest go first.
MAX_BATCHES = 200_000
#: Progress samples older than this are of no use to pace or ETA.
SAMPLE_RETENTION = 3600.0
#: How long to wait for another dashboard's write to finish, in milliseconds.
BUSY_TIMEOUT_MS = 2000
#: The latest time a stored row may carry (2100-01-01): a later one is no time this
#: program wrote, and ``datetime`` cannot hold some of them (1e12 is year 33658).
LATEST_MOMENT = 4102444800.0
#: How long a read on the event loop's connection waits for another program's lock,
#: in milliseconds: a key must never wait for the store.
READ_TIMEOUT_MS = 40
#: Where SQLite keeps its "a connection is open" lock in a WAL store's ``-shm`` file
#: (the WAL index's DMS byte, 120 + 8): every open connection holds it shared.
_DMS_BYTE = 128
#: How a store locked when opened is reported (it is opened again later).
LOCKED_AT_OPEN = "the local store is locked by another program"
#: The files SQLite keeps beside a store while it is open.
COMPANIONS = ("-wal", "-shm")

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    created REAL,
    terminal INTEGER NOT NULL,
    body TEXT NOT NULL,
    detail_at REAL,
    updated_at REAL NOT NULL,
    expires REAL
);
CREATE INDEX IF NOT EXISTS batches_newest ON batches (created DESC);
CREATE TABLE IF NOT EXISTS samples (
    batch_id TEXT NOT NULL,
    at REAL NOT NULL,
    processed INTEGER NOT NULL,
    cost REAL,
    PRIMARY KEY (batch_id, at)
) WITHOUT ROWID;
"""
# Version 2: what the history screen adds up, one small row per finished batch in a
# table of its own, with a covering index on the finish time: a month of days is
# summed from the index alone however long the history, and upgrading a large store
# copies a few numbers out of each body instead of rewriting every row.
_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS finished (
    id TEXT PRIMARY KEY,
    at REAL NOT NULL,
    processed INTEGER,
    failed INTEGER,
    cost REAL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS finished_at ON finished (at, processed, failed, cost);
INSERT OR IGNORE INTO finished (id, at, processed, failed, cost)
SELECT id, (day - 2440587.5) * 86400.0, processed, failed, cost FROM (
    SELECT id,
        julianday(json_extract(body, '$.completedAt')) AS day,
        json_extract(body, '$.processedItems') AS processed,
        json_extract(body, '$.failureCount') AS failed,
        json_extract(body, '$.totalCostCents') AS cost
    FROM batches WHERE terminal = 1 AND json_valid(body)
) WHERE day IS NOT NULL
"""
#: Each schema version's migration from the one before (index 0 creates version 1).
MIGRATIONS: tuple[str, ...] = (_SCHEMA_V1, _SCHEMA_V2)

_UPSERT = """
INSERT INTO batches (id, created, terminal, body, detail_at, updated_at, expires)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    created = excluded.created, terminal = excluded.terminal, body = excluded.body,
    detail_at = excluded.detail_at, updated_at = excluded.updated_at, expires = excluded.expires
WHERE excluded.updated_at >= batches.updated_at
  AND (batches.terminal = 0 OR excluded.terminal = 1)
"""
# A finished batch never changes again: whichever copy comes last is as good.
_FINISHED = (
    "INSERT OR REPLACE INTO finished (id, at, processed, failed, cost) VALUES (?, ?, ?, ?, ?)"
)


class StoreUnavailable(Exception):
    """The store cannot be used; ``str()`` is a one-line reason for the user."""


class StoreLocked(StoreUnavailable):
    """Another program holds the store's lock: worth trying again, never a reason to
    delete it."""


def is_locked(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "busy": another program's lock."""
    return isinstance(exc, sqlite3.OperationalError) and any(
        word in str(exc).lower() for word in ("locked", "busy")
    )


def stored_moment(value: object) -> float | None:
    """A unix time read back from the store, or None when it is none a run could have
    written (text, a non-finite number, before 1970 or after ``LATEST_MOMENT``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    moment = float(value)
    return moment if math.isfinite(moment) and 0.0 <= moment <= LATEST_MOMENT else None


def stored_count(value: object) -> int | None:
    """A count read back from the store: a whole number from 0 to ``ABSURD``, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value <= ABSURD else None


def stored_cost(value: object) -> float | None:
    """A cost in cents read back from the store: finite, from 0 to ``ABSURD``, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    cost = float(value)
    return cost if math.isfinite(cost) and 0.0 <= cost <= ABSURD else None


@dataclass(frozen=True)
class StoredBatch:
    """One batch as the store keeps it."""

    batch: Batch
    updated_at: float
    """When its data last came from the server (unix seconds)."""
    detail_at: float | None = None
    """When its detail last came (None: only a list summary is known)."""


@dataclass(frozen=True)
class StoreInfo:
    """What ``batch-tui store --info`` reports for one store file."""

    path: Path
    base_url: str | None
    schema: int | None
    batches: int
    finished: int
    size_bytes: int


def _stamp(batch: Batch, attribute: str) -> float | None:
    moment = getattr(batch, attribute)
    return moment.timestamp() if moment is not None else None


class Store:
    """A connection to one store file; see the module docstring for the guarantees."""

    def __init__(self, connection: sqlite3.Connection, path: Path, created: bool = False) -> None:
        self._db = connection
        self.path = path
        """The database file."""
        self.created = created
        """True when this run created the file (it may be removed again if left empty)."""
        self._skipped: set[tuple[str, object]] = set()

    @property
    def skipped(self) -> int:
        """Rows read back and skipped as unusable since opening (each counted once,
        however often it is read again)."""
        return len(self._skipped)

    # ── opening ──────────────────────────────────────────────────────────────

    @classmethod
    def open(
        cls, path: Path, *, base_url: str | None = None, tighten_parent: bool = False
    ) -> Store:
        """Open (or create) the store at ``path``; raises ``StoreUnavailable``.

        ``tighten_parent``: the folder above the store's is ours too (the default
        state directory; an older batch-tui made it with the umask's mode), so one
        others may read or write is made 0700 rather than refused.

        The connection may be used from any one thread at a time (the caller keeps
        it to one: ``monitor/persist.py`` uses it from its worker thread only)."""
        try:
            for directory in (path.parent.parent, path.parent):
                if directory.exists() or directory == path.parent:
                    private_dir(directory, tighten=directory == path.parent or tighten_parent)
            for companion in COMPANIONS:
                check_private_file(path.with_name(path.name + companion))
            created = create_private_file(path)
            connection = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
        except NotPrivate as exc:
            raise StoreUnavailable(f"refusing the local store: {exc}; running without it") from None
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the local store {path}: {exc}") from None
        store = cls(connection, path, created)
        try:
            store._prepare(base_url)
            for companion in COMPANIONS:
                check_private_file(path.with_name(path.name + companion))
        except sqlite3.DatabaseError as exc:
            connection.close()
            if is_locked(exc):
                raise StoreLocked(
                    f"{LOCKED_AT_OPEN} ({path}); trying again in a while (nothing is lost)"
                ) from None
            raise StoreUnavailable(
                f"the local store {path} is not usable ({exc}); running without it "
                "(`batch-tui store --clear` starts a new one)"
            ) from None
        except StoreUnavailable:
            connection.close()
            raise
        except NotPrivate as exc:
            connection.close()
            raise StoreUnavailable(f"refusing the local store: {exc}; running without it") from None
        return store

    def _prepare(self, base_url: str | None) -> None:
        db = self._db
        # Opening happens where the user waits (a start, a profile switch): another
        # program's lock is given up on at once (``StoreLocked``, tried again later).
        db.execute(f"PRAGMA busy_timeout = {READ_TIMEOUT_MS}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"the local store {self.path} was written by a newer batch-tui "
                f"(schema {version}, this one knows {SCHEMA_VERSION}); running without it"
            )
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        # Another dashboard's short writes are waited out from here on.
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if version < SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE")
            try:
                # Another dashboard may have migrated while we waited for the lock.
                version = db.execute("PRAGMA user_version").fetchone()[0]
                for script in MIGRATIONS[version:]:
                    for statement in filter(str.strip, script.split(";")):
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        # Written only when it changes: another dashboard's write lock must not hold
        # every later start of this one.
        if base_url is not None and self.meta("base_url") != base_url:
            self.set_meta("base_url", base_url)

    def reader(self) -> Store:
        """A second connection to the same file for reading only, which gives up after
        ``READ_TIMEOUT_MS`` rather than wait out another program's lock (WAL lets it
        read while this one writes)."""
        try:
            connection = sqlite3.connect(
                self.path,
                timeout=READ_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            connection.execute(f"PRAGMA busy_timeout = {READ_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open the local store {self.path}: {exc}") from None
        return Store(connection, self.path)

    def remove(self) -> None:
        """Close and delete the store file and its companions (one this run created
        and left empty: nothing is lost), unless another dashboard has it open."""
        self.close()
        if open_elsewhere(self.path) is not False:
            return  # another dashboard has it (or that cannot be known): it stays
        for part in (self.path, *(self.path.with_name(self.path.name + c) for c in COMPANIONS)):
            try:
                part.unlink(missing_ok=True)
            except OSError:
                pass

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        try:
            self._db.close()
        except sqlite3.Error:
            pass

    # ── reading ──────────────────────────────────────────────────────────────

    def count(self) -> int:
        """How many batches are stored."""
        return int(self._db.execute("SELECT count(*) FROM batches").fetchone()[0])

    def load(self, limit: int, offset: int = 0) -> list[StoredBatch]:
        """Stored batches, newest first, ``limit`` from ``offset``; unreadable rows are skipped."""
        rows = self._db.execute(
            "SELECT id, body, updated_at, detail_at FROM batches "
            "ORDER BY created IS NULL, created DESC, id LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        out = []
        for key, body, updated_at, detail_at in rows:
            row = self._row(body, updated_at, detail_at)
            if row is None:
                self._skipped.add(("batch", key))
            else:
                out.append(row)
        return out

    @staticmethod
    def _row(body: object, updated_at: object, detail_at: object) -> StoredBatch | None:
        moment = stored_moment(updated_at)
        detail = None if detail_at is None else stored_moment(detail_at)
        if moment is None or (detail_at is not None and detail is None):
            return None
        if not isinstance(body, (str, bytes)):
            return None
        try:
            batch = Batch.from_json(json.loads(body))
        except (ValueError, RecursionError):
            return None
        return StoredBatch(batch, moment, detail) if batch.id else None

    def samples(self, batch_ids: Iterable[str]) -> dict[str, list[tuple[float, int, float | None]]]:
        """The stored progress samples of these batches, oldest first."""
        out: dict[str, list[tuple[float, int, float | None]]] = {}
        for batch_id in batch_ids:
            rows = self._db.execute(
                "SELECT at, processed, cost FROM samples WHERE batch_id = ? ORDER BY at",
                (batch_id,),
            ).fetchall()
            kept = []
            for at, processed, cost in rows:
                moment, count = stored_moment(at), stored_count(processed)
                amount = None if cost is None else stored_cost(cost)
                if moment is None or count is None or (cost is not None and amount is None):
                    self._skipped.add((batch_id, at))
                    continue
                kept.append((moment, count, amount))
            if kept:
                out[batch_id] = kept
        return out

    def meta(self, key: str) -> str | None:
        """A value from the store's own bookkeeping."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # ── writing ──────────────────────────────────────────────────────────────

    def set_meta(self, key: str, value: str) -> None:
        """Remember a value of the store's own bookkeeping."""
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def save(
        self,
        batches: Iterable[StoredBatch],
        samples: Iterable[tuple[str, float, int, float | None]] = (),
    ) -> None:
        """Write these batches (a newer copy wins) and progress samples in one transaction."""
        batches = list(batches)
        rows = [
            (
                item.batch.id,
                _stamp(item.batch, "created_at"),
                int(item.batch.status in TERMINAL_STATUSES),
                json.dumps(batch_to_json(item.batch), separators=(",", ":")),
                item.detail_at,
                item.updated_at,
                _stamp(item.batch, "expires_at"),
            )
            for item in batches
            if item.batch.id
        ]
        finished = [
            (
                item.batch.id,
                item.batch.completed_at.timestamp(),
                item.batch.processed_items,
                item.batch.failure_count,
                item.batch.total_cost_cents,
            )
            for item in batches
            if item.batch.id and item.batch.is_terminal and item.batch.completed_at is not None
        ]
        sample_rows = list(samples)
        if not rows and not sample_rows:
            return
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(_UPSERT, rows)
            db.executemany(_FINISHED, finished)
            db.executemany(
                "INSERT OR IGNORE INTO samples (batch_id, at, processed, cost) VALUES (?, ?, ?, ?)",
                sample_rows,
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def prune(self, now: float, *, max_batches: int = MAX_BATCHES) -> int:
        """Drop batches whose results expired, the oldest past ``max_batches``, and old
        samples; returns how many batches went."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            gone = db.execute(
                "DELETE FROM batches WHERE expires IS NOT NULL AND expires <= ?", (now,)
            ).rowcount
            gone += db.execute(
                "DELETE FROM batches WHERE id IN (SELECT id FROM batches "
                "ORDER BY created IS NULL, created DESC, id LIMIT -1 OFFSET ?)",
                (max_batches,),
            ).rowcount
            if gone:
                db.execute("DELETE FROM finished WHERE id NOT IN (SELECT id FROM batches)")
            db.execute(
                "DELETE FROM samples WHERE at < ? OR batch_id IN "
                "(SELECT id FROM batches WHERE terminal = 1)",
                (now - SAMPLE_RETENTION,),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return gone


def open_elsewhere(path: Path) -> bool | None:
    """True when another process has the store at ``path`` open (a running dashboard
    holds the WAL index's DMS lock); None when that cannot be known.

    Read from ``/proc/locks``, which opens nothing: opening and closing the ``-shm``
    file here would drop every POSIX lock this process's own SQLite holds on it.
    Elsewhere, only a process with no connection of its own may probe the lock
    (``probe=True``, the ``store`` command)."""
    shm = path.with_name(path.name + "-shm")
    try:
        info = os.lstat(shm)
    except OSError:
        return False  # no index: no connection is open
    try:
        table = Path("/proc/locks").read_text("ascii", "replace")
    except OSError:
        return None
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    me = str(os.getpid())
    for line in table.splitlines():
        fields = line.split()
        # "1: POSIX  ADVISORY  READ 6528 fe:00:2228471 128 128" (a "->" marks waiters)
        if "->" in fields or len(fields) < 8 or fields[5] != device or fields[4] == me:
            continue
        start, end = fields[6], fields[7]
        if start.isdigit() and int(start) <= _DMS_BYTE and (end == "EOF" or int(end) >= _DMS_BYTE):
            return True
    return False


def probe_open_elsewhere(path: Path) -> bool:
    """``open_elsewhere``, falling back to trying the DMS lock where ``/proc/locks`` is
    missing: only for a process with no connection to the store of its own."""
    known = open_elsewhere(path)
    if known is not None:
        return known
    shm = path.with_name(path.name + "-shm")
    try:
        fd = os.open(shm, os.O_RDWR | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _DMS_BYTE)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _DMS_BYTE)
        return False
    finally:
        os.close(fd)


def describe(path: Path) -> StoreInfo:
    """What one store file holds, read without changing it; raises ``StoreUnavailable``."""
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            schema = db.execute("PRAGMA user_version").fetchone()[0]
            row = db.execute("SELECT value FROM meta WHERE key = 'base_url'").fetchone()
            batches, finished = db.execute(
                "SELECT count(*), coalesce(sum(terminal), 0) FROM batches"
            ).fetchone()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"{path}: not a usable store ({exc})") from None
    return StoreInfo(path, row[0] if row else None, schema, batches, finished, path.stat().st_size)
