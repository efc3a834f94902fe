"""The scheduler's batches: which can still change, how each is followed, and when it is final.

Only batches that can still change (and the ones the user names) are tracked; a
finished batch leaves no state behind, so the scheduler's cost is the
organisation's activity, never its history. ``Scheduler`` mixes this in.
"""

from __future__ import annotations

from batch_tui.api.models import TERMINAL_STATUSES
from batch_tui.monitor.planning import MAX_GONE, SWEPT_STATUSES, PollRequest, SchedulerParts, Track


class TrackingMixin(SchedulerParts):
    """Per-batch state for ``Scheduler``: see the module docstring."""

    def planned_interval(self, batch_id: str) -> float | None:
        """How often this batch's data is refreshed (None: never again, it is final)."""
        track = self._tracks.get(batch_id)
        if track is None or batch_id in self._gone:
            return None
        if track.status in TERMINAL_STATUSES and track.once_due is None:
            return None
        if batch_id == self.highlighted:
            return self.interval * self.highlight_factor
        if track.status in SWEPT_STATUSES and track.listed:
            return self._sweep_every(track.status) * self.factor
        return self.interval * self.factor

    def tracked(self) -> list[str]:
        """The batches that can still change (the only ones with a planned interval)."""
        return list(self._tracks)

    def tracked_in(self, status: str) -> list[str]:
        """The tracked batches last seen in ``status``."""
        return [batch_id for batch_id, t in self._tracks.items() if t.status == status]

    def _swept(self, status: str | None) -> bool:
        return status in SWEPT_STATUSES and self.status_filter in (None, status)

    def _needs_own_detail(self, batch_id: str, track: Track) -> bool:
        """A batch still changing that no sweep covers is followed by its own detail polls."""
        if batch_id in self._gone or track.status in TERMINAL_STATUSES:
            return False
        return batch_id == self.highlighted or not (track.listed and self._swept(track.status))

    def watch(self, batch_id: str, now: float) -> None:
        """Follow a batch named by the user even when no list shows it."""
        track = self._tracks.setdefault(batch_id, Track())
        track.watched = True
        if track.detail_at is None:
            track.once_due = now

    def unwatch(self, batch_id: str) -> None:
        """The user no longer names this batch; lists may still show it."""
        track = self._tracks.get(batch_id)
        if track is not None:
            track.watched = False
            if not track.listed:
                self.forget(batch_id)

    def forget(self, batch_id: str) -> None:
        """Stop following a batch."""
        self._tracks.pop(batch_id, None)
        self._streams.pop(f"detail:{batch_id}", None)

    def is_polled(self, batch_id: str) -> bool:
        """True while the batch will be fetched again on its own."""
        return self.planned_interval(batch_id) is not None

    def saw_summary(self, batch_id: str, status: str | None, now: float) -> None:
        """A list (discovery, sweep or history) showed this batch with this status."""
        track = self._tracks.get(batch_id)
        if track is None:
            if status in TERMINAL_STATUSES:
                return  # finished before we met it: the summary is final
            track = self._tracks[batch_id] = Track(status=status, listed=True)
            if not self._swept(status):
                track.once_due = now  # an undocumented status: see what it is
            return
        track.listed = True
        if batch_id in self._gone:
            return
        if status in TERMINAL_STATUSES and track.status not in TERMINAL_STATUSES:
            track.once_due = now  # it just finished: one final detail fetch
        track.status = status

    def sweep_done(self, status: str, seen: set[str], now: float) -> None:
        """A whole sweep of ``status`` finished; batches it no longer shows changed status."""
        for batch_id, track in self._tracks.items():
            if track.status == status and track.listed and batch_id not in seen:
                # It moved on (to the next status, or finished): ask where it is now, once.
                # A batch still in this status that the list keeps leaving out (a
                # server listing only its newest) is then polled by its own detail.
                track.listed = False
                if track.once_due is None:
                    track.once_due = now
        self._succeeded(PollRequest("sweep", status=status), now)

    def saw_detail(self, batch_id: str, status: str | None, now: float) -> None:
        """A detail fetch succeeded."""
        self._succeeded(PollRequest("detail", batch_id), now)
        if batch_id == self.highlighted:
            self.highlight_due = None
        track = self._tracks.get(batch_id)
        if status in TERMINAL_STATUSES:
            # Final: nothing about it will change again, so nothing is kept.
            self.forget(batch_id)
            return
        if track is None:
            track = self._tracks[batch_id] = Track()
        track.status = status
        track.detail_at = now
        track.once_due = None

    def detail_gone(self, batch_id: str) -> None:
        """The server answered 404, or the batch expired: never ask again (until refresh)."""
        self._gone[batch_id] = None
        while len(self._gone) > MAX_GONE:
            del self._gone[next(iter(self._gone))]  # the oldest: a bounded memory of 404s
        if batch_id == self.highlighted:
            self.highlight_due = None
        self.forget(batch_id)

    def is_gone(self, batch_id: str) -> bool:
        """True when the server said this batch does not exist."""
        return batch_id in self._gone

    expired = detail_gone
