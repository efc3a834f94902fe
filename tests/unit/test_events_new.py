"""Events the operator relies on: a batch created after start-up and first seen
already finished (a quick failure) is announced; what was finished at start-up is
not; a failure-rate alarm fires once per rise of the rate, whatever happens to its row."""

from __future__ import annotations

import json

from batch_tui.api.client import CheckClient
from batch_tui.api.models import Batch
from batch_tui.monitor.fleet import Fleet
from batch_tui.monitor.monitor import BatchMonitor, Change
from batch_tui.monitor.snapshot import Snapshot
from helpers import EPOCH, TEST_KEY, advance, run_due
from hostile_server import HostileServer, json_response


def summary(batch_id: str, status: str, created: str) -> dict:
    return {"id": batch_id, "name": batch_id, "status": status, "totalItems": 10,
            "processedItems": 10 if status != "pending" else 0, "createdAt": created}


class Listing:
    """A list the test changes as it goes (newest first)."""

    def __init__(self, *rows: dict) -> None:
        self.rows = list(rows)

    def __call__(self, request) -> bytes:
        if request.path == "/v1/batch":
            status = next((p.split("=")[1] for p in request.target.split("?")[-1].split("&")
                           if p.startswith("status=")), None)
            rows = [r for r in self.rows if status in (None, r["status"])]
            page = {"data": rows, "pagination": {"total": len(rows), "hasMore": False}}
            return json_response(json.dumps(page))
        batch_id = request.path.split("/")[3]
        return json_response(json.dumps(next(r for r in self.rows if r["id"] == batch_id)))


async def test_a_batch_created_after_start_and_first_seen_failed_fires_failed(clock):
    events: list = []
    finished: set[str] = set()

    def collect(change: Change) -> None:
        events.extend(change.events)
        finished.update(change.finished)

    old = summary("batch_old", "failed", "2026-01-15T09:00:00Z")  # finished before start
    listing = Listing(old)
    with HostileServer(listing) as server:
        client = CheckClient(server.url, TEST_KEY)
        monitor = BatchMonitor(client, interval=5, clock=clock, on_change=collect)
        await run_due(monitor)
        assert "batch_old" in monitor.snapshots and not events
        # Created and failed validation between two looks.
        listing.rows.insert(0, summary("batch_quick", "failed", "2026-01-15T10:00:10Z"))
        await advance(monitor, clock, 60, step=5)
        await monitor.aclose()
    assert [(e.kind, e.batch_id) for e in events] == [("failed", "batch_quick")]
    assert finished == {"batch_quick"}  # the notification and the bell read this


def batch(processed: int, failed: int) -> Batch:
    return Batch(id="b", status="processing", total_items=1000, processed_items=processed,
                 failure_count=failed, success_count=processed - failed)


def alarms(fleet: Fleet) -> list[str]:
    return [e.batch_id for e in fleet.take_events()[2] if e.kind == "failure_alarm"]


def test_a_failure_alarm_fires_once_per_rise_even_when_its_row_goes_and_comes_back():
    fleet = Fleet(alarm_rate=0.2, alarm_min_items=10)
    first = fleet.observe(None, Snapshot(batch(100, 50), updated_at=EPOCH))
    fleet.put(first)
    assert alarms(fleet) == ["b"]
    fleet.remove("b")  # e.g. left a status filter for a moment, or let go and read again
    again = fleet.observe(None, Snapshot(batch(110, 55), updated_at=EPOCH + 23))
    fleet.put(again)
    assert alarms(fleet) == []  # the rate never dropped: no second alarm
    lower = fleet.observe(again, Snapshot(batch(500, 60), updated_at=EPOCH + 60))
    fleet.put(lower)
    assert alarms(fleet) == []
    rise = fleet.observe(lower, Snapshot(batch(600, 200), updated_at=EPOCH + 90))
    assert alarms(fleet) == ["b"]  # dropped below, then rose again: told again
    assert rise.alarm


async def test_hooks_are_told_the_profile_and_the_server_the_event_is_from(tmp_path):
    import sys

    from batch_tui.session import connect
    from batch_tui.settings.config import Settings
    from helpers import RECORDER, event, recorded

    out = tmp_path / "hook.jsonl"
    settings = Settings(
        api_key=TEST_KEY,
        base_url="https://ops:pw@staging.example.com:8443",
        profile="staging",
        on_event=(sys.executable, "-c", RECORDER, str(out)),
        store=False,
    )
    connection = connect(settings)
    assert connection.hooks is not None
    assert await connection.hooks.run(event()) is None
    await connection.monitor.aclose()
    [run] = recorded(out)
    assert run["env"]["BATCH_PROFILE"] == "staging"
    assert run["env"]["BATCH_BASE_URL"] == "https://staging.example.com:8443"  # no password
