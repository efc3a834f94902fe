"""Alerts: a notification (and the terminal bell) when a batch finishes or stalls,
and the failure-rate alarm. They advise; nothing here ever cancels a batch."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from textual.notifications import SeverityLevel
from textual.widget import Widget

from batch_tui.api.models import Batch
from batch_tui.core.format import count, duration_of, percent
from batch_tui.monitor.alarms import BatchEvent, unaccounted
from batch_tui.monitor.insight import failure_rate
from batch_tui.monitor.monitor import Change, Snapshot
from batch_tui.ui.alerts.batcher import Batcher
from batch_tui.ui.commands import key_of
from batch_tui.ui.text import plain

#: How long the failure-rate alarm stays on screen, in seconds.
ALARM_TIMEOUT = 20
#: The failure-rate alarm's title: a newer alarm replaces the one on screen.
ALARM_TITLE = "Failure-rate alarm"
#: The title of a stalled batch's notification.
STALL_TITLE = "Batch stalled"
#: Up to this many finishes at once are told one by one; more become one line.
MAX_NAMED = 3
#: The bell rings at most once in this many seconds.
BELL_GAP = 10.0


def finished_message(batch_id: str, batch: Batch) -> tuple[str, SeverityLevel]:
    """What to say when a batch reaches a final status, and how loudly."""
    severity: SeverityLevel = {"completed": "information", "failed": "error"}.get(
        batch.status or "", "warning"
    )  # type: ignore[assignment]
    message = f"{plain(batch.name or batch_id)} ({plain(batch_id)}) is {plain(batch.status or '')}."
    missing = unaccounted(batch)
    if missing:
        message += f" Incomplete: {count(missing)} items unaccounted for."
        severity = "warning"
    return message, severity


def stalled_message(event: BatchEvent) -> str:
    """What to say when a batch has not moved for the stall threshold."""
    batch = event.batch
    return (
        f"{plain(batch.name or event.batch_id)} ({plain(event.batch_id)}) has been "
        f"{plain(batch.status or 'unchanged')} with no progress for "
        f"{duration_of(event.stalled_for or 0)}."
    )


def burst_message(batches: list[Batch]) -> str:
    """One line for many batches that finished together: how many, by status."""
    counts: dict[str, int] = {}
    for batch in batches:
        status = plain(batch.status or "finished")
        counts[status] = counts.get(status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return f"{len(batches)} batches finished: {parts}."


def alarm_message(batch_id: str, batch: Batch, *, read_only: bool, key: str = "c") -> str:
    """What to say when a running batch's failure rate passes the alarm."""
    rate = percent(failure_rate(batch.failure_count, batch.processed_items))
    advice = "" if read_only else f" Consider cancelling it: highlight it and press {key}."
    return (
        f"{plain(batch.name or batch_id)}: {rate} of processed items failed "
        f"({count(batch.failure_count)} of {count(batch.processed_items)}).{advice}"
    )


def alarms_message(alarming: list[tuple[str, Batch]], *, read_only: bool, key: str = "c") -> str:
    """One line for every batch whose alarm is recent: the first few by name."""
    if len(alarming) == 1:
        return alarm_message(*alarming[0], read_only=read_only, key=key)
    named = ", ".join(
        f"{plain(batch.name or batch_id)} "
        f"({percent(failure_rate(batch.failure_count, batch.processed_items))})"
        for batch_id, batch in alarming[:MAX_NAMED]
    )
    more = f" and {len(alarming) - MAX_NAMED} more" if len(alarming) > MAX_NAMED else ""
    advice = "" if read_only else f" Consider cancelling them: highlight one and press {key}."
    return f"{len(alarming)} running batches have many failed items: {named}{more}.{advice}"


class Alerts:
    """Tells the user about batches that finished or raised the alarm.

    Finishes are gathered for ``GATHER_SECONDS`` and told together: one batch by
    name, a burst as one line ("12 batches finished: 10 completed, 2 failed"), so
    a fleet of short batches cannot flood the screen. The bell rings at most once
    every ``BELL_GAP`` seconds. The failure-rate alarm is one notification: a new
    alarm replaces it with one naming every batch alarmed in the last
    ``ALARM_TIMEOUT`` seconds.
    """

    def __init__(
        self,
        node: Widget,
        *,
        bell: bool = True,
        read_only: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.node = node
        """Where notifications are posted."""
        self.bell = bell
        """Ring the terminal bell (what tmux shows on a window you are not looking at)."""
        self.read_only = read_only
        """No advice to cancel when cancelling is not possible."""
        self._clock = clock
        self._rang_at: float | None = None
        self._finishes: Batcher[tuple[str, Batch]] = Batcher(
            node, self._tell_finishes, key=lambda finish: finish[0]
        )
        self._stalls: Batcher[BatchEvent] = Batcher(node, self._tell_stalls)
        self._alarming: dict[str, tuple[float, Batch]] = {}

    def tell(self, change: Change, snapshots: Mapping[str, Snapshot]) -> None:
        """Note every batch ``change`` finished (told shortly) or alarmed (told now)."""
        self._finishes.add(
            (batch_id, snapshot.batch)
            for batch_id in change.finished
            if (snapshot := snapshots.get(batch_id)) is not None
        )
        if change.alarms:
            self._alarm(change.alarms, snapshots)
        self._stalls.add(e for e in change.events if e.kind == "stalled")

    def _alarm(self, alarms: frozenset[str], snapshots: Mapping[str, Snapshot]) -> None:
        """Replace the alarm on screen by one naming these and the recent ones."""
        now = self._clock()
        self._alarming = {
            batch_id: (at, batch)
            for batch_id, (at, batch) in self._alarming.items()
            if now - at < ALARM_TIMEOUT
        }
        for batch_id in sorted(alarms):
            if (snapshot := snapshots.get(batch_id)) is not None:
                self._alarming[batch_id] = (now, snapshot.batch)
        if not self._alarming:
            return
        newest_first = sorted(self._alarming.items(), key=lambda item: -item[1][0])
        self.node.notify(
            alarms_message(
                [(batch_id, batch) for batch_id, (_, batch) in newest_first],
                read_only=self.read_only,
                key=key_of(self.node, "cancel"),
            ),
            title=ALARM_TITLE,
            severity="warning",
            timeout=ALARM_TIMEOUT,
            markup=False,
        )

    def tell_stalls(self) -> None:
        """Tell the stalls gathered so far: each by name, or many as one line."""
        self._stalls.flush()

    def _tell_stalls(self, stalls: list[BatchEvent]) -> None:
        if len(stalls) <= MAX_NAMED:
            messages = [stalled_message(event) for event in stalls]
        else:
            names = ", ".join(plain(e.batch.name or e.batch_id, max_chars=40) for e in stalls[:5])
            more = f" and {len(stalls) - 5} more" if len(stalls) > 5 else ""
            messages = [f"{len(stalls)} batches have stopped moving: {names}{more}."]
        for message in messages:
            self.node.notify(
                message,
                title=STALL_TITLE,
                severity="warning",
                timeout=ALARM_TIMEOUT,
                markup=False,
            )
        self._ring()

    def flush(self) -> None:
        """Tell the finishes gathered so far: each by name, or a burst as one line."""
        self._finishes.flush()

    def _tell_finishes(self, finishes: list[tuple[str, Batch]]) -> None:
        pending = dict(finishes)
        if len(pending) <= MAX_NAMED:
            for batch_id, batch in sorted(pending.items()):
                message, severity = finished_message(batch_id, batch)
                self.node.notify(message, title="Batch finished", severity=severity, markup=False)
        else:
            self.node.notify(
                burst_message(list(pending.values())),
                title="Batches finished",
                severity="error"
                if any(b.status == "failed" for b in pending.values())
                else "information",
                markup=False,
            )
        self._ring()

    def _ring(self) -> None:
        now = self._clock()
        if self.bell and (self._rang_at is None or now - self._rang_at >= BELL_GAP):
            self._rang_at = now
            self.node.app.bell()
