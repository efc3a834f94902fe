"""The local store: round trips, sharing, pruning, and every way it can be unusable."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batch_tui.api.models import Batch
from batch_tui.store import SCHEMA_VERSION, Store, StoredBatch, StoreUnavailable, store_path
from batch_tui.store.admin import clear_stores, store_info

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
KEY = "vfy_store_secret_key_0123456789"


def batch(n: int, status: str = "completed", **fields) -> Batch:
    defaults = {
        "name": f"Batch {n}",
        "total_items": 10,
        "processed_items": 10 if status == "completed" else 4,
        "created_at": T0 + timedelta(minutes=n),
        "expires_at": T0 + timedelta(days=30),
    }
    return Batch(id=f"batch_{n:05d}", status=status, **{**defaults, **fields})


def open_store(tmp_path: Path) -> Store:
    return Store.open(store_path("http://127.0.0.1:1", KEY, tmp_path), base_url="http://x")


def test_batches_come_back_newest_first_exactly_as_saved(tmp_path):
    store = open_store(tmp_path)
    saved = [batch(n, total_cost_cents=12.5, methods_config={"tool": 0.5}) for n in range(5)]
    store.save([StoredBatch(b, updated_at=100.0, detail_at=90.0) for b in saved])
    rows = store.load(10)
    assert [r.batch for r in rows] == saved[::-1]
    assert rows[0].updated_at == 100.0 and rows[0].detail_at == 90.0
    assert [r.batch.id for r in store.load(2, offset=3)] == ["batch_00001", "batch_00000"]
    assert store.count() == 5


def test_a_newer_copy_wins_and_a_finished_batch_is_never_overwritten_by_a_running_one(tmp_path):
    store = open_store(tmp_path)
    store.save([StoredBatch(batch(1, "processing"), updated_at=10.0)])
    store.save([StoredBatch(batch(1, "completed"), updated_at=20.0)])
    store.save([StoredBatch(batch(1, "processing"), updated_at=30.0)])  # a stale copy arrives late
    assert store.load(1)[0].batch.status == "completed"
    store.save([StoredBatch(batch(2, "processing", processed_items=1), updated_at=50.0)])
    store.save([StoredBatch(batch(2, "processing", processed_items=9), updated_at=40.0)])
    assert store.load(1)[0].batch.processed_items == 1


def test_two_dashboards_share_one_store(tmp_path):
    first, second = open_store(tmp_path), open_store(tmp_path)
    for n in range(50):
        (first if n % 2 else second).save([StoredBatch(batch(n), updated_at=float(n))])
    assert first.count() == second.count() == 50
    assert first.load(1)[0].batch.id == second.load(1)[0].batch.id == "batch_00049"


def test_the_key_is_never_written_and_the_file_name_is_a_hash(tmp_path):
    store = open_store(tmp_path)
    store.save([StoredBatch(batch(1), updated_at=1.0)])
    store.close()
    assert KEY not in store.path.name
    for path in tmp_path.iterdir():
        assert KEY.encode() not in path.read_bytes()
    other = store_path("http://127.0.0.1:1", "vfy_another_key", tmp_path)
    assert other != store.path  # another organisation, another store


def test_expired_batches_old_samples_and_the_oldest_past_the_cap_are_pruned(tmp_path):
    store = open_store(tmp_path)
    rows = [StoredBatch(batch(n), updated_at=1.0) for n in range(10)]
    rows.append(StoredBatch(batch(99, expires_at=T0), updated_at=1.0))
    store.save(rows, samples=[("batch_00003", 5.0, 1, None)])
    gone = store.prune((T0 + timedelta(hours=1)).timestamp(), max_batches=4)
    assert gone == 1 + 6
    assert [r.batch.id for r in store.load(10)] == [f"batch_{n:05d}" for n in (9, 8, 7, 6)]
    assert store.samples(["batch_00003"]) == {}


def test_progress_samples_come_back_in_order(tmp_path):
    store = open_store(tmp_path)
    store.save(
        [StoredBatch(batch(1, "processing"), updated_at=1.0)],
        samples=[("batch_00001", 20.0, 4, 40.0), ("batch_00001", 10.0, 2, 20.0)],
    )
    assert store.samples(["batch_00001", "nope"]) == {
        "batch_00001": [(10.0, 2, 20.0), (20.0, 4, 40.0)]
    }


def test_a_corrupt_file_is_reported_in_one_line_and_left_alone(tmp_path):
    path = store_path("http://127.0.0.1:1", KEY, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    with pytest.raises(StoreUnavailable) as caught:
        Store.open(path)
    message = str(caught.value)
    assert "\n" not in message and "not usable" in message and "store --clear" in message
    assert path.read_bytes() == garbage


def test_a_store_from_a_newer_schema_is_not_touched(tmp_path):
    path = store_path("http://127.0.0.1:1", KEY, tmp_path)
    open_store(tmp_path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(StoreUnavailable, match="newer batch-tui"):
        Store.open(path)
    assert path.read_bytes() == before


def test_an_old_schema_is_migrated_in_place(tmp_path):
    path = store_path("http://127.0.0.1:1", KEY, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(path).close()  # version 0: an empty file from before the first schema
    store = Store.open(path)
    store.save([StoredBatch(batch(1), updated_at=1.0)])
    assert store.count() == 1
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


READ_ONLY_PROBE = """
import os, sys
from pathlib import Path
from batch_tui.store import Store, StoreUnavailable
import sqlite3, encodings.idna  # everything loaded before giving up root
os.setgid(65534); os.setuid(65534)
try:
    Store.open(Path(sys.argv[1]))
except StoreUnavailable as exc:
    print("unavailable:", exc)
else:
    print("opened")
"""


def test_a_read_only_store_directory_is_reported_not_crashed(tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(directory, 0o555)
    path = directory / "store" / "x.sqlite3"
    if os.geteuid() == 0:
        # Root ignores file modes: run the probe as an unprivileged user instead.
        result = subprocess.run(
            [sys.executable, "-c", READ_ONLY_PROBE, str(path)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        assert result.stdout.startswith("unavailable: cannot open the local store"), result.stderr
        assert "Traceback" not in result.stderr
    else:
        with pytest.raises(StoreUnavailable, match="cannot open the local store"):
            Store.open(path)


def test_store_info_and_clear(tmp_path):
    store = open_store(tmp_path)
    store.save([StoredBatch(batch(n), updated_at=1.0) for n in range(3)])
    store.close()
    info = store_info(tmp_path)
    assert "http://x" in info and "3 batches (3 finished)" in info and KEY not in info
    assert "Removed 1 local store" in clear_stores(tmp_path)
    assert list(tmp_path.glob("*.sqlite3*")) == []
    assert "No local stores" in store_info(tmp_path)
