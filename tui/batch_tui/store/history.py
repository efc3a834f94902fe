"""The history screen's figures: finished batches added up by local day (no Textual).

A day is a calendar day in local time (the machine's time zone, or the ``tz``
given), from midnight to the next midnight, so a day around a daylight-saving
change is 23 or 25 hours long. A batch belongs to the day its ``completedAt``
falls on; a finished batch whose server never said when it finished is counted
on no day. One query sums every day at once from the covering index of the
``finished`` table (schema 2), and days without a finished batch come back as zeros.

What is read back is checked as a server answer is: a finished row whose time,
counts or cost no run could have written (text, infinity, a count past ``ABSURD``)
is left out of every sum and counted in ``DayTotals.skipped``; sums are taken in
floating point (``total()``), so a month of batches of 10^15 items each adds up
instead of overflowing SQLite's integers.

Each call opens its own read-only connection, so a worker thread can ask while
the monitor writes on the event loop's thread (WAL lets them both go on).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TypeVar

from batch_tui.api.models import Batch
from batch_tui.api.reading import ABSURD
from batch_tui.store.db import BUSY_TIMEOUT_MS, StoreUnavailable, stored_moment

#: How many days the history screen shows, today included.
HISTORY_DAYS = 30
#: At most this many of one day's batches are listed (newest first).
DAY_BATCHES_LIMIT = 1000

_T = TypeVar("_T")


@dataclass(frozen=True)
class DayTotals:
    """What finished on one local day."""

    day: date
    start: float
    """The day's first instant (local midnight), unix seconds."""
    stop: float
    """The next day's first instant."""
    batches: int = 0
    items: int = 0
    """Items processed by the batches that finished that day."""
    failed: int = 0
    """Of those, items that failed."""
    cost_cents: float = 0.0
    skipped: int = 0
    """Finished rows of that day left out as unreadable (a hand-edited store)."""

    @property
    def failure_rate(self) -> float | None:
        """Failed items out of processed ones (None on a day with none processed)."""
        return self.failed / self.items if self.items else None


@dataclass(frozen=True)
class FinishedBatch:
    """One batch of a day, as the history screen lists it."""

    batch: Batch
    finished: float
    """When it finished (``completedAt``), unix seconds."""


def day_bounds(
    now: float, days: int = HISTORY_DAYS, tz: tzinfo | None = None
) -> list[tuple[date, float, float]]:
    """``(day, start, stop)`` for the ``days`` local days up to and including today,
    oldest first. ``tz`` None: the machine's local time zone."""
    local_now = datetime.fromtimestamp(now, tz) if tz else datetime.fromtimestamp(now).astimezone()
    today = local_now.date()
    out = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        out.append((day, _midnight(day, tz), _midnight(day + timedelta(days=1), tz)))
    return out


def _midnight(day: date, tz: tzinfo | None) -> float:
    moment = datetime.combine(day, time())
    # Without a tz, ``timestamp()`` reads a naive time as local, daylight saving included.
    return moment.replace(tzinfo=tz).timestamp() if tz else moment.timestamp()


def daily_totals(
    db: sqlite3.Connection, now: float, days: int = HISTORY_DAYS, tz: tzinfo | None = None
) -> list[DayTotals]:
    """Every one of the last ``days`` local days (oldest first), zeros included."""
    bounds = day_bounds(now, days, tz)
    values = ", ".join("(?, ?, ?)" for _ in bounds)
    params = [
        value for index, (_, start, stop) in enumerate(bounds) for value in (index, start, stop)
    ]
    days_cte = f"WITH days (i, start, stop) AS (VALUES {values})"
    joined = "FROM days LEFT JOIN finished AS f ON f.at >= days.start AND f.at < days.stop"
    rows = db.execute(
        f"{days_cte} SELECT i, count(f.at), total(f.processed), total(f.failed), total(f.cost), "
        "min(f.processed), max(f.processed), min(f.failed), max(f.failed), "
        f"min(f.cost), max(f.cost) {joined} GROUP BY i ORDER BY i",
        params,
    ).fetchall()
    # Each day's least and greatest values tell whether every row is usable (SQLite
    # orders text and blobs above every number), so the sums are taken unchecked
    # unless some day holds a row no run of ours could have written.
    if not all(_in_range(row[5:]) for row in rows):
        rows = db.execute(
            f"{days_cte}, rows AS (SELECT days.i, f.at, f.processed, f.failed, f.cost, "
            f"({_usable('f.processed')} AND {_usable('f.failed')} AND {_usable('f.cost')}) AS ok "
            f"{joined}) "
            "SELECT i, count(CASE WHEN ok THEN at END), "
            "total(CASE WHEN ok THEN processed END), total(CASE WHEN ok THEN failed END), "
            "total(CASE WHEN ok THEN cost END), count(CASE WHEN NOT ok THEN at END) "
            "FROM rows GROUP BY i ORDER BY i",
            params,
        ).fetchall()
    else:
        rows = [(*row[:5], 0) for row in rows]
    return [
        DayTotals(day, start, stop, int(n), int(items), int(failed), float(cost), int(skipped))
        for (day, start, stop), (_, n, items, failed, cost, skipped) in zip(
            bounds, rows, strict=True
        )
    ]


def _in_range(extremes: tuple[object, ...]) -> bool:
    """True when every least and greatest value is empty or a number from 0 to ``ABSURD``."""
    return all(
        value is None or (isinstance(value, int | float) and 0 <= value <= ABSURD)
        for value in extremes
    )


def _usable(column: str) -> str:
    """SQL: the column is empty or a number from 0 to ``ABSURD`` (infinity is not; a
    NaN is stored as NULL, which is "unknown", as the server's null is)."""
    return (
        f"({column} IS NULL OR (typeof({column}) IN ('integer', 'real') "
        f"AND {column} BETWEEN 0 AND {ABSURD}))"
    )


def finished_between(
    db: sqlite3.Connection, start: float, stop: float, limit: int = DAY_BATCHES_LIMIT
) -> list[FinishedBatch]:
    """The batches that finished in ``[start, stop)``, newest first; unreadable rows skipped."""
    rows = db.execute(
        "SELECT b.body, f.at FROM finished AS f JOIN batches AS b ON b.id = f.id "
        "WHERE f.at >= ? AND f.at < ? ORDER BY f.at DESC LIMIT ?",
        (start, stop, limit),
    ).fetchall()
    out = []
    for body, finished in rows:
        moment = stored_moment(finished)
        if moment is None or not isinstance(body, (str, bytes)):
            continue
        try:
            batch = Batch.from_json(json.loads(body))
        except (ValueError, RecursionError):
            continue
        out.append(FinishedBatch(batch, moment))
    return out


class HistoryReader:
    """Reads one store's history, each call on a connection of its own (any thread)."""

    def __init__(
        self, path: Path, tz: tzinfo | None = None, written: Callable[[], None] | None = None
    ) -> None:
        self.path = path
        self.tz = tz
        """The time zone of the days (None: the machine's)."""
        self.written = written
        """Waits until what the writer of the store holds is in the file (None: nothing
        to wait for); called before each read."""

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=1)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return db

    def days(self, now: float, days: int = HISTORY_DAYS) -> list[DayTotals]:
        """The last ``days`` local days up to ``now``; raises ``StoreUnavailable``."""
        return self._read(lambda db: daily_totals(db, now, days, self.tz))

    def batches(self, day: DayTotals) -> list[FinishedBatch]:
        """The batches that finished on ``day``; raises ``StoreUnavailable``."""
        return self._read(lambda db: finished_between(db, day.start, day.stop))

    def _read(self, query: Callable[[sqlite3.Connection], _T]) -> _T:
        if self.written is not None:
            self.written()
        try:
            db = self._connect()
            try:
                return query(db)
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot read the local store's history ({exc})") from None
