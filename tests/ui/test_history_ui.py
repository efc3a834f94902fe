"""The dashboard's side of a long history: older batches load as the cursor nears the end,
and the status line says what is loaded and when the store is off."""

from __future__ import annotations

from apphelpers import notifications, screen_text, settled
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import Simulator
from batch_tui.store import store_path
from batch_tui.ui.widgets.status_bar import StatusBar
from helpers import EPOCH, TEST_KEY, wait_until


def status_text(app) -> str:
    return app.dashboard.query_one(StatusBar).text


async def test_older_batches_load_only_when_the_cursor_nears_the_end(run_app, clock):
    simulator = Simulator(seed=3, epoch=EPOCH, clock=clock, fleet=305, active=5)
    with DemoServer(DemoApi(simulator, rate_limit=0)) as server:
        async with run_app(server=server, size=(120, 36)) as pilot:
            app = pilot.app
            assert len(app.monitor.snapshots) == 100
            assert "older batches load as you scroll" in status_text(app)
            await pilot.press("down", "down")
            await settled(pilot)
            assert not app.monitor.scheduler.history_wanted
            await pilot.press("end")
            await wait_until(lambda: app.monitor.scheduler.history_wanted, pilot=pilot)
            for _ in range(10):
                if len(app.monitor.snapshots) >= 305:
                    break
                clock.advance(30)
                app.monitor.wake()
                await settled(pilot)
                await pilot.press("end")
            assert len(app.monitor.snapshots) == 305
            await settled(pilot)
            assert "older batches" not in status_text(app)


async def test_a_corrupt_store_is_named_in_the_status_line_and_the_dashboard_runs(
    run_app, demo, clock
):
    path = store_path(demo.url, TEST_KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    async with run_app(store=True) as pilot:
        app = pilot.app
        assert "local store" in status_text(app) and "not usable" in status_text(app)
        assert app.monitor.snapshots and app.monitor.status.state == "ok"
        assert "Daily fact check" in screen_text(app)
    path.unlink()


class EndlessResults(DemoApi):
    """Results whose ``hasMore`` never ends: fresh ids on every page, past the stated total."""

    served = 0

    async def get_results(self, request):
        data = await super().get_results(request)
        EndlessResults.served += 1
        for item in data["items"]:
            item["id"] = f"{item['id']}-{EndlessResults.served}"
            item["status"] = "completed"
        data["pagination"]["hasMore"] = True
        if not data["items"]:
            data["items"] = [{"id": f"x{EndlessResults.served}", "status": "completed"}]
        return data


async def test_results_stop_at_the_stated_total_and_failed_only_looks_a_few_pages_ahead(
    run_app, clock
):
    from batch_tui.ui.screens.results import LOOK_AHEAD_PAGES, ResultsScreen

    simulator = Simulator(seed=7, epoch=EPOCH, clock=clock)
    api = EndlessResults(simulator, rate_limit=0)
    with DemoServer(api) as server:
        async with run_app(server=server, size=(120, 36)) as pilot:
            app = pilot.app
            batch_id = next(
                i
                for i, s in app.monitor.snapshots.items()
                if s.batch.status == "completed" and (s.batch.total_items or 0) <= 100
            )
            total = app.monitor.snapshots[batch_id].batch.total_items
            table = app.dashboard.batch_list
            table.move_cursor(table.get_row_index(batch_id))
            await settled(pilot)
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, ResultsScreen)
            await wait_until(lambda: screen.items and not screen.loading, pilot=pilot)
            before = sum(1 for _, p in api.request_log if p.endswith("/results"))
            await pilot.press("f")  # no item failed: only a few pages ahead are fetched
            await wait_until(lambda: not screen.loading, pilot=pilot)
            for _ in range(20):
                await pilot.press("end")
                await wait_until(lambda: not screen.loading, pilot=pilot)
            asked = sum(1 for _, p in api.request_log if p.endswith("/results")) - before
            assert asked <= LOOK_AHEAD_PAGES + 20
            assert len(screen.items) <= total
            assert not screen.has_more


async def test_a_burst_of_finishes_is_one_notification_and_one_bell(run_app, clock):
    from dataclasses import replace

    from batch_tui.monitor.monitor import Change

    async with run_app(size=(120, 36), notifications=True) as pilot:
        app = pilot.app
        rings: list[int] = []
        app.bell = lambda: rings.append(1)
        snapshots = {
            f"batch_burst{n:02d}": replace(
                next(iter(app.monitor.snapshots.values())),
                batch=replace(
                    next(iter(app.monitor.snapshots.values())).batch,
                    id=f"batch_burst{n:02d}",
                    status="failed" if n < 2 else "completed",
                ),
            )
            for n in range(12)
        }
        before = len(notifications(app))
        alerts = app.dashboard.alerts
        for batch_id in snapshots:  # twelve finishes in quick succession
            alerts.tell(Change(finished=frozenset({batch_id})), snapshots)
        alerts.flush()
        await pilot.pause()
        new = notifications(app)[before:]
        assert [n.message for n in new] == ["12 batches finished: 10 completed, 2 failed."]
        assert rings == [1]
        alerts.tell(Change(finished=frozenset({"batch_burst00"})), snapshots)
        alerts.flush()
        assert rings == [1]  # the bell waits BELL_GAP before it rings again


def test_rendered_rows_kept_are_bounded_however_far_the_list_is_scrolled():
    from datetime import UTC, datetime

    from rich.console import Console

    from batch_tui.api.models import Batch
    from batch_tui.monitor.monitor import Snapshot
    from batch_tui.ui.widgets.batch_rows import CACHED_ROWS, COLUMNS, Rows

    rows = Rows()
    rows.snapshots = {
        f"batch_{n:06d}": Snapshot(Batch(id=f"batch_{n:06d}", name="x", status="completed"), 0.0)
        for n in range(5 * CACHED_ROWS)
    }
    rows.now = datetime(2026, 1, 1, tzinfo=UTC)
    console = Console(width=140)
    for batch_id in rows.snapshots:  # every row drawn once, as scrolling to the end would
        rows.strip(batch_id, COLUMNS, console)
    assert len(rows._strips) <= CACHED_ROWS and len(rows._cells) <= CACHED_ROWS
