"""The main screen: batch list, detail pane, errors table and status line.

The screen composes the widgets and routes: it keeps what they show as reactive
state, bound into them with ``data_bind``, and hands each key to the object that
does the work. ``ui/commands.py`` lists them all, each with its owner: the screen
itself, or one of its parts (the list, which owns the marks; watching; history;
profile switching; polling), reached through the ``route`` action.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container
from textual.reactive import var
from textual.widgets import Input

from batch_tui.api.reading import batch_id_problem
from batch_tui.core.clock import Clock, to_datetime
from batch_tui.monitor.insight import Progress
from batch_tui.monitor.monitor import MonitorStatus, Snapshot
from batch_tui.ui import commands
from batch_tui.ui.alerts.on_screen import Alerts
from batch_tui.ui.commands import key_of
from batch_tui.ui.connection import Connection, Switcher
from batch_tui.ui.dashboard.bulk_cancel import BulkCancelFlow
from batch_tui.ui.dashboard.cancel_flow import CancelFlow
from batch_tui.ui.dashboard.history_flow import HistoryBrowsing
from batch_tui.ui.dashboard.keymap import KeymappedScreen
from batch_tui.ui.dashboard.polling import PollingControls
from batch_tui.ui.dashboard.profile_switch import ProfileSwitching
from batch_tui.ui.dashboard.watching import Watching
from batch_tui.ui.empty_state import NO_BATCH, Empty, empty_state, host_of
from batch_tui.ui.export_copy import copy_batch_id, export_list
from batch_tui.ui.messages import MonitorChanged
from batch_tui.ui.state import Counts
from batch_tui.ui.text import plain
from batch_tui.ui.textual_compat import is_going
from batch_tui.ui.view import FinishedOn, ListView
from batch_tui.ui.widgets.batch_detail import BatchDetail
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.errors_table import ErrorRows, ErrorsTable
from batch_tui.ui.widgets.key_bar import KeyBar
from batch_tui.ui.widgets.marked_list import MarkedBatchList
from batch_tui.ui.widgets.notices import Banner, NewAboveLine, ViewLine
from batch_tui.ui.widgets.status_bar import StatusBar

#: A whole batch id as the API makes them: a find for one is looked up at once.
FULL_ID = re.compile(r"batch_[0-9a-f]{12}")
#: Seconds between redraws of slower clocks: ages, "3 minutes ago", run time.
SLOW_EVERY = 5.0
#: Under this width, detail and errors share one pane (Tab switches)...
NARROW = 100
#: From this width the detail pane is given only what it needs (the errors the rest)...
ROOMY = 130
#: ...and from this one on, the list and the panes stand side by side.
WIDE = 180


class Dashboard(KeymappedScreen):
    """The dashboard. It reads the monitor's snapshots and sends it commands."""

    BINDINGS = commands.bindings()

    AUTO_FOCUS = "#batches"
    """The list has the focus from the first frame. Textual's default (the first
    focusable widget) is the hidden find field: the list took the focus a moment
    later, and the footer's keys were built twice, for each."""

    PARTS: ClassVar[dict[str, type]] = {
        "batch_list": MarkedBatchList,
        "watching": Watching,
        "history": HistoryBrowsing,
        "profiles": ProfileSwitching,
        "polling": PollingControls,
    }
    """The parts a command of the table may name as its ``target`` (each an
    attribute of the screen), and their classes."""

    highlighted: var[Snapshot | None] = var(None)
    """The snapshot of the batch under the cursor."""
    progress: var[Progress | None] = var(None)
    """That batch's recent progress (pace, ETA, burn)."""
    error_rows: var[ErrorRows] = var(ErrorRows)
    """That batch's validation errors and failed items."""
    status: var[MonitorStatus] = var(MonitorStatus)
    """What the monitor says about polling."""
    counts: var[Counts] = var(Counts)
    """How many batches there are, how many run, how many the list shows."""
    view: var[ListView] = var(ListView)
    """The list's filter and order."""
    empty: var[Empty] = var(Empty)
    """What the list's place and the panes say while the list is empty, and why."""
    list_empty: var[Text | None] = var(None)
    """The list's part of ``empty`` (bound into the list)."""
    pane_empty: var[str] = var(NO_BATCH)
    """The panes' part of ``empty`` (bound into the detail)."""
    new_above: var[int] = var(0)
    """New batches out of sight above the list's first row on screen."""
    now: var[float] = var(0.0)
    """The time, moved on every tick: the status line's clocks."""
    moment: var[float] = var(0.0)
    """The time, moved every few ticks: ages and relative times."""
    stopped: var[str | None] = var(None)
    """Why the poll loop is down, while it is (the app sets it)."""
    narrow = var(False, toggle_class="-narrow", bindings=True)
    """Detail and errors share one pane (Tab switches)."""
    wide = var(False, toggle_class="-wide")
    """The panes stand beside the list."""
    roomy = var(False, toggle_class="-roomy")
    """Under the list, the detail pane has more room than it needs: the errors get it."""

    def __init__(
        self, connection: Connection, clock: Clock, switcher: Switcher | None = None
    ) -> None:
        super().__init__()
        self.monitor = monitor = connection.monitor
        self.profile = connection.label
        """The profile in use, in its colour (the status line's and the cancel's)."""
        self.columns = connection.columns
        """The list's columns, in order (``columns`` in the config file)."""
        self.initial_status = connection.status
        """The status filter given on the command line: the list's at start."""
        self.clock = clock
        self.read_only = connection.read_only
        """No cancel: the key and its binding are gone, not merely refused."""
        self.alerts = Alerts(self, bell=connection.bell, read_only=self.read_only, clock=clock)
        self.polling = PollingControls(self, monitor)
        self.watching = Watching(self, monitor, connection.watchlist)
        self.cancel_flow = CancelFlow(self, monitor, self.profile)
        self.history = HistoryBrowsing(self, monitor, clock, self.show_day, self._history_loaded)
        self.profiles = ProfileSwitching(self, switcher, connection.profile, self.busy_cancelling)
        self._bulk_cancel: BulkCancelFlow | None = None
        self._slow_at = time.monotonic()
        self._following: str | None = None

    def compose(self) -> ComposeResult:
        # Fitted to the terminal before any widget is styled: fitted on the first
        # Resize instead, the new class would restyle every widget a second time.
        self._fit(self.app.size.width)
        yield Banner(id="banner").data_bind(Dashboard.status)
        yield Input(
            placeholder="find: part of an id or a name (Enter keeps it, Escape clears)", id="find"
        )
        yield ViewLine(id="view").data_bind(Dashboard.view, Dashboard.counts)
        yield NewAboveLine(id="new-above").data_bind(Dashboard.new_above)
        with Container(id="body"):
            profile = self.profile.plain if self.profile else ""
            batches = MarkedBatchList(self.columns, self.monitor.progress, profile, id="batches")
            yield batches.data_bind(Dashboard.view, empty=Dashboard.list_empty)
            with Container(id="lower"):
                yield BatchDetail(id="detail").data_bind(
                    snapshot=Dashboard.highlighted,
                    progress=Dashboard.progress,
                    now=Dashboard.moment,
                    placeholder=Dashboard.pane_empty,
                )
                yield ErrorsTable(id="errors").data_bind(rows=Dashboard.error_rows)
        yield StatusBar(id="status", profile=self.profile).data_bind(
            Dashboard.status, Dashboard.now, Dashboard.counts, Dashboard.stopped
        )
        yield KeyBar()

    @property
    def batch_list(self) -> MarkedBatchList:
        """The list of batches."""
        return self.query_one(MarkedBatchList)

    def on_mount(self) -> None:
        self.now = self.moment = self.clock()
        if self.initial_status:
            self.view = ListView(status=self.initial_status, from_command_line=True)
        self.batch_list.focus()
        self.batch_list.apply(self.monitor.snapshots, to_datetime(self.now))
        self._follow_highlight()
        self._follow_status()

    # ── keeping the view in step with the monitor ────────────────────────────

    @on(MonitorChanged)
    def _monitor_changed(self, message: MonitorChanged) -> None:
        message.handled = True
        change = message.change
        self.batch_list.marks.forget(change.removed)
        if change.changed or change.removed or change.reordered:
            self.batch_list.apply(self.monitor.snapshots, to_datetime(self.clock()), change)
        self.now = self.clock()
        batch_id = self.batch_list.current_batch_id
        # Only news moves the panes: a poll that found the batch as it was (a newer
        # ``updated_at``, nothing to see) redraws nothing. Time passing is the tick's.
        if batch_id in change.changed or batch_id != self._following:
            self._follow_highlight()
            # Its failed items may be what changed (the snapshot itself may not have).
            self._item_errors_for(self.highlighted)
        self._follow_status()
        self.cancel_flow.follow(self.monitor.snapshots)
        self.bulk_cancel.follow(self.monitor.snapshots)
        self.alerts.tell(change, self.monitor.snapshots)

    @on(BatchList.Highlighted)
    def _row_highlighted(self, event: BatchList.Highlighted) -> None:
        self.monitor.highlight(event.batch_id)
        self._follow_highlight()
        self._want_history()

    @on(MarkedBatchList.MarksChanged)
    def _marks_changed(self) -> None:
        self.monitor.keep(self.batch_list.marks)  # marked rows are never let go
        self._follow_status()
        self.refresh_bindings()  # the footer's c says "Cancel marked" while any are

    @on(BatchList.NewAbove)
    def _new_above(self, event: BatchList.NewAbove) -> None:
        self.new_above = event.count

    def _want_history(self) -> None:
        self.polling.want_history(self.batch_list, self.view)

    def _follow_status(self) -> None:
        """Bind what the monitor says about polling, and how many batches there are."""
        self.status = self.monitor.status
        self.counts = Counts.of(self.monitor, self.batch_list, len(self.batch_list.marks))
        host = host_of(self.monitor.client.base_url)
        self.empty = empty_state(self.status, self.counts, self.view, host, key_of(self, "refresh"))

    def watch_empty(self, empty: Empty) -> None:
        self.list_empty, self.pane_empty = empty.list, empty.panes
        self._item_errors_for(self.highlighted)

    def _follow_highlight(self) -> None:
        """Bind the batch under the cursor, as the monitor holds it now."""
        batch_id = self._following = self.batch_list.current_batch_id
        self.progress = self.monitor.progress.get(batch_id) if batch_id else None
        self.highlighted = self.monitor.snapshots.get(batch_id) if batch_id else None

    def _under_cursor(self) -> Snapshot | None:
        """The batch under the cursor now, for a key that acts on it. Keys typed ahead
        (``jjjc``, or a burst a slow link delivers at once) move the cursor before
        the screen has heard that it moved: the batch a key acts on is read from the
        list itself, never from what the panes were last told."""
        if self.batch_list.current_batch_id != self._following:
            self._follow_highlight()
        return self.highlighted

    def watch_highlighted(self, snapshot: Snapshot | None) -> None:
        self._item_errors_for(snapshot)

    def tick(self) -> None:
        """Once a second (the app's one timer) the status line's clocks move on; every
        few seconds the list's ages, stale marks and pace and the detail's relative
        times do (for time passing)."""
        if not self.is_mounted or is_going(self):
            return  # a profile switch's new dashboard not shown yet, or the old one going
        self.now = self.clock()
        # Real seconds, not ticks: a poll's news puts the tick off (the app's tick).
        if time.monotonic() - self._slow_at >= SLOW_EVERY:
            self._slow_at = time.monotonic()
            self.moment = self.now
            self.batch_list.refresh_times(self.monitor.snapshots, to_datetime(self.now))
            self._follow_highlight()
            self._item_errors_for(self.highlighted)

    def _item_errors_for(self, snapshot: Snapshot | None) -> None:
        """Show this batch's validation errors and the failed items the monitor fetched."""
        known = self.monitor.item_errors.get(snapshot.batch.id or "") if snapshot else None
        self.error_rows = ErrorRows.of(snapshot, known, self.empty.panes)

    # ── which commands apply, and fitting the pane ───────────────────────────

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return commands.applies(self, action, parameters)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        self.narrow = width < NARROW
        self.wide = width >= WIDE
        self.roomy = ROOMY <= width < WIDE

    @property
    def errors_in_front(self) -> bool:
        """The errors pane is what the user looks at: focused, or (narrow) shown in
        the detail's place."""
        if self.narrow:
            return self.has_class("-show-errors")
        return self.query_one(ErrorsTable).table.has_focus

    def action_switch_pane(self, _to: str = "") -> None:
        """Tab: the focus moves between the list and the errors table (where Enter
        shows an error in full); when narrow, the errors take the detail's place."""
        errors = self.query_one(ErrorsTable)
        to_errors = not self.errors_in_front
        self.set_class(self.narrow and to_errors, "-show-errors")
        (errors.table if to_errors and errors.table.display else self.batch_list).focus()
        self.refresh_bindings()

    # ── find and sort ────────────────────────────────────────────────────────

    def _set_view(self, view: ListView) -> None:
        self.view = view
        self._want_history()
        self._follow_status()

    def show_day(self, day: FinishedOn) -> None:
        """Show only the batches that finished on this day (from the history, ``h``)."""
        self._set_view(replace(self.view, day=day))
        self.batch_list.focus()

    def action_find(self) -> None:
        """Filter the list as you type."""
        find = self.query_one("#find", Input)
        find.display = True
        find.focus()

    @on(Input.Changed, "#find")
    def _find_changed(self, event: Input.Changed) -> None:
        self._set_view(replace(self.view, text=event.value))
        if FULL_ID.fullmatch(event.value.strip()):
            self._look_up(event.value.strip())

    @on(Input.Submitted, "#find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        self._look_up(event.value.strip())
        self.batch_list.focus()

    def _look_up(self, text: str) -> None:
        """A find for an id that nothing loaded matches asks the server for it
        directly: the history may be far from loaded (98,000 batches are not
        walked for one id)."""
        if self.counts.shown == 0 and " " not in text and batch_id_problem(text) is None:
            self.monitor.look_up(text)

    def action_clear_find(self) -> None:
        """Escape: clear the text filter (and a status filter given on the command
        line) and go back to the list."""
        find = self.query_one("#find", Input)
        find.value = ""
        find.display = False
        cleared = replace(self.view, text="", day=None)
        self._set_view(cleared.next_status() if cleared.from_command_line else cleared)
        self.batch_list.focus()

    def action_step_view(self, step: str) -> None:
        """``s``, ``o``, ``O``: the next status filter, the next sort, the sort reversed."""
        view = self.view
        steps = {"status": view.next_status, "sort": view.next_sort, "flip": view.flipped}
        self._set_view(steps[step]())

    # ── the other commands, each handed to the object that does it ───────────

    def action_route(self, target: str, action: str, *parameters: str | int) -> None:
        """A command one of the screen's parts owns (the table names it): hand it on."""
        if target not in self.PARTS:
            raise ValueError(f"no part {target!r} on the dashboard")
        getattr(getattr(self, target), action)(*parameters)

    @property
    def bulk_cancel(self) -> BulkCancelFlow:
        """Cancelling the marked batches (made when first wanted: the marks are the list's)."""
        if self._bulk_cancel is None:
            batches = self.batch_list
            self._bulk_cancel = BulkCancelFlow(
                self, self.monitor, batches.marks, batches.marks_changed
            )
        return self._bulk_cancel

    def action_cancel_batch(self, _marked: str = "") -> None:
        """Ask to cancel the marked batches, or (none marked) the highlighted one."""
        if self.batch_list.marks or self.bulk_cancel.running:
            self.bulk_cancel.start()
        else:
            snapshot = self._under_cursor()
            self.cancel_flow.start(snapshot.batch if snapshot else None)

    def busy_cancelling(self) -> bool:
        """True (and said) while a cancel is in flight, of the marked batches or of
        one: a profile switch now would stop it half-way or lose its answer."""
        if self.bulk_cancel.running:
            self.notify(
                "Cancelling the marked batches; switch profiles once that is done.",
                severity="warning",
            )
            return True
        if self.cancel_flow.in_flight:
            ids = ", ".join(sorted(self.cancel_flow.in_flight))
            self.notify(
                f"Cancelling {plain(ids)}; switch profiles once the server has answered.",
                severity="warning",
                markup=False,
            )
            return True
        return False

    def _history_loaded(self) -> str | None:
        """How much of the history is loaded, for the history screen's title (None:
        all of it)."""
        if not self.monitor.status.history:
            return None
        return f"{self.counts.loaded:,} of {self.counts.total:,} batches loaded"

    def action_read_only(self, _key: str = "") -> None:
        """``c`` or Space on a read-only dashboard: say why nothing happens."""
        self.notify(
            "read-only: cancelling is off (the dashboard was started with --read-only).",
            severity="warning",
            timeout=4,
        )

    def action_help(self) -> None:
        """Every key, in one place."""
        from batch_tui.ui.dashboard.help import show_help  # loaded when first needed

        show_help(self)

    def action_open_results(self) -> None:
        """Enter: the highlighted batch's item results."""
        snapshot = self._under_cursor()
        if snapshot is not None and snapshot.batch.id:
            from batch_tui.ui.screens.results import ResultsScreen  # loaded when first needed

            self.app.push_screen(ResultsScreen(self.monitor, snapshot.batch))

    def action_copy_id(self) -> None:
        """Copy the highlighted batch's id to the clipboard (OSC 52)."""
        snapshot = self._under_cursor()
        copy_batch_id(self, snapshot.batch if snapshot else None)

    def action_export(self, fmt: str) -> None:
        """Write the list as shown (filtered and sorted) to a file here."""
        shown = [self.monitor.snapshots[i].batch for i in self.batch_list.row_ids]
        export_list(self, shown, fmt, to_datetime(self.clock()))

    def action_unwatch(self) -> None:
        """Stop following the highlighted batch by name."""
        self.watching.unwatch(self.batch_list.current_batch_id)

    def action_toggle_pause(self, _resume: str = "") -> None:
        """Pause polling, or resume it."""
        self.polling.toggle_pause()
        self.refresh_bindings()

    def action_step_interval(self, direction: int) -> None:
        """Poll less (1) or more (-1) often: the next step along the interval ladder."""
        self.polling.step_interval(direction)
        self.status = self.monitor.status
