"""The monitor against the demo server: snapshots, final fetches, failures and the poll loop."""

from __future__ import annotations

import asyncio
import time

from batch_tui.api.client import CheckClient
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import Simulator
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.monitor.snapshot import Change
from helpers import EPOCH, TEST_KEY, advance, run_due, soonest_to_finish, wait_until


def gets(demo_api: DemoApi, batch_id: str) -> int:
    return demo_api.request_log.count(("GET", f"/v1/batch/{batch_id}"))


async def test_first_pass_is_one_discovery_that_shows_every_batch_newest_first(
    client, clock, demo_api, simulator
):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    rows = simulator.list_json(limit=100)["data"]
    assert list(monitor.snapshots) == [row["id"] for row in rows]
    assert demo_api.request_log == [("GET", "/v1/batch")]
    for row in rows:
        batch = monitor.snapshots[row["id"]].batch
        assert (batch.status, batch.processed_items) == (row["status"], row["processedItems"])
    assert monitor.status.state == "ok"
    assert monitor.status.rate_limit.limit is not None


async def test_processing_counts_come_from_one_sweep_per_interval(
    client, clock, demo_api, simulator
):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    await advance(monitor, clock, 5)
    assert demo_api.request_log[-1] == ("GET", "/v1/batch")
    processing = [r for r in simulator.list_json(limit=100)["data"] if r["status"] == "processing"]
    for row in processing:
        assert monitor.snapshots[row["id"]].batch.processed_items == row["processedItems"]
        assert monitor.snapshots[row["id"]].updated_at == clock()
    assert not any(path.startswith("/v1/batch/") for _, path in demo_api.request_log)


async def test_highlighting_a_batch_fetches_its_detail(client, clock, demo_api, simulator):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    target = next(i for i, s in monitor.snapshots.items() if s.batch.status == "processing")
    monitor.highlight(target)
    await run_due(monitor)
    snapshot = monitor.snapshots[target]
    assert snapshot.has_detail and snapshot.batch.total_input_tokens is not None
    assert gets(demo_api, target) == 1


async def test_a_batch_that_finishes_is_fetched_once_more_and_then_never(
    client, clock, demo_api, simulator
):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    spec = soonest_to_finish(simulator, clock())
    await advance(monitor, clock, spec.finishes_at - clock() + 6)
    assert monitor.snapshots[spec.id].batch.status == "completed"
    assert monitor.snapshots[spec.id].has_detail
    assert gets(demo_api, spec.id) == 1
    assert not monitor.snapshots[spec.id].polled
    await advance(monitor, clock, 300, step=5)
    monitor.refresh()
    await run_due(monitor)
    assert gets(demo_api, spec.id) == 1


async def test_a_row_not_refreshed_for_three_planned_intervals_is_stale(client, clock, simulator):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    target = next(i for i, s in monitor.snapshots.items() if s.batch.status == "processing")
    finished = next(i for i, s in monitor.snapshots.items() if s.batch.status == "completed")
    monitor.set_paused(True)
    clock.advance(15)
    assert not monitor.snapshots[target].is_stale(clock())
    clock.advance(1)
    assert monitor.snapshots[target].is_stale(clock())
    assert not monitor.snapshots[finished].is_stale(clock())  # final data never goes stale
    monitor.set_paused(False)
    await run_due(monitor)
    assert not monitor.snapshots[target].is_stale(clock())


async def test_a_failed_poll_keeps_the_last_good_data_marked_stale(client, clock, demo_api):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    active = [i for i, s in monitor.snapshots.items() if s.batch.status == "processing"]
    good = {i: monitor.snapshots[i].batch for i in active}
    demo_api.faults.status = 500
    await advance(monitor, clock, 5)
    assert monitor.status.state == "error"
    assert "server error" in monitor.status.last_error
    assert monitor.status.backing_off >= 1
    for batch_id in active:
        snapshot = monitor.snapshots[batch_id]
        assert snapshot.is_stale(clock())
        assert snapshot.batch == good[batch_id]
    demo_api.faults.status = None
    await advance(monitor, clock, 60)
    assert monitor.status.state == "ok"
    assert monitor.status.backing_off == 0
    assert not any(monitor.snapshots[i].is_stale(clock()) for i in active)


async def test_unauthorized_stops_all_polling_until_refresh(clock, simulator):
    api = DemoApi(simulator, api_key="vfy_the_right_one", rate_limit=0)
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=5, clock=clock)
            await run_due(monitor)
            assert monitor.status.state == "unauthorized"
            asked = len(api.request_log)
            assert asked == 1
            await advance(monitor, clock, 180, step=5)
            assert len(api.request_log) == asked
            monitor.refresh()
            await run_due(monitor)
            assert len(api.request_log) == asked + 1


async def test_a_429_pauses_every_request_until_retry_after(clock, simulator):
    api = DemoApi(simulator, rate_limit=3)
    with DemoServer(api) as server:
        async with CheckClient(server.url, "vfy_another_client_of_the_org") as other:
            for _ in range(3):  # another client of the organisation spends the whole minute
                await other.list_batches()
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=5, clock=clock)
            await run_due(monitor)
            assert monitor.status.state == "rate limited"
            refused = len(api.request_log)
            assert monitor.status.paused_until is not None
            clock.set(monitor.status.paused_until - 0.5)
            await run_due(monitor)
            assert len(api.request_log) == refused
            clock.set(monitor.status.paused_until)
            await run_due(monitor)
            assert len(api.request_log) > refused
            assert monitor.status.state == "ok"


async def test_the_budget_stops_requests_before_the_server_refuses_them(clock, simulator):
    api = DemoApi(simulator, rate_limit=10)
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=0.5, clock=clock)
            await advance(monitor, clock, 59, step=0.5)
            assert len(api.request_log) == 8  # 10 a minute, less the 20% headroom
            assert monitor.status.state == "ok"  # never a 429
            await advance(monitor, clock, 5, step=0.5)  # a new window
            assert len(api.request_log) > 8


async def test_cancel_sends_one_post_even_when_asked_twice_at_once(client, clock, demo_api):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    target = next(i for i, s in monitor.snapshots.items() if s.batch.status == "processing")
    first, second = await asyncio.gather(monitor.cancel(target), monitor.cancel(target))
    assert first.ok and first.sent
    assert not second.sent
    assert demo_api.request_log.count(("POST", f"/v1/batch/{target}/cancel")) == 1
    assert monitor.snapshots[target].batch.status == "cancelled"


async def test_cancel_of_a_finished_batch_reports_the_server_message(client, clock, demo_api):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    target = next(i for i, s in monitor.snapshots.items() if s.batch.status == "completed")
    outcome = await monitor.cancel(target)
    assert not outcome.ok
    assert "Cannot cancel batch" in outcome.message


async def test_the_loop_never_overlaps_polls_against_a_server_slower_than_the_interval():
    """Each answer takes two intervals: requests go one at a time and every batch updates."""
    start = time.monotonic()

    def fast_clock() -> float:
        # Twenty times real speed: the server's 50 ms delay is a full second of app time.
        return EPOCH + (time.monotonic() - start) * 20

    simulator = Simulator(seed=7, epoch=EPOCH, clock=fast_clock)
    api = DemoApi(simulator, rate_limit=0)
    api.faults.delay = 0.05
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=0.5, clock=fast_clock)
            loop = asyncio.create_task(monitor.run())
            try:
                await wait_until(lambda: monitor.status.last_success is not None)
                active = [
                    i for i, s in monitor.snapshots.items() if s.polled and not s.batch.is_terminal
                ]
                begun = len(api.request_log)
                # Every active batch is answered at least twice more: nothing starves.
                await wait_until(lambda: len(api.request_log) >= begun + 2 * len(active))
                # A batch that finished meanwhile had its final fetch: it is never polled again.
                active = [i for i in active if not monitor.snapshots[i].batch.is_terminal]
                seen = {i: monitor.snapshots[i].updated_at for i in active}
                await wait_until(
                    lambda: all(monitor.snapshots[i].updated_at > seen[i] for i in active)
                )
            finally:
                monitor.close()
                await loop
            assert api.max_in_flight == 1


async def test_a_poll_cycle_is_told_as_one_change_even_when_its_streams_drifted_apart(
    client, clock, demo_api
):
    """The processing sweep and the highlighted batch's detail fall due a moment
    apart (the detail was fetched 0.1 s after the sweep): both go out in one burst,
    and the screen is told once, so it draws one frame per poll, not two."""
    monitor = BatchMonitor(client, interval=2, clock=clock)
    told: list = []
    monitor.on_change = told.append
    loop = asyncio.create_task(monitor.run())
    try:
        await wait_until(lambda: monitor.status.next_poll is not None)
        target = next(i for i, s in monitor.snapshots.items() if s.batch.status == "processing")
        clock.advance(0.1)
        monitor.highlight(target)
        await wait_until(lambda: gets(demo_api, target) == 1)
        await wait_until(lambda: monitor.next_request() is None and told[-1:] == [Change()])
        told.clear()
        sent = len(demo_api.request_log)
        clock.advance(1.9)  # the sweep is due; the detail is 0.1 s away
        monitor.wake()
        await wait_until(lambda: gets(demo_api, target) == 2)
        await wait_until(lambda: monitor.next_request() is None and told[-1:] == [Change()])
    finally:
        monitor.close()
        await loop
    assert ("GET", "/v1/batch") in demo_api.request_log[sent:]  # the sweep went too
    news = [change for change in told if change != Change()]
    assert len(news) == 1
    assert target in news[0].changed


def test_two_changes_told_as_one_keep_what_the_later_one_says_of_a_row():
    first = Change(
        changed=frozenset({"a", "b"}), removed=frozenset({"c"}), finished=frozenset({"a"})
    )
    later = Change(changed=frozenset({"c"}), removed=frozenset({"b"}), reordered=True)
    both = first.then(later)
    assert both.changed == {"a", "c"}  # c came back, b went
    assert both.removed == {"b"}
    assert both.reordered and both.finished == {"a"}
