"""Ids named on the command line: followed for this run only; one that does not
exist shows as not found and is counted nowhere."""

from __future__ import annotations

from apphelpers import screen_text, settled
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.errors_table import ErrorsTable
from batch_tui.watchlist import WatchList
from conftest import wait_until

MISSING_ID = "batch_doesnotexist"


async def test_a_command_line_id_is_not_remembered_but_a_is(run_app, tmp_path):
    store = WatchList(tmp_path / "watched.json")
    store.save(["batch_kept"])
    async with run_app(batch_ids=(MISSING_ID,), watchlist=store) as pilot:
        app = pilot.app
        assert MISSING_ID in app.monitor.watched and "batch_kept" in app.monitor.watched
        assert WatchList(store.path).load() == ["batch_kept"]
        await pilot.press("a", *"batch_added", "enter")
        await settled(pilot)
        assert WatchList(store.path).load() == ["batch_kept", "batch_added"]


async def test_an_id_that_does_not_exist_shows_as_not_found_counted_nowhere(run_app):
    async with run_app(batch_ids=(MISSING_ID,)) as pilot:
        app = pilot.app
        table = app.dashboard.query_one(BatchList)
        await wait_until(lambda: app.monitor.snapshots[MISSING_ID].error is not None, pilot=pilot)
        real = len(app.monitor.snapshots) - 1
        table.move_cursor(table.get_row_index(MISSING_ID))
        await settled(pilot)
        await pilot.pause()
        text = screen_text(app)
        assert f"{real} batches" in text
        assert app.dashboard.counts.total == real == app.dashboard.counts.shown
        assert table.cell_text(MISSING_ID, "status") == "not found"
        assert table.cell_text(MISSING_ID, "mark") == ""
        assert "last good data" not in text and "loading…" not in text
        assert "not found" in text
        errors = app.dashboard.query_one(ErrorsTable)
        assert "Loading" not in errors.rows.empty_message
        assert "Not found" in text
