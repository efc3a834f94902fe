"""Operator features: find, sort, help, palette, copy, export, finish alerts, alarms, pace."""

from __future__ import annotations

import csv
import json

from apphelpers import (
    cell,
    contrast,
    highlight_named,
    list_ids,
    notifications,
    screen_text,
    settled,
    status_cells,
)
from batch_tui.ui.dialogs.help import HelpScreen
from batch_tui.ui.widgets.batch_list import BatchList
from helpers import soonest_to_finish, wait_until

SIZE = (140, 40)


def names(app) -> list[str]:
    return [app.monitor.snapshots[i].batch.name for i in list_ids(app)]


async def test_slash_filters_as_you_type_and_escape_clears(run_app, clock):
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        everything = list_ids(app)
        await pilot.press("slash", *"DIGEST")
        await pilot.pause()
        assert names(app) == ["Science news digest"]
        assert "showing 1 of 12" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert list_ids(app) == everything


async def test_filter_matches_ids_too_and_keeps_the_cursor_on_its_batch(run_app, clock):
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        table = app.dashboard.query_one(BatchList)
        target = list_ids(app)[5]
        table.move_cursor(5)
        await pilot.press("slash", *target[-6:], "enter")
        await pilot.pause()
        assert list_ids(app) == [target]
        assert table.current_batch_id == target


async def test_s_cycles_the_status_filter(run_app, clock):
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        statuses = lambda: {app.monitor.snapshots[i].batch.status for i in list_ids(app)}  # noqa: E731
        await pilot.press("s")
        assert statuses() == {"pending", "validating", "processing"}
        await pilot.press("s")
        assert statuses() == {"completed"}
        await pilot.press("s")
        assert statuses() == {"failed"}
        await pilot.press("s")
        assert statuses() == {"cancelled"}
        await pilot.press("s")
        assert len(list_ids(app)) == 12


async def test_o_cycles_the_sort_and_shift_o_reverses_it_cursor_following(run_app, clock):
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        table = app.dashboard.query_one(BatchList)
        table.move_cursor(3)
        target = table.current_batch_id
        await pilot.press("o", "o")  # created → status → progress
        await pilot.pause()
        progress = [app.monitor.snapshots[i].batch.progress for i in list_ids(app)]
        assert progress == sorted(progress, reverse=True)
        assert table.current_batch_id == target
        await pilot.press("O")
        progress = [app.monitor.snapshots[i].batch.progress for i in list_ids(app)]
        assert progress == sorted(progress)
        await pilot.press("o")  # cost
        costs = [app.monitor.snapshots[i].batch.total_cost_cents for i in list_ids(app)]
        assert costs == sorted(costs, reverse=True)
        assert "sort: cost ↓" in screen_text(app)
        assert table.current_batch_id == target


async def test_question_mark_lists_every_key(run_app, clock):
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        # Every key is in the help (it scrolls: not all of it is on screen at once).
        text = " ".join(words for _, rows in app.screen.sections for _, words in rows)
        assert "Refresh" in screen_text(app)
        for words in (
            "Refresh",
            "Cancel batch",
            "Find",
            "Status filter",
            "Sort",
            "Reverse sort",
            "Pause",
            "Poll less often",
            "Poll more often",
            "Copy batch id",
            "Export list as CSV",
            "Export list as JSON",
            "Help",
            "Quit",
            "Down",
            "Up",
        ):
            assert words in text, words
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_command_palette_offers_every_action(run_app, clock, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        for title in (
            "Refresh",
            "Cancel batch",
            "Find",
            "Status filter",
            "Sort",
            "Pause",
            "Copy batch id",
            "Export list as CSV",
            "Export list as JSON",
            "Help",
        ):
            assert title in commands, title
        assert "Detail/errors" not in commands  # both panes are on screen: nothing to switch
        # Chosen in the palette itself, a command runs as its key would.
        await pilot.press("ctrl+p")
        await pilot.press(*"Export list as JSON")
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(lambda: any(tmp_path.glob("batch-tui-batches-*.json")), pilot=pilot)
        assert app.screen is app.dashboard


async def test_y_copies_the_highlighted_id(run_app, clock):
    async with run_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        await pilot.press("j", "y")
        assert app.clipboard == list_ids(app)[1]


async def test_e_and_shift_e_export_the_list_as_shown(run_app, clock, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with run_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        await pilot.press("s", "s")  # completed only
        await pilot.press("e", "E")
        await pilot.pause()
        shown = list_ids(app)
        (csv_path,) = tmp_path.glob("*.csv")
        rows = list(csv.DictReader(csv_path.open()))
        assert [r["id"] for r in rows] == shown
        assert all(r["status"] == "completed" for r in rows)
        (json_path,) = tmp_path.glob("*.json")
        assert [b["id"] for b in json.loads(json_path.read_text())] == shown
        assert any(str(csv_path.name) in n.message for n in notifications(app))


async def finish_one_batch(pilot, clock, simulator) -> str:
    """Let the soonest batch complete and the app notice; its id."""
    app = pilot.app
    spec = soonest_to_finish(simulator, clock())
    clock.set(spec.finishes_at + 1)
    await pilot.press("r")
    await wait_until(
        lambda: any(n.title == "Batch finished" for n in notifications(app)), pilot=pilot
    )
    return spec.id


async def test_a_finished_batch_is_announced_with_the_bell(run_app, clock, simulator):
    rings = []
    async with run_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        app.bell = lambda: rings.append(1)
        finished = await finish_one_batch(pilot, clock, simulator)
        assert rings
        message = next(n.message for n in notifications(app) if n.title == "Batch finished")
        assert finished in message and "completed" in message


async def test_no_bell_when_turned_off(run_app, clock, simulator):
    rings = []
    async with run_app(size=SIZE, notifications=True, bell=False) as pilot:
        app = pilot.app
        app.bell = lambda: rings.append(1)
        await finish_one_batch(pilot, clock, simulator)
        assert rings == []


async def test_a_high_failure_rate_raises_the_alarm_but_never_cancels(run_app, demo_api, clock):
    async with run_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        alarmed = [i for i, s in app.monitor.snapshots.items() if s.alarm]
        assert [app.monitor.snapshots[i].batch.name for i in alarmed] == [
            "Newsroom claims: morning desk"
        ]
        alarms = [n for n in notifications(app) if n.title == "Failure-rate alarm"]
        assert len(alarms) == 1 and "Consider cancelling" in alarms[0].message
        table = app.dashboard.query_one(BatchList)
        table.move_cursor(table.get_row_index(alarmed[0]))
        await settled(pilot)
        assert "consider cancelling it (c)" in screen_text(app)
        assert not [m for m, _ in demo_api.request_log if m == "POST"]
        # Once per batch, not on every poll.
        clock.advance(30)
        await pilot.press("r")
        await settled(pilot)
        assert len([n for n in notifications(app) if n.title == "Failure-rate alarm"]) == 1


async def test_pace_eta_and_burn_appear_once_there_is_history(run_app, clock, simulator):
    async with run_app(size=SIZE, interval=5) as pilot:
        app = pilot.app
        target = await highlight_named(pilot, "Article verification")
        text = screen_text(app)
        assert "Pace       —" in text  # not enough history yet
        assert "after 1 min of history" in text
        for _ in range(13):
            clock.advance(5)
            app.monitor.wake()
            await settled(pilot)
        text = screen_text(app)
        assert "items/min" in text and "ETA " in text and "/min" in text and "projected $" in text
        assert cell(app, target, "status") == "processing"


async def test_enter_opens_results_pages_load_as_you_scroll_and_escape_goes_back(
    run_app, clock, simulator
):
    from textual.widgets import DataTable

    from batch_tui.ui.screens.results import ItemScreen, ResultsScreen

    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        await highlight_named(pilot, "Article verification")
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        results = screen.query_one(DataTable)
        await wait_until(lambda: results.row_count == 50, pilot=pilot)
        await pilot.pause()
        # Only the first page until the user scrolls towards its end.
        assert len(screen.items) == 50 and screen.total == 1000
        await pilot.press(*["j"] * 45)
        await wait_until(lambda: results.row_count == 100, pilot=pilot)
        await pilot.pause()
        assert len(screen.items) == 100
        assert [int(k.value) for k in results.rows] == list(range(100))  # no page twice
        await pilot.press("enter")
        assert isinstance(app.screen, ItemScreen)
        shown = screen_text(app)
        assert "Content" in shown and "Context" in shown
        await pilot.press("escape")
        assert isinstance(app.screen, ResultsScreen)
        await pilot.press("f")
        await pilot.pause()
        statuses = {results.get_row_at(r)[1].plain for r in range(results.row_count)}
        assert statuses == {"failed"}
        await pilot.press("escape")
        assert app.screen is app.dashboard


async def test_errors_table_shows_failed_items_labelled_with_their_source(run_app, clock):
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        table = app.dashboard.query_one(BatchList)
        target = next(
            i
            for i, s in app.monitor.snapshots.items()
            if s.batch.name == "Newsroom claims: morning desk"
        )
        table.move_cursor(table.get_row_index(target))
        await wait_until(
            lambda: (
                "Verification timeout" in screen_text(app) or "Upstream model" in screen_text(app)
            ),
            pilot=pilot,
        )
        text = screen_text(app)
        assert " item " in text
        failed = next(i for i, s in app.monitor.snapshots.items() if s.batch.status == "failed")
        table.move_cursor(table.get_row_index(failed))
        await settled(pilot)
        assert "validation" in screen_text(app)


async def test_a_adds_a_watched_id_that_is_remembered_and_x_forgets_it(run_app, clock, tmp_path):
    from batch_tui.integrations.watchlist import WatchList

    store = WatchList(tmp_path / "watched.json")
    async with run_app(size=SIZE, notifications=True, watchlist=store) as pilot:
        app = pilot.app
        await pilot.press("a", *"batch_elsewhere", "enter")
        await wait_until(lambda: "batch_elsewhere" in list_ids(app), pilot=pilot)
        assert store.load() == ["batch_elsewhere"]
        await settled(pilot)
        table = app.dashboard.query_one(BatchList)
        table.move_cursor(table.get_row_index("batch_elsewhere"))
        await pilot.press("x")
        await pilot.pause()
        assert "batch_elsewhere" not in list_ids(app)
        assert store.load() == []
        # A batch the API lists cannot be unwatched: it says why.
        table.move_cursor(0)
        await pilot.press("x")
        assert any("only added ids" in n.message for n in notifications(app))


async def test_narrow_terminals_share_one_pane_and_tab_switches_it(run_app, clock):
    async with run_app(size=(80, 24)) as pilot:
        app = pilot.app
        assert "Detail" in screen_text(app) and "No validation errors" not in screen_text(app)
        await pilot.press("tab")
        await pilot.pause()
        text = screen_text(app)
        assert "No validation errors" in text and "Processed" not in text
        lines = screen_text(app).splitlines()
        assert "Name" in lines[0] and "Cost" in lines[0]
        batch_id = app.dashboard.query_one(BatchList).row_ids[0]
        assert batch_id not in lines[1] and batch_id[-6:] in lines[1]  # the short id


async def test_a_very_small_terminal_gets_the_compact_list(run_app, clock):
    async with run_app(size=(60, 20)) as pilot:
        app = pilot.app
        header = screen_text(app).splitlines()[0]
        assert header.split() == ["Name", "Status", "Progress", "Failed"]


async def test_wide_terminals_put_the_panes_beside_the_list(run_app, clock):
    async with run_app(size=(200, 40)) as pilot:
        app = pilot.app
        first = screen_text(app).splitlines()[0]
        assert "ID" in first and "Detail" in first


async def test_results_and_errors_export_from_the_drill_down(run_app, clock, tmp_path, monkeypatch):
    from textual.widgets import DataTable

    from batch_tui.ui.screens.results import ResultsScreen

    monkeypatch.chdir(tmp_path)
    async with run_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        table = app.dashboard.query_one(BatchList)
        target = next(
            i for i, s in app.monitor.snapshots.items() if s.batch.name == "Science news digest"
        )
        table.move_cursor(table.get_row_index(target))
        await pilot.press("enter")
        assert isinstance(app.screen, ResultsScreen)
        await wait_until(lambda: app.screen.query_one(DataTable).row_count == 50, pilot=pilot)
        await pilot.press("e", "E")
        await pilot.pause()
        (csv_path,) = tmp_path.glob("batch-tui-results-*.csv")
        rows = list(csv.DictReader(csv_path.open()))
        assert len(rows) == 50 and rows[0]["source"] == "item"
        assert {r["status"] for r in rows} >= {"completed", "failed"}
        (json_path,) = tmp_path.glob("batch-tui-results-*.json")
        data = json.loads(json_path.read_text())
        assert data["batch"]["id"] == target and len(data["rows"]) == 50






async def test_without_colour_every_status_is_written_out(run_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        drawn = status_cells(app)
        # Every status the fleet has is told by its word, not only by its colour.
        cursor = app.dashboard.query_one(BatchList).current_batch_id
        shown = {s.batch.status for i, s in app.monitor.snapshots.items() if i != cursor}
        assert set(drawn) == shown and len(shown) >= 5


async def test_status_colours_stand_out_in_the_light_theme(run_app):
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        app.theme = "textual-light"
        await pilot.pause()
        drawn = status_cells(app)
        assert len(drawn) >= 5
        ratios = {
            status: min(contrast(s.style.color, s.style.bgcolor) for s in segments)
            for status, segments in drawn.items()
        }
        # WCAG's minimum for large text and user-interface parts.
        assert min(ratios.values()) >= 3.0, ratios


async def test_page_and_home_end_keys_move_through_a_long_list(run_app, clock):
    async with run_app(size=(120, 20)) as pilot:
        app = pilot.app
        table = app.dashboard.query_one(BatchList)
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        assert table.scroll_y > 0
        await pilot.press("home")
        assert table.cursor_row == 0 and table.scroll_y == 0
        await pilot.press("pagedown")
        assert table.cursor_row > 1
        await pilot.press("pageup")
        assert table.cursor_row == 0
