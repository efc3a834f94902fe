"""Building the dashboard against the demo server for Pilot and snapshot tests."""

from __future__ import annotations

from typing import Any

from textual.css.query import NoMatches

from batch_tui.api.client import CheckClient
from batch_tui.clock import FakeClock
from batch_tui.demo.server import DemoServer
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.ui.app import BatchTUI
from batch_tui.ui.widgets.batch_list import BatchList
from conftest import TEST_KEY, wait_until

#: Long enough that, on a frozen clock, nothing is polled again unless a test asks.
TEST_INTERVAL = 30.0


def make_app(
    demo: DemoServer,
    clock: FakeClock,
    *,
    interval: float = TEST_INTERVAL,
    batch_ids: tuple[str, ...] = (),
    status_filter: str | None = None,
    **options: Any,
) -> BatchTUI:
    """The real app, wired to the demo server with a frozen clock; ``options`` go to
    the app (``read_only``, ``bell``, ``watchlist``)."""
    client = CheckClient(demo.url, TEST_KEY)
    monitor = BatchMonitor(
        client, interval=interval, watch=batch_ids, status_filter=status_filter, clock=clock
    )
    return BatchTUI(monitor, clock=clock, **options)


def idle(app: BatchTUI) -> bool:
    """True once the monitor has answered, nothing is due now, and the list on screen
    shows exactly what the monitor holds (its update message has been handled)."""
    monitor = app.monitor
    if (
        monitor.status.last_success is None
        or monitor.next_request() is not None
        or monitor.scheduler.stopped
    ):
        return False
    try:
        table = app.dashboard.query_one(BatchList)
    except NoMatches:
        return False
    return table.row_ids == table.view.order(monitor.snapshots)


def cell(app: BatchTUI, batch_id: str, column: str) -> str:
    """The text shown in one cell of the batch list."""
    return app.dashboard.query_one(BatchList).cell_text(batch_id, column)


def list_ids(app: BatchTUI) -> list[str]:
    """Batch ids in the order the list shows them."""
    return app.dashboard.query_one(BatchList).row_ids


def screen_text(app: BatchTUI) -> str:
    """Everything on screen, as plain text lines: what a user reads."""
    # The compositor is private, but it is the one place the whole screen exists as text.
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def highlight_status(status: str):
    """A ``run_before`` that waits for data, then moves to the first batch in ``status``."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_until(lambda: idle(app), pilot=pilot)
        table = app.screen.query_one(BatchList)
        target = next(
            batch_id
            for batch_id, snapshot in app.monitor.snapshots.items()
            if snapshot.batch.status == status
        )
        await pilot.press(*(["j"] * table.get_row_index(target)))
        await wait_until(lambda: idle(app), pilot=pilot)
        await pilot.pause()

    return run_before
