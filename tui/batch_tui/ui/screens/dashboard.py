"""The main screen: batch list, detail pane, errors table and status line."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from batch_tui.clock import Clock, to_datetime
from batch_tui.format import count, percent
from batch_tui.monitor.insight import failure_rate
from batch_tui.monitor.monitor import BatchMonitor, Change, Snapshot
from batch_tui.ui.messages import MonitorChanged
from batch_tui.ui.screens.confirm_cancel import ConfirmCancel
from batch_tui.ui.text import inert, plain
from batch_tui.ui.view import ListView
from batch_tui.ui.widgets.batch_detail import BatchDetail
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.errors_table import ErrorsTable
from batch_tui.ui.widgets.status_bar import StatusBar
from batch_tui.watchlist import WatchList

#: Seconds between redraws of the status line's clocks ("next poll in 3s").
TICK = 1.0
#: Ticks between redraws of slower clocks: ages, "3 minutes ago", run time.
SLOW_TICKS = 5
#: Under this width, detail and errors share one pane (Tab switches)...
NARROW = 100
#: ...and from this one on, the list and the panes stand side by side.
WIDE = 180
#: The intervals ``+`` and ``-`` step through, in seconds.
INTERVAL_LADDER = (0.5, 1, 2, 3, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)


def interval_step(current: float, direction: int) -> float:
    """The next interval up (direction 1) or down (-1) the ladder from ``current``."""
    if direction > 0:
        return next((step for step in INTERVAL_LADDER if step > current), INTERVAL_LADDER[-1])
    return next((step for step in reversed(INTERVAL_LADDER) if step < current), INTERVAL_LADDER[0])


class Dashboard(Screen):
    """The dashboard. It reads the monitor's snapshots and sends it commands."""

    BINDINGS = [
        Binding("r", "refresh", "Refresh"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("c", "cancel_batch", "Cancel batch"),
        Binding("slash", "find", "Find", key_display="/"),
        Binding("s", "cycle_status", "Status filter"),
        Binding("o", "cycle_sort", "Sort"),
        Binding("O", "flip_sort", "Reverse sort", show=False),
        Binding("enter", "open_results", "Results"),
        Binding("tab", "switch_pane", "Detail/errors"),
        Binding("p", "toggle_pause", "Pause"),
        Binding("plus,equals_sign", "slower", "Poll less often", key_display="+", show=False),
        Binding("minus", "faster", "Poll more often", key_display="-", show=False),
        Binding("y", "copy_id", "Copy batch id", show=False),
        Binding("e", "export('csv')", "Export list as CSV", show=False),
        Binding("E", "export('json')", "Export list as JSON", show=False),
        Binding("a", "add_watch", "Watch a batch id", show=False),
        Binding("x", "unwatch", "Stop watching", show=False),
        Binding("escape", "clear_find", "Clear the filter", show=False),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(
        self,
        monitor: BatchMonitor,
        clock: Clock,
        *,
        read_only: bool = False,
        bell: bool = True,
        watchlist: WatchList | None = None,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.clock = clock
        self.watchlist = watchlist
        """Where watched ids are remembered (None: not remembered)."""
        self.bell = bell
        """Ring the terminal bell when a batch finishes."""
        self.read_only = read_only
        """No cancel: the key and its binding are gone, not merely refused."""
        self._shown_id: str | None = None
        self._ticks = 0

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        yield Input(
            placeholder="find: part of an id or a name (Enter keeps it, Escape clears)", id="find"
        )
        yield Static(id="view")
        with Container(id="body"):
            yield BatchList(id="batches")
            with Container(id="lower"):
                yield BatchDetail(id="detail")
                yield ErrorsTable(id="errors")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(BatchList).focus()
        self.query_one(BatchList).apply(self.monitor.snapshots, self._now())
        self._tick()
        self.set_interval(TICK, self._tick)

    def _now(self) -> datetime:
        return to_datetime(self.clock())

    # ── keeping the view in step with the monitor ────────────────────────────

    @on(MonitorChanged)
    def _monitor_changed(self, message: MonitorChanged) -> None:
        change = message.change
        if change.changed or change.removed or change.reordered:
            self.query_one(BatchList).apply(self.monitor.snapshots, self._now(), change)
        highlighted = self.query_one(BatchList).current_batch_id
        self._show_highlighted(force=highlighted in change.changed or not highlighted)
        self._show_status()
        self._tell(change)

    def _tell(self, change: Change) -> None:
        """Notify (and ring the bell) when batches finish or raise the failure alarm."""
        for batch_id in sorted(change.finished):
            snapshot = self.monitor.snapshots.get(batch_id)
            if snapshot is None:
                continue
            batch = snapshot.batch
            severity = {"completed": "information", "failed": "error"}.get(
                batch.status or "", "warning"
            )
            self.notify(
                f"{plain(batch.name or batch_id)} ({plain(batch_id)}) "
                f"is {plain(batch.status or '')}.",
                title="Batch finished",
                severity=severity,
                markup=False,
            )
            if self.bell:
                # What tmux shows on a window you are not looking at.
                self.app.bell()
        for batch_id in sorted(change.alarms):
            snapshot = self.monitor.snapshots.get(batch_id)
            if snapshot is None:
                continue
            batch = snapshot.batch
            rate = percent(failure_rate(batch.failure_count, batch.processed_items))
            advice = "" if self.read_only else " Consider cancelling it: highlight it and press c."
            self.notify(
                f"{plain(batch.name or batch_id)}: {rate} of processed items failed "
                f"({count(batch.failure_count)} of {count(batch.processed_items)}).{advice}",
                title="Failure-rate alarm",
                severity="warning",
                timeout=20,
                markup=False,
            )

    @on(BatchList.Highlighted)
    def _row_highlighted(self, event: BatchList.Highlighted) -> None:
        self._show_highlighted()

    def _tick(self) -> None:
        """Once a second the status line's clocks move on; every few seconds the
        list's ages and stale marks and the detail pane's relative times do too
        (new data redraws them at once: this is only for time passing)."""
        self._ticks += 1
        if self._ticks % SLOW_TICKS == 0:
            self.query_one(BatchList).refresh_times(self.monitor.snapshots, self._now())
            self._show_highlighted(force=True)
        self._show_status()

    def _show_status(self) -> None:
        status = self.monitor.status
        banner = self.query_one("#banner", Static)
        rejected = status.state == "unauthorized"
        if rejected:
            text = Text("API key rejected: ", style="bold")
            text.append_text(inert(status.last_error_message or "no reason given", max_chars=300))
            text.append("  Polling stopped; press r to try again.")
            banner.update(text)
        if banner.display != rejected:
            banner.display = rejected
        self.query_one(StatusBar).show(
            self.monitor.status,
            self.clock(),
            batches=len(self.monitor.snapshots),
            active=self.monitor.active_count(),
        )

    def _show_highlighted(self, force: bool = False) -> None:
        batch_id = self.query_one(BatchList).current_batch_id
        if batch_id != self._shown_id:
            self._shown_id = batch_id
            self.monitor.highlight(batch_id)
            force = True
        if not force:
            return
        snapshot = self.monitor.snapshots.get(batch_id) if batch_id else None
        progress = self.monitor.progress.get(batch_id) if batch_id else None
        self.query_one(BatchDetail).show(snapshot, self._now(), progress)
        known = self.monitor.item_errors.get(batch_id or "")
        self.query_one(ErrorsTable).show(snapshot, list(known.items) if known else None)

    def highlighted_snapshot(self) -> Snapshot | None:
        """The snapshot of the batch under the cursor."""
        batch_id = self.query_one(BatchList).current_batch_id
        return self.monitor.snapshots.get(batch_id) if batch_id else None

    # ── actions ──────────────────────────────────────────────────────────────

    def action_refresh(self) -> None:
        """Fetch everything that can change, now."""
        if self.monitor.paused:
            self.notify("Polling is paused: p resumes.", severity="warning", timeout=3)
            return
        self.monitor.refresh()
        self.notify("Refreshing…", timeout=2)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_batch" and self.read_only:
            return False  # hidden from the footer and never run
        if action == "switch_pane" and not self.has_class("-narrow"):
            return False  # both panes are on screen: nothing to switch
        return True

    # ── fitting the pane ─────────────────────────────────────────────────────

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width
        narrow = width < NARROW
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            self.refresh_bindings()
        self.set_class(width >= WIDE, "-wide")
        self.query_one(BatchList).fit(width)

    def action_switch_pane(self) -> None:
        """On a narrow terminal: show the errors instead of the detail, or back."""
        self.toggle_class("-show-errors")

    # ── find and sort ────────────────────────────────────────────────────────

    def _set_view(self, view: ListView) -> None:
        batch_list = self.query_one(BatchList)
        batch_list.set_view(view)
        line = self.query_one("#view", Static)
        if view.is_default:
            line.display = False
        else:
            text = Text(f"showing {batch_list.row_count} of {len(self.monitor.snapshots)} · ")
            text.append_text(inert(view.describe(), max_chars=200))
            line.update(text)
            line.display = True

    def action_find(self) -> None:
        """Filter the list as you type."""
        find = self.query_one("#find", Input)
        find.display = True
        find.focus()

    @on(Input.Changed, "#find")
    def _find_changed(self, event: Input.Changed) -> None:
        self._set_view(replace(self.query_one(BatchList).view, text=event.value))

    @on(Input.Submitted, "#find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        self.query_one(BatchList).focus()

    def action_clear_find(self) -> None:
        """Escape: clear the text filter and go back to the list."""
        find = self.query_one("#find", Input)
        find.value = ""
        find.display = False
        self._set_view(replace(self.query_one(BatchList).view, text=""))
        self.query_one(BatchList).focus()

    def action_cycle_status(self) -> None:
        """Show all, active, completed, failed or cancelled batches."""
        self._set_view(self.query_one(BatchList).view.next_status())

    def action_cycle_sort(self) -> None:
        """Sort by created, status, progress, cost or failure rate."""
        self._set_view(self.query_one(BatchList).view.next_sort())

    def action_flip_sort(self) -> None:
        """Reverse the sort order."""
        self._set_view(self.query_one(BatchList).view.flipped())

    # ── help, copy, export ───────────────────────────────────────────────────

    def action_help(self) -> None:
        """Every key, in one place."""
        sections = [
            (
                "Dashboard",
                [b for b in self.BINDINGS if isinstance(b, Binding) and self._allowed(b)],
            ),
            ("Moving", list(BatchList.BINDINGS)),
            ("Cancel dialog", list(ConfirmCancel.BINDINGS)),
        ]
        from batch_tui.ui.screens.help import HelpScreen  # loaded when first needed

        self.app.push_screen(HelpScreen(sections))

    def _allowed(self, binding: Binding) -> bool:
        return self.check_action(binding.action, ()) is not False

    def action_copy_id(self) -> None:
        """Copy the highlighted batch's id to the clipboard (OSC 52)."""
        snapshot = self.highlighted_snapshot()
        if snapshot is None or not snapshot.batch.id:
            self.notify("No batch selected.", severity="warning")
            return
        batch_id = plain(snapshot.batch.id)
        self.app.copy_to_clipboard(batch_id)
        self.notify(f"Copied {batch_id} to the clipboard.", timeout=3, markup=False)

    def action_export(self, fmt: str) -> None:
        """Write the list as shown (filtered and sorted) to a file here."""
        batch_list = self.query_one(BatchList)
        batches = [self.monitor.snapshots[i].batch for i in batch_list.row_ids]
        from batch_tui.export import export_batches  # loaded when first needed

        try:
            path = export_batches(batches, fmt, now=self._now())
        except OSError as exc:
            self.notify(
                f"Export failed: {plain(exc.strerror or exc)}", severity="error", markup=False
            )
            return
        self.notify(
            f"Wrote {len(batches)} batches to {plain(path)}", title="Exported", markup=False
        )

    # ── results ──────────────────────────────────────────────────────────────

    def action_open_results(self) -> None:
        """Enter: the highlighted batch's item results."""
        snapshot = self.highlighted_snapshot()
        if snapshot is None or not snapshot.batch.id:
            return
        from batch_tui.ui.screens.results import ResultsScreen  # loaded when first needed

        self.app.push_screen(ResultsScreen(self.monitor, snapshot.batch))

    # ── the watch list ───────────────────────────────────────────────────────

    def action_add_watch(self) -> None:
        """Ask for a batch id and follow it, now and in later runs."""
        from batch_tui.ui.screens.add_watch import AddWatch  # loaded when first needed

        self.app.push_screen(AddWatch(), callback=self._watch)

    def _watch(self, batch_id: str | None) -> None:
        if not batch_id:
            return
        self.monitor.watch(batch_id)
        self._remember_watched()
        self.notify(f"Watching {plain(batch_id)}.", timeout=3, markup=False)

    def action_unwatch(self) -> None:
        """Stop following the highlighted batch by name."""
        batch_id = self.query_one(BatchList).current_batch_id
        if batch_id is None or batch_id not in self.monitor.watched:
            self.notify(
                "This batch is shown because the API lists it; only added ids can be unwatched.",
                severity="warning",
            )
            return
        self.monitor.unwatch(batch_id)
        self._remember_watched()
        self.notify(f"Stopped watching {plain(batch_id)}.", timeout=3, markup=False)

    def _remember_watched(self) -> None:
        if self.watchlist is not None:
            self.watchlist.save(list(self.monitor.watched))

    def action_toggle_pause(self) -> None:
        """Pause polling, or resume it."""
        paused = not self.monitor.paused
        self.monitor.set_paused(paused)
        message = "Polling paused: p resumes." if paused else "Polling resumed."
        self.notify(message, timeout=3, markup=False)

    def action_slower(self) -> None:
        """Poll less often: the next step up the interval ladder."""
        self._set_interval(interval_step(self.monitor.status.interval, +1))

    def action_faster(self) -> None:
        """Poll more often: the next step down the interval ladder."""
        self._set_interval(interval_step(self.monitor.status.interval, -1))

    def _set_interval(self, interval: float) -> None:
        self.monitor.set_interval(interval)
        self._show_status()
        self.notify(f"Polling every {interval:g}s.", timeout=2, markup=False)

    def action_cancel_batch(self) -> None:
        """Ask to cancel the highlighted batch, if it can be cancelled."""
        snapshot = self.highlighted_snapshot()
        if snapshot is None:
            self.notify("No batch selected.", severity="warning")
            return
        batch = snapshot.batch
        batch_id = batch.id or ""
        if not batch.is_cancellable:
            self.notify(
                f"{plain(batch_id)} is {plain(batch.status or 'unknown')}: only pending, "
                "validating or processing batches can be cancelled.",
                severity="warning",
                markup=False,
            )
            return
        if self.monitor.is_cancelling(batch_id):
            self.notify("A cancel for this batch is already in flight.", severity="warning")
            return
        self.app.push_screen(
            ConfirmCancel(batch), callback=lambda confirmed: self._answered(batch_id, confirmed)
        )

    def _answered(self, batch_id: str, confirmed: bool | None) -> None:
        if not confirmed:
            self.notify("Cancel declined; the batch keeps running.", timeout=3)
            return
        current = self.monitor.snapshots.get(batch_id)
        if current is not None and not current.batch.is_cancellable:
            self.notify(
                f"{plain(batch_id)} is already {plain(current.batch.status or 'unknown')}; "
                "nothing was sent.",
                severity="warning",
                markup=False,
            )
            return
        self.run_worker(self._cancel(batch_id), group="cancel", exit_on_error=False)

    async def _cancel(self, batch_id: str) -> None:
        outcome = await self.monitor.cancel(batch_id)
        if not outcome.sent:
            return
        if outcome.ok:
            self.notify(
                f"{plain(batch_id)}: {plain(outcome.message)}", title="Cancelled", markup=False
            )
        else:
            self.notify(
                f"{plain(batch_id)}: {plain(outcome.message)}",
                title="Cancel failed",
                severity="error",
                markup=False,
            )
