"""Pilot tests: press keys in the real app against the demo server, check what the user sees."""

from __future__ import annotations

from apphelpers import (
    cell,
    first_with_status,
    list_ids,
    move_to,
    notifications,
    posts,
    screen_text,
    settled,
)
from batch_tui.core.format import compact
from batch_tui.monitor.scheduler import REFRESH_COALESCE
from batch_tui.ui.dialogs.confirm_cancel import ConfirmCancel
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.errors_table import ErrorsTable
from helpers import wait_until


async def test_start_up_lists_every_batch_with_its_status(run_app, clock, simulator):
    async with run_app() as pilot:
        app = pilot.app
        expected = [row["id"] for row in simulator.list_json(limit=100)["data"]]
        assert list_ids(app) == expected
        processing = first_with_status(simulator, "processing")
        assert cell(app, processing["id"], "status") == "processing"
        assert f"{processing['processedItems']}/{processing['totalItems']}" in cell(
            app, processing["id"], "progress"
        )
        text = screen_text(app)
        assert "connected" in text
        assert "12 batches" in text


async def test_navigation_updates_detail_pane_and_errors_table(run_app, clock, simulator):
    failed = first_with_status(simulator, "failed")
    processing = first_with_status(simulator, "processing")
    async with run_app() as pilot:
        app = pilot.app
        await move_to(pilot, processing["id"])
        text = screen_text(app)
        assert processing["name"] in text
        # The detail's own fields (not in the list's summary) for this batch.
        detail = simulator.get_json(processing["id"])
        tokens = next(line for line in text.splitlines() if "│ Tokens" in line)
        assert (
            f"in {compact(detail['totalInputTokens'])} · out {compact(detail['totalOutputTokens'])}"
            in tokens
        )
        # A running batch with failures: its failed items fill the errors table.
        await wait_until(lambda: " item " in screen_text(app), pilot=pilot)

        await move_to(pilot, failed["id"])
        text = screen_text(app)
        assert failed["id"] in text
        assert "validation error(s)" in text
        errors = app.screen.query_one(ErrorsTable)
        assert errors.border_title.startswith("Errors: ")
        detail = simulator.get_json(failed["id"])
        first_error = detail["validationErrors"][0]["error"]
        # At 120 columns the errors column cuts long text with an ellipsis (Enter
        # shows it whole): its start is on screen, marked as cut where it is.
        shown = next(line for line in text.splitlines() if first_error[:12] in line)
        assert first_error in shown or first_error[:12] in shown and "…" in shown


async def test_r_refreshes_the_numbers(run_app, clock, simulator):
    processing = first_with_status(simulator, "processing")
    async with run_app() as pilot:
        app = pilot.app
        before = cell(app, processing["id"], "progress")
        clock.advance(20)
        await pilot.press("r")
        expected = simulator.get_json(processing["id"])["processedItems"]
        await wait_until(
            lambda: f" {expected}/" in cell(app, processing["id"], "progress"), pilot=pilot
        )
        assert cell(app, processing["id"], "progress") != before


async def test_confirmed_cancel_sends_one_post_and_the_row_turns_cancelled(
    run_app, demo_api, clock, simulator
):
    target = first_with_status(simulator, "processing")
    async with run_app(notifications=True) as pilot:
        app = pilot.app
        await move_to(pilot, target["id"])
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmCancel)
        modal = screen_text(app)
        assert target["id"] in modal and target["name"] in modal
        assert "Cost so far" in modal
        # What the row said when the toast went up: the toast never says "cancelled"
        # over a row that still says "processing".
        row_when_told: list[str] = []
        told = app.notify

        def notify(message, *args, **kwargs):
            if "cancelled successfully" in str(message):
                row_when_told.append(cell(app, target["id"], "status"))
            return told(message, *args, **kwargs)

        app.notify = notify
        await pilot.press("y")
        await wait_until(lambda: cell(app, target["id"], "status") == "cancelled", pilot=pilot)
        await wait_until(lambda: row_when_told, pilot=pilot)
        assert row_when_told == ["cancelled"]
        assert posts(demo_api) == [f"/v1/batch/{target['id']}/cancel"]
        assert any("cancelled successfully" in n.message for n in notifications(app))


async def test_enter_never_confirms_and_repeated_keys_send_one_post(
    run_app, demo_api, clock, simulator
):
    target = first_with_status(simulator, "processing")
    async with run_app() as pilot:
        app = pilot.app
        await move_to(pilot, target["id"])
        await pilot.press("c", "enter")  # c, then Enter meant for the results: no cancel
        await pilot.pause()
        assert posts(demo_api) == [] and not isinstance(app.screen, ConfirmCancel)
        await pilot.press("c", "y", "y")
        await wait_until(lambda: cell(app, target["id"], "status") == "cancelled", pilot=pilot)
        await settled(pilot)
        assert len(posts(demo_api)) == 1


async def test_declined_cancel_sends_nothing(run_app, demo_api, clock, simulator):
    target = first_with_status(simulator, "processing")
    async with run_app() as pilot:
        app = pilot.app
        await move_to(pilot, target["id"])
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmCancel)
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmCancel)
        await pilot.press("c")
        await pilot.press("escape")
        assert not isinstance(app.screen, ConfirmCancel)
        assert posts(demo_api) == []
        assert cell(app, target["id"], "status") == "processing"


async def test_cancel_on_a_completed_batch_is_refused_with_a_reason(
    run_app, demo_api, clock, simulator
):
    done = first_with_status(simulator, "completed")
    async with run_app(notifications=True) as pilot:
        app = pilot.app
        await move_to(pilot, done["id"])
        await pilot.press("c")
        assert not isinstance(app.screen, ConfirmCancel)
        messages = [n.message for n in notifications(app)]
        assert any("is completed" in m and "can be cancelled" in m for m in messages)
        assert posts(demo_api) == []


async def test_cursor_and_scroll_stay_on_their_batch_when_a_row_is_added_above(
    run_app, clock, simulator
):
    # A short terminal, so the list scrolls.
    async with run_app(size=(120, 20)) as pilot:
        app = pilot.app
        table = app.screen.query_one(BatchList)
        # Scroll to the bottom, then come back up: the cursor rests mid-view, scrolled.
        await pilot.press(*(["j"] * table.row_count), "k", "k", "k")
        await settled(pilot)
        target = table.current_batch_id
        assert table.scroll_y > 0
        row_before = table.cursor_row
        on_screen_before = table.cursor_row - table.scroll_y
        ids_before = list_ids(app)
        # A new batch arrives at the top of the list.
        clock.advance(simulator.arrival_every + 1)
        await pilot.press("r")
        await wait_until(lambda: table.row_count == len(ids_before) + 1, pilot=pilot)
        await pilot.pause()
        assert list_ids(app)[0] not in ids_before
        assert table.current_batch_id == target
        assert table.cursor_row == row_before + 1
        assert table.cursor_row - table.scroll_y == on_screen_before
        assert app.monitor.snapshots[target].batch.name in screen_text(app)


async def test_cursor_stays_on_its_batch_when_a_row_above_leaves_the_list(
    run_app, clock, simulator
):
    processing = [
        row for row in simulator.list_json(limit=100)["data"] if row["status"] == "processing"
    ]
    specs = {spec.id: spec for spec in simulator.specs()}
    # The batch that finishes first leaves a list filtered to processing batches.
    leaving = min(processing, key=lambda row: specs[row["id"]].finishes_at)
    ids = [row["id"] for row in processing]
    staying = processing[ids.index(leaving["id"]) + 1]
    async with run_app(status_filter="processing") as pilot:
        app = pilot.app
        await move_to(pilot, staying["id"])
        table = app.screen.query_one(BatchList)
        row_before = table.cursor_row
        clock.set(specs[leaving["id"]].finishes_at + 1)
        await pilot.press("r")
        await wait_until(lambda: leaving["id"] not in list_ids(app), pilot=pilot)
        await pilot.pause()
        assert table.current_batch_id == staying["id"]
        assert table.cursor_row == row_before - 1
        assert staying["name"] in screen_text(app)


async def test_a_failing_server_leaves_last_data_marked_stale_then_recovers(
    run_app, demo_api, clock, simulator
):
    target = first_with_status(simulator, "processing")
    async with run_app() as pilot:
        app = pilot.app
        await move_to(pilot, target["id"])
        shown = cell(app, target["id"], "progress")
        demo_api.faults.status = 503
        clock.advance(30)
        await pilot.press("r")
        await wait_until(lambda: app.monitor.status.state == "error", pilot=pilot)
        await wait_until(lambda: cell(app, target["id"], "mark") == "!", pilot=pilot)
        await pilot.pause()
        assert cell(app, target["id"], "progress") == shown
        text = screen_text(app)
        assert "error" in text and "Injected fault" in text
        assert "stale" in text

        demo_api.faults.status = None
        clock.advance(REFRESH_COALESCE)  # a second press this soon would join the first
        await pilot.press("r")
        await wait_until(lambda: cell(app, target["id"], "mark") == "", pilot=pilot)
        assert app.monitor.status.state == "ok"
        assert cell(app, target["id"], "progress") != shown


async def test_watched_id_not_in_the_list_is_shown_and_marked_not_found(run_app, clock):
    async with run_app(batch_ids=("batch_doesnotexist",)) as pilot:
        app = pilot.app
        assert "batch_doesnotexist" in list_ids(app)
        assert cell(app, "batch_doesnotexist", "status") == "not found"
        assert cell(app, "batch_doesnotexist", "mark") == ""  # no data to be stale


async def test_q_quits(run_app, clock):
    async with run_app() as pilot:
        app = pilot.app
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_plus_and_minus_change_the_interval_and_the_status_line_says_so(run_app, clock):
    async with run_app(interval=5) as pilot:
        app = pilot.app
        await pilot.press("plus")
        assert app.monitor.status.interval == 10
        await pilot.pause()
        assert "every 10s" in screen_text(app)
        await pilot.press("minus", "minus", "minus")
        assert app.monitor.status.interval == 2
        await pilot.pause()
        assert "every 2s" in screen_text(app)


async def test_p_pauses_polling_and_resumes_it(run_app, demo_api, clock, simulator):
    processing = first_with_status(simulator, "processing")
    async with run_app(interval=5) as pilot:
        app = pilot.app
        await pilot.press("p")
        await pilot.pause()
        assert "PAUSED" in screen_text(app)
        asked = len(demo_api.request_log)
        # Everything falls due many times over, and the loop is woken to look: it
        # plans again (and says so) but sends nothing. ``r`` does not override a pause.
        clock.advance(60)
        planned = []
        tell_app = app.monitor.on_change
        app.monitor.on_change = lambda change: (planned.append(change), tell_app(change))
        app.monitor.wake()
        await wait_until(lambda: planned, pilot=pilot)
        await pilot.press("r")
        await pilot.pause()
        assert len(demo_api.request_log) == asked
        await pilot.press("p")
        expected = simulator.get_json(processing["id"])["processedItems"]
        await wait_until(
            lambda: f" {expected}/" in cell(app, processing["id"], "progress"), pilot=pilot
        )
        assert "PAUSED" not in screen_text(app)


async def test_status_line_shows_rate_budget_requests_and_backoff(run_app, demo_api, clock):
    demo_api.limiter.limit = 200
    async with run_app(size=(160, 36), interval=5) as pilot:
        app = pilot.app
        text = screen_text(app)
        remaining = app.monitor.status.rate_limit.remaining
        assert f"rate {remaining}/200" in text
        assert f"{app.monitor.status.requests_last_minute} req/min" in text
        assert "reset 60s" in text
        demo_api.faults.status = 503
        clock.advance(5)
        await pilot.press("r")
        await wait_until(lambda: app.monitor.status.backing_off > 0, pilot=pilot)
        await pilot.pause()
        assert "retrying: 1 failed in a row" in screen_text(app)


async def test_status_line_shows_the_effective_interval_when_the_budget_is_short(
    run_app, demo_api, clock
):
    demo_api.limiter.limit = 20
    async with run_app(size=(160, 36), interval=1) as pilot:
        app = pilot.app
        status = app.monitor.status
        assert status.effective_interval > 1
        assert "budget allows" in screen_text(app)


async def test_read_only_mode_has_no_cancel_key_at_all(run_app, demo_api, clock, simulator):
    target = first_with_status(simulator, "processing")
    async with run_app(read_only=True) as pilot:
        app = pilot.app
        await move_to(pilot, target["id"])
        assert "Cancel batch" not in screen_text(app)
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmCancel)
        assert posts(demo_api) == []


async def test_a_refused_cancel_shows_the_server_message_and_refetches_the_batch(
    run_app, demo_api, clock, simulator
):
    target = first_with_status(simulator, "processing")
    async with run_app(notifications=True) as pilot:
        app = pilot.app
        await move_to(pilot, target["id"])
        await pilot.press("c")
        demo_api.faults.status = 404
        demo_api.faults.error = {"code": "not_found", "message": "Batch not found"}
        gets_before = demo_api.request_log.count(("GET", f"/v1/batch/{target['id']}"))
        await pilot.press("y")
        await wait_until(
            lambda: any("Batch not found" in n.message for n in notifications(app)), pilot=pilot
        )
        demo_api.faults.clear()
        await wait_until(
            lambda: demo_api.request_log.count(("GET", f"/v1/batch/{target['id']}")) > gets_before,
            pilot=pilot,
        )
        assert posts(demo_api) == [f"/v1/batch/{target['id']}/cancel"]


async def test_a_confirm_after_the_batch_finished_sends_nothing(
    run_app, demo_api, clock, simulator
):
    target = first_with_status(simulator, "processing")
    async with run_app(notifications=True) as pilot:
        app = pilot.app
        await move_to(pilot, target["id"])
        await pilot.press("c")
        # While the dialog is open, the batch finishes and the dashboard learns it.
        spec = next(s for s in simulator.specs() if s.id == target["id"])
        clock.set(spec.finishes_at + 1)
        app.monitor.refresh()
        await wait_until(lambda: cell(app, target["id"], "status") == "completed", pilot=pilot)
        await pilot.press("y")
        # The answer goes through the dialog's dismissal: wait for what it says, not a pause.
        await wait_until(
            lambda: any("nothing was sent" in n.message for n in notifications(app)), pilot=pilot
        )
        assert posts(demo_api) == []


async def test_a_cancel_that_breaks_unexpectedly_says_so(run_app, simulator, monkeypatch):
    target = first_with_status(simulator, "processing")
    async with run_app(notifications=True) as pilot:
        app = pilot.app

        async def broken(batch_id):
            raise RuntimeError("kaput")

        monkeypatch.setattr(app.monitor, "cancel", broken)
        await move_to(pilot, target["id"])
        await pilot.press("c", "y")
        await wait_until(
            lambda: any(n.title == "Cancel failed" for n in notifications(app)), pilot=pilot
        )
        message = next(n.message for n in notifications(app) if n.title == "Cancel failed")
        assert message == f"{target['id']}: internal error: RuntimeError: kaput"


async def test_keys_typed_ahead_act_on_the_batch_the_cursor_reached(run_app, simulator):
    """``jjjc`` in one burst (a fast typist, or a slow link that delivers the keys at
    once): the question names the batch the cursor moved to, not the one it left
    before the screen had heard of the move."""
    from textual import events

    async with run_app() as pilot:
        app = pilot.app
        await settled(pilot)
        batch_list = app.dashboard.query_one(BatchList)
        assert batch_list.cursor_row == 0
        target = batch_list.row_ids[3]
        for key in ("j", "j", "j", "c"):
            app.post_message(events.Key(key, key))
        await wait_until(lambda: isinstance(app.screen, ConfirmCancel), pilot=pilot)
        assert app.screen.target.id == target
        await settled(pilot)
        assert target in screen_text(app)
