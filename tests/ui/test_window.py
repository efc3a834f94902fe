"""Memory stays flat against a stream of short batches: finished batches beyond a
window are let go, and come back as history (from the store, or the server)."""

from __future__ import annotations

from apphelpers import settled
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import Simulator
from batch_tui.monitor import window
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.status_bar import StatusBar
from helpers import EPOCH, KEEP, advance, monitor_for, run_due, wait_until


def status_text(app) -> str:
    return app.dashboard.query_one(StatusBar).text


def stored_ids(app) -> list[str]:
    app.monitor.store.flush()
    return [row.batch.id or "" for row in app.monitor.store.store.load(10_000)]


def finished(monitor: BatchMonitor) -> list[str]:
    return [i for i, s in monitor.snapshots.items() if s.batch.is_terminal]


async def test_finished_batches_beyond_the_window_are_let_go(churn, clock, tmp_path):
    monitor = monitor_for(churn, clock, tmp_path)
    await run_due(monitor)
    await advance(monitor, clock, 60, step=2)  # 300 batches made, nearly all finished
    held = len(monitor.snapshots)
    assert len(finished(monitor)) <= KEEP * (1 + window.SLACK)
    assert held < 100
    # The newest finished ones are those held, in order, with every running one.
    order = list(monitor.snapshots)
    assert order == sorted(order, key=lambda i: order.index(i))
    assert monitor.active_count() > 0
    assert "older batches load as you scroll" in (monitor.status.history or "")


async def test_the_highlighted_watched_and_nearby_batches_are_kept(
    churn, clock, tmp_path, monkeypatch
):
    monkeypatch.setattr(window, "BAND", 5)
    monitor = monitor_for(churn, clock, tmp_path)
    await run_due(monitor)
    await advance(monitor, clock, 20, step=2)
    first = list(monitor.snapshots)
    highlighted, watched = first[0], first[-1]
    monitor.highlight(highlighted)
    monitor.watch(watched)
    await advance(monitor, clock, 60, step=2)
    order = list(monitor.snapshots)
    assert highlighted in order and watched in order
    at = order.index(highlighted)
    # The rows around the cursor are all still there, in their order; above them, a gap.
    stored = [row.batch.id for row in monitor.store.store.load(10_000)]
    around = stored.index(highlighted)
    assert order[at - 5 : at + 6] == stored[around - 5 : around + 6]
    assert order[at - 6] != stored[around - 6]
    assert monitor.gap_before == order[at - window.BAND]


async def test_a_marked_batch_stays_in_memory_however_far_from_the_cursor(
    churn, clock, tmp_path, monkeypatch
):
    """Marks are the user's: a finished batch marked long ago keeps its row (and so
    its mark) while the window lets its neighbours go."""
    monkeypatch.setattr(window, "BAND", 5)
    monitor = monitor_for(churn, clock, tmp_path)
    await run_due(monitor)
    await advance(monitor, clock, 20, step=2)
    first = list(monitor.snapshots)
    monitor.highlight(first[0])
    monitor.keep([first[-1]])
    await advance(monitor, clock, 60, step=2)
    assert first[-1] in monitor.snapshots
    assert first[-2] not in monitor.snapshots  # its neighbour was let go
    monitor.keep([])
    await advance(monitor, clock, 60, step=2)
    assert first[-1] not in monitor.snapshots


async def test_history_comes_back_from_the_store_when_wanted(churn, clock, tmp_path):
    monitor = monitor_for(churn, clock, tmp_path)
    await run_due(monitor)
    await advance(monitor, clock, 60, step=2)
    assert len(monitor.snapshots) < 100
    monitor.want_history(True)
    while monitor.stored.load_chunk():
        pass
    assert len(monitor.snapshots) >= 300
    # Nothing is let go while history is wanted.
    await advance(monitor, clock, 10, step=2)
    assert len(monitor.snapshots) >= 300


async def test_with_the_store_off_history_is_asked_of_the_server_again(churn, clock, tmp_path):
    monitor = monitor_for(churn, clock, tmp_path, store=False)
    await run_due(monitor)
    await advance(monitor, clock, 60, step=2)
    assert len(monitor.snapshots) < 100
    monitor.want_history(True)
    await advance(monitor, clock, 60, step=2)
    assert len(monitor.snapshots) >= 300


async def test_a_window_of_zero_keeps_everything(churn, clock, tmp_path):
    monitor = monitor_for(churn, clock, tmp_path)
    monitor.keep_finished = 0
    await run_due(monitor)
    await advance(monitor, clock, 30, step=2)
    assert len(monitor.snapshots) >= 140


async def test_the_list_follows_keeps_its_cursor_and_refills_the_gap(
    run_app, clock, tmp_path, monkeypatch
):
    monkeypatch.setenv("BATCH_TUI_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(window, "BAND", 60)  # more than the rows that want history near it
    simulator = Simulator(seed=5, epoch=EPOCH, clock=clock, churn=5)
    with DemoServer(DemoApi(simulator, rate_limit=0)) as server:
        async with run_app(server=server, store=True, interval=2) as pilot:
            app = pilot.app
            app.monitor.keep_finished = KEEP
            table = app.dashboard.query_one(BatchList)
            await pilot.press("down", "down")
            await settled(pilot)
            mine = table.current_batch_id
            for _ in range(30):  # a minute of churn: 300 batches
                clock.advance(2)
                app.monitor.wake()
                await settled(pilot)
            assert table.current_batch_id == mine
            assert table.row_count < 250
            assert app.dashboard.counts.shown == table.row_count
            assert "older batches load as you scroll" in status_text(app)
            # Up to the first row kept above the cursor: the gap above it is read back.
            gap = table.get_row_index(app.monitor.gap_before or "")
            assert table.row_ids[gap] != stored_ids(app)[gap]
            table.move_cursor(gap)
            await wait_until(lambda: table.row_count >= 300, pilot=pilot)
            await settled(pilot)
            assert table.row_ids[: table.cursor_row + 2] == stored_ids(app)[: table.cursor_row + 2]


async def test_batches_are_let_go_a_fifth_of_the_window_at_a_time(
    churn, clock, tmp_path, monkeypatch
):
    # Each pass redraws the whole list: a few rows on every poll would redraw it
    # on every poll, once the rows kept around the cursor fill the slack.
    monkeypatch.setattr(window, "BAND", 60)
    passes: list[int] = []
    monitor = monitor_for(churn, clock, tmp_path)
    monitor.keep_finished = 200
    monitor.on_change = lambda change: change.removed and passes.append(len(change.removed))
    await run_due(monitor)
    monitor.highlight(next(iter(monitor.snapshots)))
    await advance(monitor, clock, 140, step=2)  # 700 new batches, ten a poll
    assert 2 <= len(passes) <= 700 / (200 * window.SLACK) + 2
