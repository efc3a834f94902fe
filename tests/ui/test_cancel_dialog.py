"""The cancel confirmation follows its batch while it is open."""

from __future__ import annotations

from itertools import product

from textual.widgets import Button, Static
from textual.widgets._toast import Toast

from apphelpers import first_with_status, move_to, posts
from batch_tui.core.format import count, money
from batch_tui.ui.dialogs.confirm_cancel import ConfirmCancel
from helpers import wait_until


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


async def test_notifications_never_cover_the_question_and_come_back_after_it(run_app, simulator):
    """At 80x24 a notification's toast would sit on the dialog's buttons: while the
    question is open the toasts wait, and they are there again once it is answered."""
    target = first_with_status(simulator, "processing")
    async with run_app(size=(80, 24), notifications=True) as pilot:
        app = pilot.app
        await move_to(pilot, target["id"])
        for n in range(2):
            app.notify(f"Something happened {n}", timeout=60)
        await pilot.press("c")
        app.notify("Something happened while the question was open", timeout=60)
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmCancel)
        for button in dialog.query(Button):
            region = button.region
            for x, y in product(range(region.x, region.right), range(region.y, region.bottom)):
                widget, _ = app.screen.get_widget_at(x, y)
                assert widget is button or button in widget.ancestors, (button.label, widget)
        await pilot.press("n")
        await wait_until(lambda: len(app.screen.query(Toast)) == 3, pilot=pilot)
