"""Snapshot tests of what the operator relies on at the edges: new batches arrived
above a scrolled list, an unreachable server, history still loading."""

from __future__ import annotations

import pytest

from apphelpers import draw_times_now, make_app, settled
from batch_tui.ui.widgets.batch_list import BatchList
from helpers import wait_until


@pytest.fixture
def demo(demo):
    """The demo server with the real default budget, as in test_snapshots."""
    demo.api.limiter.limit = 200
    return demo


def test_new_batches_above_a_scrolled_list(snap_compare, demo, clock, simulator):
    async def run_before(pilot) -> None:
        await settled(pilot)
        table = pilot.app.screen.query_one(BatchList)
        await pilot.press(*(["j"] * 30), "k", "k", "k")
        await settled(pilot)
        before = table.row_count
        clock.advance(simulator.arrival_every * 3 + 1)
        await pilot.press("r")
        await wait_until(lambda: table.row_count == before + 3, pilot=pilot)
        # The refresh's finishes are told now, not when the gathering second ends:
        # whether that second ended before the picture was the machine's speed.
        pilot.app.dashboard.alerts.flush()
        await draw_times_now(pilot, clock())

    assert snap_compare(make_app(demo, clock), terminal_size=(120, 24), run_before=run_before)


def test_empty_list_with_a_connection_error(snap_compare, clock):
    from batch_tui import session
    from batch_tui.settings.config import Settings
    from helpers import TEST_KEY

    # Port 9 (discard): nothing listens there on a test machine, and the port is fixed.
    settings = Settings(api_key=TEST_KEY, base_url="http://127.0.0.1:9", interval=30.0, solo=True)
    app = session.make_app(settings, clock=clock)

    async def run_before(pilot) -> None:
        await wait_until(lambda: app.monitor.status.state == "error", pilot=pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


def test_partial_history(snap_compare, clock):
    from apphelpers import history_shown
    from batch_tui.demo.server import DemoApi, DemoServer
    from batch_tui.demo.simulator import Simulator
    from helpers import EPOCH

    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock, fleet=20_000, active=10)
    with DemoServer(DemoApi(simulator, rate_limit=0)) as big:
        app = make_app(big, clock, store=True, api_key="vfy_snapshot_partial_history")
        assert snap_compare(app, terminal_size=(140, 40), run_before=history_shown)
