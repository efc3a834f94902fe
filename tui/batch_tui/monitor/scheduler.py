"""Who is polled next, and when: a pure planner driven by an injected clock.

The scheduler never performs I/O. The monitor asks it which requests are due,
performs them one at a time, and reports each outcome back; the scheduler then
plans the next time for that batch. Keeping the decisions here makes them easy
to test on a fake clock.

The rules:

* discovery (the list endpoint) runs at start, then every ``discovery_every``;
* every batch that can still change gets ``GET /v1/batch/:id`` each ``interval``;
* a batch seen terminal gets one final detail fetch, then is never polled again;
* a terminal batch that was never fetched in detail is fetched once, lazily, when
  it is highlighted;
* a 429 pauses everything until ``Retry-After``; a 401/403 stops everything until
  ``refresh()``;
* the highlighted batch is served first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from batch_tui.api.models import TERMINAL_STATUSES

#: The default poll interval, in seconds. Ten active batches polled every 5 s
#: is 120 detail requests a minute, plus a few list requests: well inside a Pro
#: key's 200/min, with room for the organisation's other clients.
DEFAULT_INTERVAL = 5.0
MIN_INTERVAL = 0.5
MAX_INTERVAL = 3600.0
#: Discovery of new batches runs this many times slower than detail polling...
DISCOVERY_FACTOR = 4
#: ...but never more often than this.
MIN_DISCOVERY_EVERY = 20.0


@dataclass(frozen=True)
class PollRequest:
    """One request the monitor should make now."""

    kind: Literal["list", "detail"]
    batch_id: str | None = None


@dataclass
class _Track:
    """What the scheduler knows about one batch."""

    status: str | None = None
    next_due: float | None = None
    has_detail: bool = False
    gone: bool = False
    """The server said 404: stop asking."""


class Scheduler:
    """Plans list and detail requests over time; see the module docstring for the rules."""

    def __init__(self, interval: float = DEFAULT_INTERVAL, *, now: float) -> None:
        self.interval = interval
        """Seconds between detail polls of a batch that can still change."""
        self.discovery_next: float | None = now
        self.paused_until: float | None = None
        """Set by a 429: nothing is due before this time."""
        self.stopped = False
        """Set by a 401/403: nothing is due until ``refresh()``."""
        self.highlighted: str | None = None
        self._tracks: dict[str, _Track] = {}

    @property
    def discovery_every(self) -> float:
        """Seconds between list requests."""
        return max(MIN_DISCOVERY_EVERY, self.interval * DISCOVERY_FACTOR)

    # ── what the monitor learns ──────────────────────────────────────────────

    def watch(self, batch_id: str, now: float) -> None:
        """Follow a batch named by the user even before the list shows it."""
        if batch_id not in self._tracks:
            self._tracks[batch_id] = _Track(next_due=now)

    def forget(self, batch_id: str) -> None:
        """Stop following a batch (it left the list)."""
        self._tracks.pop(batch_id, None)

    def saw_summary(self, batch_id: str, status: str | None, now: float) -> None:
        """The list showed this batch with this status."""
        track = self._tracks.get(batch_id)
        if track is None:
            terminal = status in TERMINAL_STATUSES
            # Active batches are fetched in detail at once; finished ones only when looked at.
            self._tracks[batch_id] = _Track(status=status, next_due=None if terminal else now)
            return
        if track.gone:
            return
        became_terminal = status in TERMINAL_STATUSES and track.status not in TERMINAL_STATUSES
        track.status = status
        if became_terminal and track.next_due is not None:
            # The list saw it finish first: one final detail fetch, then never again.
            track.next_due = now

    def saw_detail(self, batch_id: str, status: str | None, now: float) -> None:
        """A detail fetch succeeded."""
        track = self._tracks.setdefault(batch_id, _Track())
        track.status = status
        track.has_detail = True
        track.next_due = None if status in TERMINAL_STATUSES else now + self.interval

    def detail_failed(self, batch_id: str, now: float, *, gone: bool = False) -> None:
        """A detail fetch failed; try again next interval, or never if the batch is gone."""
        track = self._tracks.setdefault(batch_id, _Track())
        track.gone = gone
        track.next_due = None if gone else now + self.interval

    def listed(self, now: float) -> None:
        """A full discovery pass finished (or failed): plan the next one."""
        self.discovery_next = now + self.discovery_every

    def rate_limited(self, retry_after: float | None, now: float) -> None:
        """A 429: pause every request until the server's ``Retry-After``."""
        wait = retry_after if retry_after is not None and retry_after > 0 else self.interval
        self.paused_until = now + wait

    def unauthorized(self) -> None:
        """A 401/403: retrying cannot help, so stop until the user asks."""
        self.stopped = True

    # ── what the user asks ───────────────────────────────────────────────────

    def highlight(self, batch_id: str | None, now: float) -> None:
        """The user looks at this batch: fetch its detail now if we never have."""
        self.highlighted = batch_id
        track = self._tracks.get(batch_id) if batch_id else None
        if track is not None and not track.has_detail and not track.gone:
            track.next_due = now

    def refresh(self, now: float) -> None:
        """Everything that can change is due now; a stop after 401/403 is lifted."""
        self.stopped = False
        self.discovery_next = now
        for batch_id, track in self._tracks.items():
            if batch_id == self.highlighted:
                track.gone = False
                track.next_due = now
            elif not track.gone and (
                track.status not in TERMINAL_STATUSES or track.next_due is not None
            ):
                track.next_due = now

    def refresh_one(self, batch_id: str, now: float) -> None:
        """Fetch this one batch again as soon as nothing forbids it."""
        track = self._tracks.setdefault(batch_id, _Track())
        track.gone = False
        track.next_due = now

    def set_interval(self, interval: float, now: float) -> None:
        """Change the poll interval; pending polls move to the new spacing."""
        self.interval = interval
        for track in self._tracks.values():
            if track.next_due is not None:
                track.next_due = min(track.next_due, now + interval)
        if self.discovery_next is not None:
            self.discovery_next = min(self.discovery_next, now + self.discovery_every)

    # ── what is due ──────────────────────────────────────────────────────────

    def is_polled(self, batch_id: str) -> bool:
        """True while the batch will be fetched again on its own."""
        track = self._tracks.get(batch_id)
        return track is not None and track.next_due is not None

    def due(self, now: float) -> list[PollRequest]:
        """The requests to make now, highlighted batch first, then discovery, then oldest due."""
        if self.stopped or (self.paused_until is not None and now < self.paused_until):
            return []
        self.paused_until = None
        details = sorted(
            (track.next_due, batch_id)
            for batch_id, track in self._tracks.items()
            if track.next_due is not None and track.next_due <= now
        )
        requests = [PollRequest("detail", batch_id) for _, batch_id in details]
        requests.sort(key=lambda r: r.batch_id != self.highlighted)
        if self.discovery_next is not None and self.discovery_next <= now:
            requests.insert(1 if requests and requests[0].batch_id == self.highlighted else 0,
                            PollRequest("list"))
        return requests

    def next_wakeup(self, now: float) -> float | None:
        """When something next falls due (None: nothing ever will without user action)."""
        if self.stopped:
            return None
        times = [t.next_due for t in self._tracks.values() if t.next_due is not None]
        if self.discovery_next is not None:
            times.append(self.discovery_next)
        if not times:
            return None
        soonest = min(times)
        if self.paused_until is not None:
            soonest = max(soonest, self.paused_until)
        return soonest
