"""``BatchTUI``: the Textual app. Thin: it wires the monitor to the dashboard screen."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from batch_tui.clock import Clock, system_clock
from batch_tui.monitor.monitor import BatchMonitor, Change
from batch_tui.ui.messages import MonitorChanged
from batch_tui.ui.screens.dashboard import Dashboard


class BatchTUI(App[int]):
    """The batch-tui dashboard. It receives a ready ``BatchMonitor`` and a clock."""

    CSS_PATH = "app.tcss"
    TITLE = "batch-tui"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False)]

    def __init__(
        self, monitor: BatchMonitor, *, clock: Clock = system_clock, read_only: bool = False
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.clock = clock
        self.dashboard = Dashboard(monitor, clock, read_only=read_only)

    def on_mount(self) -> None:
        self.monitor.on_change = self._monitor_changed
        self.push_screen(self.dashboard)
        # One long-lived loop: polls never overlap, and a slow server delays the
        # next poll instead of piling requests up.
        self.run_worker(self.monitor.run(), name="poller", group="poller", exit_on_error=False)

    def _monitor_changed(self, change: Change) -> None:
        self.dashboard.post_message(MonitorChanged(change))

    async def on_unmount(self) -> None:
        self.monitor.close()
        await self.monitor.aclose()
