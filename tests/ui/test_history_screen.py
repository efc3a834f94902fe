"""``h``: the history screen over the local store, and the list filtered to a day.

The app runs against the demo server with its store on; the days are UTC days
(conftest sets the time zone) and the clock is frozen at EPOCH, Thu 2026-01-15.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from textual.widgets import DataTable

from apphelpers import history_shown, list_ids, notifications, screen_text, settled
from batch_tui.api.models import Batch
from batch_tui.monitor.snapshot import Snapshot
from batch_tui.store import store_path
from batch_tui.ui.dialogs.help import HelpScreen
from batch_tui.ui.screens.history import HistoryScreen
from batch_tui.ui.view import FinishedOn, ListView
from helpers import TEST_KEY, soonest_to_finish, wait_until

SIZE = (140, 40)


def own_key() -> str:
    """A key, and so a store, of this test's own: nothing another test left behind."""
    return f"vfy_history_{os.environ['PYTEST_CURRENT_TEST'].split(' ')[0][-60:]}"


def day_rows(screen: HistoryScreen) -> list[list[str]]:
    table = screen.query_one("#days", DataTable)
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


def day_batch_names(screen: HistoryScreen) -> list[str]:
    table = screen.query_one("#day-batches", DataTable)
    return [table.get_row_at(i)[0].plain for i in range(table.row_count)]


async def test_h_shows_the_days_batches_finished_into_the_store(run_app, clock, simulator):
    async with run_app(store=True, size=SIZE, api_key=own_key()) as pilot:
        app = pilot.app
        spec = soonest_to_finish(simulator, clock())
        clock.set(spec.finishes_at + 1)
        await pilot.press("r")
        await wait_until(lambda: app.monitor.snapshots[spec.id].batch.is_terminal, pilot=pilot)
        await settled(pilot)

        screen = await history_shown(pilot)
        rows = day_rows(screen)
        assert len(rows) == 30  # every day, today on top, days without batches as zeros
        assert rows[0] == ["Thu 01-15", "4", "609", "2.6%", "$29.98"]
        assert rows[1] == ["Wed 01-14", "1", "20", "10.0%", "$0.97"]
        assert rows[2] == ["Tue 01-13", "0", "0", "—", "—"]
        assert rows[3] == ["Mon 01-12", "1", "50", "6.0%", "$2.28"]
        assert rows[-1][0] == "Wed 12-17"
        # Today's batches, newest first, with the one that just finished on top.
        await wait_until(lambda: len(day_batch_names(screen)) == 4, pilot=pilot)
        shown = day_batch_names(screen)[0]  # cut to its column with an ellipsis
        assert shown == spec.name or (shown.endswith("…") and spec.name.startswith(shown[:-1]))
        text = screen_text(app)
        assert "Batches / day · 6 finished" in text
        assert "Thu 2026-01-15: 4 finished" in text


async def test_enter_on_a_day_filters_the_list_and_escape_restores_it(run_app):
    async with run_app(store=True, size=SIZE, api_key=own_key()) as pilot:
        app = pilot.app
        everything = list_ids(app)
        screen = await history_shown(pilot)
        await pilot.press("down", "down", "down")  # Mon 01-12
        await wait_until(lambda: day_batch_names(screen) == ["Daily fact check"], pilot=pilot)
        await pilot.press("enter")
        await wait_until(lambda: app.screen is app.dashboard, pilot=pilot)
        await settled(pilot)
        shown = [app.monitor.snapshots[i].batch.name for i in list_ids(app)]
        assert shown == ["Daily fact check"]
        assert "showing 1 of" in screen_text(app)
        assert "finished: Mon 2026-01-12" in screen_text(app)

        await pilot.press("escape")
        await settled(pilot)
        assert list_ids(app) == everything
        assert "finished:" not in screen_text(app)


async def test_escape_leaves_the_list_as_it_was(run_app):
    async with run_app(store=True, size=(80, 24), api_key=own_key()) as pilot:
        app = pilot.app
        everything = list_ids(app)
        await history_shown(pilot)
        await pilot.press("escape")
        await wait_until(lambda: app.screen is app.dashboard, pilot=pilot)
        assert list_ids(app) == everything


async def test_h_without_the_store_says_why(run_app):
    async with run_app(store=False, notifications=True) as pilot:
        app = pilot.app
        await pilot.press("h")
        await pilot.pause()
        assert app.screen is app.dashboard
        said = [n.message for n in notifications(app) if n.message.startswith("No history")]
        assert said == [
            "No history: the local store is off (--no-store, or store = false in the config)"
        ]


async def test_h_with_an_unusable_store_names_the_problem(run_app, demo):
    path = store_path(demo.url, TEST_KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    try:
        async with run_app(store=True, notifications=True) as pilot:
            app = pilot.app
            await pilot.press("h")
            await pilot.pause()
            assert app.screen is app.dashboard
            (said,) = [n.message for n in notifications(app) if "No history" in n.message]
            assert said.startswith("No history: the local store") and "not usable" in said
    finally:
        path.unlink()


async def test_question_mark_on_the_history_screen_lists_its_keys(run_app):
    async with run_app(store=True, size=SIZE, api_key=own_key()) as pilot:
        app = pilot.app
        await pilot.press("question_mark")
        assert ("h", "History by day") in [row for _, rows in app.screen.sections for row in rows]
        await pilot.press("escape")
        screen = await history_shown(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        (title, keys), *_ = app.screen.sections
        assert title == "History (h)" and any("that day" in words for _, words in keys)
        await pilot.press("escape")
        assert app.screen is screen


def test_the_day_filter_holds_batches_finished_within_the_day_only():
    start = datetime(2026, 1, 12, tzinfo=UTC).timestamp()
    day = FinishedOn("Mon 2026-01-12", start, start + 86400)

    def snapshot(status: str, at: float | None) -> Snapshot:
        done = datetime.fromtimestamp(at, UTC) if at is not None else None
        return Snapshot(Batch(id="b", status=status, completed_at=done), updated_at=0.0)

    view = ListView(day=day)
    assert view.shows(snapshot("completed", start))
    assert view.shows(snapshot("cancelled", start + 86399))
    assert not view.shows(snapshot("completed", start + 86400))  # the next day's midnight
    assert not view.shows(snapshot("failed", start - 1))
    assert not view.shows(snapshot("processing", None))
    assert "finished: Mon 2026-01-12" in view.describe()
