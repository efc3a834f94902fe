"""Snapshot tests: the dashboard's look at fixed sizes, on a frozen clock and seed."""

from __future__ import annotations

import pytest

from apphelpers import highlight_status, idle, make_app
from conftest import wait_until


@pytest.fixture
def demo(demo):
    """The demo server with the real default budget, so the status line shows rate 19x/200."""
    demo.api.limiter.limit = 200
    return demo


def test_dashboard_processing_batch_120x36(snap_compare, demo, clock):
    app = make_app(demo, clock)
    assert snap_compare(app, terminal_size=(120, 36), run_before=highlight_status("processing"))


def test_dashboard_failed_batch_errors_120x36(snap_compare, demo, clock):
    app = make_app(demo, clock)
    assert snap_compare(app, terminal_size=(120, 36), run_before=highlight_status("failed"))


def test_dashboard_80x24(snap_compare, demo, clock):
    app = make_app(demo, clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=highlight_status("processing"))


def test_cancel_confirmation_120x36(snap_compare, demo, clock):
    app = make_app(demo, clock)

    async def run_before(pilot) -> None:
        await highlight_status("processing")(pilot)
        await pilot.press("c")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def after(*keys: str, status: str = "processing"):
    """A ``run_before`` that highlights a batch, then presses ``keys``."""

    async def run_before(pilot) -> None:
        await highlight_status(status)(pilot)
        await pilot.press(*keys)
        await wait_until(lambda: idle(pilot.app), pilot=pilot)
        await pilot.pause()

    return run_before


def test_filter_120x36(snap_compare, demo, clock):
    assert snap_compare(
        make_app(demo, clock), terminal_size=(120, 36), run_before=after("slash", *"claims")
    )


def test_help_120x36(snap_compare, demo, clock):
    assert snap_compare(
        make_app(demo, clock), terminal_size=(120, 36), run_before=after("question_mark")
    )


def test_results_120x36(snap_compare, demo, clock):
    assert snap_compare(
        make_app(demo, clock), terminal_size=(120, 36), run_before=after("enter", "j", "j")
    )


def test_results_80x24(snap_compare, demo, clock):
    assert snap_compare(make_app(demo, clock), terminal_size=(80, 24), run_before=after("enter"))


def test_item_80x24(snap_compare, demo, clock):
    assert snap_compare(
        make_app(demo, clock), terminal_size=(80, 24), run_before=after("enter", "enter")
    )


def test_errors_pane_80x24(snap_compare, demo, clock):
    assert snap_compare(
        make_app(demo, clock), terminal_size=(80, 24), run_before=after("tab", status="failed")
    )


def test_compact_60x20(snap_compare, demo, clock):
    assert snap_compare(make_app(demo, clock), terminal_size=(60, 20), run_before=after())


def test_filter_80x24(snap_compare, demo, clock):
    assert snap_compare(
        make_app(demo, clock), terminal_size=(80, 24), run_before=after("slash", *"claims")
    )


def test_help_80x24(snap_compare, demo, clock):
    assert snap_compare(
        make_app(demo, clock), terminal_size=(80, 24), run_before=after("question_mark")
    )


def test_item_120x36(snap_compare, demo, clock):
    assert snap_compare(
        make_app(demo, clock), terminal_size=(120, 36), run_before=after("enter", "enter")
    )


def test_add_watch_120x36(snap_compare, demo, clock):
    assert snap_compare(
        make_app(demo, clock), terminal_size=(120, 36), run_before=after("a", *"batch_x")
    )


def test_add_watch_80x24(snap_compare, demo, clock):
    assert snap_compare(make_app(demo, clock), terminal_size=(80, 24), run_before=after("a"))


def test_wide_200x45(snap_compare, demo, clock):
    assert snap_compare(make_app(demo, clock), terminal_size=(200, 45), run_before=after())
