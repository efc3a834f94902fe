"""Alerts: a notification (and the terminal bell) when a batch finishes, and the
failure-rate alarm. They advise; nothing here ever cancels a batch."""

from __future__ import annotations

from collections.abc import Mapping

from textual.notifications import SeverityLevel
from textual.widget import Widget

from batch_tui.api.models import Batch
from batch_tui.format import count, percent
from batch_tui.monitor.insight import failure_rate
from batch_tui.monitor.monitor import Change, Snapshot
from batch_tui.ui.text import plain

#: How long the failure-rate alarm stays on screen, in seconds.
ALARM_TIMEOUT = 20


def finished_message(batch_id: str, batch: Batch) -> tuple[str, SeverityLevel]:
    """What to say when a batch reaches a final status, and how loudly."""
    severity: SeverityLevel = {"completed": "information", "failed": "error"}.get(
        batch.status or "", "warning"
    )  # type: ignore[assignment]
    message = f"{plain(batch.name or batch_id)} ({plain(batch_id)}) is {plain(batch.status or '')}."
    return message, severity


def alarm_message(batch_id: str, batch: Batch, *, read_only: bool) -> str:
    """What to say when a running batch's failure rate passes the alarm."""
    rate = percent(failure_rate(batch.failure_count, batch.processed_items))
    advice = "" if read_only else " Consider cancelling it: highlight it and press c."
    return (
        f"{plain(batch.name or batch_id)}: {rate} of processed items failed "
        f"({count(batch.failure_count)} of {count(batch.processed_items)}).{advice}"
    )


class Alerts:
    """Tells the user about batches that finished or raised the alarm in a change."""

    def __init__(self, node: Widget, *, bell: bool = True, read_only: bool = False) -> None:
        self.node = node
        """Where notifications are posted."""
        self.bell = bell
        """Ring the terminal bell (what tmux shows on a window you are not looking at)."""
        self.read_only = read_only
        """No advice to cancel when cancelling is not possible."""

    def tell(self, change: Change, snapshots: Mapping[str, Snapshot]) -> None:
        """Notify (and ring) for every batch ``change`` finished or alarmed."""
        for batch_id in sorted(change.finished):
            if (snapshot := snapshots.get(batch_id)) is None:
                continue
            message, severity = finished_message(batch_id, snapshot.batch)
            self.node.notify(message, title="Batch finished", severity=severity, markup=False)
            if self.bell:
                self.node.app.bell()
        for batch_id in sorted(change.alarms):
            if (snapshot := snapshots.get(batch_id)) is None:
                continue
            self.node.notify(
                alarm_message(batch_id, snapshot.batch, read_only=self.read_only),
                title="Failure-rate alarm",
                severity="warning",
                timeout=ALARM_TIMEOUT,
                markup=False,
            )
