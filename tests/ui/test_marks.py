"""Marking batches (Space, ``*``, ``u``) and cancelling the marked ones with ``c``: Pilot
against the demo server on real loopback HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App

from apphelpers import (
    dashboard_on,
    first_with_status,
    move_to,
    notifications,
    posts,
    screen_strips,
    screen_text,
    settled,
    write_two_profiles,
)
from batch_tui.api.models import Batch
from batch_tui.core.format import money
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import Simulator
from batch_tui.monitor.monitor import Snapshot
from batch_tui.ui.dialogs.bulk_outcome import BulkOutcomeScreen
from batch_tui.ui.dialogs.confirm_bulk_cancel import ConfirmBulkCancel
from batch_tui.ui.dialogs.confirm_cancel import ConfirmCancel
from batch_tui.ui.widgets.marked_list import MARK_GLYPH, MarkedBatchList
from batch_tui.ui.widgets.marks import Marks
from helpers import EPOCH, SEED, wait_until


def marked_rows(app) -> list[str]:
    """The ids of the rows on screen that show the mark."""
    lines = screen_text(app).splitlines()
    return [
        batch_id
        for batch_id in app.monitor.snapshots
        for line in lines
        if line.startswith(MARK_GLYPH) and batch_id in line
    ]


def ids_with(simulator, *statuses: str) -> list[str]:
    return [
        row["id"] for row in simulator.list_json(limit=100)["data"] if row["status"] in statuses
    ]


ACTIVE = ("pending", "validating", "processing")


async def outcome_rows(pilot) -> dict[str, str]:
    """Wait for the outcome table of a cancel of many; its rows, outcome by batch id."""
    app = pilot.app
    await wait_until(lambda: isinstance(app.screen, BulkOutcomeScreen), pilot=pilot)
    await pilot.pause()
    return {batch_id: result for _, batch_id, result in app.screen.rows}


async def test_space_marks_the_highlighted_batch_and_marks_survive_sort_and_filter(
    run_app, simulator
):
    target = first_with_status(simulator, "processing")
    async with run_app() as pilot:
        app = pilot.app
        await move_to(pilot, target["id"])
        await pilot.press("space")
        assert marked_rows(app) == [target["id"]]
        assert "✓ 1 marked" in screen_text(app)
        await pilot.press("o", "o")  # sorted by progress
        await pilot.press("s", "s")  # completed only: the marked batch is hidden...
        assert marked_rows(app) == [] and "✓ 1 marked" in screen_text(app)
        await pilot.press("s", "s", "s")  # ...and back
        assert marked_rows(app) == [target["id"]]
        await move_to(pilot, target["id"])
        await pilot.press("space")  # Space again unmarks
        assert marked_rows(app) == [] and "marked" not in screen_text(app)


async def test_star_marks_what_the_filter_shows_and_again_unmarks_it(run_app, simulator):
    async with run_app() as pilot:
        app = pilot.app
        await pilot.press("s")  # active only
        await pilot.press("asterisk")
        active = ids_with(simulator, *ACTIVE)
        assert sorted(marked_rows(app)) == sorted(active)
        assert f"✓ {len(active)} marked" in screen_text(app)
        await pilot.press("s")  # completed: none of those is marked
        assert marked_rows(app) == []
        await pilot.press("asterisk")
        total = len(active) + len(ids_with(simulator, "completed"))
        assert f"✓ {total} marked" in screen_text(app)
        await pilot.press("asterisk")  # every completed one is marked: unmark them
        assert marked_rows(app) == [] and f"✓ {len(active)} marked" in screen_text(app)
        await pilot.press("u")
        assert "marked" not in screen_text(app)
        await pilot.press("s", "s", "s", "s")  # all again: nothing marked anywhere
        assert marked_rows(app) == []


async def test_c_with_marks_cancels_each_marked_batch_once_and_skips_the_finished(
    run_app, demo_api, simulator
):
    active = ids_with(simulator, *ACTIVE)
    done = first_with_status(simulator, "completed")
    async with run_app() as pilot:
        app = pilot.app
        await pilot.press("s", "asterisk", "s", "s", "s", "s")  # the active ones, then all
        await move_to(pilot, done["id"])
        await pilot.press("space")
        await pilot.press("c")
        dialog = app.screen
        assert isinstance(dialog, ConfirmBulkCancel)
        text = screen_text(app)
        assert f"Cancel {len(active)} marked batches?" in text
        assert "1 finished, skipped" in text
        for batch_id in active:
            assert batch_id in text and app.monitor.snapshots[batch_id].batch.name in text
        assert done["id"] not in text
        cost = sum(app.monitor.snapshots[i].batch.total_cost_cents or 0 for i in active)
        assert f"Cost so far  {money(cost)}" in text
        assert posts(demo_api) == []

        await pilot.press("y")
        rows = await outcome_rows(pilot)
        assert rows == {
            **dict.fromkeys(active, "cancelled"),
            done["id"]: "already finished (completed)",
        }
        assert "Cancel of many: 7 cancelled · 1 already finished" in screen_text(app)
        assert sorted(posts(demo_api)) == sorted(f"/v1/batch/{i}/cancel" for i in active)
        for batch_id in active:
            assert simulator.get_json(batch_id)["status"] == "cancelled"
        await pilot.press("escape")
        assert not isinstance(app.screen, BulkOutcomeScreen)
        await settled(pilot)
        assert "marked" not in screen_text(app)  # all done: no marks left
        for batch_id in active:
            assert app.monitor.snapshots[batch_id].batch.status == "cancelled"


async def test_a_cancel_refused_because_the_batch_just_finished_says_so(
    run_app, demo_api, simulator
):
    first, second = ids_with(simulator, "processing")[:2]
    async with run_app() as pilot:
        for batch_id in (first, second):
            await move_to(pilot, batch_id)
            await pilot.press("space")
        simulator.cancel(first)  # someone else got there: the dashboard does not know yet
        await pilot.press("c", "y")
        rows = await outcome_rows(pilot)
        assert rows == {first: "already finished (cancelled)", second: "cancelled"}
        assert sorted(posts(demo_api)) == sorted(f"/v1/batch/{i}/cancel" for i in (first, second))


async def test_a_failed_cancel_says_why_and_stays_marked(run_app, demo_api, simulator):
    first, second = ids_with(simulator, "processing")[:2]
    async with run_app() as pilot:
        app = pilot.app
        for batch_id in (first, second):
            await move_to(pilot, batch_id)
            await pilot.press("space")
        await pilot.press("c")
        demo_api.faults.status = 409
        demo_api.faults.error = {"code": "CANNOT_CANCEL", "message": "[b]Locked[/b] by ops"}
        await pilot.press("y")
        rows = await outcome_rows(pilot)
        assert rows == dict.fromkeys((first, second), "failed: [b]Locked[/b] by ops")
        assert "The failed ones stay marked: c tries them again." in screen_text(app)
        demo_api.faults.clear()
        await pilot.press("enter")
        assert not isinstance(app.screen, BulkOutcomeScreen)
        assert list(app.screen.query_one(MarkedBatchList).marks) == [first, second]
        assert "✓ 2 marked" in screen_text(app)
        assert len(posts(demo_api)) == 2


async def test_declining_or_enter_sends_nothing_and_keeps_the_marks(run_app, demo_api):
    async with run_app() as pilot:
        app = pilot.app
        await pilot.press("s", "asterisk")
        for keys in (("c", "n"), ("c", "escape"), ("c", "enter")):
            await pilot.press(*keys)
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmCancel)
        assert posts(demo_api) == []
        assert "✓ 7 marked" in screen_text(app)


async def test_while_many_cancels_wait_for_the_budget_c_starts_no_second(
    run_app, demo_api, clock, simulator
):
    demo_api.limiter.limit = 6  # our share: 4 a minute
    active = ids_with(simulator, *ACTIVE)
    async with run_app(notifications=True, size=(160, 36)) as pilot:
        app = pilot.app
        await pilot.press("s", "asterisk", "c", "y")
        await wait_until(
            lambda: (p := app.monitor.status.cancelling) is not None and p.waiting_until,
            pilot=pilot,
        )
        await pilot.pause()
        assert "cancelling " in screen_text(app) and "within the rate limit" in screen_text(app)
        sent = len(posts(demo_api))
        assert 0 < sent < len(active)
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmCancel)
        assert any("Already cancelling" in n.message for n in notifications(app))
        while not isinstance(app.screen, BulkOutcomeScreen):
            progress = app.monitor.status.cancelling
            if progress is not None and progress.waiting_until is not None:
                clock.set(max(clock(), progress.waiting_until))
            await pilot.pause(0.01)
        rows = await outcome_rows(pilot)
        # Minutes passed on the way: a batch that finished by itself before its turn
        # is reported so; no batch got more than one POST.
        cancelled = [i for i in active if rows[i] == "cancelled"]
        assert len(cancelled) >= len(active) - 2
        assert all(rows[i].startswith("already finished") for i in active if i not in cancelled)
        posted = posts(demo_api)
        assert len(posted) == len(set(posted))
        assert {f"/v1/batch/{i}/cancel" for i in cancelled} <= set(posted)
        assert app.monitor.failures["rate limited"] == 0


async def test_read_only_has_no_marks(run_app, simulator):
    async with run_app(read_only=True) as pilot:
        app = pilot.app
        await pilot.press("space", "asterisk")
        await pilot.pause()
        assert marked_rows(app) == [] and "marked" not in screen_text(app)


async def test_the_dialog_follows_a_marked_batch_that_finishes_while_it_is_open(
    run_app, demo_api, clock, simulator
):
    active = ids_with(simulator, *ACTIVE)
    spec = min(
        (s for s in simulator.specs() if s.id in active and s.finishes_at),
        key=lambda s: s.finishes_at,
    )
    async with run_app() as pilot:
        app = pilot.app
        await pilot.press("s", "asterisk", "c")
        assert f"Cancel {len(active)} marked batches?" in screen_text(app)
        clock.set(spec.finishes_at + 1)
        app.monitor.refresh()
        await wait_until(lambda: "1 finished, skipped" in screen_text(app), pilot=pilot)
        assert f"Cancel {len(active) - 1} marked batches?" in screen_text(app)
        await pilot.press("y")
        rows = await outcome_rows(pilot)
        assert rows[spec.id] == f"already finished ({simulator.get_json(spec.id)['status']})"
        assert f"/v1/batch/{spec.id}/cancel" not in posts(demo_api)


def test_marks_toggle_by_id_and_star_unmarks_only_when_all_shown_are_marked():
    marks = Marks()
    assert marks.toggle("a") and "a" in marks
    assert marks.toggle_all(["a", "b", "c"])  # not all were marked: mark them all
    assert list(marks) == ["a", "b", "c"]
    assert not marks.toggle_all(["b", "c"])  # all shown are marked: unmark those
    assert list(marks) == ["a"]
    marks.add(["d"])
    marks.forget(["a", "zzz"])
    assert list(marks) == ["d"] and len(marks) == 1
    assert not marks.toggle_all([])  # an empty list marks nothing
    assert list(marks) == ["d"]


async def test_marking_every_row_renders_no_row_again():
    """The mark is drawn over a row's cached rendering: ``*`` over a long list costs a
    pass over the ids and a repaint, never a row render."""
    now = datetime(2026, 1, 15, 10, tzinfo=UTC)
    snapshots = {
        f"batch_{n:06d}": Snapshot(Batch(id=f"batch_{n:06d}", status="processing"), 0.0)
        for n in range(20_000)
    }

    class Host(App):
        def compose(self):
            yield MarkedBatchList()

    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        rows = app.query_one(MarkedBatchList)
        rows.apply(snapshots, now)
        await pilot.pause()
        drawn = dict(rows._rows._strips)
        assert drawn
        rows.marks.toggle_all(rows.row_ids)
        rows.repaint_marks()
        await pilot.pause()
        assert len(rows.marks) == len(snapshots)
        now_drawn = rows._rows._strips
        assert all(now_drawn.get(i) is strip for i, strip in drawn.items())  # none made again
        lines = [strip.text for strip in screen_strips(app)]
        assert all(line.startswith(MARK_GLYPH) for line in lines[1:])


async def test_hostile_names_in_the_dialog_and_the_outcome_table_are_literal(run_app, clock):
    simulator = Simulator(seed=SEED, epoch=EPOCH, clock=clock, hostile=True)
    with DemoServer(DemoApi(simulator, rate_limit=0)) as hostile:
        async with run_app(server=hostile) as pilot:
            app = pilot.app
            await pilot.press("asterisk", "c")
            for screen in (ConfirmBulkCancel, BulkOutcomeScreen):
                await wait_until(lambda s=screen: isinstance(app.screen, s), pilot=pilot)
                await pilot.pause()
                text = screen_text(app)
                assert "[bold red]Pwned[/]" in text  # markup shown, never applied
                assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in text)
                svg = app.export_screenshot()
                assert "\x1b" not in svg and "\x07" not in svg
                await pilot.press("y")


async def test_no_profile_switch_while_the_marked_batches_are_being_cancelled(
    tmp_path, demo, demo_api, clock, simulator
):
    from batch_tui.ui.dialogs.profiles import ProfilePicker

    demo_api.limiter.limit = 6  # our share: 4 a minute, so the cancels wait for it
    path = write_two_profiles(tmp_path, demo.url, demo.url)
    async with dashboard_on(path, clock, notifications=True) as pilot:
        app = pilot.app
        await pilot.press("s", "asterisk", "c", "y")
        await wait_until(lambda: waiting(app), pilot=pilot)
        await pilot.press("P")
        await pilot.pause()
        assert not isinstance(app.screen, ProfilePicker)
        assert any("switch profiles once" in n.message for n in notifications(app))
        while not isinstance(app.screen, BulkOutcomeScreen):
            if waiting(app):
                clock.set(app.monitor.status.cancelling.waiting_until)
            await pilot.pause(0.01)
        await pilot.press("escape", "P")
        await wait_until(lambda: isinstance(app.screen, ProfilePicker), pilot=pilot)


def waiting(app) -> bool:
    """The cancels of many wait for the rate budget (or a 429 hold)."""
    progress = app.monitor.status.cancelling
    return progress is not None and progress.waiting_until is not None
