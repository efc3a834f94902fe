"""Fixtures every folder shares: a frozen clock, the simulator, and the demo server on real
loopback HTTP. Plain helpers (waiting on a condition, the CLI in a process) are in helpers.py,
which tests import by name; conftest modules are never imported."""

from __future__ import annotations

import os
import tempfile
import time

import pytest
from hypothesis import settings as hypothesis_settings

# Before Textual is imported anywhere: no animations, so snapshots and Pilot runs are stable.
os.environ["TEXTUAL_ANIMATIONS"] = "none"
# The history screen's days are local days: every test sees the same ones.
os.environ["TZ"] = "UTC"
time.tzset()
# Every run of the app in the tests (in-process or in tmux) keeps its watch list and
# local store here, never in the user's own state directory.
os.environ["BATCH_TUI_STATE_DIR"] = tempfile.mkdtemp(prefix="batch-tui-state-")

from batch_tui.api.client import CheckClient  # noqa: E402
from batch_tui.core.clock import FakeClock  # noqa: E402
from batch_tui.demo.server import DemoApi, DemoServer  # noqa: E402
from batch_tui.demo.simulator import Simulator  # noqa: E402
from helpers import EPOCH, SEED, TEST_KEY  # noqa: E402

# Property tests: a moderate count in CI; HYPOTHESIS_PROFILE=thorough runs 10,000 each.
hypothesis_settings.register_profile("default", max_examples=200, deadline=None)
hypothesis_settings.register_profile("thorough", max_examples=10_000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def clock() -> FakeClock:
    """A clock frozen at EPOCH; tests move it with ``advance``."""
    return FakeClock(EPOCH)


@pytest.fixture
def local_utc(monkeypatch):
    """Local time is UTC for the test (the list's ``created`` column shows local time)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def simulator(clock: FakeClock) -> Simulator:
    """The demo fleet at EPOCH with a fixed seed."""
    return Simulator(seed=SEED, epoch=EPOCH, clock=clock)


@pytest.fixture
def demo_api(simulator: Simulator) -> DemoApi:
    """The demo API with the rate limit off (tests that need it turn it on)."""
    return DemoApi(simulator, rate_limit=0)


@pytest.fixture
def demo(demo_api: DemoApi):
    """The demo API served on a free loopback port."""
    with DemoServer(demo_api) as server:
        yield server


@pytest.fixture
async def client(demo: DemoServer):
    """A client pointed at the demo server."""
    async with CheckClient(demo.url, TEST_KEY) as api_client:
        yield api_client
