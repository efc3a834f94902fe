"""``P`` many times: nothing of an old profile's dashboard outlives the switch (its
screen, list, panes and monitor are collected), and a cancel in flight is never
lost to a switch."""

from __future__ import annotations

import gc
import weakref

from textual.widget import Widget

from apphelpers import (
    dashboard_on,
    first_with_status,
    move_to,
    notifications,
    switch,
    write_two_profiles,
)
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.ui.dashboard.screen import Dashboard
from batch_tui.ui.dialogs.profiles import ProfilePicker
from batch_tui.ui.widgets.batch_detail import BatchDetail
from batch_tui.ui.widgets.batch_list import BatchList
from helpers import wait_until

SWITCHES = 8


def alive(refs: list[weakref.ref]) -> list[object]:
    gc.collect()
    return [obj for ref in refs if (obj := ref()) is not None]


async def test_old_dashboards_their_widgets_and_monitors_are_collected(
    tmp_path, clock, demo, other
):
    path = write_two_profiles(tmp_path, demo.url, other.url)
    async with dashboard_on(path, clock) as pilot:
        app = pilot.app
        old: list[weakref.ref] = []
        for number in range(SWITCHES):
            dashboard = app.dashboard
            old += [weakref.ref(dashboard), weakref.ref(app.monitor)]
            old += [weakref.ref(w) for w in dashboard.query(Widget)]
            del dashboard
            await switch(pilot, "beta" if number % 2 == 0 else "alpha")
        await pilot.pause()
        left = alive(old)
        kinds = sorted({type(obj).__name__ for obj in left})
        assert not left, f"{len(left)} objects of old dashboards still alive: {kinds}"
        # The dashboard in use, its list and its detail are alive, exactly once each.
        gc.collect()
        for kind in (Dashboard, BatchList, BatchDetail, BatchMonitor):
            live = [o for o in gc.get_objects() if isinstance(o, kind)]
            assert len(live) == 1, (kind.__name__, len(live))


async def test_a_cancel_in_flight_holds_the_switch_and_is_reported(
    tmp_path, clock, demo, other, simulator, demo_api
):
    path = write_two_profiles(tmp_path, demo.url, other.url)
    async with dashboard_on(path, clock, notifications=True) as pilot:
        app = pilot.app
        target = first_with_status(simulator, "processing")["id"]
        await move_to(pilot, target)
        # The monitor is busy with another request: the cancel waits its turn, in flight.
        await app.monitor.state.lock.acquire()
        await pilot.press("c", "y")
        await wait_until(lambda: app.monitor.is_cancelling(target), pilot=pilot)
        await pilot.press("P")
        await pilot.pause()
        assert not isinstance(app.screen, ProfilePicker)
        said = [n.message for n in notifications(app)]
        assert any(target in m and "switch profiles once" in m for m in said), said
        app.monitor.state.lock.release()
        await wait_until(lambda: not app.monitor.is_cancelling(target), pilot=pilot)
        await pilot.pause()
        assert any(n.title == "Cancelled" for n in notifications(app))
        await switch(pilot, "beta")  # and now the switch goes ahead


async def test_the_old_profiles_alarm_leaves_with_it(tmp_path, clock, demo):
    from batch_tui.demo.server import DemoApi, DemoServer
    from batch_tui.demo.simulator import Simulator
    from batch_tui.ui.alerts.on_screen import ALARM_TITLE
    from helpers import EPOCH

    # Beta runs nothing, so raises no alarm of its own that would replace alpha's.
    quiet = Simulator(seed=4, epoch=EPOCH, clock=clock, fleet=5, active=0)
    with DemoServer(DemoApi(quiet, rate_limit=0)) as calm:
        path = write_two_profiles(tmp_path, demo.url, calm.url)
        async with dashboard_on(path, clock, notifications=True) as pilot:
            app = pilot.app
            app.notify("Run 4: 33% of processed items failed", title=ALARM_TITLE, timeout=100)
            await pilot.pause()
            await switch(pilot, "beta")
            assert not [n.message for n in notifications(app) if n.title == ALARM_TITLE]
