"""Cancelling many batches through the monitor, against the demo server: one POST each,
finished batches skipped, and never more requests than the rate budget allows."""

from __future__ import annotations

import asyncio

from batch_tui.api.client import CheckClient
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.monitor.bulk import CANCELLED, FAILED, FINISHED
from batch_tui.monitor.monitor import BatchMonitor
from helpers import TEST_KEY, run_due, wait_until


def posts(api: DemoApi) -> list[str]:
    return [path for method, path in api.request_log if method == "POST"]


def by_status(monitor: BatchMonitor, *statuses: str) -> list[str]:
    return [i for i, s in monitor.snapshots.items() if s.batch.status in statuses]


CANCELLABLE = ("pending", "validating", "processing")


async def test_each_batch_gets_one_post_and_finished_ones_none(client, clock, demo_api, simulator):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    running = by_status(monitor, *CANCELLABLE)
    done = by_status(monitor, "completed", "failed")
    outcomes = await monitor.cancel_many([*running, *done[:2]])
    assert outcomes is not None
    assert [o.batch_id for o in outcomes] == [*running, *done[:2]]
    assert [o.outcome for o in outcomes] == [CANCELLED] * len(running) + [FINISHED] * 2
    assert sorted(posts(demo_api)) == sorted(f"/v1/batch/{i}/cancel" for i in running)
    for batch_id in running:
        assert simulator.get_json(batch_id)["status"] == "cancelled"
        assert monitor.snapshots[batch_id].batch.status == "cancelled"
    assert outcomes[-1].message == simulator.get_json(done[1])["status"]
    assert monitor.status.cancelling is None and not monitor.bulk_cancelling
    # Each answer is a claim the batch read once after it confirms; the polls then
    # have nothing left to ask of a batch seen cancelled.
    await run_due(monitor)
    for batch_id in running:
        assert demo_api.request_log.count(("GET", f"/v1/batch/{batch_id}")) == 1
        assert monitor.snapshots[batch_id].has_detail


async def test_a_second_cancel_of_many_while_one_runs_sends_nothing(client, clock, demo_api):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    running = by_status(monitor, "processing")
    first, second = await asyncio.gather(monitor.cancel_many(running), monitor.cancel_many(running))
    assert first is not None and second is None
    assert len(posts(demo_api)) == len(running)


async def test_a_refused_cancel_is_reported_and_the_rest_go_on(client, clock, demo_api, simulator):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    first, second, third = by_status(monitor, "processing")[:3]
    simulator.cancel(first)  # by someone else: the monitor still thinks it runs
    demo_api.faults.status = 404
    demo_api.faults.error = {"code": "not_found", "message": "Batch not found"}
    refused = await monitor.cancel_many([second])
    demo_api.faults.clear()
    outcomes = await monitor.cancel_many([first, third])
    assert refused is not None and outcomes is not None
    assert (refused[0].outcome, refused[0].message) == (FAILED, "Batch not found")
    # Refused because it had finished: read again (one GET) and said so.
    assert (outcomes[0].outcome, outcomes[0].message) == (FINISHED, "cancelled")
    assert demo_api.request_log.count(("GET", f"/v1/batch/{first}")) == 1
    assert outcomes[1].outcome == CANCELLED
    assert len(posts(demo_api)) == 3


async def test_many_cancels_wait_for_the_budget_and_never_overspend_it(clock, simulator):
    api = DemoApi(simulator, rate_limit=6)  # 20% headroom: 4 a minute are ours
    sent_at: list[float] = []
    check = api.limiter.check

    def counted():
        sent_at.append(clock())
        return check()

    api.limiter.check = counted  # type: ignore[method-assign]
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=5, clock=clock)
            await run_due(monitor)
            # Those that run for over three minutes yet: the test moves the clock on.
            lasting = {s.id for s in simulator.specs(clock()) if s.finishes_at > clock() + 200}
            running = [i for i in by_status(monitor, *CANCELLABLE) if i in lasting]
            assert len(running) == 4
            task = asyncio.create_task(monitor.cancel_many(running))
            waits = 0
            while not task.done():
                await wait_until(lambda: task.done() or waiting_for_budget(monitor, clock))
                if not task.done():
                    waits += 1
                    progress = monitor.status.cancelling
                    assert progress is not None and progress.waiting_until is not None
                    clock.set(progress.waiting_until)
            outcomes = task.result()
    assert outcomes is not None
    assert [o.outcome for o in outcomes] == [CANCELLED] * len(running)
    assert sorted(posts(api)) == sorted(f"/v1/batch/{i}/cancel" for i in running)
    assert waits >= 1  # four cancels and the discovery do not fit one minute of 4
    assert monitor.failures["rate limited"] == 0
    busiest = max(sum(1 for t in sent_at if start <= t < start + 60) for start in sent_at)
    assert busiest <= 4


def waiting_for_budget(monitor: BatchMonitor, clock) -> bool:
    progress = monitor.status.cancelling
    return (
        progress is not None
        and progress.waiting_until is not None
        and progress.waiting_until > clock()
    )


async def test_a_429_holds_the_cancels_and_the_same_batch_is_sent_again_after_it(
    client, clock, demo_api
):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    first, second = by_status(monitor, "processing")[:2]
    demo_api.faults.burst_429 = 1  # the first cancel is refused for the rate limit
    task = asyncio.create_task(monitor.cancel_many([first, second]))
    await wait_until(lambda: task.done() or waiting_for_budget(monitor, clock))
    assert not task.done() and monitor.scheduler.paused_until is not None
    assert posts(demo_api) == [f"/v1/batch/{first}/cancel"]
    assert monitor.next_request() is None  # the polls hold too
    clock.set(monitor.scheduler.paused_until)
    outcomes = await task
    assert outcomes is not None and [o.outcome for o in outcomes] == [CANCELLED, CANCELLED]
    assert posts(demo_api) == [f"/v1/batch/{i}/cancel" for i in (first, first, second)]


async def test_a_rejected_key_stops_the_cancels_still_to_send(client, clock, demo_api):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    first, second = by_status(monitor, "processing")[:2]
    demo_api.faults.status = 401
    outcomes = await monitor.cancel_many([first, second])
    assert outcomes is not None and [o.outcome for o in outcomes] == [FAILED, FAILED]
    assert "API key was rejected" in outcomes[1].message
    assert posts(demo_api) == [f"/v1/batch/{first}/cancel"]
    assert monitor.status.state == "unauthorized"
