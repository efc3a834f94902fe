"""Long-lived organisations: request cost follows activity, not history; the local store
makes a restart instant; every request goes through the one gate.

Everything here talks real HTTP to the demo server on loopback, on a fake clock.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import RateLimited
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import Simulator
from batch_tui.monitor.listing import ORDER_NOTICE
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.monitor.snapshot import UNCONFIRMED
from batch_tui.store import Store, store_path
from helpers import EPOCH, TEST_KEY, advance, run_due, soonest_to_finish, wait_until

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def details(api: DemoApi) -> list[str]:
    return [path for method, path in api.request_log if path.startswith("/v1/batch/")]


def open_store(directory: Path, url: str) -> Store:
    return Store.open(store_path(url, TEST_KEY, directory), base_url=url)


# ── cost follows activity ────────────────────────────────────────────────────


async def requests_in_steady_state(history: int, clock) -> tuple[int, int]:
    """Requests sent in the second and third minute against ``history`` finished batches."""
    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock, fleet=history + 5, active=5)
    api = DemoApi(simulator, rate_limit=0)
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=2, clock=clock)
            await run_due(monitor)
            await advance(monitor, clock, 60)
            begun = len(api.request_log)
            await advance(monitor, clock, 120)
            return len(api.request_log) - begun, len(monitor.snapshots)


async def test_the_steady_cost_is_the_same_for_a_long_history_as_for_a_short_one():
    from batch_tui.core.clock import FakeClock

    short, short_rows = await requests_in_steady_state(100, FakeClock(EPOCH))
    long, long_rows = await requests_in_steady_state(1500, FakeClock(EPOCH))
    assert long == short
    # Finished history is not listed again and again: about one request per interval.
    assert short <= 120 / 2 * 1.5
    # History beyond the newest page loads only when wanted.
    assert long_rows <= 100 + 5


async def test_a_sweep_that_meets_an_unknown_batch_adds_it(client, clock, simulator):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    gone = next(i for i, s in monitor.snapshots.items() if s.batch.status == "processing")
    monitor.fleet.remove(gone)
    await advance(monitor, clock, 5)
    assert gone in monitor.snapshots


async def test_history_loads_only_when_wanted_and_within_its_share(clock):
    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock, fleet=505, active=5)
    api = DemoApi(simulator, rate_limit=200)
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=2, clock=clock)
            await run_due(monitor)
            assert len(monitor.snapshots) == 100
            assert "older batches load as you scroll" in (monitor.status.history or "")
            monitor.want_history(True)
            await advance(monitor, clock, 60)
            pages = sum(1 for m, p in api.request_log if p == "/v1/batch")
            assert len(monitor.snapshots) == 505
            assert monitor.status.history is None
            # 10% of our 160 a minute: the walk through 4 more pages took its time.
            assert monitor.scheduler.history_every() >= 60 / 16 - 1e-9
            assert pages < 60
            monitor.want_history(False)


async def test_a_list_that_is_not_newest_first_is_noticed_and_said(clock):
    class OldestFirst(DemoApi):
        async def list_batches(self, request):
            data = await super().list_batches(request)
            data["data"] = data["data"][::-1]
            return data

    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock)
    api = OldestFirst(simulator, rate_limit=0)
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=5, clock=clock)
            await run_due(monitor)
            assert monitor.status.notice == ORDER_NOTICE
            assert monitor.scheduler.unordered


async def test_endless_pagination_is_cut_at_the_page_cap_and_said(clock):
    class Endless(DemoApi):
        served = 0

        async def list_batches(self, request):
            data = self.simulator.list_json(limit=100, offset=0)  # whatever the offset
            Endless.served += 1
            for row in data["data"]:
                row["id"] = f"{row['id']}_{Endless.served}"  # fresh ids on every page
            data["pagination"] = {"hasMore": True}  # and no total to stop at
            return data

    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock)
    api = Endless(simulator, rate_limit=200)
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=5, clock=clock)
            await advance(monitor, clock, 120)
            assert monitor.budget.requests_last_minute(clock()) <= 200 * 0.8
            assert "page cap" in (monitor.status.notice or "")
            assert len(monitor.scheduler.tracked()) < 2000


# ── the local store ──────────────────────────────────────────────────────────


async def test_a_restart_draws_the_stored_rows_at_once_and_fetches_only_what_is_newer(
    tmp_path, clock, simulator, demo, demo_api
):
    async with CheckClient(demo.url, TEST_KEY) as client:
        first = BatchMonitor(client, interval=5, clock=clock, store=open_store(tmp_path, demo.url))
        await run_due(first)
        for batch_id in list(first.snapshots):  # every detail seen once
            first.highlight(batch_id)
            await run_due(first)
        seen = dict(first.snapshots)
        first.store.close()
    clock.advance(5)
    demo_api.request_log.clear()
    async with CheckClient(demo.url, TEST_KEY) as client:
        second = BatchMonitor(client, interval=5, clock=clock, store=open_store(tmp_path, demo.url))
        # Before any request: every row, the running ones marked as not yet confirmed.
        assert list(second.snapshots) == list(seen)
        assert demo_api.request_log == []
        running = [i for i, s in seen.items() if not s.batch.is_terminal]
        assert running and all(second.snapshots[i].error == UNCONFIRMED for i in running)
        assert all(second.snapshots[i].is_stale(clock()) for i in running)
        finished = [i for i, s in seen.items() if s.batch.is_terminal]
        assert all(second.snapshots[i].has_detail for i in finished)
        await run_due(second)
        assert all(second.snapshots[i].error is None for i in second.snapshots)
        # One page of the list showed nothing new: no more pages, and no finished batch
        # is fetched again, even when highlighted (its final detail is stored).
        for batch_id in finished:
            second.highlight(batch_id)
            await run_due(second)
        assert not [p for p in details(demo_api) if p.split("/")[-1] in finished]
        # Discovery's one page and a sweep per running status; nothing else listed.
        assert demo_api.request_log.count(("GET", "/v1/batch")) <= 4
        second.store.close()


async def test_pace_and_eta_survive_a_restart(tmp_path, clock, simulator, demo):
    async with CheckClient(demo.url, TEST_KEY) as client:
        first = BatchMonitor(client, interval=5, clock=clock, store=open_store(tmp_path, demo.url))
        await run_due(first)
        await advance(first, clock, 60, step=5)
        target = next(i for i, s in first.snapshots.items() if s.batch.status == "processing")
        pace = first.progress[target].items_per_minute()
        assert pace
        first.store.close()
    async with CheckClient(demo.url, TEST_KEY) as client:
        second = BatchMonitor(client, interval=5, clock=clock, store=open_store(tmp_path, demo.url))
        assert second.progress[target].items_per_minute() == pytest.approx(pace)
        second.store.close()


async def test_a_corrupt_store_leaves_the_monitor_running_and_says_why(tmp_path, clock, demo):
    path = store_path(demo.url, TEST_KEY, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00garbage" * 1000)
    from batch_tui.session import make_monitor
    from batch_tui.settings.config import Settings

    settings = Settings(api_key=TEST_KEY, base_url=demo.url, solo=True)
    import os

    os.environ["BATCH_TUI_STATE_DIR"], previous = (
        str(tmp_path.parent),
        os.environ.get("BATCH_TUI_STATE_DIR"),
    )
    try:
        (tmp_path.parent / "store").mkdir(exist_ok=True)
        target = store_path(demo.url, TEST_KEY)
        target.write_bytes(path.read_bytes())
        monitor = make_monitor(settings, clock=clock)
    finally:
        os.environ["BATCH_TUI_STATE_DIR"] = previous or ""
    assert not monitor.store.active
    assert "not usable" in (monitor.status.notice or "")
    await run_due(monitor)
    assert monitor.status.state == "ok" and monitor.snapshots
    await monitor.aclose()


# ── one gate for every request ───────────────────────────────────────────────


async def test_walking_the_whole_list_while_paused_sends_nothing(clock, simulator, demo, demo_api):
    async with CheckClient(demo.url, TEST_KEY) as client:
        monitor = BatchMonitor(client, interval=5, clock=clock)
        await run_due(monitor)
        finished = [i for i, s in monitor.snapshots.items() if s.batch.is_terminal]
        monitor.set_paused(True)
        sent = len(demo_api.request_log)
        loop = asyncio.create_task(monitor.run())
        try:
            for _ in range(3):
                for batch_id in monitor.snapshots:
                    monitor.highlight(batch_id)  # wakes the loop every time
                    await asyncio.sleep(0)
                clock.advance(30)
                monitor.wake()
                await asyncio.sleep(0.05)
            assert len(demo_api.request_log) == sent
        finally:
            monitor.close()
            await loop
        # Resuming sends what is due now, not a detail for every row walked past.
        monitor.set_paused(False)
        await run_due(monitor)
        fetched = {p.split("/")[3] for _, p in demo_api.request_log[sent:] if p.count("/") >= 3}
        assert not fetched & set(finished[:-1])


async def test_during_a_429_hold_nothing_is_sent_not_even_item_errors_or_results(clock, simulator):
    api = DemoApi(simulator, rate_limit=0)
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=5, clock=clock)
            await run_due(monitor)
            failing = next(
                i
                for i, s in monitor.snapshots.items()
                if s.batch.failure_count and not s.batch.is_terminal
            )
            api.faults.burst_429 = 1
            await advance(monitor, clock, 5)
            assert monitor.status.state == "rate limited"
            held = len(api.request_log)
            monitor.highlight(failing)
            await run_due(monitor)
            with pytest.raises(RateLimited):
                await monitor.results_page(failing)
            await advance(monitor, clock, 0.5, step=0.5)
            assert len(api.request_log) == held
            await advance(monitor, clock, 5)
            assert f"/v1/batch/{failing}/results" in [p for _, p in api.request_log]
            assert failing in monitor.item_errors


async def test_item_errors_come_from_the_monitor_once_per_failure_count(client, clock, demo_api):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    failing = next(i for i, s in monitor.snapshots.items() if s.batch.failure_count)
    monitor.highlight(failing)
    await run_due(monitor)
    await run_due(monitor)
    path = f"/v1/batch/{failing}/results"
    assert [p for _, p in demo_api.request_log].count(path) == 1
    assert all(item.status == "failed" for item in monitor.item_errors[failing].items)


async def test_a_finished_batch_leaves_no_state_behind(client, clock, simulator):
    monitor = BatchMonitor(client, interval=5, clock=clock)
    await run_due(monitor)
    spec = soonest_to_finish(simulator, clock())
    assert spec.id in monitor.scheduler.tracked()
    await advance(monitor, clock, spec.finishes_at - clock() + 6)
    assert spec.id not in monitor.scheduler.tracked()
    assert spec.id not in monitor.progress


# ── a cancel reports what really happened ────────────────────────────────────


def batch_body(status: str) -> bytes:
    fields = {"id": "batch_x", "name": "X", "status": status, "totalItems": 10}
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    ("cancel_answer", "status_after", "ok", "says"),
    [
        (b"", "cancelled", True, "re-reading it shows so"),  # 204, applied
        (b"<html>ok</html>", "processing", False, "still processing"),  # 200, not applied
        (None, "cancelled", True, "re-reading it shows so"),  # no answer in time, applied
    ],
)
async def test_an_unclear_cancel_answer_is_checked_by_reading_the_batch_again(
    cancel_answer, status_after, ok, says
):
    from hostile_server import HostileServer, json_response, response

    async def hang():
        await asyncio.sleep(5)
        yield b""

    def answer(request):
        if request.method == "POST":
            if cancel_answer is None:
                return hang()
            status = 204 if cancel_answer == b"" else 200
            return response(status, cancel_answer, headers={"Content-Type": "text/html"})
        return json_response(batch_body(status_after))

    with HostileServer(answer) as server:
        # Two seconds: the prompt answers arrive well inside it on a busy machine, and the
        # hung cancel (five seconds) never does.
        async with CheckClient(server.url, TEST_KEY, deadline=2.0) as client:
            monitor = BatchMonitor(client, interval=5, watch=["batch_x"])
            outcome = await monitor.cancel("batch_x")
    assert (outcome.ok, outcome.sent) == (ok, True)
    assert says in outcome.message
    assert [r.method for r in server.requests] == ["POST", "GET"]
    assert monitor.snapshots["batch_x"].batch.status == status_after


async def test_stored_history_is_drawn_only_when_wanted_and_costs_no_request(
    tmp_path, clock, demo, demo_api
):
    from datetime import UTC, datetime

    from batch_tui.api.models import Batch
    from batch_tui.monitor.persist import FIRST_ROWS
    from batch_tui.store import StoredBatch
    from helpers import wait_until

    store = open_store(tmp_path, demo.url)
    old = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    store.save(
        [
            StoredBatch(
                Batch.from_json(
                    {
                        "id": f"batch_old{n:05d}",
                        "status": "completed",
                        "createdAt": datetime.fromtimestamp(old - n * 60, UTC).isoformat(),
                    }
                ),
                updated_at=old,
                detail_at=old,
            )
            for n in range(3 * FIRST_ROWS)
        ]
    )
    store.set_meta("history_complete", "1")
    async with CheckClient(demo.url, TEST_KEY) as client:
        monitor = BatchMonitor(client, interval=5, clock=clock, store=store)
        assert len(monitor.snapshots) == FIRST_ROWS
        loop = asyncio.create_task(monitor.run())
        try:
            await wait_until(lambda: monitor.status.last_success is not None)
            assert len(monitor.snapshots) < 3 * FIRST_ROWS  # nobody asked for the rest
            sent = len(demo_api.request_log)
            monitor.want_history(True)
            await wait_until(lambda: len(monitor.snapshots) >= 3 * FIRST_ROWS)
            assert len(demo_api.request_log) == sent  # all of it came from the store
            assert monitor.status.history is None
        finally:
            monitor.close()
            await loop
        monitor.store.close()


async def test_discovery_reads_one_page_when_a_new_batch_arrives_after_a_cold_start(clock):
    class Recording(DemoApi):
        offsets: list[int] = []

        async def list_batches(self, request):
            if not request.query_params.get("status"):
                Recording.offsets.append(int(request.query_params.get("offset", 0)))
            return await super().list_batches(request)

    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock, fleet=1005, active=5)
    with DemoServer(Recording(simulator, rate_limit=0)) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            monitor = BatchMonitor(client, interval=5, clock=clock)
            await run_due(monitor)
            known = set(monitor.snapshots)
            for _ in range(40):  # until a new batch has arrived and been discovered
                await advance(monitor, clock, 30, step=5)
                if set(monitor.snapshots) - known:
                    break
            assert set(monitor.snapshots) - known, "no new batch arrived"
            assert Recording.offsets and max(Recording.offsets) == 0  # never past page one
            assert len(monitor.snapshots) <= 100 + 5


async def test_a_burst_is_written_once_and_what_the_window_lets_go_is_stored_first(
    tmp_path, clock
):
    """The loop writes the store once per burst of answers (one transaction, one trip
    to the writer thread), not once per answer; and a batch the memory window lets go
    in that burst reaches the store before it leaves memory."""
    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock, fleet=300, active=5)
    api = DemoApi(simulator, rate_limit=0)
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            url = server.url
            store = open_store(tmp_path, url)
            monitor = BatchMonitor(client, interval=2, clock=clock, store=store, keep_finished=20)
            link = monitor.state.store
            writes: list[int] = []
            real_save = link.save

            def counted(snapshots, now):
                snapshots = list(snapshots)
                writes.append(len(snapshots))
                real_save(snapshots, now)

            link.save = counted
            task = asyncio.create_task(monitor.run())
            try:
                await wait_until(lambda: bool(writes) and monitor.next_request() is None)
                seen = {b.id for b in (await client.list_batches(limit=100)).batches}
                # The next burst: the sweep of running batches and the highlighted one's
                # detail, due together; the clock is frozen, so it is one burst.
                running = next(i for i, s in monitor.snapshots.items() if not s.batch.is_terminal)
                monitor.highlight(running)
                await wait_until(lambda: monitor.next_request() is None)
                before = (len(api.request_log), len(writes))
                clock.advance(2)
                monitor.wake()
                # Until the burst was written and nothing more is due.
                await wait_until(
                    lambda: len(writes) > before[1] and monitor.next_request() is None
                )
                answers, burst_writes = len(api.request_log) - before[0], len(writes) - before[1]
            finally:
                monitor.close()
                await task
                await monitor.aclose()
    assert answers >= 2 and burst_writes == 1, (answers, burst_writes)
    assert len(monitor.snapshots) < len(seen)  # the window let some go
    reopened = open_store(tmp_path, url)
    assert seen <= {row.batch.id for row in reopened.load(1000)}
