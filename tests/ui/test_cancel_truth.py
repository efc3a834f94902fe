"""A cancel is what the server says it is: only a 200 for that batch whose body says
``cancelled`` and a re-read that agrees counts as cancelled. "Cancellation requested",
an answer naming another batch, or a batch still running after it is "requested,
still running", for one batch and for many (a loopback server that answers so)."""

from __future__ import annotations

import json

import pytest

from apphelpers import notifications
from batch_tui.api.client import CheckClient
from batch_tui.demo.server import DemoApi
from batch_tui.monitor.bulk import CANCELLED, REQUESTED
from batch_tui.monitor.monitor import BatchMonitor, Change
from helpers import TEST_KEY, run_due, wait_until
from hostile_server import HostileServer, RawRequest, json_response

IDS = [f"batch_run{n}" for n in range(3)]
CREATED = "2026-01-15T09:00:0{n}Z"


def row(batch_id: str, status: str) -> dict:
    n = IDS.index(batch_id)
    return {
        "id": batch_id,
        "name": f"job {n}",
        "status": status,
        "totalItems": 100,
        "processedItems": 10,
        "createdAt": CREATED.format(n=n),
    }


class LyingServer:
    """Lists three pending batches; each cancel is answered with ``answer(id)``, and
    the batches really become cancelled only when ``honest`` is set."""

    def __init__(self, answer, *, honest: bool = False) -> None:
        self.answer = answer
        self.honest = honest
        self.status = dict.fromkeys(IDS, "pending")

    def __call__(self, request: RawRequest) -> bytes:
        path = request.path
        if path == "/v1/batch":
            data = [row(i, self.status[i]) for i in reversed(IDS)]
            page = {"data": data, "pagination": {"total": 3, "hasMore": False}}
            return json_response(json.dumps(page))
        batch_id = path.split("/")[3]
        if request.method == "POST":
            if self.honest:
                self.status[batch_id] = "cancelled"
            return json_response(json.dumps(self.answer(batch_id)))
        return json_response(json.dumps(row(batch_id, self.status[batch_id])))


REQUESTED_ANSWER = {"status": "processing", "message": "Cancellation requested"}
LIES = {
    "requested": lambda i: {"id": i, **REQUESTED_ANSWER},
    "another id": lambda i: {"id": "batch_other", "status": "cancelled", "message": "Batch cancelled"},
    "says cancelled, still pending": lambda i: {"id": i, "status": "cancelled", "message": "Batch cancelled"},
}


async def monitor_for(server: HostileServer, clock, events: list) -> BatchMonitor:
    def collect(change: Change) -> None:
        events.extend(change.events)

    client = CheckClient(server.url, TEST_KEY)
    monitor = BatchMonitor(client, interval=5, clock=clock, on_change=collect)
    await run_due(monitor)
    assert set(monitor.snapshots) == set(IDS)
    return monitor


@pytest.mark.parametrize("lie", LIES)
async def test_one_cancel_the_server_did_not_carry_out_is_not_reported_as_done(clock, lie):
    events: list = []
    with HostileServer(LyingServer(LIES[lie])) as server:
        monitor = await monitor_for(server, clock, events)
        outcome = await monitor.cancel(IDS[0])
        await monitor.aclose()
    assert not outcome.ok and outcome.requested
    assert "still pending" in outcome.message
    assert monitor.snapshots[IDS[0]].batch.status == "pending"  # the row tells the truth
    assert not [e for e in events if e.kind == "cancelled"]


@pytest.mark.parametrize("lie", LIES)
async def test_a_cancel_of_many_the_server_did_not_carry_out_is_requested(clock, lie):
    events: list = []
    with HostileServer(LyingServer(LIES[lie])) as server:
        monitor = await monitor_for(server, clock, events)
        outcomes = await monitor.cancel_many(IDS)
        await monitor.aclose()
    assert outcomes is not None
    assert [o.outcome for o in outcomes] == [REQUESTED] * 3
    assert all("still pending" in o.message for o in outcomes)
    assert {s.batch.status for s in monitor.snapshots.values()} == {"pending"}
    assert not [e for e in events if e.kind == "cancelled"]


async def test_a_cancel_the_server_carried_out_is_cancelled_and_fires_the_event(clock):
    events: list = []
    finished: set[str] = set()
    answer = LIES["says cancelled, still pending"]
    with HostileServer(LyingServer(answer, honest=True)) as server:
        monitor = await monitor_for(server, clock, events)
        on_change = monitor.on_change
        assert on_change is not None

        def collect(change: Change) -> None:
            finished.update(change.finished)
            on_change(change)

        monitor.on_change = collect
        one = await monitor.cancel(IDS[0])
        many = await monitor.cancel_many(IDS[1:])
        await monitor.aclose()
    assert one.ok and not one.requested
    assert many is not None and [o.outcome for o in many] == [CANCELLED] * 2
    cancelled = [e.batch_id for e in events if e.kind == "cancelled"]
    assert sorted(cancelled) == sorted(IDS)  # each once, for hooks and the desktop
    # On screen the cancel's own outcome says it: no second "Batch finished" toast.
    assert not finished


class RequestedOnly(DemoApi):
    """The demo server, but a cancel is only ever "requested": the batch runs on."""

    async def cancel_batch(self, request):
        batch_id = request.path_params["batch_id"]
        return {"id": batch_id, **REQUESTED_ANSWER}


async def test_the_dashboard_says_requested_still_running_not_cancelled(clock, simulator):
    from apphelpers import cell, first_with_status, move_to, running
    from batch_tui.demo.server import DemoServer

    target = first_with_status(simulator, "processing")
    with DemoServer(RequestedOnly(simulator, rate_limit=0)) as server:
        async with running(server, clock, notifications=True) as pilot:
            app = pilot.app
            await move_to(pilot, target["id"])
            await pilot.press("c", "y")
            title = "Cancel requested, still running"
            await wait_until(lambda: any(n.title == title for n in notifications(app)), pilot=pilot)
            titles = {n.title for n in notifications(app)}
            message = next(n.message for n in notifications(app) if n.title == title)
            assert "Cancelled" not in titles
            assert message.startswith(f"{target['id']}: requested, but the batch is still processing")
            assert cell(app, target["id"], "status") == "processing"
