"""``c``: cancel a batch, after a confirmation; exactly one request, and none when
the batch finished while the user was deciding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual.notifications import SeverityLevel
from textual.widget import Widget

from batch_tui.api.models import Batch
from batch_tui.monitor.monitor import BatchMonitor, Snapshot
from batch_tui.ui import workers
from batch_tui.ui.text import plain

if TYPE_CHECKING:
    from batch_tui.ui.dialogs.confirm_cancel import ConfirmCancel


class CancelFlow:
    """Asks, re-checks, sends the cancel through the monitor and reports the answer."""

    def __init__(self, node: Widget, monitor: BatchMonitor, profile: Text | None = None) -> None:
        self.node = node
        self.profile = profile
        """The profile in use, which the question names."""
        """Where the confirmation is shown from and the request's worker runs."""
        self.monitor = monitor
        self.dialog: ConfirmCancel | None = None
        """The confirmation, while it is open."""
        self.in_flight: set[str] = set()
        """Batches whose cancel was sent and not yet answered (a profile switch now
        would lose the answer: it waits, ``busy_cancelling``)."""

    def start(self, batch: Batch | None) -> None:
        """Ask to cancel this batch, if it can be cancelled."""
        if batch is None:
            self.node.notify("No batch selected.", severity="warning")
            return
        batch_id = batch.id or ""
        if not batch.is_cancellable:
            self.node.notify(
                f"{plain(batch_id)} is {plain(batch.status or 'unknown')}: only pending, "
                "validating or processing batches can be cancelled.",
                severity="warning",
                markup=False,
            )
            return
        if self.monitor.is_cancelling(batch_id):
            self.node.notify("A cancel for this batch is already in flight.", severity="warning")
            return
        # The dialog is loaded when first shown: the dashboard's start does without.
        from batch_tui.ui.dialogs.confirm_cancel import ConfirmCancel

        self.dialog = ConfirmCancel(batch, self.profile)
        self.node.app.push_screen(
            self.dialog, callback=lambda confirmed: self.answered(batch_id, confirmed)
        )

    def follow(self, snapshots: Mapping[str, Snapshot]) -> None:
        """Keep an open confirmation's progress, cost and status live."""
        if self.dialog is not None:
            current = snapshots.get(self.dialog.target.id or "")
            if current is not None:
                self.dialog.show(current.batch)

    def answered(self, batch_id: str, confirmed: bool | None) -> None:
        """The user's answer: send the cancel, unless declined or the batch is over now."""
        self.dialog = None
        if not confirmed:
            self.node.notify("Cancel declined; the batch keeps running.", timeout=3)
            return
        current = self.monitor.snapshots.get(batch_id)
        if current is not None and not current.batch.is_cancellable:
            self.node.notify(
                f"{plain(batch_id)} is already {plain(current.batch.status or 'unknown')}; "
                "nothing was sent.",
                severity="warning",
                markup=False,
            )
            return
        self.in_flight.add(batch_id)
        workers.start(
            self.node, self._cancel(batch_id), what="Cancel", about=batch_id, group="cancel"
        )

    async def _cancel(self, batch_id: str) -> None:
        try:
            outcome = await self.monitor.cancel(batch_id)
        finally:
            self.in_flight.discard(batch_id)
        if not outcome.sent:
            return
        severity: SeverityLevel
        if outcome.ok:
            title, severity = "Cancelled", "information"
        elif outcome.requested:
            # The server took it, but the batch still runs: asked for, not done.
            title, severity = "Cancel requested, still running", "warning"
        else:
            title, severity = "Cancel failed", "error"
        # Queued behind the change the cancel's re-read posted to this screen, so the
        # list shows the batch cancelled no later than the toast says so.
        self.node.call_later(
            self.node.notify,
            f"{plain(batch_id)}: {plain(outcome.message)}",
            title=title,
            severity=severity,
            markup=False,
        )
