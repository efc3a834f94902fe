"""Polling, from the UI's side: the loop's worker (restarted when it dies) and the
keys that steer it: refresh, pause and the interval ladder."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import App
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.ui import workers
from batch_tui.ui.view import ListView
from batch_tui.ui.widgets.batch_list import BatchList

#: The title of the notifications that confirm ``r``, ``p``, ``+`` and ``-``: a newer
#: one replaces the one before (the app merges them), so keys pressed in a row
#: leave one notification, saying where things stand now.
POLLING = "Polling"
#: Older batches load once the cursor is this close to the end of the list.
HISTORY_NEAR_ROWS = 50
#: The intervals ``+`` and ``-`` step through, in seconds.
INTERVAL_LADDER = (0.5, 1, 2, 3, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
#: A dead poll loop is restarted after this many seconds...
RESTART_FIRST = 1.0
#: ...doubling on each death, up to this...
RESTART_MAX = 30.0
#: ...and back to the first delay once a loop has run this long.
RESTART_STEADY = 60.0


def interval_step(current: float, direction: int) -> float:
    """The next interval up (direction 1) or down (-1) the ladder from ``current``."""
    if direction > 0:
        return next((step for step in INTERVAL_LADDER if step > current), INTERVAL_LADDER[-1])
    return next((step for step in reversed(INTERVAL_LADDER) if step < current), INTERVAL_LADDER[0])


class PollingControls:
    """``r``, ``p``, ``+`` and ``-``: commands to the monitor, each confirmed in a notification."""

    def __init__(self, node: Widget, monitor: BatchMonitor) -> None:
        self.node = node
        self.monitor = monitor

    def refresh(self) -> None:
        """Fetch everything that can change, now."""
        if self.monitor.paused:
            self.node.notify(
                "Polling is paused: p resumes.", title=POLLING, severity="warning", timeout=3
            )
            return
        self.monitor.refresh()
        self.node.notify("Refreshing…", title=POLLING, timeout=2)

    def toggle_pause(self) -> None:
        """Pause polling, or resume it."""
        paused = not self.monitor.paused
        self.monitor.set_paused(paused)
        message = "Polling paused: p resumes." if paused else "Polling resumed."
        self.node.notify(message, title=POLLING, timeout=3, markup=False)

    def want_history(self, rows: BatchList, view: ListView) -> None:
        """Older batches are wanted near the end of the list or just below a gap in
        it (rows let go to save memory), or when a find, a filter on finished
        batches or another order needs every batch to be right."""
        cursor_row, gap = rows.cursor_row, self.monitor.gap_before
        near_end = cursor_row >= rows.row_count - HISTORY_NEAR_ROWS and self.monitor.more_below
        try:
            gap_row = rows.get_row_index(gap) if gap is not None else None
        except KeyError:
            gap_row = None
        near_gap = gap_row is not None and gap_row <= cursor_row < gap_row + HISTORY_NEAR_ROWS
        needs_all = (
            bool(view.text)
            or view.day is not None
            or view.status not in ("all", "active")
            or (view.sort, view.descending) != ("created", True)
        )
        self.monitor.want_history(near_end or near_gap or needs_all)

    def step_interval(self, direction: int) -> None:
        """Poll less (1) or more (-1) often: the next step along the ladder."""
        interval = interval_step(self.monitor.status.interval, direction)
        self.monitor.set_interval(interval)
        self.node.notify(f"Polling every {interval:g}s.", title=POLLING, timeout=2, markup=False)


#: The states of a worker that has stopped.
STOPPED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)


def stop_reason(worker: Worker, state: WorkerState) -> str:
    """Why the poll loop's worker stopped, in a few words."""
    if state == WorkerState.ERROR and worker.error is not None:
        error = worker.error
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if state == WorkerState.CANCELLED:
        return "the poll loop was cancelled"
    return "the poll loop ended"


class Poller:
    """Runs ``monitor.run()`` as the app's one long-lived worker.

    One loop sends one request at a time, so polls never overlap and a slow server
    delays the next poll instead of piling requests up. The loop never raises for a
    failed request; if it stops anyway (a bug), ``report`` is told why and when it
    restarts, and it is restarted after 1 s, doubling to 30 s.
    """

    def __init__(
        self, app: App, monitor: BatchMonitor, report: Callable[[str | None], None]
    ) -> None:
        self.app = app
        self.monitor = monitor
        self.report = report
        """Told what to show while the loop is down (None once it runs again)."""
        self.delay = RESTART_FIRST
        """How long the next restart waits."""
        self.worker: Worker[None] | None = None
        self._started_at = 0.0
        self._restart: Timer | None = None
        self._stopped = False

    def stop(self) -> None:
        """Stop for good (the app goes over to another connection): the loop's end is
        then expected, and neither said on screen nor restarted."""
        self._stopped = True
        if self._restart is not None:
            self._restart.stop()
            self._restart = None

    def start(self) -> None:
        """Start the loop (again)."""
        self._restart = None
        self._started_at = time.monotonic()
        self.worker = workers.start(
            self.app, self.monitor.run(), what="Polling", name="poller", group="poller"
        )
        self.report(None)

    def state_changed(self, event: Worker.StateChanged) -> None:
        """A worker changed state: when it is the loop and it stopped, restart it later."""
        if event.worker is not self.worker or event.state not in STOPPED:
            return
        if self._stopped or not self.app.is_running or self._restart is not None:
            return  # shutting down: a stopped loop is expected
        if time.monotonic() - self._started_at >= RESTART_STEADY:
            self.delay = RESTART_FIRST
        delay, self.delay = self.delay, min(RESTART_MAX, self.delay * 2)
        self.report(
            f"polling stopped: {stop_reason(event.worker, event.state)}; restarting in {delay:g}s"
        )
        self._restart = self.app.set_timer(delay, self.start)
