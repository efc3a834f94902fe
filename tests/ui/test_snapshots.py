"""Snapshot tests: each screen's look at fixed sizes, on a frozen clock and seed."""

from __future__ import annotations

import pytest

from apphelpers import (
    CHOSEN_COLUMNS,
    highlight_status,
    history_shown,
    make_app,
    settled,
    with_history,
)


@pytest.fixture
def demo(demo):
    """The demo server with the real default budget, so the status line shows rate 19x/200."""
    demo.api.limiter.limit = 200
    return demo


def scene(*keys: str, status: str = "processing"):
    """A ``run_before`` that highlights the first batch in ``status``, then presses ``keys``."""

    async def run_before(pilot) -> None:
        await highlight_status(status)(pilot)
        if keys:
            await pilot.press(*keys)
            await settled(pilot)

    return run_before


SCENES = {
    "dashboard": scene(),
    "failed-batch": scene(status="failed"),
    "errors-pane": scene("tab", status="failed"),
    "error-text": scene("tab", "enter", status="failed"),
    "cancel-confirmation": scene("c"),
    "filter": scene("slash", *"claims"),
    "help": scene("question_mark"),
    "results": scene("enter", "j", "j"),
    "item": scene("enter", "enter"),
    "add-watch": scene("a", *"batch_x"),
}
#: The sizes each scene is drawn at: the usual pane and a small one; the dashboard
#: also at its compact and side-by-side layouts; the errors pane exists only when narrow.
SIZES = {
    "dashboard": [(120, 36), (100, 30), (80, 24), (60, 20), (200, 45)],
    "failed-batch": [(120, 36)],
    "errors-pane": [(80, 24)],
    "cancel-confirmation": [(120, 36)],
}
CASES = [
    pytest.param(name, size, id=f"{name}-{size[0]}x{size[1]}")
    for name in SCENES
    for size in SIZES.get(name, [(120, 36), (80, 24)])
]


@pytest.mark.parametrize(("name", "size"), CASES)
def test_look(snap_compare, demo, clock, name, size):
    assert snap_compare(make_app(demo, clock), terminal_size=size, run_before=SCENES[name])


@pytest.mark.parametrize("size", [(140, 40), (100, 30), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_history_look(snap_compare, demo, clock, size):
    # A key of its own: a store of its own, whatever other tests left on this port.
    app = make_app(demo, clock, store=True, api_key=f"vfy_snapshot_history_{size[0]}")
    assert snap_compare(app, terminal_size=size, run_before=history_shown)


def test_chosen_columns_and_a_rebound_key(snap_compare, demo, clock, local_utc):
    """``columns = [...]`` with pace, ETA, tokens and created; cancel rebound to z (footer)."""

    async def run_before(pilot) -> None:
        await highlight_status("processing")(pilot)
        await with_history(pilot, clock)

    app = make_app(demo, clock, columns=CHOSEN_COLUMNS, keys=(("cancel", "z"),))
    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)
