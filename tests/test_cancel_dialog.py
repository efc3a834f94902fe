"""The cancel confirmation follows its batch while it is open."""

from __future__ import annotations

from textual.widgets import Static

from batch_tui.format import count, money
from batch_tui.ui.screens.confirm_cancel import ConfirmCancel
from conftest import wait_until
from test_app import first_with_status, move_to, posts


async def test_the_dialog_shows_progress_and_cost_as_the_batch_moves_on(
    run_app, demo_api, clock, simulator
):
    target = first_with_status(simulator, "processing")
    async with run_app() as pilot:
        app = pilot.app
        await move_to(pilot, target["id"])
        await pilot.press("c")
        dialog = app.screen
        assert isinstance(dialog, ConfirmCancel)
        before = app.monitor.snapshots[target["id"]].batch
        clock.advance(60)
        app.monitor.refresh()
        await wait_until(
            lambda: (
                app.monitor.snapshots[target["id"]].batch.processed_items != before.processed_items
            ),
            pilot=pilot,
        )
        await pilot.pause()
        now = app.monitor.snapshots[target["id"]].batch
        box = dialog.query_one("#summary", Static)
        summary = "\n".join(strip.text for strip in box.render_lines(box.region.reset_offset))
        assert f"{count(now.processed_items)} / {count(now.total_items)}" in summary
        assert money(now.total_cost_cents) in summary
        assert isinstance(app.screen, ConfirmCancel) and posts(demo_api) == []
