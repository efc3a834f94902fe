"""The scheduler's batches: which can still change, how each is followed, and when it is final.

Only batches that can still change (and the ones the user names) are tracked; a
finished batch leaves no state behind, so the scheduler's cost is the
organisation's activity, never its history. The batches the server said do not
exist are remembered too (a bounded number), so they are not asked for again.
"""

from __future__ import annotations

from collections.abc import Iterable

from batch_tui.api.models import TERMINAL_STATUSES
from batch_tui.monitor.planning import MAX_GONE, Track, swept


def own_detail(
    batch_id: str, track: Track, highlighted: str | None, status_filter: str | None
) -> bool:
    """True when this live batch (its track in hand) still changes and no sweep covers
    it: it is followed by its own detail polls."""
    if track.status in TERMINAL_STATUSES:
        return False
    return batch_id == highlighted or not (track.listed and swept(track.status, status_filter))


class Tracks:
    """The batches that can still change, and the ones the server said are gone.

    The highlighted batch and the status filter belong to the scheduler; the few
    rules that depend on them take them as arguments.
    """

    def __init__(self) -> None:
        self._tracks: dict[str, Track] = {}
        self._gone: dict[str, None] = {}

    def tracked(self) -> list[str]:
        """Every tracked batch, in the order they were met."""
        return list(self._tracks)

    def tracked_in(self, status: str) -> list[str]:
        """The tracked batches last seen in ``status``."""
        return [batch_id for batch_id, t in self._tracks.items() if t.status == status]

    def live(self) -> Iterable[tuple[str, Track]]:
        """The tracked batches the server has not said are gone."""
        # Asked several times per request: almost always nothing is gone.
        if not self._gone:
            return self._tracks.items()
        gone = self._gone
        return [
            (batch_id, track) for batch_id, track in self._tracks.items() if batch_id not in gone
        ]

    def statuses(self) -> set[str | None]:
        """The statuses some list last showed a live batch in."""
        return {t.status for b, t in self.live() if t.listed}

    def listed_in(self, status_filter: str | None) -> dict[str, int]:
        """How many live batches each sweep covers, by status."""
        counts: dict[str, int] = {}
        for _, track in self.live():
            if track.listed and swept(track.status, status_filter):
                status = track.status or ""
                counts[status] = counts.get(status, 0) + 1
        return counts

    def changing(self, batch_id: str) -> Track | None:
        """The batch's track while it will be fetched again (None: gone, untracked, final)."""
        track = self._tracks.get(batch_id)
        if track is None or batch_id in self._gone:
            return None
        if track.status in TERMINAL_STATUSES and track.once_due is None:
            return None
        return track

    def own_details(self, highlighted: str | None, status_filter: str | None) -> list[str]:
        """The batches followed by their own detail polls."""
        return [
            batch_id
            for batch_id, track in self.live()
            if own_detail(batch_id, track, highlighted, status_filter)
        ]

    def watch(self, batch_id: str, now: float) -> None:
        """Follow a batch named by the user even when no list shows it."""
        track = self._tracks.setdefault(batch_id, Track())
        track.watched = True
        if track.detail_at is None:
            track.once_due = now

    def unwatch(self, batch_id: str) -> bool:
        """The user no longer names this batch; True when no list shows it either (forgotten)."""
        track = self._tracks.get(batch_id)
        if track is None:
            return False
        track.watched = False
        if track.listed:
            return False
        self.forget(batch_id)
        return True

    def forget(self, batch_id: str) -> None:
        """Stop following a batch."""
        self._tracks.pop(batch_id, None)

    def saw_summary(
        self, batch_id: str, status: str | None, now: float, status_filter: str | None
    ) -> None:
        """A list (discovery, sweep or history) showed this batch with this status."""
        track = self._tracks.get(batch_id)
        if track is None:
            if status in TERMINAL_STATUSES:
                return  # finished before we met it: the summary is final
            track = self._tracks[batch_id] = Track(status=status, listed=True)
            if not swept(status, status_filter):
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

    def saw_detail(self, batch_id: str, status: str | None, now: float) -> bool:
        """A detail fetch succeeded; True when the batch is final (and forgotten)."""
        if status in TERMINAL_STATUSES:
            # Final: nothing about it will change again, so nothing is kept.
            self.forget(batch_id)
            return True
        track = self._tracks.setdefault(batch_id, Track())
        track.status = status
        track.detail_at = now
        track.once_due = None
        return False

    def postpone(self, batch_id: str, when: float) -> None:
        """A one-off fetch of this batch failed: it is wanted again at ``when``."""
        track = self._tracks.get(batch_id)
        if track is not None and track.once_due is not None:
            track.once_due = when

    def refetch(self, batch_id: str, now: float, *, follow: bool) -> None:
        """Ask for this batch again now, even if it was gone; ``follow``: track it if untracked."""
        self._gone.pop(batch_id, None)
        track = self._tracks.setdefault(batch_id, Track()) if follow else self._tracks.get(batch_id)
        if track is not None:
            track.once_due = now

    def gone(self, batch_id: str) -> None:
        """The server said this batch does not exist: never ask again (until refetched)."""
        self._gone[batch_id] = None
        while len(self._gone) > MAX_GONE:
            del self._gone[next(iter(self._gone))]  # the oldest: a bounded memory of 404s
        self.forget(batch_id)

    def is_gone(self, batch_id: str) -> bool:
        """True when the server said this batch does not exist."""
        return batch_id in self._gone
