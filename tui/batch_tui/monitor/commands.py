"""What the user's keys ask of the monitor: refresh, watch, highlight, interval, pause.

Each is a plain method call from the UI; none sends anything itself, it re-plans
and wakes the loop. ``BatchMonitor`` mixes this in.
"""

from __future__ import annotations

from batch_tui.api.models import Batch
from batch_tui.monitor.parts import MonitorParts
from batch_tui.monitor.planning import PollRequest
from batch_tui.monitor.snapshot import Change, Snapshot

#: History loading starts this many rows before the end of what is known.
HISTORY_OVERLAP = 20


class CommandsMixin(MonitorParts):
    """The user's commands for ``BatchMonitor``: see the module docstring."""

    def active_count(self) -> int:
        """How many batches shown can still change (counted without touching the history)."""
        return sum(
            1
            for batch_id in self.scheduler.tracked()
            if (snapshot := self.fleet.get(batch_id)) is not None
            and not snapshot.batch.is_terminal
            and not self.scheduler.is_gone(batch_id)
        )

    def refresh(self) -> None:
        """Fetch what can change, now, within the budget (``r``); lifts a 401 stop.

        Presses in quick succession cost one refresh; during a 429 hold it sends
        one probe, which ends the hold if it succeeds.
        """
        self.scheduler.refresh(self.clock())
        self._wake.set()

    def watch(self, batch_id: str) -> Change:
        """Follow this batch too, even if no list shows it."""
        if batch_id not in self.watched:
            self.watched = (*self.watched, batch_id)
        now = self.clock()
        self.scheduler.watch(batch_id, now)
        added = batch_id not in self.fleet
        if added:
            self.fleet.put(
                Snapshot(
                    Batch(id=batch_id), updated_at=now, planned_interval=self.scheduler.interval
                )
            )
        self._wake.set()
        change = Change(frozenset({batch_id}), reordered=added)
        self._emit(change)
        return change

    def look_up(self, batch_id: str) -> None:
        """A find named this whole id and nothing loaded has it: show it as a row of
        its own, so the cursor lands on it and its detail is fetched at once (the
        highlighted batch's rule); the server's answer fills the row, or says it has
        no such batch. Held like any row, never followed for good (``watch`` is that)."""
        if batch_id in self.fleet:
            return
        now = self.clock()
        self.fleet.put(
            Snapshot(Batch(id=batch_id), updated_at=now, planned_interval=self.scheduler.interval)
        )
        self._emit(Change(frozenset({batch_id}), reordered=True))
        self._wake.set()

    def unwatch(self, batch_id: str) -> Change:
        """Stop following this batch by name; it stays while a list shows it."""
        self.watched = tuple(i for i in self.watched if i != batch_id)
        self.scheduler.unwatch(batch_id)
        removed: frozenset[str] = frozenset()
        if batch_id not in self._listed:
            self.scheduler.forget(batch_id)
            self.fleet.remove(batch_id)
            removed = frozenset({batch_id})
        change = Change(removed=removed)
        self._emit(change)
        return change

    def wake(self) -> None:
        """Re-plan now (the clock may have jumped, e.g. a fake one in a benchmark)."""
        self._wake.set()

    def highlight(self, batch_id: str | None) -> None:
        """The user is looking at this batch: it is served first; its detail is fetched
        now if it can still change and ours is old, or once if it is final and unknown."""
        now = self.clock()
        snapshot = self.fleet.get(batch_id) if batch_id else None
        fetch = False
        if snapshot is not None and not self.scheduler.is_gone(batch_id or ""):
            if snapshot.batch.is_terminal:
                fetch = not snapshot.has_detail
            else:
                fetch = snapshot.detail_at is None or now - snapshot.detail_at >= (
                    self.scheduler.interval
                )
        self.scheduler.highlight(batch_id, now, fetch=fetch)
        if snapshot is not None:
            self._want_item_errors(snapshot, now)
        self._wake.set()

    def want_history(self, wanted: bool) -> None:
        """The user needs older batches than are loaded (the cursor nears the end,
        a filter or find is on), or no longer does."""
        if wanted != self.scheduler.history_wanted:
            self.scheduler.want_history(wanted)
            self._place_history_walk()
            self._update_status()
            self._wake.set()

    def _place_history_walk(self) -> None:
        """Start the server's history walk where what is known ends (once the store
        has given all it holds): newest first, what is known covers about the first
        pages; a little before their end, so a shifted list loses nothing."""
        walk = self.scheduler.walk(PollRequest("history"))
        if self.scheduler.history_wanted and self.scheduler.history_ready and not walk.started:
            known = len(self._listed) if self._history_from is None else self._history_from
            walk.offset = max(0, known - HISTORY_OVERLAP)

    def set_interval(self, interval: float) -> None:
        """Change the poll interval at run time."""
        self.scheduler.set_interval(interval, self.clock())
        self._update_status()
        self._wake.set()

    @property
    def paused(self) -> bool:
        """True while the user has paused polling."""
        return self._user_paused

    def set_paused(self, paused: bool) -> None:
        """Pause or resume polling (``p``); a resume fetches what fell due meanwhile."""
        self._user_paused = paused
        self._update_status()
        self._emit(Change())
        self._wake.set()
