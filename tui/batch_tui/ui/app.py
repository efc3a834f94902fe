"""``BatchTUI``: the Textual app. Thin: it wires the monitor to the dashboard screen,
and swaps both for another profile's (``P``, ``switch_to``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import Notify
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from batch_tui.core.clock import Clock, system_clock
from batch_tui.monitor.monitor import Change
from batch_tui.settings.config import Settings
from batch_tui.ui import commands, workers
from batch_tui.ui.alerts.on_screen import ALARM_TITLE, STALL_TITLE
from batch_tui.ui.alerts.outlets import Outlets
from batch_tui.ui.connection import Connection, Switcher
from batch_tui.ui.dashboard.polling import POLLING, Poller
from batch_tui.ui.dashboard.screen import Dashboard
from batch_tui.ui.messages import MonitorChanged, ProfileChosen
from batch_tui.ui.styles import readable_footer
from batch_tui.ui.text import plain
from batch_tui.ui.textual_compat import (
    RELEASE_EVERY,
    is_exiting,
    notifications,
    redraw_notifications,
    release_closed_toasts,
    take_back,
)
from batch_tui.ui.tmux_check import first_time, passthrough_problem
from batch_tui.ui.workers import WorkFailed

#: Seconds between the app's ticks: the status line's clocks ("next poll in 3s").
TICK = 1.0
#: A tick this close (seconds) to a poll gives way to it: the poll's frame moves the
#: clocks too, and the tick would draw a frame of its own a moment before or after.
POLL_NEAR = 0.25
#: A monitor step that changed nothing but the status.
NO_CHANGE = Change()
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
    """The batch-tui dashboard. It receives a ready ``Connection`` (its monitor, and
    how the dashboard behaves) and a clock."""

    CSS_PATH = "app.tcss"
    TITLE = "batch-tui"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False)]

    def __init__(
        self,
        connection: Connection,
        *,
        clock: Clock = system_clock,
        switcher: Switcher | None = None,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.keymap = dict(keymap or {})
        """Keys rebound by the config file: binding id → Textual key names
        (``ui/dashboard/keymap.py`` checked them)."""
        self.switcher = switcher
        """How to reach the config file's other profiles (None: ``P`` has none)."""
        self._switching = False
        self._ticker: asyncio.TimerHandle | None = None
        self._gave_way = False
        """The last tick gave way to a poll (the next one does not)."""
        self._unread: MonitorChanged | None = None
        """The last news posted to the dashboard (``handled`` once it has read it)."""
        self._released_at = time.monotonic()
        self._use(connection)

    def _use(self, connection: Connection) -> None:
        """Take this connection's monitor, with a new dashboard and poll loop for it."""
        self.connection = connection
        self.monitor = connection.monitor
        self.warnings = connection.warnings
        """Problems found before the start (a config file others can read): printed
        to stderr, where the dashboard hides them, so told again once it is up."""
        self.dashboard = Dashboard(connection, self.clock, self.switcher)
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
        self._arm_tick()
        self._start()

    def _poll_in(self) -> float | None:
        """Seconds until the poll the status line counts down to (negative: it is due,
        under way); None when none is planned."""
        due = self.monitor.status.next_poll
        return None if due is None else due - self.clock()

    def _arm_tick(self, delay: float = TICK) -> None:
        """The next tick, ``delay`` seconds from now. One timer for the app's life (a
        profile switch keeps it): every clock on screen and the release of closed
        notifications move on it. A poll's news redraws the clocks too, so it puts
        the tick off by a second, and a tick that falls due as a poll starts gives
        way to it (``_tick``): an idle dashboard draws one frame a second, the polls'
        among them, not a tick's frame a moment before or after each poll's.

        The event loop's own timer, not a Textual one: it is set again at every tick
        and every poll, and a Textual timer is a new task each time. Its callback only
        posts the tick to the app, whose message loop runs it as any other."""
        if self._ticker is not None:
            self._ticker.cancel()
        self._ticker = asyncio.get_running_loop().call_later(delay, self.call_later, self._tick)

    def _tick(self) -> None:
        if is_exiting(self):
            return  # shutting down: the dashboard's widgets may be gone already
        poll_in = self._poll_in()
        if not self._gave_way and poll_in is not None and abs(poll_in) < POLL_NEAR:
            # A poll is under way or a moment off: its news redraws the clocks (and
            # puts the tick off) in its own frame, a moment later. Once only: should
            # no news come, the clocks move a moment late, never not at all.
            self._gave_way = True
            self._arm_tick(max(0.0, poll_in) + POLL_NEAR)
            return
        self._gave_way = False
        self._arm_tick()
        self.dashboard.tick()
        if time.monotonic() - self._released_at >= RELEASE_EVERY:
            self._released_at = time.monotonic()
            release_closed_toasts(self)

    def _start(self) -> None:
        self._unread = None  # a new dashboard has read nothing yet, and owes nothing
        self.monitor.on_change = self._monitor_changed
        self.poller.start()
        if self.connection.notify != "none":
            workers.start(self, self._check_tmux(), what="The tmux check", group="tmux")
        for warning in self.warnings:
            self.notify(
                plain(warning),
                title="Warning",
                severity="warning",
                timeout=WARNING_TIMEOUT,
                markup=False,
            )

    async def _check_tmux(self) -> None:
        """Say once if tmux will drop the desktop notifications. Asking tmux runs a
        program: in a thread, so the first frame and the first poll do not wait."""
        problem = first_time(await asyncio.to_thread(passthrough_problem))
        if problem is not None:
            self.notify(problem, title="tmux", severity="warning", timeout=15, markup=False)

    def on_profile_chosen(self, message: ProfileChosen) -> None:
        """The dashboard's switcher (``P``) chose a profile: reconnect to it."""
        workers.start(
            self,
            self.switch_to(message.settings),
            what="Profile switch",
            about=message.settings.profile or "",
            group="switch",
            exclusive=True,
        )

    async def switch_to(self, settings: Settings) -> None:
        """Reconnect to another profile: stop this monitor's loop, build the other's
        (client, store, watch list), and show it on a fresh dashboard. One switch at
        a time: a second Enter while one runs is ignored, never half-applied."""
        if self.switcher is None or self._switching:
            return
        self._switching = True
        try:
            # A connection that cannot be built raises before anything is replaced:
            # the dashboard in use stays, and the worker policy says why.
            connection = self.switcher.connect(settings)
            await self._replace(connection)
        finally:
            self._switching = False
        self.notify(f"Connected to {plain(settings.profile or '')}.", timeout=3, markup=False)

    async def _replace(self, connection: Connection) -> None:
        old_monitor, old_dashboard, old_worker = self.monitor, self.dashboard, self.poller.worker
        self.outlets.close()  # the old profile's hook: nothing more is queued for it
        old_monitor.on_change = None
        old_monitor.close()
        # Its loop's end is the switch, not a failure: the new dashboard must not say
        # "polling stopped", nor a timer restart the old loop (and keep it alive) later.
        self.poller.stop()
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
        for shown in notifications(self):
            if shown.title in PROFILE_STATE:
                take_back(self, shown)
        # Redrawn from the app's own context, not this worker's: toasts made here
        # would keep the old screen (the context's active node) alive in their timers.
        self.call_next(redraw_notifications, self)
        self._start()
        await old_monitor.aclose()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker of the app's changed state: a stopped poll loop is said and restarted."""
        self.poller.state_changed(event)

    def on_work_failed(self, message: WorkFailed) -> None:
        """The one place a worker's failure is told (``ui/workers.py``): a toast
        naming what failed; the screen it ran for stays as it was, usable."""
        self.notify(message.text, title=message.title, severity="error", markup=False)

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
        for shown in notifications(self):
            same = (shown.message, shown.title, shown.severity) == (
                new.message,
                new.title,
                new.severity,
            )
            if shown is not new and (same or new.title == shown.title in REPLACED):
                take_back(self, shown)
        # (Textual adds ``new`` after this handler has run: room is kept for it.)
        older = [shown for shown in notifications(self) if shown is not new]
        for shown in older[: max(0, len(older) - MAX_NOTIFICATIONS + 1)]:
            take_back(self, shown)
        redraw_notifications(self)

    def _monitor_changed(self, change: Change) -> None:
        self.outlets.tell(change.events)
        unread = self._unread
        if change == NO_CHANGE and unread is not None and not unread.handled:
            # Nothing but the status moved (the loop's "next poll" as it goes idle),
            # and the dashboard has yet to read the news before: it will read the
            # monitor's status as it is by then, so one redraw shows both.
            return
        self._unread = MonitorChanged(change)
        self.dashboard.post_message(self._unread)
        if self._ticker is not None:
            self._gave_way = False
            self._arm_tick()  # the dashboard redraws the clocks with the news

    async def on_unmount(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        self.outlets.close()
        self.monitor.close()
        await self.monitor.aclose()
