"""Nothing new is missed: a list at its top stays at the top as batches arrive (the
cursor keeps its batch), and a list scrolled elsewhere says how many new batches
arrived above it until Home shows them."""

from __future__ import annotations

from apphelpers import list_ids, screen_text, settled
from batch_tui.ui.widgets.batch_list import BatchList
from helpers import wait_until


async def arrive(pilot, clock, simulator, table, count: int = 1) -> None:
    """``count`` new batches arrive at the top of the list, and a poll finds them."""
    before = table.row_count
    clock.advance(simulator.arrival_every * count + 1)
    await pilot.press("r")
    await wait_until(lambda: table.row_count == before + count, pilot=pilot)
    await settled(pilot)


async def test_a_list_at_its_top_shows_a_new_batch_and_the_cursor_keeps_its_batch(
    run_app, clock, simulator
):
    async with run_app(size=(120, 20)) as pilot:
        app = pilot.app
        table = app.screen.query_one(BatchList)
        await pilot.press("j")
        await settled(pilot)
        target = table.current_batch_id
        ids_before = list_ids(app)
        await arrive(pilot, clock, simulator, table)
        newest = list_ids(app)[0]
        assert newest not in ids_before
        assert table.scroll_y == 0  # the new row is on screen, at the top
        assert newest in screen_text(app)
        assert table.current_batch_id == target and table.cursor_row == 2
        assert "new batch" not in screen_text(app)


async def test_a_scrolled_list_counts_the_new_batches_above_until_home(
    run_app, clock, simulator
):
    async with run_app(size=(120, 20)) as pilot:
        app = pilot.app
        table = app.screen.query_one(BatchList)
        await pilot.press(*(["j"] * 30), "k", "k", "k")
        await settled(pilot)
        target, top = table.current_batch_id, table.scroll_y
        assert top > 0
        await arrive(pilot, clock, simulator, table)
        assert table.current_batch_id == target and table.scroll_y == top + 1
        assert "↑ 1 new batch above — Home to see it" in screen_text(app)
        await arrive(pilot, clock, simulator, table, count=2)
        assert "↑ 3 new batches above — Home to see them" in screen_text(app)
        await pilot.press("home")
        await settled(pilot)
        assert table.scroll_y == 0 and table.cursor_row == 0
        assert "new batch" not in screen_text(app)


async def test_a_new_batch_shows_at_the_top_of_a_2000_row_list_within_a_discovery_period(
    run_app, clock
):
    from batch_tui.demo.server import DemoApi, DemoServer
    from batch_tui.demo.simulator import Simulator
    from helpers import EPOCH

    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock, fleet=2_000, active=5)
    with DemoServer(DemoApi(simulator, rate_limit=0)) as big:
        async with run_app(server=big, interval=5.0) as pilot:
            app = pilot.app
            table = app.screen.query_one(BatchList)
            while table.row_count < 2_000:  # the whole history, as the cursor nears its end
                await pilot.press("end")
                clock.advance(1)
                app.monitor.wake()
                await pilot.pause(0.05)
            await pilot.press("home")
            await settled(pilot)
            known = set(table.row_ids)
            newest = lambda: simulator.list_json(limit=1)["data"][0]["id"]  # noqa: E731
            while newest() in known:  # on until the next batch is created
                clock.advance(1)
            arrived, target = clock(), newest()
            period = app.monitor.scheduler.discovery_every
            while target not in table.row_ids:  # time moves on, no key is pressed
                assert clock() - arrived <= period, "not shown within a discovery period"
                clock.advance(1)
                app.monitor.wake()
                await pilot.pause(0.02)
            await settled(pilot)
            assert table.row_ids[0] == target and table.scroll_y == 0
            assert target in screen_text(app)
