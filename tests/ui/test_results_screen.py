"""The results screen (Enter on a batch): what it draws, its keys, its paging."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from apphelpers import SIZE, highlight_named, notifications, open_results, screen_text
from batch_tui.ui.screens.results import ResultsScreen
from helpers import wait_until


async def test_results_draw_title_footer_and_notifications_at_once(run_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with run_app(size=SIZE, notifications=True) as pilot:
        await open_results(pilot, "Science news digest")
        lines = screen_text(pilot.app).splitlines()
        assert lines[0].strip().startswith("Results of Science news digest")
        assert "Failed only" in lines[-1] and "Export CSV" in lines[-1]
        await pilot.press("e")
        await pilot.pause()
        (written,) = tmp_path.glob("batch-tui-results-*.csv")
        assert written.exists()
        shown = screen_text(pilot.app)
        assert "Exported" in shown and "Wrote 50 loaded items" in shown


async def test_end_goes_to_the_last_item_and_loads_the_next_page(run_app):
    async with run_app(size=SIZE) as pilot:
        screen = await open_results(pilot, "Article verification")
        table = screen.query_one(DataTable)
        assert len(screen.items) == 50
        await pilot.press("end")
        await wait_until(lambda: len(screen.items) == 100, pilot=pilot)
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 99
        await wait_until(lambda: len(screen.items) == 150, pilot=pilot)


async def test_at_the_bottom_j_asks_for_more_failed_items(run_app):
    async with run_app(size=SIZE) as pilot:
        screen = await open_results(pilot, "Article verification")
        await pilot.press("f")
        await wait_until(lambda: not screen.fetching, pilot=pilot)
        await pilot.pause()
        table = screen.query_one(DataTable)
        while table.cursor_row != table.row_count - 1:  # at the bottom, nothing on its way
            table.move_cursor(row=table.row_count - 1)
            await pilot.pause()
            await wait_until(lambda: not screen.fetching, pilot=pilot)
        assert screen.has_more
        loaded = len(screen.items)
        await pilot.press("j")  # the cursor cannot move on: the next page is asked for
        await wait_until(lambda: len(screen.items) > loaded, pilot=pilot)


async def test_a_failed_page_says_so_and_r_retries_it(run_app, demo_api):
    async with run_app(size=SIZE) as pilot:
        demo_api.faults.status = 503
        app = pilot.app
        await highlight_named(pilot, "Article verification")
        await pilot.press("enter")
        screen = app.screen
        state = screen.query_one("#results-state", Static)
        await wait_until(lambda: "r retries" in str(state.render()), pilot=pilot)
        assert screen.items == []
        demo_api.faults.status = None
        await pilot.press("r")
        await wait_until(lambda: len(screen.items) == 50, pilot=pilot)


async def test_question_mark_shows_the_results_keys(run_app):
    from batch_tui.ui.dialogs.help import HelpScreen

    async with run_app(size=SIZE) as pilot:
        await open_results(pilot, "Article verification")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        shown = screen_text(pilot.app)
        assert "Failed only" in shown and "Export CSV" in shown and "Load more / retry" in shown
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ResultsScreen)


async def test_a_failed_export_names_the_path(run_app, tmp_path, monkeypatch):
    # A directory where each file would go: the write fails, even for root.
    (tmp_path / "batch-tui-batches-20260115-100000.csv").mkdir()
    monkeypatch.chdir(tmp_path)
    async with run_app(size=SIZE, notifications=True) as pilot:
        await pilot.press("e")
        await pilot.pause()
        screen = await open_results(pilot, "Science news digest")
        (tmp_path / f"batch-tui-results-{screen.subject.id}-20260115-100000.csv").mkdir()
        await pilot.press("e")
        await pilot.pause()
        failures = [n.message for n in notifications(pilot.app) if n.severity == "error"]
        assert len(failures) == 2
        for message in failures:
            assert message.startswith(f"Export failed: cannot write {tmp_path}/batch-tui-")
            assert message.endswith(".csv: Is a directory")
