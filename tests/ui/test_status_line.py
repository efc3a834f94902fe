"""The status line: state and staleness first, the error last, repeats merged."""

from __future__ import annotations

from textual.widgets._toast import ToastRack

from apphelpers import notifications, screen_text
from batch_tui.monitor.monitor import MonitorStatus
from batch_tui.ui.widgets.status_bar import StatusBar, status_line
from helpers import EPOCH, wait_until

ERROR = "connection failed: GET /v1/batch: Connection refused"


def failing(**changes) -> MonitorStatus:
    fields = dict(
        state="error",
        last_success=EPOCH,
        interval=5,
        effective_interval=5,
        last_error=ERROR,
        backing_off=1,
        failures_in_a_row=1,
    )
    return MonitorStatus(**{**fields, **changes})


def test_state_and_staleness_come_first_and_the_error_last():
    line = status_line(failing(), EPOCH + 67, batches=12, active=7).plain
    assert line.startswith("● error  updated ")
    assert "(67s ago) stale" in line[:45]
    assert line.endswith(f"✗ {ERROR}")
    assert "error  error" not in line


def test_the_retry_count_counts_up():
    once = status_line(failing(), EPOCH + 10, batches=1, active=1).plain
    thrice = status_line(failing(failures_in_a_row=3), EPOCH + 10, batches=1, active=1).plain
    assert "1 failed in a row" in once and "3 failed in a row" in thrice


def style_of(line, text: str) -> str:
    start = line.plain.index(text)
    return " ".join(str(span.style) for span in line.spans if span.start <= start < span.end)


def test_the_state_turns_yellow_when_the_data_is_stale():
    status = MonitorStatus(state="ok", last_success=EPOCH, interval=5, effective_interval=5)
    fresh = status_line(status, EPOCH + 5, batches=1, active=1)
    stale = status_line(status, EPOCH + 60, batches=1, active=1)
    assert "green" in style_of(fresh, "● connected") and "stale" not in fresh.plain
    assert "yellow" in style_of(stale, "● connected") and "stale" in stale.plain


async def test_the_error_never_pushes_the_staleness_off_a_140_column_line(run_app, demo_api, clock):
    async with run_app(size=(140, 36)) as pilot:
        app = pilot.app
        demo_api.faults.status = 503
        clock.advance(100)
        await pilot.press("r")
        await wait_until(lambda: app.monitor.status.state == "error", pilot=pilot)
        await pilot.pause()
        text = app.dashboard.query_one(StatusBar).text
        assert text.startswith("● error  updated 10:00:00 UTC (100s ago) stale")
        shown = screen_text(app)
        assert "(100s ago) stale" in shown


async def test_repeated_notifications_merge_and_the_status_line_stays_visible(run_app):
    async with run_app(size=(120, 36), notifications=True) as pilot:
        app = pilot.app
        await pilot.press(*["minus"] * 10)
        await pilot.pause()
        polling = [n for n in notifications(app) if n.title == "Polling"]
        assert len(polling) == 1 and polling[0].message == "Polling every 0.5s."
        rack = app.screen.query_one(ToastRack)
        bar = app.dashboard.query_one(StatusBar)
        assert rack.region.bottom <= bar.region.y
        assert bar.text[:60] in screen_text(app)


def test_the_update_time_is_labelled_utc():
    status = MonitorStatus(state="ok", last_success=EPOCH, interval=5, effective_interval=5)
    assert (
        "updated 10:00:00 UTC (5s ago)" in status_line(status, EPOCH + 5, batches=1, active=1).plain
    )


async def test_a_line_cut_short_ends_in_an_ellipsis_never_in_a_wrong_figure(run_app):
    """At 120 columns the line is wider than the screen: it is cut with an ellipsis,
    so "rate 190/200" never reads as a whole "rate 190/20"."""
    async with run_app(size=(120, 30)) as pilot:
        app = pilot.app
        bar = app.dashboard.query_one(StatusBar)
        await wait_until(lambda: "rate " in bar.text, pilot=pilot)
        full = bar.text
        shown = screen_text(app).splitlines()[-2].strip()
        assert len(full) > 118 and shown.endswith("…"), shown
        assert full.startswith(shown[:-1])  # everything before the cut, as it is
