"""A hostile server against the monitor: it never freezes, floods or loses the last good rows.

Each test talks real HTTP to the demo server with one of its fault kinds switched
on, on a fake clock.
"""

from __future__ import annotations

from batch_tui.monitor.backoff import MAX_SERVER_WAIT
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.monitor.scheduler import REFRESH_COALESCE
from helpers import TEST_KEY, advance, run_due


async def test_an_absurd_retry_after_holds_five_minutes_at_most_and_r_probes_at_once(
    client, clock, demo_api
):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    demo_api.faults.hugereset_rate = 1.0
    await advance(monitor, clock, 5)
    assert monitor.status.state == "rate limited"
    assert monitor.scheduler.paused_until <= clock() + MAX_SERVER_WAIT
    sent = len(demo_api.request_log)
    await advance(monitor, clock, 60, step=5)
    assert len(demo_api.request_log) == sent  # the hold is kept...
    demo_api.faults.hugereset_rate = 0.0
    clock.advance(REFRESH_COALESCE)
    monitor.refresh()  # ...until the user asks: one probe, and its success ends it
    await run_due(monitor)
    assert monitor.status.state == "ok"
    assert monitor.scheduler.paused_until is None
    assert len(demo_api.request_log) > sent


async def test_a_reset_in_milliseconds_stops_polling_for_one_window_at_most(
    client, clock, demo_api
):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    demo_api.faults.msreset_rate = 1.0
    await advance(monitor, clock, 5)
    demo_api.faults.msreset_rate = 0.0
    wakeup = monitor.scheduler.next_wakeup(clock())
    assert wakeup is not None and wakeup <= clock() + 60
    sent = len(demo_api.request_log)
    await advance(monitor, clock, 65, step=5)
    assert len(demo_api.request_log) > sent
    assert monitor.status.state == "ok"


async def test_a_malformed_list_keeps_the_last_good_rows(client, clock, demo_api):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    rows = dict(monitor.snapshots)
    demo_api.faults.badlist_rate = 1.0
    for _ in range(3):  # null, {} and [1, "x", null] in turn
        clock.advance(60)
        monitor.refresh()
        await run_due(monitor)
    assert monitor.status.state == "error"
    assert "bad response" in (monitor.status.last_error or "")
    assert set(monitor.snapshots) == set(rows)


async def test_endless_pagination_costs_at_most_our_share_and_is_said(clock, simulator):
    from batch_tui.api.client import CheckClient
    from batch_tui.demo.server import DemoApi, DemoServer

    api = DemoApi(simulator, rate_limit=200)
    api.faults.endless_rate = 1.0
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY, clock=clock) as client:
            monitor = BatchMonitor(client, interval=2, clock=clock)
            await advance(monitor, clock, 180, step=0.5)
            per_minute = monitor.budget.requests_last_minute(clock())
            assert per_minute <= 200 * 0.8
            assert "page cap" in (monitor.status.notice or "")
            assert len(monitor.snapshots) < 20_000


async def test_a_key_echoed_by_the_server_never_reaches_the_status(clock, simulator):
    from batch_tui.api.client import CheckClient
    from batch_tui.demo.server import DemoApi, DemoServer

    api = DemoApi(simulator, rate_limit=0)
    api.faults.echokey_rate = 1.0
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY, clock=clock) as client:
            monitor = BatchMonitor(client, interval=5, clock=clock)
            await run_due(monitor)
    assert monitor.status.state == "unauthorized"
    assert TEST_KEY not in repr(monitor.status)
    assert "<redacted>" in (monitor.status.last_error or "")


async def test_a_detail_with_600000_validation_errors_keeps_what_can_be_shown_and_counts_the_rest():
    import json

    from batch_tui.api.client import CheckClient
    from batch_tui.api.models import MAX_VALIDATION_ERRORS
    from hostile_server import HostileServer, json_response

    errors = ["x"] * 600_000  # plain strings are accepted as errors: 2.4 MB of them
    body = json.dumps({"id": "batch_x", "status": "failed", "validationErrors": errors})
    with HostileServer(json_response(body)) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            batch = await client.get_batch("batch_x")
    assert len(batch.validation_errors) == MAX_VALIDATION_ERRORS
    assert batch.validation_error_count == 600_000
    assert batch.validation_errors[-1].error == "x"
