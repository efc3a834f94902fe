"""``BatchTUI``: the Textual app. Thin: it wires the monitor to the dashboard screen,
and swaps both for another profile's (``P``, ``switch_to``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import Notify
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from batch_tui.core.clock import Clock, system_clock
from batch_tui.settings.config import Settings
from batch_tui.core.defaults import DEFAULT_COLUMNS
from batch_tui.integrations.hooks import HookRunner
from batch_tui.monitor.monitor import BatchMonitor, Change
from batch_tui.ui import commands
from batch_tui.ui.alerts import ALARM_TITLE, STALL_TITLE
from batch_tui.ui.messages import MonitorChanged
from batch_tui.ui.outlets import Outlets
from batch_tui.ui.polling import POLLING, Poller
from batch_tui.ui.profile_switch import Connection, Switcher
from batch_tui.ui.screens.dashboard import Dashboard
from batch_tui.ui.styles import readable_footer
from batch_tui.ui.text import plain
from batch_tui.ui.tmux_check import first_time, passthrough_problem
from batch_tui.ui.toast_leaks import RELEASE_EVERY, release_closed_toasts
from batch_tui.integrations.watchlist import WatchList

#: At most this many notifications are on screen at once (more would cover the panes).
MAX_NOTIFICATIONS = 3
#: Notifications of these titles replace the one on screen rather than stack.
REPLACED = frozenset({POLLING, ALARM_TITLE})
#: Notifications that say how a profile's batches stand now, not what happened:
#: gone with the profile when ``P`` switches (the other's would say otherwise).
PROFILE_STATE = frozenset({POLLING, ALARM_TITLE, STALL_TITLE})
#: Seconds the start's warnings stay (the same text went to stderr).
WARNING_TIMEOUT = 12


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
        profile: str | None = None,
        profile_color: str | None = None,
        switcher: Switcher | None = None,
        columns: tuple[str, ...] = DEFAULT_COLUMNS,
        keymap: Mapping[str, str] | None = None,
        notify: str = "none",
        hooks: HookRunner | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.keymap = dict(keymap or {})
        """Keys rebound by the config file: binding id → Textual key names
        (``ui/keymap.py`` checked them)."""
        self.switcher = switcher
        """How to reach the config file's other profiles (None: ``P`` has none)."""
        self._switching = False
        self._use(
            Connection(
                monitor,
                read_only,
                bell,
                watchlist,
                status,
                warnings,
                profile,
                profile_color,
                columns,
                notify=notify,
                hooks=hooks,
            )
        )

    def _use(self, connection: Connection) -> None:
        """Take this connection's monitor, with a new dashboard and poll loop for it."""
        self.connection = connection
        self.monitor = connection.monitor
        self.warnings = connection.warnings
        """Problems found before the start (a config file others can read): printed
        to stderr, where the dashboard hides them, so told again once it is up."""
        self.dashboard = Dashboard(connection, self.clock)
        self.outlets = Outlets(
            self, notify=connection.notify, hooks=connection.hooks, read_only=connection.read_only
        )
        """The desktop and the hook: the same events as the dashboard's alerts."""
        self.poller = Poller(self, self.monitor, self._polling_stopped)
        """The poll loop's worker, restarted when it dies."""

    @property
    def profile(self) -> str | None:
        """The name of the profile in use (None: the config file's top-level settings)."""
        return self.connection.profile

    def on_mount(self) -> None:
        self.set_keymap(self.keymap)
        self.push_screen(self.dashboard)
        # One timer for the app's life: a profile switch keeps it.
        self.set_interval(RELEASE_EVERY, lambda: release_closed_toasts(self))
        self._start()

    def _start(self) -> None:
        self.monitor.on_change = self._monitor_changed
        self.poller.start()
        if self.connection.notify != "none":
            problem = first_time(passthrough_problem())
            if problem is not None:
                self.notify(problem, title="tmux", severity="warning", timeout=15, markup=False)
        for warning in self.warnings:
            self.notify(
                plain(warning),
                title="Warning",
                severity="warning",
                timeout=WARNING_TIMEOUT,
                markup=False,
            )

    async def switch_to(self, settings: Settings) -> None:
        """Reconnect to another profile: stop this monitor's loop, build the other's
        (client, store, watch list), and show it on a fresh dashboard. One switch at
        a time: a second Enter while one runs is ignored, never half-applied."""
        if self.switcher is None or self._switching:
            return
        self._switching = True
        try:
            connection = self.switcher.connect(settings)
        except Exception as exc:  # a bug: the dashboard in use stays as it was
            self._switching = False
            self.notify(
                f"Cannot switch: {type(exc).__name__}: {plain(exc)}", severity="error", markup=False
            )
            return
        try:
            await self._replace(connection)
        finally:
            self._switching = False
        self.notify(f"Connected to {plain(settings.profile or '')}.", timeout=3, markup=False)

    async def _replace(self, connection: Connection) -> None:
        old_monitor, old_dashboard, old_worker = self.monitor, self.dashboard, self.poller.worker
        self.outlets.close()  # the old profile's hook: nothing more is queued for it
        old_monitor.on_change = None
        old_monitor.close()
        if old_worker is not None:
            old_worker.cancel()  # a request in flight may take up to its timeout
            try:
                await old_worker.wait()
            except (WorkerCancelled, WorkerFailed):
                pass  # stopped, as asked
        self._use(connection)
        if self.screen is not old_dashboard and old_dashboard in self.screen_stack:
            old_dashboard.pop_until_active()
        await self.switch_screen(self.dashboard)
        for shown in list(self._notifications):
            if shown.title in PROFILE_STATE:
                self._unnotify(shown, refresh=False)
        # Redrawn from the app's own context, not this worker's: toasts made here
        # would keep the old screen (the context's active node) alive in their timers.
        self.call_next(self._refresh_notifications)
        self._start()
        await old_monitor.aclose()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker of the app's changed state: a stopped poll loop is said and restarted."""
        self.poller.state_changed(event)

    def _polling_stopped(self, reason: str | None) -> None:
        self.dashboard.stopped = reason

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p) offers every dashboard command that applies now."""
        yield from super().get_system_commands(screen)
        if screen is self.dashboard:
            yield from commands.palette(screen, self.keymap)

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables, with the footer's keys made readable (``readable_footer``)."""
        return readable_footer(super().get_css_variables())

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
        self.outlets.tell(change.events)
        self.dashboard.post_message(MonitorChanged(change))

    async def on_unmount(self) -> None:
        self.outlets.close()
        self.monitor.close()
        await self.monitor.aclose()
