"""Ids named on the command line: followed for this run only; one that does not
exist shows as not found and is counted nowhere."""

from __future__ import annotations

from apphelpers import notifications, screen_text, settled
from batch_tui.integrations.watchlist import WatchList
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.errors_table import ErrorsTable
from helpers import wait_until

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


async def test_a_command_line_status_filter_is_shown_and_s_or_escape_clears_it(run_app):
    async with run_app(status_filter="processing") as pilot:
        app = pilot.app
        table = app.dashboard.query_one(BatchList)
        processing = [i for i, s in app.monitor.snapshots.items() if s.batch.status == "processing"]
        assert table.row_ids == processing
        line = screen_text(app).splitlines()[0]
        assert f"showing {len(processing)} of" in line and "status: processing (--status" in line
        await pilot.press("s")
        await settled(pilot)
        assert app.dashboard.view.status == "all" and "--status" not in screen_text(app)
        assert table.row_count == len(app.monitor.snapshots)


async def test_escape_clears_a_command_line_status_filter(run_app):
    async with run_app(status_filter="processing") as pilot:
        app = pilot.app
        assert "--status" in screen_text(app)
        await pilot.press("escape")
        await settled(pilot)
        assert app.dashboard.view.status == "all" and "--status" not in screen_text(app)
        shown = app.dashboard.query_one(BatchList).row_ids
        assert len({app.monitor.snapshots[i].batch.status for i in shown}) > 1


async def test_warnings_from_before_the_start_are_shown_in_the_dashboard(run_app, tmp_path):
    readable = "config file /home/x/config.toml holds an API key and others can read it"
    corrupt = tmp_path / "watched.json"
    corrupt.write_text("not json")
    async with run_app(
        warnings=(readable,), watchlist=WatchList(corrupt), notifications=True
    ) as pilot:
        warnings = [n.message for n in notifications(pilot.app) if n.title == "Warning"]
        assert warnings[0] == readable and "watched.json" in warnings[1]
        assert "others can read it" in screen_text(pilot.app)
