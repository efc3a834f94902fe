"""The results screen (Enter on a batch): what it draws, its keys, its paging."""

from __future__ import annotations

from apphelpers import SIZE, screen_text, settled
from batch_tui.ui.screens.results import ResultsScreen
from batch_tui.ui.widgets.batch_list import BatchList
from conftest import wait_until


async def open_results(pilot, name: str) -> ResultsScreen:
    """Highlight the batch called ``name``, press Enter and wait for its first page."""
    app = pilot.app
    table = app.dashboard.query_one(BatchList)
    target = next(i for i, s in app.monitor.snapshots.items() if s.batch.name == name)
    table.move_cursor(table.get_row_index(target))
    await settled(pilot)
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, ResultsScreen)
    await wait_until(lambda: screen.total is not None, pilot=pilot)
    await pilot.pause()
    return screen


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
