"""The monitor's link to the local store writes in a worker thread, and loses nothing."""

from __future__ import annotations

import sqlite3
import threading
import time

from batch_tui.api.models import Batch
from batch_tui.monitor.persist import StoreLink
from batch_tui.monitor.snapshot import Snapshot
from batch_tui.store import Store
from batch_tui.store.db import StoredBatch
from helpers import EPOCH


def snapshot(batch_id: str) -> Snapshot:
    batch = Batch(id=batch_id, status="processing", total_items=10, processed_items=1)
    return Snapshot(batch, updated_at=EPOCH)


def stored_ids(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT id FROM batches")}


def test_a_save_made_while_the_worker_writes_is_written_without_another_save(tmp_path):
    """A dashboard that polls nothing more (paused, or nothing due) must still find
    every row it saw in the store: the save that came while the worker was busy
    writing the one before is written when that write ends, not at the next poll."""
    path = tmp_path / "store.sqlite3"
    store = Store.open(path, base_url="http://127.0.0.1")
    writing, release = threading.Event(), threading.Event()
    save = store.save

    def held_first_write(rows, samples):
        writing.set()
        release.wait(10)
        save(rows, samples)

    store.save = held_first_write  # the real write, held until the second save is in
    link = StoreLink(store)
    try:
        link.save([snapshot("batch_first")], EPOCH)
        assert writing.wait(10)
        link.save([snapshot("batch_second")], EPOCH)
        release.set()
        deadline = time.monotonic() + 10
        while stored_ids(path) != {"batch_first", "batch_second"}:
            assert time.monotonic() < deadline, stored_ids(path)
            time.sleep(0.01)
    finally:
        release.set()
        link.close()


def test_writes_are_batched_yet_every_read_of_the_file_finds_what_was_saved(tmp_path):
    """A running batch's row changes at every poll: the link writes at most every
    ``WRITE_EVERY`` seconds, merging what came meanwhile. Anything that reads the
    file back (older rows as the user scrolls, the history screen) must still find
    every row saved so far: rows written late would shift what an offset finds."""
    path = tmp_path / "store.sqlite3"
    store = Store.open(path, base_url="http://127.0.0.1")
    store.save([StoredBatch(snapshot(f"batch_old{n}").batch, EPOCH - n) for n in range(3)], [])
    link = StoreLink(store)
    try:
        link.save([snapshot("batch_first")], EPOCH + 1)
        link.flush()
        deadline = time.monotonic() + 10
        link.save([snapshot("batch_second")], EPOCH + 2)
        assert "batch_second" not in stored_ids(path)  # waits for its time, merged
        rows: list = []
        while not rows:  # [] only while a write is still under way: read again later
            assert time.monotonic() < deadline
            rows = link.next_rows()
        assert "batch_second" in {row.batch.id for row in rows}
        history = link.history()
        assert history is not None and history.written is not None
    finally:
        link.close()
    assert "batch_second" in stored_ids(path)
