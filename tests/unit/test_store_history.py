"""The history screen's figures: finished batches added up by local day, from the store."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from batch_tui.api.models import Batch
from batch_tui.api.shape import batch_to_json
from batch_tui.store import Store, StoredBatch, StoreUnavailable
from batch_tui.store.db import MIGRATIONS
from batch_tui.store.history import HistoryReader, day_bounds

#: "Now": Thursday 15 January 2026, 10:00 UTC.
NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def finished(n: int, at: datetime | None, status: str = "completed", **fields) -> Batch:
    values = {
        "name": f"Batch {n}",
        "total_items": 100,
        "processed_items": 100,
        "failure_count": 5,
        "total_cost_cents": 250.0,
        "created_at": (at or NOW) - timedelta(hours=1),
        "completed_at": at,
    }
    return Batch(id=f"batch_{n:05d}", status=status, **{**values, **fields})


def store_with(tmp_path: Path, *batches: Batch) -> HistoryReader:
    store = Store.open(tmp_path / "store.sqlite3")
    store.save([StoredBatch(b, updated_at=NOW.timestamp()) for b in batches])
    store.close()
    return HistoryReader(tmp_path / "store.sqlite3", UTC)


def test_every_day_of_the_month_with_its_batches_items_failures_and_cost(tmp_path):
    reader = store_with(
        tmp_path,
        finished(1, NOW - timedelta(hours=2)),
        finished(2, NOW - timedelta(hours=3), failure_count=15, total_cost_cents=100.5),
        finished(3, NOW - timedelta(days=2), "failed", processed_items=0, failure_count=0),
        finished(4, NOW - timedelta(days=2, hours=1), "cancelled", processed_items=40),
        finished(5, NOW - timedelta(days=30)),  # before the first of the 30 days
        finished(6, None, "processing", processed_items=50),  # still running
        finished(7, None),  # finished, but the server never said when
    )
    days = reader.days(NOW.timestamp())
    assert len(days) == 30
    assert days[0].day == date(2025, 12, 17) and days[-1].day == date(2026, 1, 15)
    today = days[-1]
    assert (today.batches, today.items, today.failed, today.cost_cents) == (2, 200, 20, 350.5)
    assert today.failure_rate == pytest.approx(0.10)
    tuesday = days[-3]
    assert (tuesday.batches, tuesday.items, tuesday.failed) == (2, 40, 5)
    assert sum(day.batches for day in days) == 4
    quiet = days[-2]
    assert (quiet.batches, quiet.items, quiet.cost_cents, quiet.failure_rate) == (0, 0, 0.0, None)


def test_a_batch_belongs_to_the_day_its_finish_falls_on_midnight_included(tmp_path):
    midnight = datetime(2026, 1, 15, tzinfo=UTC)
    reader = store_with(
        tmp_path,
        finished(1, midnight),
        finished(2, midnight - timedelta(microseconds=1000)),
        finished(3, NOW),
    )
    days = reader.days(NOW.timestamp())
    assert [days[-1].batches, days[-2].batches] == [2, 1]
    yesterday = reader.batches(days[-2])
    assert [row.batch.id for row in yesterday] == ["batch_00002"]
    assert [row.batch.id for row in reader.batches(days[-1])] == ["batch_00003", "batch_00001"]
    assert reader.batches(days[-1])[0].batch == finished(3, NOW)


def test_days_are_local_days_with_their_daylight_saving_lengths(tmp_path):
    try:
        new_york = ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:
        pytest.skip("no time zone database on this machine")
    now = datetime(2026, 3, 9, 12, 0, tzinfo=new_york).timestamp()  # the day after the change
    bounds = day_bounds(now, 3, new_york)
    assert [day for day, _, _ in bounds] == [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)]
    assert [(stop - start) / 3600 for _, start, stop in bounds] == [24, 23, 24]
    # 23:30 in New York on the 8th is already the 9th in UTC: it counts on the 8th.
    late = datetime(2026, 3, 8, 23, 30, tzinfo=new_york)
    store_with(tmp_path, finished(1, late.astimezone(UTC)))
    days = HistoryReader(tmp_path / "store.sqlite3", new_york).days(now, 3)
    assert [day.batches for day in days] == [0, 1, 0]


def test_without_a_zone_the_days_follow_the_machines_local_time(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9 all year
    time.tzset()
    try:
        store_with(tmp_path, finished(1, datetime(2026, 1, 14, 16, 0, tzinfo=UTC)))
        days = HistoryReader(tmp_path / "store.sqlite3").days(NOW.timestamp(), 2)
    finally:
        monkeypatch.undo()
        time.tzset()
    # 16:00 UTC on the 14th is 01:00 on the 15th in Tokyo.
    assert [(day.day, day.batches) for day in days] == [
        (date(2026, 1, 14), 0),
        (date(2026, 1, 15), 1),
    ]


def test_a_batch_that_finishes_later_moves_into_its_day(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = Store.open(path)
    store.save([StoredBatch(finished(1, None, "processing", processed_items=10), 1.0)])
    assert sum(day.batches for day in HistoryReader(path, UTC).days(NOW.timestamp())) == 0
    store.save([StoredBatch(finished(1, NOW, processed_items=100, failure_count=7), 2.0)])
    store.close()
    today = HistoryReader(path, UTC).days(NOW.timestamp())[-1]
    assert (today.batches, today.items, today.failed) == (1, 100, 7)


def test_a_store_of_schema_1_gets_its_history_columns_filled_on_opening(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = finished(1, NOW - timedelta(days=1), failure_count=9, total_cost_cents=42.0)
    running = finished(2, None, "processing", processed_items=30)
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        for n, batch in enumerate((old, running)):
            db.execute(
                "INSERT INTO batches (id, created, terminal, body, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (batch.id, n, int(batch.is_terminal), json.dumps(batch_to_json(batch)), 1.0),
            )
        db.execute("PRAGMA user_version = 1")
    db.close()
    Store.open(path).close()
    days = HistoryReader(path, UTC).days(NOW.timestamp())
    yesterday = days[-2]
    assert (yesterday.batches, yesterday.items, yesterday.failed) == (1, 100, 9)
    assert yesterday.cost_cents == 42.0
    assert sum(day.batches for day in days) == 1


def test_a_store_that_cannot_be_read_is_one_line_not_a_crash(tmp_path):
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(StoreUnavailable, match="cannot read the local store's history"):
        HistoryReader(path, UTC).days(NOW.timestamp())


def test_a_pruned_batch_leaves_its_day(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = Store.open(path)
    gone = finished(1, NOW - timedelta(days=1), expires_at=NOW - timedelta(hours=1))
    kept = finished(2, NOW - timedelta(days=1), expires_at=NOW + timedelta(days=29))
    store.save([StoredBatch(gone, 1.0), StoredBatch(kept, 1.0)])
    assert HistoryReader(path, UTC).days(NOW.timestamp())[-2].batches == 2
    assert store.prune(NOW.timestamp()) == 1
    store.close()
    yesterday = HistoryReader(path, UTC).days(NOW.timestamp())[-2]
    assert yesterday.batches == 1
    assert [row.batch.id for row in HistoryReader(path, UTC).batches(yesterday)] == [kept.id]


@pytest.mark.parametrize("bad", ["'lots'", "-3", "x'00'"], ids=["text", "negative", "blob"])
def test_a_row_no_run_could_have_written_is_left_out_of_its_day_and_counted(tmp_path, bad):
    """The sums are taken unchecked only when every row of every day is a count we
    could have written; one edited by hand is skipped, whatever its type."""
    reader = store_with(
        tmp_path, finished(1, NOW - timedelta(hours=2)), finished(2, NOW - timedelta(hours=3))
    )
    with sqlite3.connect(tmp_path / "store.sqlite3") as db:
        db.execute(f"UPDATE finished SET processed = {bad} WHERE id = 'batch_00002'")
    today = reader.days(NOW.timestamp())[-1]
    assert (today.batches, today.items, today.failed, today.skipped) == (1, 100, 5, 1)
