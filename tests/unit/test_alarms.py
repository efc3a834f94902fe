"""Stalls and reconciliation: the monitor's decisions against the demo server (real
loopback HTTP, a frozen clock), and what ``status --json`` says of them."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from batch_tui.api.models import Batch
from batch_tui.headless.status import run_status
from batch_tui.monitor.alarms import StallWatch, alarm_fields, unaccounted
from batch_tui.monitor.monitor import BatchMonitor, Change
from batch_tui.settings.config import Settings
from helpers import TEST_KEY, advance, run_due, soonest_to_finish

STALL_AFTER = 60.0


def monitor_with_events(client, clock, **options) -> tuple[BatchMonitor, list]:
    """A monitor whose every event is collected, in order."""
    events: list = []

    def collect(change: Change) -> None:
        events.extend(change.events)

    monitor = BatchMonitor(
        client, interval=5, clock=clock, stall_after=STALL_AFTER, on_change=collect, **options
    )
    return monitor, events


def running_ids(monitor: BatchMonitor) -> set[str]:
    return {i for i, s in monitor.snapshots.items() if not s.batch.is_terminal}


async def test_a_batch_that_stops_moving_is_stalled_once_until_it_moves(client, clock, demo_api):
    demo_api.faults.stall_rate = 1.0  # every running batch stops where it is first seen
    monitor, events = monitor_with_events(client, clock)
    await run_due(monitor)
    running = running_ids(monitor)
    assert len(running) == 7
    await advance(monitor, clock, STALL_AFTER - 10, step=5)
    assert not [e for e in events if e.kind == "stalled"]
    assert all(monitor.snapshots[i].stalled_since is None for i in running)

    await advance(monitor, clock, 20, step=5)
    stalled = [e for e in events if e.kind == "stalled"]
    assert {e.batch_id for e in stalled} == running  # pending, validating and processing
    assert len(stalled) == len(running)
    assert all(e.stalled_for >= STALL_AFTER for e in stalled)
    assert all(monitor.snapshots[i].stalled_since is not None for i in running)

    await advance(monitor, clock, 120, step=10)  # still stuck: no second event
    again = [e for e in events if e.kind == "stalled" and e.batch_id in running]
    assert len(again) == len(running)

    demo_api.faults.stall_rate = 0.0  # it moves again: the mark goes
    await advance(monitor, clock, 10, step=5)
    moving = [i for i in running if not monitor.snapshots[i].batch.is_terminal]
    assert moving and all(monitor.snapshots[i].stalled_since is None for i in running)


async def test_a_moving_batch_is_never_stalled_and_finished_ones_cost_nothing(
    client, clock, simulator
):
    monitor, events = monitor_with_events(client, clock)
    await run_due(monitor)
    spec = soonest_to_finish(simulator, clock())
    await advance(monitor, clock, 150, step=10)
    assert monitor.snapshots[spec.id].batch.status == "completed"
    processing = [i for i, s in monitor.snapshots.items() if s.batch.status == "processing"]
    assert processing and all(monitor.snapshots[i].stalled_since is None for i in processing)
    # Only batches that can still change are watched for stalls.
    assert len(monitor.fleet.stalls) == len(running_ids(monitor))
    assert not [e for e in events if e.kind == "stalled"]


async def test_batches_already_finished_when_first_seen_fire_no_event(client, clock, demo_api):
    demo_api.faults.unaccounted_rate = 1.0
    monitor, events = monitor_with_events(client, clock)
    await run_due(monitor)
    assert not [e for e in events if e.kind in ("completed", "failed", "cancelled")]
    # ...yet a completed batch whose counts do not add up is marked all the same.
    done = [s for s in monitor.snapshots.values() if s.batch.status == "completed"]
    assert done and all(unaccounted(s.batch) for s in done)


async def test_a_batch_completing_with_items_unaccounted_for_says_how_many(
    client, clock, demo_api, simulator
):
    demo_api.faults.unaccounted_rate = 1.0
    monitor, events = monitor_with_events(client, clock)
    await run_due(monitor)
    spec = soonest_to_finish(simulator, clock())
    await advance(monitor, clock, spec.finishes_at - clock() + 6)
    finished = [e for e in events if e.batch_id == spec.id]
    assert [e.kind for e in finished] == ["completed"]
    assert finished[0].unaccounted == spec.total_items // 10
    batch = monitor.snapshots[spec.id].batch
    assert batch.success_count + batch.failure_count == batch.total_items - spec.total_items // 10


async def test_a_batch_completing_in_order_has_nothing_unaccounted(client, clock, simulator):
    monitor, events = monitor_with_events(client, clock)
    await run_due(monitor)
    spec = soonest_to_finish(simulator, clock())
    await advance(monitor, clock, spec.finishes_at - clock() + 6)
    finished = [e for e in events if e.batch_id == spec.id]
    assert [(e.kind, e.unaccounted) for e in finished] == [("completed", None)]


def batch(**fields) -> Batch:
    return Batch(id="batch_x", **fields)


def test_unaccounted_counts_what_the_totals_miss_in_either_direction():
    ok = batch(status="completed", total_items=50, processed_items=50, success_count=48)
    assert unaccounted(ok) is None  # failure count unknown: cannot tell
    assert unaccounted(batch(**{**_counts(50, 50, 48, 2)})) is None
    assert unaccounted(batch(**_counts(50, 50, 45, 2))) == 3
    assert unaccounted(batch(**_counts(50, 47, 45, 2))) == 3
    assert unaccounted(batch(**_counts(50, 47, 40, 2))) == 8  # of the total, not processed
    assert unaccounted(batch(**_counts(50, 50, 50, 2))) == 2  # more counted than processed
    running = batch(**{**_counts(50, 20, 10, 2), "status": "processing"})
    assert unaccounted(running) is None  # only a completed batch must add up


def _counts(total: int, processed: int, ok: int, failed: int) -> dict:
    return {
        "status": "completed",
        "total_items": total,
        "processed_items": processed,
        "success_count": ok,
        "failure_count": failed,
    }


def test_a_stall_is_measured_on_the_clock_of_the_observations():
    watch = StallWatch(stall_after=100)
    moving = batch(status="processing", processed_items=5)
    assert watch.observe(moving, 0) == (None, False)
    assert watch.observe(moving, 99) == (None, False)
    assert watch.observe(moving, 100) == (0, True)
    assert watch.observe(moving, 500) == (0, False)  # once per stall
    moved = batch(status="processing", processed_items=6)
    assert watch.observe(moved, 501) == (None, False)
    assert watch.observe(moved, 601) == (501, True)  # stalled again: told again
    watch.forget("batch_x")
    assert len(watch) == 0


def test_a_pending_batch_has_been_pending_since_it_was_created():
    created = datetime.fromtimestamp(1000, tz=UTC)
    pending = batch(status="pending", processed_items=0, created_at=created)
    assert StallWatch(stall_after=100).observe(pending, 1100) == (1000, True)
    assert alarm_fields(pending, 1099, 100) == {"stalled": False, "unaccounted": None}
    assert alarm_fields(pending, 1100, 100) == {"stalled": True, "unaccounted": None}
    running = batch(status="processing", processed_items=3, created_at=created)
    assert alarm_fields(running, 9999, 100)["stalled"] is None  # one look cannot tell


def test_status_json_says_stalled_and_unaccounted(demo, demo_api, clock):
    demo_api.faults.unaccounted_rate = 1.0
    demo_api.faults.stall_rate = 1.0  # the pending batch stays pending
    settings = Settings(api_key=TEST_KEY, base_url=demo.url, stall_after=STALL_AFTER, solo=True)
    out = io.StringIO()
    assert run_status(settings, (), as_json=True, out=out, clock=clock) == 0
    shown = {row["name"]: row for row in json.loads(out.getvalue())}
    daily = shown["Daily fact check"]
    assert (daily["status"], daily["unaccounted"], daily["stalled"]) == ("completed", 5, False)
    assert shown["Legal summaries"]["unaccounted"] is None  # cancelled: not expected to add up
    assert shown["Article verification"]["stalled"] is None
    assert shown["Social posts triage"]["stalled"] is False  # pending for 2 s
    clock.advance(STALL_AFTER)
    out = io.StringIO()
    run_status(settings, (), as_json=True, out=out, clock=clock)
    later = {r["name"]: r for r in json.loads(out.getvalue())}["Social posts triage"]
    assert (later["status"], later["stalled"]) == ("pending", True)
