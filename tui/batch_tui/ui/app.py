"""``BatchTUI``: the Textual app. Thin: it wires the monitor to the dashboard screen."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import Notify
from textual.screen import Screen
from textual.worker import Worker

from batch_tui.clock import Clock, system_clock
from batch_tui.monitor.monitor import BatchMonitor, Change
from batch_tui.ui import commands
from batch_tui.ui.alerts import ALARM_TITLE
from batch_tui.ui.messages import MonitorChanged
from batch_tui.ui.polling import POLLING, Poller
from batch_tui.ui.screens.dashboard import Dashboard
from batch_tui.ui.text import plain
from batch_tui.ui.toast_leaks import RELEASE_EVERY, release_closed_toasts
from batch_tui.watchlist import WatchList

#: At most this many notifications are on screen at once.
MAX_NOTIFICATIONS = 4
#: Notifications of these titles replace the one on screen rather than stack.
REPLACED = frozenset({POLLING, ALARM_TITLE})


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
        status: str | None = None,
        warnings: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.warnings = warnings
        """Problems found before the start (a config file others can read): printed
        to stderr, where the dashboard hides them, so told again once it is up."""
        self.clock = clock
        self.dashboard = Dashboard(
            monitor, clock, read_only=read_only, bell=bell, watchlist=watchlist, status=status
        )
        self.poller = Poller(self, monitor, self._polling_stopped)
        """The poll loop's worker, restarted when it dies."""

    def on_mount(self) -> None:
        self.monitor.on_change = self._monitor_changed
        self.push_screen(self.dashboard)
        self.poller.start()
        self.set_interval(RELEASE_EVERY, lambda: release_closed_toasts(self))
        for warning in self.warnings:
            self.notify(
                plain(warning), title="Warning", severity="warning", timeout=30, markup=False
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker of the app's changed state: a stopped poll loop is said and restarted."""
        self.poller.state_changed(event)

    def _polling_stopped(self, reason: str | None) -> None:
        self.dashboard.stopped = reason

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p) offers every dashboard command that applies now."""
        yield from super().get_system_commands(screen)
        if screen is self.dashboard:
            yield from commands.palette(screen)

    def on_notify(self, event: Notify) -> None:
        """A notification that repeats one still on screen (ten presses of ``-``), or
        a newer word on polling or the failure-rate alarm, replaces the older one
        rather than stacking; past ``MAX_NOTIFICATIONS`` the oldest goes."""
        new = event.notification
        for shown in list(self._notifications):
            same = (shown.message, shown.title, shown.severity) == (
                new.message,
                new.title,
                new.severity,
            )
            if shown is not new and (same or new.title == shown.title in REPLACED):
                self._unnotify(shown, refresh=False)
        # (Textual adds ``new`` after this handler has run: room is kept for it.)
        older = [shown for shown in self._notifications if shown is not new]
        for shown in older[: max(0, len(older) - MAX_NOTIFICATIONS + 1)]:
            self._unnotify(shown, refresh=False)
        self._refresh_notifications()

    def _monitor_changed(self, change: Change) -> None:
        self.dashboard.post_message(MonitorChanged(change))

    async def on_unmount(self) -> None:
        self.monitor.close()
        await self.monitor.aclose()
