"""The errors table: Tab reaches it at every width, Enter shows an error in full."""

from __future__ import annotations

import csv

import pytest
from textual.widgets import DataTable, Static

from apphelpers import failed_validation, highlight_where, notifications, screen_text, settled
from batch_tui.demo.server import DemoServer
from batch_tui.demo.simulator import Simulator
from batch_tui.ui.dialogs.error_text import ErrorText
from batch_tui.ui.screens.results import ResultsScreen
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.errors_table import ErrorsTable
from helpers import EPOCH, SEED, wait_until


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 45)])
async def test_tab_moves_the_focus_to_the_errors_and_enter_opens_one_in_full(run_app, size):
    async with run_app(size=size) as pilot:
        app = pilot.app
        await highlight_where(pilot, failed_validation)
        errors = app.dashboard.query_one(ErrorsTable)
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is errors.table
        issue = errors.rows.validation[0]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ErrorText)
        shown = screen_text(app)
        assert f"Validation error · input row {issue.row}" in shown
        assert issue.error in shown
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.dashboard and app.focused is errors.table
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is app.dashboard.query_one(BatchList)


@pytest.fixture
def hostile(clock):
    """A demo server whose batches have hostile names and errors (10,000 characters)."""
    simulator = Simulator(seed=SEED, epoch=EPOCH, clock=clock, hostile=True)
    from batch_tui.demo.server import DemoApi

    with DemoServer(DemoApi(simulator, rate_limit=0)) as server:
        yield server


async def test_a_ten_thousand_character_error_is_shown_whole_and_wrapped(run_app, hostile):
    async with run_app(server=hostile, size=(120, 36)) as pilot:
        app = pilot.app
        await highlight_where(pilot, failed_validation)
        errors = app.dashboard.query_one(ErrorsTable)
        row = next(n for n, i in enumerate(errors.rows.validation) if len(i.error or "") >= 10_000)
        await pilot.press("tab")
        errors.table.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ErrorText)
        text = app.screen.query_one("#error-text", Static)
        assert str(text.render()).count("E") >= 10_000
        assert text.size.width <= 120 and text.size.height >= 10_000 // 120  # wrapped


async def test_results_of_a_batch_that_failed_validation_say_what_there_is(
    run_app, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    async with run_app(size=(120, 36), notifications=True) as pilot:
        app = pilot.app
        await highlight_where(pilot, failed_validation)
        kept = len(app.dashboard.highlighted.batch.validation_errors)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_until(lambda: screen.total is not None, pilot=pilot)
        await pilot.pause()
        assert screen.query_one(DataTable).row_count == 0
        state = str(screen.query_one("#results-state", Static).render())
        assert f"{kept} validation error" in state
        await pilot.press("e")
        await pilot.pause()
        (path,) = tmp_path.glob("batch-tui-results-*.csv")
        assert len(list(csv.DictReader(path.open()))) == kept
        told = [n.message for n in notifications(app) if n.title == "Exported"]
        assert told and told[-1].startswith(f"Wrote {kept} validation error")


async def test_the_errors_title_says_what_the_failed_items_are_out_of(run_app):
    async with run_app(size=(120, 36)) as pilot:
        app = pilot.app
        target = await highlight_where(pilot, lambda b: b.name == "Newsroom claims: morning desk")
        await wait_until(lambda: target in app.monitor.item_errors, pilot=pilot)
        await settled(pilot)
        errors = app.dashboard.query_one(ErrorsTable)
        batch = app.monitor.snapshots[target].batch
        failed = len(errors.rows.items)
        assert errors.border_title == (
            f"Errors: {failed} of {batch.failure_count} failed (first 100 items)"
        )
        shown = screen_text(app)
        assert "Row / item" in shown and "item #" in shown


async def test_a_poll_that_moves_only_the_counts_keeps_the_place_in_the_errors(run_app):
    """A running batch's failure count grows at every poll: the title says so, but the
    failed items are the same, so the table is not refilled under the user's cursor
    (and no layout pass is spent on words that did not change)."""
    from batch_tui.api.models import ItemResult
    from batch_tui.ui.widgets.errors_table import ErrorRows

    items = tuple(ItemResult(f"item_{n}", n, error_message=f"upstream error {n}") for n in range(5))
    rows = ErrorRows("batch_1", True, items=items, scanned=100, failure_count=5)
    async with run_app(size=(120, 36)) as pilot:
        errors = pilot.app.dashboard.query_one(ErrorsTable)
        errors.rows = rows
        await pilot.pause()
        errors.table.move_cursor(row=3)
        await pilot.pause()
        errors.rows = ErrorRows("batch_1", True, items=items, scanned=100, failure_count=9)
        await pilot.pause()
        assert errors.border_title == "Errors: 5 of 9 failed (first 100 items)"
        assert errors.table.cursor_row == 3
        assert errors.table.row_count == 5
        more = (*items, ItemResult("item_5", 5, error_message="upstream error 5"))
        errors.rows = ErrorRows("batch_1", True, items=more, scanned=100, failure_count=9)
        await pilot.pause()
        assert errors.table.row_count == 6
