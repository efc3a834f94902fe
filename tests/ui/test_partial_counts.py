"""Partial data says it is partial: the counts are what the server has, not what is
held in memory; a find over a partly loaded list says how much is loaded."""

from __future__ import annotations

from apphelpers import screen_text, settled
from batch_tui.ui.state import Counts
from helpers import advance, monitor_for, run_due


class NoRows:
    row_count = 0

    def get_row_index(self, batch_id: str) -> int:
        raise KeyError(batch_id)


async def test_the_count_never_drops_when_the_window_lets_rows_go(churn, clock, tmp_path):
    monitor = monitor_for(churn, clock, tmp_path)
    await run_due(monitor)
    seen = []
    for _ in range(30):
        await advance(monitor, clock, 2, step=2)
        seen.append(Counts.of(monitor, NoRows()).total)
    assert len(monitor.snapshots) < seen[-1]  # rows were let go...
    assert seen == sorted(seen)  # ...and the count never went down
    assert seen[-1] >= 290  # five a second for a minute, as the server says


async def test_a_find_over_a_partly_loaded_list_says_how_much_is_not_loaded(
    run_app, simulator, monkeypatch
):
    async with run_app() as pilot:
        app = pilot.app
        monitor = app.monitor
        monitor.server_total = 98_000 + len(monitor.snapshots)  # as a big server would say
        await pilot.press("slash", *"zzzq")
        await settled(pilot)
        text = screen_text(app)
        loaded = len(monitor.snapshots)
        assert f"showing 0 of {loaded:,} loaded · 98,000 not loaded yet" in text
        assert f"{98_000 + loaded:,} batches" in text  # the status line: what the server has


async def test_a_big_server_counts_what_it_has_not_what_is_loaded(run_app, clock):
    from batch_tui.demo.server import DemoApi, DemoServer
    from batch_tui.demo.simulator import Simulator
    from helpers import EPOCH

    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock, fleet=3_000, active=20)
    with DemoServer(DemoApi(simulator, rate_limit=0)) as big:
        async with run_app(server=big) as pilot:
            app = pilot.app
            loaded = len(app.monitor.snapshots)
            assert loaded < 3_000
            assert "3,000 batches" in screen_text(app)


async def test_find_looks_a_full_id_up_on_the_server(run_app, clock):
    from batch_tui.demo.server import DemoApi, DemoServer
    from batch_tui.demo.simulator import Simulator
    from helpers import EPOCH, wait_until

    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock, fleet=3_000, active=20)
    api = DemoApi(simulator, rate_limit=0)
    with DemoServer(api) as big:
        async with run_app(server=big) as pilot:
            app = pilot.app
            old = simulator.list_json(limit=1, offset=2_900)["data"][0]
            assert old["id"] not in app.monitor.snapshots
            await pilot.press("slash", *old["id"])
            await wait_until(lambda: app.dashboard.highlighted is not None, pilot=pilot)
            await wait_until(
                lambda: app.dashboard.highlighted.batch.name == old["name"], pilot=pilot
            )
            assert ("GET", f"/v1/batch/{old['id']}") in api.request_log
            assert old["name"] in screen_text(app)


async def test_a_find_for_an_id_the_server_lacks_says_not_found_and_counts_nothing(
    run_app, demo_api
):
    from helpers import wait_until

    async with run_app() as pilot:
        app = pilot.app
        before = app.monitor.known_total
        await pilot.press("slash", *"batch_0000000000ab")
        await wait_until(lambda: "batch_0000000000ab" in app.monitor.missing, pilot=pilot)
        await settled(pilot)
        assert ("GET", "/v1/batch/batch_0000000000ab") in demo_api.request_log
        assert app.monitor.known_total == before
        assert "not found" in screen_text(app)
        assert f"{before:,} batches" in screen_text(app)
