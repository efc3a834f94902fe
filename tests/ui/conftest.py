"""Fixtures of the Pilot and snapshot tests: the real app against the demo server."""

from __future__ import annotations

import pytest

from batch_tui.api.client import CheckClient
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import Simulator
from helpers import EPOCH, TEST_KEY


@pytest.fixture
def run_app(demo, clock):
    """Start the real app (built by ``session.make_app``) against the demo server with
    the frozen clock: ``async with run_app(size=..., **options) as pilot``. The pilot
    is handed over once the screen shows what the monitor holds. ``server=`` runs it
    against another demo server."""
    from apphelpers import running

    def run_app(*, server: DemoServer | None = None, **options):
        return running(server or demo, clock, **options)

    return run_app


@pytest.fixture
def other_simulator(clock) -> Simulator:
    """A second organisation: another seed, so other batches."""
    return Simulator(seed=99, epoch=EPOCH, clock=clock)


@pytest.fixture
def other_api(other_simulator) -> DemoApi:
    return DemoApi(other_simulator, rate_limit=0)


@pytest.fixture
def other(other_api):
    with DemoServer(other_api) as server:
        yield server


@pytest.fixture
async def churn(clock):
    """A server making five batches a second, each finished ten seconds later."""
    simulator = Simulator(seed=5, epoch=EPOCH, clock=clock, churn=5)
    with DemoServer(DemoApi(simulator, rate_limit=0)) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            yield client
