"""``LocalHub``: a team on one host, through two files beside the local store.

* ``team-NAME.lock`` — whoever holds an exclusive ``flock`` on it leads. The kernel
  lets go of the lock when the process dies, however it dies, so a follower takes
  over at its next heartbeat.
* ``team-NAME.db`` — SQLite (WAL): the members' heartbeats, the records the leader
  publishes (each with a sequence number, so a follower reads only what is new),
  the leader's status, the request ledger and the refresh counter.

A follower notices the leader's writes through ``PRAGMA data_version``, a few
times a second: it costs a read of the WAL index, not a query. Every database call
runs in a worker thread, so a lock held by another process never stalls the event
loop. Files are created 0600 in a 0700 directory, and never through a symlink.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from batch_tui.hub.base import (
    LIVE_FOR,
    Hub,
    HubUnavailable,
    LeaderRound,
    Member,
    Record,
    load_object,
)

#: How often a waiting follower looks for the leader's writes (seconds).
LOOK_EVERY = 0.2
#: Ledger rows older than this are deleted (the budget looks back one minute).
LEDGER_KEEP = 120.0
#: Members silent for this long are deleted (they stopped counting long before).
MEMBER_KEEP = 60.0
#: At most this many records are read in one ``read`` (the rest come next time).
READ_CHUNK = 5000
BUSY_TIMEOUT_MS = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, seen_at REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_seq ON records (seq);
CREATE TABLE IF NOT EXISTS ledger (member TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS ledger_at ON ledger (at)
"""

T = TypeVar("T")


def _private_file(path: Path) -> int:
    """Open (or create) ``path`` 0600 without following a symlink; returns the fd."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def _prepare(db: sqlite3.Connection) -> None:
    """WAL mode and the team tables. Members of a team often start together: switching
    a new file to WAL takes a lock SQLite does not wait for, so a member that meets
    another one's lock tries again for a moment rather than polling alone."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            # One call for the rest: each call gives the interpreter back to the
            # event loop, which is drawing the first frames, and waits to get it again.
            db.executescript(f"PRAGMA synchronous = NORMAL; {_SCHEMA};")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class LocalHub(Hub):
    """The team of one host: see the module docstring."""

    def __init__(
        self, directory: Path, team: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.directory = directory
        self.team = team
        self.clock = clock
        self.label = "this host"
        self.shares_store = True
        self.leased = False
        self.skipped = 0
        self.db_path = directory / f"team-{team}.db"
        self.lock_path = directory / f"team-{team}.lock"
        self._db: sqlite3.Connection | None = None
        self._guard = threading.Lock()
        self._lock_fd: int | None = None
        self._seen_version: int | None = None
        self._touch_seen: int | None = None
        self._here: set[str] = set()
        """The members that beat through this hub (they leave with it)."""

    # ── plumbing ─────────────────────────────────────────────────────────────

    async def _run(self, action: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            with self._guard:
                if self._db is None:
                    raise HubUnavailable("the team file is closed")
                try:
                    return action(self._db)
                except sqlite3.Error as exc:
                    raise HubUnavailable(f"the team file {self.db_path.name}: {exc}") from None

        return await asyncio.to_thread(call)

    async def start(self) -> None:
        await self.close()

        def open_db() -> sqlite3.Connection:
            try:
                self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
                for suffix in ("", "-wal", "-shm"):
                    path = Path(f"{self.db_path}{suffix}")
                    if path.is_symlink():
                        raise HubUnavailable(f"{path.name} is a symlink: not ours, not used")
                os.close(_private_file(self.db_path))
                db = sqlite3.connect(
                    self.db_path,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
                db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                _prepare(db)
                for suffix in ("-wal", "-shm"):
                    path = Path(f"{self.db_path}{suffix}")
                    if path.exists() and not path.is_symlink():
                        os.chmod(path, 0o600)
                return db
            except (OSError, sqlite3.Error) as exc:
                raise HubUnavailable(f"cannot share through {self.directory}: {exc}") from None

        self._db = await asyncio.to_thread(open_db)

    async def close(self) -> None:
        with self._guard:
            db, self._db = self._db, None
        if db is not None:
            try:
                here = list(self._here)
                db.executemany("DELETE FROM members WHERE id = ?", [(i,) for i in here])
                if self._lock_fd is not None:
                    db.execute("DELETE FROM meta WHERE key = 'leader'")
            except sqlite3.Error:
                pass  # going anyway: a dead member stops counting by itself
            finally:
                db.close()
        self._unlock()

    # ── members ──────────────────────────────────────────────────────────────

    async def beat(self, me: Member) -> list[Member]:
        now = self.clock()
        self._here.add(me.id)
        return self._members(await self._run(lambda db: _beat(db, me, now)))

    def _members(self, bodies: list[str]) -> list[Member]:
        members = []
        for body in bodies:
            member = Member.from_json(body)
            if member is None:
                self.skipped += 1
            else:
                members.append(member)
        return members

    async def leave(self, member_id: str) -> None:
        await self._run(lambda db: db.execute("DELETE FROM members WHERE id = ?", (member_id,)))

    # ── leadership ───────────────────────────────────────────────────────────

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            finally:
                os.close(self._lock_fd)
                self._lock_fd = None

    async def lead(self, member_id: str) -> bool:
        if self._lock_fd is not None:
            return True  # held since it was taken: the kernel lets go only at our death
        try:
            fd = _private_file(self.lock_path)
        except OSError as exc:
            raise HubUnavailable(f"cannot use {self.lock_path.name}: {exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        await self._run(
            lambda db: db.execute(
                "INSERT INTO meta (key, value) VALUES ('leader', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (member_id,),
            )
        )
        return True

    async def resign(self, member_id: str) -> None:
        if self._lock_fd is None:
            return
        self._unlock()
        await self._run(
            lambda db: db.execute(
                "DELETE FROM meta WHERE key = 'leader' AND value = ?", (member_id,)
            )
        )

    def _lock_is_held(self) -> bool:
        """True when some process holds the lock (the kernel is asked, not a file)."""
        if self._lock_fd is not None:
            return True
        try:
            fd = _private_file(self.lock_path)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    async def leader(self) -> str | None:
        if not await asyncio.to_thread(self._lock_is_held):
            return None

        def leader(db: sqlite3.Connection) -> str | None:
            row = db.execute("SELECT value FROM meta WHERE key = 'leader'").fetchone()
            return row[0] if row and isinstance(row[0], str) else None

        return await self._run(leader)

    # ── records ──────────────────────────────────────────────────────────────

    async def publish(self, member_id: str, records: list[Record], status: dict[str, Any]) -> bool:
        if self._lock_fd is None:
            return False  # the lock is the leadership: without it, nothing is written
        bodies = _bodies(records)
        status_text = json.dumps(status, separators=(",", ":"))

        def publish(db: sqlite3.Connection) -> None:
            with _transaction(db):
                _publish(db, bodies, status_text)

        await self._run(publish)
        return True

    async def lead_round(
        self,
        me: Member,
        *,
        beat: bool,
        sent: list[float],
        since: float | None,
        records: list[Record] | None,
        status: dict[str, Any],
    ) -> LeaderRound:
        """The leader's step in one transaction and one trip to the worker thread: an
        idle dashboard's cost is mostly such trips."""
        now = self.clock()
        if beat:
            self._here.add(me.id)
        leads = self._lock_fd is not None  # the lock is the leadership
        bodies = _bodies(records) if records is not None and leads else None
        status_text = json.dumps(status, separators=(",", ":")) if bodies is not None else ""

        def lead_round(db: sqlite3.Connection) -> tuple[list[str] | None, list[float] | None, int]:
            with _transaction(db):
                members = _beat(db, me, now) if beat else None
                if sent:
                    _record(db, me.id, sent, now)
                if bodies is not None:
                    _publish(db, bodies, status_text)
                others = None if since is None else _since(db, since, me.id)
                return members, others, _asks(db)

        members, others, asks = await self._run(lead_round)
        return LeaderRound(
            None if members is None else self._members(members),
            others,
            asks,
            leads or records is None,
        )

    async def read(self, cursor: int) -> tuple[list[Record], dict[str, Any] | None, int]:
        def read(db: sqlite3.Connection) -> tuple[list[tuple[int, str]], str | None]:
            top = db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
            start = cursor
            if top is None or not str(top[0]).isdigit() or int(top[0]) < cursor:
                start = 0  # the file was started afresh: read it all again
            rows = db.execute(
                "SELECT seq, body FROM records WHERE seq > ? ORDER BY seq LIMIT ?",
                (start, READ_CHUNK),
            ).fetchall()
            status = db.execute("SELECT value FROM meta WHERE key = 'status'").fetchone()
            return rows, status[0] if status else None

        rows, status_text = await self._run(read)
        records = []
        last = cursor if not rows or rows[0][0] > cursor else 0
        for seq, body in rows:
            if isinstance(seq, int):
                last = max(last, seq)
            record = Record.from_json(body) if isinstance(body, str | bytes) else None
            if record is None:
                self.skipped += 1
            else:
                records.append(record)
        return records, self._status(status_text), last

    def _status(self, text: str | None) -> dict[str, Any] | None:
        if text is None:
            return None
        status = load_object(text)
        if status is None:
            self.skipped += 1
        return status

    def _data_version(self) -> int | None:
        with self._guard:
            if self._db is None:
                return None
            try:
                return int(self._db.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                return None

    def touched(self) -> bool:
        # Another connection's commit moves ``data_version``; this process's own do not.
        version = self._data_version()
        seen, self._touch_seen = self._touch_seen, version
        return seen is not None and version != seen

    async def wait(self, timeout: float) -> None:
        # Real time, whatever clock the hub dates things by: this is a wait.
        deadline = time.monotonic() + timeout
        if self._seen_version is None:
            self._seen_version = self._data_version()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(LOOK_EVERY, left))
            version = self._data_version()
            if version != self._seen_version:
                self._seen_version = version
                return

    # ── the ledger and refreshes ─────────────────────────────────────────────

    async def record_requests(self, member_id: str, times: list[float]) -> None:
        if not times:
            return
        now = self.clock()

        def record(db: sqlite3.Connection) -> None:
            with _transaction(db):
                _record(db, member_id, times, now)

        await self._run(record)

    async def requests_since(self, since: float, exclude: str | None = None) -> list[float]:
        return await self._run(lambda db: _since(db, since, exclude))

    async def ask_refresh(self) -> None:
        await self._run(
            lambda db: db.execute(
                "INSERT INTO meta (key, value) VALUES ('refresh', '1') ON CONFLICT (key) "
                "DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
            )
        )

    async def refresh_asks(self) -> int:
        return await self._run(_asks)


# ── the statements (run in the worker thread) ────────────────────────────────


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _bodies(records: list[Record]) -> list[tuple[str, str]]:
    return [(record.batch_id, record.to_json()) for record in records if record.batch_id]


def _beat(db: sqlite3.Connection, me: Member, now: float) -> list[str]:
    """This member's heartbeat; the live members' bodies."""
    db.execute(
        "INSERT INTO members (id, seen_at, body) VALUES (?, ?, ?) ON CONFLICT (id) "
        "DO UPDATE SET seen_at = excluded.seen_at, body = excluded.body",
        (me.id, now, replace(me, seen_at=now).to_json()),
    )
    db.execute("DELETE FROM members WHERE seen_at < ?", (now - MEMBER_KEEP,))
    rows = db.execute("SELECT body FROM members WHERE seen_at >= ?", (now - LIVE_FOR,)).fetchall()
    return [row[0] for row in rows]


def _publish(db: sqlite3.Connection, bodies: list[tuple[str, str]], status_text: str) -> None:
    """The records, each under the next sequence number (unchanged ones keep theirs), and
    the leader's status."""
    row = db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
    seq = int(row[0]) if row and str(row[0]).isdigit() else 0
    rows = []
    for batch_id, body in bodies:
        seq += 1
        rows.append((batch_id, seq, body))
    db.executemany(
        "INSERT INTO records (id, seq, body) VALUES (?, ?, ?) ON CONFLICT (id) "
        "DO UPDATE SET seq = excluded.seq, body = excluded.body "
        "WHERE records.body != excluded.body",
        rows,
    )
    db.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [("seq", str(seq)), ("status", status_text)],
    )


def _record(db: sqlite3.Connection, member_id: str, times: list[float], now: float) -> None:
    """Requests into the ledger; the ones too old to count go."""
    db.executemany(
        "INSERT INTO ledger (member, at) VALUES (?, ?)", [(member_id, at) for at in times]
    )
    db.execute("DELETE FROM ledger WHERE at < ?", (now - LEDGER_KEEP,))


def _since(db: sqlite3.Connection, since: float, exclude: str | None) -> list[float]:
    rows = db.execute(
        "SELECT at FROM ledger WHERE at > ? AND member IS NOT ? ORDER BY at", (since, exclude)
    ).fetchall()
    return [float(at) for (at,) in rows if isinstance(at, int | float)]


def _asks(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'refresh'").fetchone()
    return int(row[0]) if row and str(row[0]).isdigit() else 0
