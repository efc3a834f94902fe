"""One worker-failure policy: whatever a worker of the dashboard is doing, when it
raises the app stays up, says what failed in exactly one error notification, and
the screen it ran for stays usable (no "Reading the local store…" left for good).

Each kind of worker the app starts (``ui/workers.py`` starts them all) is made to
fail here once: the poll loop, a cancel, the cancel of the marked batches, the
history's days and one day's batches, a results page and a profile switch.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from textual.widgets import Static

from apphelpers import highlight_named, notifications, settled
from batch_tui.settings.config import Settings
from batch_tui.store.history import HistoryReader
from batch_tui.ui.connection import Switcher
from batch_tui.ui.dashboard.screen import Dashboard
from batch_tui.ui.dialogs.help import HelpScreen
from batch_tui.ui.messages import ProfileChosen
from batch_tui.ui.screens.history import HistoryScreen
from batch_tui.ui.screens.results import ResultsScreen
from helpers import TEST_KEY, wait_until

UI = Path(__file__).resolve().parents[1] / "tui" / "batch_tui" / "ui"
SIZE = (140, 40)


def failures(app) -> list[tuple[str, str]]:
    """(title, message) of every error notification on screen."""
    return [(n.title, n.message) for n in notifications(app) if n.severity == "error"]


async def told_once(pilot, title: str, *words: str) -> None:
    """Wait for the one error notification titled ``title``; no other error is shown."""
    app = pilot.app
    await wait_until(lambda: any(t == title for t, _ in failures(app)), pilot=pilot)
    await pilot.pause()
    [(shown_title, message)] = failures(app)
    assert shown_title == title
    assert "internal error" in message and all(word in message for word in words), message
    assert app.is_running


async def help_opens_and_closes(pilot, screen) -> None:
    """The screen still answers keys: ? opens the help, Escape brings it back."""
    app = pilot.app
    assert app.screen is screen
    await pilot.press("question_mark")
    await wait_until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot)
    await pilot.press("escape")
    await wait_until(lambda: app.screen is screen, pilot=pilot)


def own_key() -> str:
    """A key, and so a store, of this test's own."""
    return f"vfy_workers_{os.environ['PYTEST_CURRENT_TEST'].split(' ')[0][-60:]}"


async def test_the_poll_loop(run_app, monkeypatch):
    async with run_app(notifications=True) as pilot:
        monitor = pilot.app.monitor
        plan = monitor.next_request

        def broken_once(**_):
            monkeypatch.setattr(monitor, "next_request", plan)
            raise RuntimeError("planner bug")

        monkeypatch.setattr(monitor, "next_request", broken_once)
        monitor.wake()
        await told_once(pilot, "Polling failed", "RuntimeError: planner bug")
        await help_opens_and_closes(pilot, pilot.app.dashboard)


async def test_a_cancel(run_app, monkeypatch):
    async with run_app(notifications=True) as pilot:
        app = pilot.app
        target = await highlight_named(pilot, "Article verification")

        async def broken(batch_id):
            raise RuntimeError("kaput")

        monkeypatch.setattr(app.monitor, "cancel", broken)
        await pilot.press("c", "y")
        await told_once(pilot, "Cancel failed", target, "RuntimeError: kaput")
        await help_opens_and_closes(pilot, app.dashboard)


async def test_the_cancel_of_the_marked_batches(run_app, monkeypatch):
    async with run_app(notifications=True) as pilot:
        app = pilot.app
        running = [i for i, s in app.monitor.snapshots.items() if s.batch.is_cancellable][:2]
        app.dashboard.batch_list.marks.add(running)
        app.dashboard.batch_list.marks_changed()

        async def broken(batch_ids):
            raise RuntimeError("kaput")

        monkeypatch.setattr(app.monitor, "cancel_many", broken)
        await pilot.press("c", "y")
        await told_once(pilot, "Cancel of the marked batches failed", "RuntimeError: kaput")
        # Which were sent is not known: they stay marked, and c may ask again.
        await wait_until(lambda: app.dashboard.counts.marked == 2, pilot=pilot)
        assert not app.dashboard.bulk_cancel.running
        await help_opens_and_closes(pilot, app.dashboard)


async def test_reading_the_history_s_days(run_app, monkeypatch):
    def broken(self, now, days=30):
        raise RuntimeError("bad page")

    monkeypatch.setattr(HistoryReader, "days", broken)
    async with run_app(store=True, size=SIZE, api_key=own_key(), notifications=True) as pilot:
        app = pilot.app
        await settled(pilot)
        await pilot.press("h")
        await wait_until(lambda: isinstance(app.screen, HistoryScreen), pilot=pilot)
        screen = app.screen
        await told_once(pilot, "Reading the history failed", "RuntimeError: bad page")
        state = str(screen.query_one("#history-state", Static).render())
        assert "Reading the local store" not in state and "RuntimeError: bad page" in state
        await help_opens_and_closes(pilot, screen)
        await pilot.press("escape")
        await wait_until(lambda: app.screen is app.dashboard, pilot=pilot)


async def test_reading_one_day_s_batches(run_app, monkeypatch):
    def broken(self, day):
        raise RuntimeError("bad row")

    monkeypatch.setattr(HistoryReader, "batches", broken)
    async with run_app(store=True, size=SIZE, api_key=own_key(), notifications=True) as pilot:
        app = pilot.app
        await settled(pilot)
        await pilot.press("h")  # the days are read, then today's batches
        await wait_until(lambda: isinstance(app.screen, HistoryScreen), pilot=pilot)
        screen = app.screen
        await told_once(pilot, "Reading the day's batches failed", "RuntimeError: bad row")
        state = str(screen.query_one("#history-state", Static).render())
        assert "RuntimeError: bad row" in state
        await help_opens_and_closes(pilot, screen)


async def test_a_results_page(run_app, monkeypatch):
    async with run_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        target = await highlight_named(pilot, "Article verification")
        real = app.monitor.results_page

        async def broken(*args, **kwargs):
            raise RuntimeError("odd page")

        monkeypatch.setattr(app.monitor, "results_page", broken)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, ResultsScreen), pilot=pilot)
        screen = app.screen
        await told_once(pilot, "Results page failed", target, "RuntimeError: odd page")
        state = screen.query_one("#results-state", Static)
        assert "r retries" in str(state.render())
        monkeypatch.setattr(app.monitor, "results_page", real)
        await pilot.press("r")
        await wait_until(lambda: len(screen.items) > 0, pilot=pilot)


async def test_a_profile_switch(run_app, demo):
    async with run_app(notifications=True) as pilot:
        app = pilot.app
        shown = dict(app.monitor.snapshots)
        beta = Settings(api_key=TEST_KEY, base_url=demo.url, profile="beta", solo=True)

        def broken(settings):
            raise OSError("disk full")

        app.switcher = Switcher(("beta",), lambda name: beta, broken)
        app.dashboard.post_message(ProfileChosen(beta))  # what the picker's Enter does
        await told_once(pilot, "Profile switch failed", "beta", "OSError: disk full")
        assert isinstance(app.screen, Dashboard) and app.monitor.snapshots.keys() == shown.keys()
        assert app.poller.worker is not None and not app.poller.worker.is_finished
        await help_opens_and_closes(pilot, app.dashboard)


def test_every_worker_starts_through_the_one_policy():
    """No ``@work`` and no ``run_worker`` but in ``ui/workers.py``: a new worker
    cannot slip past the policy (and Textual's default would end the app)."""
    offenders = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "workers.py" and path.parent == UI:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named = (
                node.attr
                if isinstance(node, ast.Attribute)
                else node.id
                if isinstance(node, ast.Name)
                else None
            )
            if named in ("work", "run_worker"):
                offenders.append(f"{path.relative_to(UI)}:{node.lineno} {named}")
    assert offenders == []
