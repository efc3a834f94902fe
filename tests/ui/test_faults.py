"""Under every fault the app stays up, names the condition, backs off, and recovers by itself.

Each test runs the real app against the demo server on loopback, with a fake clock
the test moves forward: time passes only when the test says so, so "within two
intervals" is exact, not a race.
"""

from __future__ import annotations

import pytest

from apphelpers import screen_text
from batch_tui.demo.server import DemoServer
from batch_tui.monitor.backoff import BACKOFF_CAP
from batch_tui.ui.app import BatchTUI
from batch_tui.ui.widgets.batch_detail import BatchDetail
from batch_tui.ui.widgets.status_bar import StatusBar
from helpers import wait_until

INTERVAL = 5.0
SIZE = (160, 36)
#: The client's timeout: far above what a loopback answer takes even on a machine
#: busy with other work, and below the hang the demo server is told to make.
TIMEOUT = 2.0


async def settle(pilot) -> None:
    """Wait until the monitor has nothing due now (its requests answered or failed)."""
    monitor = pilot.app.monitor
    await wait_until(lambda: monitor.next_request() is None, pilot=pilot, timeout=20)
    await pilot.pause()


async def let_time_pass(pilot, clock, seconds: float, step: float = 0.5) -> None:
    """Move the fake clock forward in steps, letting the app poll at each one."""
    for _ in range(round(seconds / step)):
        clock.advance(step)
        pilot.app.monitor.wake()
        await settle(pilot)


def fresh(app: BatchTUI, now: float) -> bool:
    """Every batch still changing was refreshed within the last interval, none marked stale."""
    active = [s for s in app.monitor.snapshots.values() if s.polled]
    return bool(active) and all(
        now - s.updated_at <= INTERVAL and not s.is_stale(now) for s in active
    )


FAULTS = {
    "5xx": ({"error_rate": 1.0}, "server error"),
    "hang past the timeout": ({"hang_rate": 1.0, "hang_for": 2 * TIMEOUT}, "timeout"),
    "dropped connections": ({"drop_rate": 1.0}, "connection failed"),
    "malformed bodies": ({"malformed_rate": 1.0}, "bad response"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_the_app_survives_the_fault_says_so_backs_off_and_recovers(
    fault, run_app, demo_api, clock
):
    settings, condition = FAULTS[fault]
    async with run_app(size=SIZE, interval=INTERVAL, timeout=TIMEOUT) as pilot:
        app = pilot.app
        assert fresh(app, clock())
        for name, value in settings.items():
            setattr(demo_api.faults, name, value)
        before = len(demo_api.request_log)
        await let_time_pass(pilot, clock, 60)
        assert app.is_running
        # Said on screen: in the highlighted batch's detail (its Data line, wrapped to the
        # pane) and at the end of the status line (cut at this width).
        detail = " ".join(line.plain for line in app.dashboard.query_one(BatchDetail).lines)
        assert condition in " ".join(detail.split())
        assert condition in app.dashboard.query_one(StatusBar).text
        assert app.monitor.status.backing_off > 0
        # Backing off: while the server is down, one probe every two intervals at most.
        assert len(demo_api.request_log) - before <= 60 / (2 * INTERVAL) + 1
        assert any(s.is_stale(clock()) for s in app.monitor.snapshots.values())

        demo_api.faults.clear()
        await let_time_pass(pilot, clock, 2 * INTERVAL)
        assert fresh(app, clock())
        assert app.monitor.status.state == "ok"
        assert "!" not in [
            app.screen.query_one("BatchList").cell_text(i, "mark") for i in app.monitor.snapshots
        ]


async def test_a_burst_of_429s_pauses_until_retry_after_then_resumes(run_app, demo_api, clock):
    async with run_app(size=SIZE, interval=INTERVAL, timeout=2.0) as pilot:
        app = pilot.app
        demo_api.faults.burst_429 = 3
        clock.advance(INTERVAL)
        app.monitor.wake()
        await settle(pilot)
        assert app.monitor.status.state == "rate limited"
        assert "429: paused" in screen_text(app)
        await let_time_pass(pilot, clock, 2 * INTERVAL)
        assert app.monitor.status.state == "ok"
        assert fresh(app, clock())


async def test_recovers_when_the_server_is_stopped_and_started_again_on_the_same_port(
    run_app, demo_api, clock
):
    server = DemoServer(demo_api).start()
    port = server.port
    try:
        async with run_app(server=server, size=SIZE, interval=INTERVAL, timeout=TIMEOUT) as pilot:
            app = pilot.app
            server.stop()
            await let_time_pass(pilot, clock, 45)
            assert app.is_running
            assert "connection failed" in screen_text(app)
            server = DemoServer(demo_api, port=port).start()
            # Each endpoint retries after its own backoff (full jitter, up to BACKOFF_CAP
            # after this many failures), so every batch is fresh again within that and
            # two intervals, whichever way the jitter fell.
            await let_time_pass(pilot, clock, 2 * INTERVAL)
            for _ in range(round(BACKOFF_CAP / 0.5)):
                if fresh(app, clock()):
                    break
                await let_time_pass(pilot, clock, 0.5)
            assert fresh(app, clock())
            assert app.monitor.status.state == "ok"
    finally:
        server.stop()


async def test_a_rejected_key_shows_a_banner_stops_polling_and_r_retries(run_app, demo_api, clock):
    async with run_app(size=SIZE, interval=INTERVAL, timeout=2.0) as pilot:
        app = pilot.app
        demo_api.api_key = "vfy_someone_elses_key"
        clock.advance(INTERVAL)
        app.monitor.wake()
        await settle(pilot)
        text = screen_text(app)
        assert "API key rejected: Invalid or missing API key" in text
        asked = len(demo_api.request_log)
        await let_time_pass(pilot, clock, 60, step=5)
        assert len(demo_api.request_log) == asked  # no retry storm: nothing at all
        demo_api.api_key = None
        await pilot.press("r")
        await settle(pilot)
        assert app.monitor.status.state == "ok"
        assert "API key rejected" not in screen_text(app)


async def test_a_poll_loop_that_dies_says_so_and_is_restarted(
    run_app, demo_api, clock, monkeypatch
):
    async with run_app(size=SIZE, interval=INTERVAL) as pilot:
        app = pilot.app
        monitor = app.monitor
        plan = monitor.next_request

        def broken_once(**_):
            # A bug outside any request: ``run()`` itself raises, once.
            monkeypatch.setattr(monitor, "next_request", plan)
            raise RuntimeError("planner bug")

        monkeypatch.setattr(monitor, "next_request", broken_once)
        monitor.wake()
        await wait_until(
            lambda: (
                "polling stopped: RuntimeError: planner bug; restarting in 1s" in screen_text(app)
            ),
            pilot=pilot,
        )
        assert "connected" not in screen_text(app)
        # After a second the loop runs again, and polls what falls due.
        asked = len(demo_api.request_log)
        clock.advance(INTERVAL)
        await wait_until(lambda: len(demo_api.request_log) > asked, pilot=pilot)
        await settle(pilot)
        text = screen_text(app)
        assert "polling stopped" not in text and "● connected" in text
        assert app.poller.delay == 2  # a second death would wait longer
