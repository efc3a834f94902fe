"""``P``: switching profiles in the running dashboard, against two real loopback demo
servers, each profile with its own watch list; its name on the status line and in the
cancel question."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from apphelpers import (
    dashboard_on,
    first_with_status,
    list_ids,
    move_to,
    notifications,
    posts,
    screen_text,
    switch,
    write_two_profiles,
)
from batch_tui.integrations.watchlist import WatchList, default_path
from batch_tui.ui.dialogs.confirm_cancel import ConfirmCancel
from batch_tui.ui.dialogs.profiles import ProfilePicker
from batch_tui.ui.widgets.status_bar import StatusBar
from helpers import wait_until


def status_text(app) -> str:
    return app.dashboard.query_one(StatusBar).text




async def test_p_switches_to_the_other_server_and_back(
    tmp_path, clock, demo, other, simulator, other_simulator
):
    alpha_ids = [row["id"] for row in simulator.list_json(limit=100)["data"]]
    beta_ids = [row["id"] for row in other_simulator.list_json(limit=100)["data"]]
    assert not set(alpha_ids) & set(beta_ids)
    path = write_two_profiles(tmp_path, demo.url, other.url)
    async with dashboard_on(path, clock) as pilot:
        app = pilot.app
        assert list_ids(app) == alpha_ids
        assert status_text(app).startswith("alpha  ● connected")
        first_monitor, first_loop, first_dashboard = app.monitor, app.poller.worker, app.dashboard

        await switch(pilot, "beta")
        assert list_ids(app) == beta_ids  # the old rows are gone, the other server's shown
        assert status_text(app).startswith("beta  ● connected")
        # The old connection is gone: its loop ended, its connections closed, its screen off.
        assert first_loop is not None and first_loop.is_finished
        assert first_monitor.client._http.is_closed
        assert first_dashboard not in app.screen_stack and app.screen is app.dashboard

        await switch(pilot, "alpha")
        assert list_ids(app) == alpha_ids
        assert status_text(app).startswith("alpha")


async def test_the_profile_column_names_the_profile_in_use(tmp_path, clock, demo, other):
    path = write_two_profiles(tmp_path, demo.url, other.url)
    path.write_text('columns = ["name", "profile"]\n' + path.read_text(), encoding="utf-8")
    async with dashboard_on(path, clock) as pilot:
        app = pilot.app
        batches = app.dashboard.batch_list
        assert {batches.cell_text(i, "profile") for i in list_ids(app)} == {"alpha"}
        await switch(pilot, "beta")
        batches = app.dashboard.batch_list
        assert {batches.cell_text(i, "profile") for i in list_ids(app)} == {"beta"}


async def test_the_switcher_lists_every_profile_and_marks_the_current_one(tmp_path, clock, demo):
    path = write_two_profiles(tmp_path, demo.url, "https://beta.example.com")
    path.write_text(
        path.read_text() + '[profiles.broken]\nkey_env = "NOT_SET_ANYWHERE"\n', encoding="utf-8"
    )
    async with dashboard_on(path, clock) as pilot:
        await pilot.press("P")
        await wait_until(lambda: isinstance(pilot.app.screen, ProfilePicker), pilot=pilot)
        await pilot.pause()
        text = screen_text(pilot.app)
        host = demo.url.split("://")[1]
        assert f"● alpha  {host}  (in use)" in text
        assert "beta  beta.example.com" in text
        assert "broken  ✗" in text
        await pilot.press("escape")
        assert pilot.app.profile == "alpha"


async def test_an_unusable_profile_is_refused_and_the_dashboard_stays(
    tmp_path, clock, demo, other, simulator
):
    path = write_two_profiles(tmp_path, demo.url, other.url)
    path.write_text(path.read_text() + '[profiles.broken]\nkey_env = "NOPE"\n', encoding="utf-8")
    async with dashboard_on(path, clock, notifications=True) as pilot:
        app = pilot.app
        await pilot.press("P", "j", "j", "enter")
        await wait_until(
            lambda: any("$NOPE, which is not set" in n.message for n in notifications(app)),
            pilot=pilot,
        )
        assert app.profile == "alpha" and app.monitor.status.state == "ok"
        assert list_ids(app) == [row["id"] for row in simulator.list_json(limit=100)["data"]]


async def test_the_cancel_question_names_the_profile(
    tmp_path, clock, demo, other, other_simulator, other_api
):
    path = write_two_profiles(tmp_path, demo.url, other.url)
    async with dashboard_on(path, clock) as pilot:
        app = pilot.app
        await switch(pilot, "beta")
        target = first_with_status(other_simulator, "processing")
        await move_to(pilot, target["id"])
        await pilot.press("c")
        await wait_until(lambda: isinstance(app.screen, ConfirmCancel), pilot=pilot)
        question = app.screen.query_one("#question", Static)
        assert str(question.render()) == "Cancel this batch on beta?"
        await pilot.press("y")
        await wait_until(lambda: posts(other_api) != [], pilot=pilot)
        assert posts(other_api) == [f"/v1/batch/{target['id']}/cancel"]


async def test_each_profile_remembers_its_own_watch_list(tmp_path, clock, demo, other):
    path = write_two_profiles(tmp_path, demo.url, other.url)
    for name in ("alpha", "beta"):
        default_path(name).unlink(missing_ok=True)
    async with dashboard_on(path, clock) as pilot:
        app = pilot.app
        await pilot.press("a", *"batch_for_alpha", "enter")
        await wait_until(lambda: "batch_for_alpha" in app.monitor.watched, pilot=pilot)
        await switch(pilot, "beta")
        assert "batch_for_alpha" not in app.monitor.watched
        await pilot.press("a", *"batch_for_beta", "enter")
        await wait_until(lambda: "batch_for_beta" in app.monitor.watched, pilot=pilot)
        await switch(pilot, "alpha")
        assert "batch_for_alpha" in app.monitor.watched
        assert "batch_for_beta" not in app.monitor.watched
    assert WatchList(default_path("alpha")).load() == ["batch_for_alpha"]
    assert WatchList(default_path("beta")).load() == ["batch_for_beta"]
    assert "batch_for_beta" not in WatchList(default_path()).load()


async def test_p_without_profiles_says_so_in_one_line(run_app):
    async with run_app(notifications=True) as pilot:
        app = pilot.app
        await pilot.press("P")
        await wait_until(lambda: bool(notifications(app)), pilot=pilot)
        messages = [n.message for n in notifications(app)]
        assert any(m.startswith("No profiles: add [profiles.NAME] tables") for m in messages)
        assert all("\n" not in m for m in messages)
        assert app.screen is app.dashboard


async def test_the_palette_and_the_help_offer_the_switch(tmp_path, clock, demo, other):
    from batch_tui.ui import commands
    from batch_tui.ui.dashboard import help as dashboard_help

    path = write_two_profiles(tmp_path, demo.url, other.url)
    async with dashboard_on(path, clock) as pilot:
        app = pilot.app
        entries = {c.title: c for c in commands.palette(app.dashboard)}
        assert entries["Switch profile"].help == "key: P"
        screen_entries = dict(dashboard_help.help_sections(app.dashboard))["Screen"]
        assert ("P", "Switch profile") in screen_entries
        await pilot.press("ctrl+p", *"Switch profile")
        await wait_until(
            lambda: any(
                o.option_count and "Switch profile" in str(o.get_option_at_index(0).prompt)
                for o in app.screen.query(OptionList)
            ),
            pilot=pilot,
        )
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, ProfilePicker), pilot=pilot)
        await pilot.pause()
        assert "● alpha" in screen_text(app)


async def test_a_switch_that_cannot_be_built_keeps_the_dashboard(tmp_path, clock, demo, other):
    from dataclasses import replace

    def broken(settings):
        raise OSError("[bold]disk full")

    path = write_two_profiles(tmp_path, demo.url, other.url)
    async with dashboard_on(path, clock, notifications=True) as pilot:
        app = pilot.app
        shown = list_ids(app)
        app.switcher = replace(app.switcher, connect=broken)
        await pilot.press("P", "j", "enter")
        await wait_until(
            lambda: any(
                n.title == "Profile switch failed"
                and n.message.endswith("internal error: OSError: [bold]disk full")
                for n in notifications(app)
            ),
            pilot=pilot,
        )
        assert app.profile == "alpha" and list_ids(app) == shown
        assert app.poller.worker is not None and not app.poller.worker.is_finished
