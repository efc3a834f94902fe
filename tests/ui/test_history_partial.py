"""History still loading says so: the title and the state line say how much is
loaded of the server's total, and days not loaded yet are not drawn as zero."""

from __future__ import annotations

import pytest

from apphelpers import history_shown, make_app, screen_text, settled
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import Simulator
from helpers import EPOCH

#: One finished batch a minute: 20,000 reach about two weeks back, and the first
#: pages loaded cover only the newest day.
FLEET = 20_000


@pytest.fixture
def big(clock):
    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock, fleet=FLEET, active=10)
    with DemoServer(DemoApi(simulator, rate_limit=0)) as server:
        yield server


async def test_history_while_loading_says_how_much_and_draws_no_false_zeros(big, clock, tmp_path):
    app = make_app(big, clock, store=True, api_key="vfy_history_partial")
    async with app.run_test(size=(140, 40)) as pilot:
        await settled(pilot)
        assert app.monitor.status.history  # not all loaded
        screen = await history_shown(pilot)
        text = screen_text(app)
        assert "finished in the last 30 days" not in text
        assert f"of {FLEET:,} batches loaded" in text
        assert "older: not yet loaded" in text
        # No day is drawn as 0 batches while older ones are still to come.
        from textual.widgets import DataTable

        table = screen.query_one("#days", DataTable)
        shown = [str(table.get_row_at(row)[1]) for row in range(table.row_count)]
        assert len(shown) == 30 and shown[1] == "90+"  # yesterday, loaded in part
        assert shown[2:] == ["not yet"] * 28  # not "0": nothing is known of them yet
