"""The main screen: batch list, detail pane, errors table and status line."""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from rich.text import Text
from textual.widgets import Footer, Static

from batch_tui.clock import Clock, to_datetime
from batch_tui.monitor.monitor import BatchMonitor, Snapshot
from batch_tui.ui.messages import MonitorChanged
from batch_tui.ui.screens.confirm_cancel import ConfirmCancel
from batch_tui.ui.text import inert, plain
from batch_tui.ui.widgets.batch_detail import BatchDetail
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.errors_table import ErrorsTable
from batch_tui.ui.widgets.status_bar import StatusBar

#: Seconds between redraws of the status line's clocks ("next poll in 3s").
TICK = 1.0
#: Ticks between redraws of slower clocks: ages, "3 minutes ago", run time.
SLOW_TICKS = 5
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
        Binding("c", "cancel_batch", "Cancel batch"),
        Binding("p", "toggle_pause", "Pause"),
        Binding("plus,equals_sign", "slower", "+Interval", key_display="+"),
        Binding("minus", "faster", "-Interval", key_display="-"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, monitor: BatchMonitor, clock: Clock, *, read_only: bool = False) -> None:
        super().__init__()
        self.monitor = monitor
        self.clock = clock
        self.read_only = read_only
        """No cancel: the key and its binding are gone, not merely refused."""
        self._shown_id: str | None = None
        self._ticks = 0

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        yield BatchList(id="batches")
        with Horizontal(id="lower"):
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
        snapshots = self.monitor.snapshots.values()
        self.query_one(StatusBar).show(
            self.monitor.status,
            self.clock(),
            batches=len(self.monitor.snapshots),
            active=sum(1 for s in snapshots if not s.batch.is_terminal),
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
        self.query_one(BatchDetail).show(snapshot, self._now())
        self.query_one(ErrorsTable).show(snapshot)

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
        return True

    def action_toggle_pause(self) -> None:
        """Pause polling, or resume it."""
        paused = not self.monitor.paused
        self.monitor.set_paused(paused)
        self.notify("Polling paused: p resumes." if paused else "Polling resumed.", timeout=3)

    def action_slower(self) -> None:
        """Poll less often: the next step up the interval ladder."""
        self._set_interval(interval_step(self.monitor.status.interval, +1))

    def action_faster(self) -> None:
        """Poll more often: the next step down the interval ladder."""
        self._set_interval(interval_step(self.monitor.status.interval, -1))

    def _set_interval(self, interval: float) -> None:
        self.monitor.set_interval(interval)
        self._show_status()
        self.notify(f"Polling every {interval:g}s.", timeout=2)

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
