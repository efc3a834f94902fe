"""``BatchTUI``: the Textual app. Thin: it wires the monitor to the dashboard screen."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from batch_tui.clock import Clock, system_clock
from batch_tui.monitor.monitor import BatchMonitor, Change
from batch_tui.ui.messages import MonitorChanged
from batch_tui.ui.screens.dashboard import Dashboard
from batch_tui.watchlist import WatchList


class BatchTUI(App[int]):
    """The batch-tui dashboard. It receives a ready ``BatchMonitor`` and a clock."""

    CSS_PATH = "app.tcss"
    TITLE = "batch-tui"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False)]

    def __init__(
        self,
        monitor: BatchMonitor,
        *,
        clock: Clock = system_clock,
        read_only: bool = False,
        bell: bool = True,
        watchlist: WatchList | None = None,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.clock = clock
        self.dashboard = Dashboard(
            monitor, clock, read_only=read_only, bell=bell, watchlist=watchlist
        )

    def on_mount(self) -> None:
        self.monitor.on_change = self._monitor_changed
        self.push_screen(self.dashboard)
        # One long-lived loop: polls never overlap, and a slow server delays the
        # next poll instead of piling requests up.
        self.run_worker(self.monitor.run(), name="poller", group="poller", exit_on_error=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p) offers every dashboard action by name."""
        yield from super().get_system_commands(screen)
        dashboard = self.dashboard
        for binding in dashboard.BINDINGS:
            if not isinstance(binding, Binding) or not dashboard._allowed(binding):
                continue
            if binding.action.startswith("app."):
                continue
            yield SystemCommand(
                binding.description,
                f"key: {binding.key_display or binding.key}",
                self._callback_for(binding.action),
            )

    def _callback_for(self, action: str) -> Callable[[], object]:
        """The dashboard method behind an action string such as ``export('csv')``."""
        name, _, argument = action.partition("(")
        method = getattr(self.dashboard, f"action_{name}")
        if not argument:
            return method
        value = ast.literal_eval(argument.removesuffix(")"))
        return lambda: method(value)

    def _monitor_changed(self, change: Change) -> None:
        self.dashboard.post_message(MonitorChanged(change))

    async def on_unmount(self) -> None:
        self.monitor.close()
        await self.monitor.aclose()
