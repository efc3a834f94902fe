"""An organisation with nothing running: the dashboard polls only for new batches,
every discovery period, and the status line does not call that data stale."""

from __future__ import annotations

import pytest

from apphelpers import TEST_INTERVAL
from batch_tui.demo.simulator import Simulator
from batch_tui.monitor.planning import DISCOVERY_FACTOR
from batch_tui.ui.widgets.status_bar import StatusBar
from helpers import EPOCH, SEED, wait_until

DISCOVERY_EVERY = TEST_INTERVAL * DISCOVERY_FACTOR


@pytest.fixture
def simulator(clock) -> Simulator:
    """Fifty batches, every one finished, and none arriving."""
    return Simulator(seed=SEED, epoch=EPOCH, clock=clock, fleet=50, active=0)


def status_text(app) -> str:
    return app.dashboard.query_one(StatusBar).text


async def test_between_discovery_passes_the_data_is_not_stale(run_app, clock, demo_api):
    async with run_app() as pilot:
        app = pilot.app
        assert app.monitor.status.state == "ok"
        # Four intervals on: nothing can have changed but a new batch, and the next
        # look for new batches is not due yet.
        clock.advance(4 * TEST_INTERVAL)
        await wait_until(
            lambda: "(2m ago)" in status_text(app) or "(120s ago)" in status_text(app), pilot=pilot
        )
        assert "stale" not in status_text(app)
        # Three discovery periods without an answer: now it is.
        demo_api.faults.status = 503
        clock.advance(3 * DISCOVERY_EVERY)
        app.monitor.refresh()
        await wait_until(lambda: "stale" in status_text(app), pilot=pilot)
