"""Who is polled next, and when: a pure planner driven by an injected clock.

The scheduler never performs I/O. The monitor asks it which request is due,
performs it, and reports the outcome; the scheduler plans what follows. It
decides every request the dashboard makes:

* **sweeps** — ``GET /v1/batch?status=S`` carries status, counts and cost for a
  whole page of batches in one request. Processing batches are swept every
  interval; pending and validating ones every ``SLOW_FACTOR`` intervals. A sweep
  runs only while batches in that status are known.
* **details** — ``GET /v1/batch/:id``: the highlighted batch every interval (it is
  the one whose tokens and errors are on screen); a batch that left its sweep
  (its status changed) once, which is the final fetch when it finished; a batch
  no sweep covers (named on the command line but not listed, or in a status the
  API does not document) every interval. A finished batch is never fetched again.
* **discovery** — the unfiltered list, at start and every ``discovery_every``,
  finds new batches and ones that came and went between sweeps.

The rate budget (``Budget``) is respected: when the planned rate does not fit in
what the server says is left (less the headroom for the organisation's other
clients), every cadence is stretched by one factor, the highlighted batch last.
A 429 pauses everything until ``Retry-After``; 5xx, timeouts and connection
errors back off per endpoint (full jitter, 1 s doubling to 30 s, never sooner than
the normal cadence); while nothing succeeds the server is taken to be down and
only one probe goes out every two intervals, and the first success makes every
backed-off endpoint due at once; 401/403 stops everything until ``refresh()``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Literal

from batch_tui.api.models import TERMINAL_STATUSES
from batch_tui.monitor.budget import Budget

#: The default poll interval, in seconds. The highlighted batch's detail and one
#: sweep of the processing batches per interval, plus slower sweeps and discovery,
#: is 25 to 40 requests a minute however many batches are active: far inside a
#: Pro key's 200/min.
DEFAULT_INTERVAL = 5.0
MIN_INTERVAL = 0.5
MAX_INTERVAL = 3600.0
#: Pending and validating batches change less often: swept this many times slower.
SLOW_FACTOR = 2
#: Discovery runs this many times slower than the interval...
DISCOVERY_FACTOR = 10
#: ...but never more often than this.
MIN_DISCOVERY_EVERY = 30.0
#: The list endpoint's largest page: one sweep request covers this many batches.
PAGE_SIZE = 100
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
#: While the server is down, one probe request goes out this many intervals apart,
#: so the dashboard is fresh again within that long after the server returns.
PROBE_INTERVALS = 2
#: The statuses swept with the list endpoint's status filter.
SWEPT_STATUSES = ("processing", "validating", "pending")

Kind = Literal["list", "sweep", "detail"]


@dataclass(frozen=True)
class PollRequest:
    """One request the monitor should make now."""

    kind: Kind
    batch_id: str | None = None
    status: str | None = None
    """For a sweep: the status it lists."""

    @property
    def key(self) -> str:
        """The endpoint this request belongs to, for per-endpoint backoff."""
        if self.kind == "detail":
            return f"detail:{self.batch_id}"
        if self.kind == "sweep":
            return f"sweep:{self.status}"
        return "list"


@dataclass
class _Track:
    """What the scheduler knows about one batch."""

    status: str | None = None
    detail_at: float | None = None
    """When its detail last arrived."""
    once_due: float | None = None
    """A one-off detail fetch is wanted at this time (status change, highlight)."""
    gone: bool = False
    """The server said 404, or the batch is past ``expiresAt``: never ask again."""
    watched: bool = False
    """Named by the user; followed even when no list shows it."""
    listed: bool = False
    """Seen in the last discovery or sweep."""


@dataclass
class _Stream:
    """A recurring request: when it is next due, and its backoff state."""

    next_due: float
    failures: int = 0


@dataclass
class Plan:
    """The scheduler's view of its own pace, for the status line."""

    interval: float
    effective_interval: float
    highlighted_interval: float
    requests_per_minute: float
    """What the plan would send in a minute at the effective pace."""


@dataclass
class Scheduler:
    """Plans sweeps, details and discovery over time; see the module docstring for the rules."""

    interval: float = DEFAULT_INTERVAL
    now: float = 0.0
    budget: Budget = field(default_factory=Budget)
    status_filter: str | None = None
    """Only batches in this status are shown, so only they are swept and discovered."""
    rng: random.Random = field(default_factory=random.Random)
    """Source of backoff jitter (seeded in tests)."""

    def __post_init__(self) -> None:
        self.highlighted: str | None = None
        self.paused_until: float | None = None
        """Set by a 429: nothing is sent before this time."""
        self.stopped = False
        """Set by a 401/403: nothing is sent until ``refresh()``."""
        self.factor = 1.0
        """How much the budget stretches every cadence (1 = as asked)."""
        self.highlight_factor = 1.0
        self.outage = False
        """Every request since the last success failed: the server looks down."""
        self._last_sent = self.now
        self._tracks: dict[str, _Track] = {}
        self._streams: dict[str, _Stream] = {"list": _Stream(self.now)}

    # ── cadences ─────────────────────────────────────────────────────────────

    @property
    def discovery_every(self) -> float:
        """Seconds between discovery passes, before any stretching."""
        return max(MIN_DISCOVERY_EVERY, self.interval * DISCOVERY_FACTOR)

    def _sweep_every(self, status: str) -> float:
        return self.interval * (1 if status == "processing" else SLOW_FACTOR)

    def _cadence(self, request: PollRequest) -> float:
        if request.kind == "list":
            return self.discovery_every * self.factor
        if request.kind == "sweep":
            return self._sweep_every(request.status or "") * self.factor
        if request.batch_id == self.highlighted:
            return self.interval * self.highlight_factor
        return self.interval * self.factor

    def planned_interval(self, batch_id: str) -> float | None:
        """How often this batch's data is refreshed (None: never again, it is final)."""
        track = self._tracks.get(batch_id)
        if track is None or track.gone:
            return None
        if track.status in TERMINAL_STATUSES and track.once_due is None:
            return None
        if batch_id == self.highlighted:
            return self.interval * self.highlight_factor
        if track.status in SWEPT_STATUSES and track.listed:
            return self._sweep_every(track.status) * self.factor
        return self.interval * self.factor

    # ── the batches ──────────────────────────────────────────────────────────

    def _swept(self, status: str | None) -> bool:
        return status in SWEPT_STATUSES and self.status_filter in (None, status)

    def _needs_own_detail(self, batch_id: str, track: _Track) -> bool:
        """A batch still changing that no sweep covers is followed by its own detail polls."""
        if track.gone or track.status in TERMINAL_STATUSES:
            return False
        return batch_id == self.highlighted or not (track.listed and self._swept(track.status))

    def watch(self, batch_id: str, now: float) -> None:
        """Follow a batch named by the user even when no list shows it."""
        track = self._tracks.setdefault(batch_id, _Track())
        track.watched = True
        if track.detail_at is None:
            track.once_due = now

    def unwatch(self, batch_id: str) -> None:
        """The user no longer names this batch; lists may still show it."""
        track = self._tracks.get(batch_id)
        if track is not None:
            track.watched = False

    def is_listed(self, batch_id: str) -> bool:
        """Whether the last discovery or a sweep showed this batch."""
        track = self._tracks.get(batch_id)
        return track is not None and track.listed

    def forget(self, batch_id: str) -> None:
        """Stop following a batch (it left the list and nobody named it)."""
        self._tracks.pop(batch_id, None)
        self._streams.pop(f"detail:{batch_id}", None)

    def is_polled(self, batch_id: str) -> bool:
        """True while the batch will be fetched again on its own."""
        return self.planned_interval(batch_id) is not None

    def saw_summary(self, batch_id: str, status: str | None, now: float) -> None:
        """A list (discovery or sweep) showed this batch with this status."""
        track = self._tracks.get(batch_id)
        if track is None:
            track = self._tracks[batch_id] = _Track(status=status, listed=True)
            if not self._swept(status) and status not in TERMINAL_STATUSES:
                track.once_due = now  # an undocumented status: see what it is
            return
        track.listed = True
        if track.gone:
            return
        was_terminal = track.status in TERMINAL_STATUSES
        if status in TERMINAL_STATUSES and not was_terminal and track.status is not None:
            track.once_due = now  # it just finished: one final detail fetch
        track.status = status

    def sweep_done(self, status: str, seen: set[str], now: float) -> None:
        """A sweep of ``status`` finished; batches it no longer shows changed status."""
        for batch_id, track in self._tracks.items():
            if track.status == status and batch_id not in seen and not track.gone:
                # It moved on (to the next status, or finished): ask it where it is now.
                track.once_due = now
        self._succeeded(PollRequest("sweep", status=status), now)

    def discovery_done(self, seen: set[str], now: float) -> list[str]:
        """A full discovery pass finished; returns the batches that left the list."""
        gone = []
        for batch_id, track in list(self._tracks.items()):
            if batch_id not in seen:
                track.listed = False
                if not track.watched:
                    gone.append(batch_id)
        for batch_id in gone:
            self.forget(batch_id)
        self._succeeded(PollRequest("list"), now)
        # Discovery just brought every summary: the sweeps can wait a full cadence.
        for status in SWEPT_STATUSES:
            self._succeeded(PollRequest("sweep", status=status), now)
        return gone

    def saw_detail(self, batch_id: str, status: str | None, now: float) -> None:
        """A detail fetch succeeded."""
        track = self._tracks.setdefault(batch_id, _Track())
        track.status = status
        track.detail_at = now
        track.once_due = None
        self._succeeded(PollRequest("detail", batch_id), now)

    def expired(self, batch_id: str) -> None:
        """The batch is past its ``expiresAt``: its results are gone, so it is not polled."""
        self.detail_gone(batch_id)

    def detail_gone(self, batch_id: str) -> None:
        """The server answered 404 for this batch: never ask again (until refresh)."""
        track = self._tracks.setdefault(batch_id, _Track())
        track.gone = True
        track.once_due = None
        self._streams.pop(f"detail:{batch_id}", None)

    # ── outcomes ─────────────────────────────────────────────────────────────

    def _succeeded(self, request: PollRequest, now: float) -> None:
        if self.outage:
            # The server is back: every endpoint that was backing off is due now,
            # so the whole screen is fresh again within moments.
            self.outage = False
            for stream in self._streams.values():
                if stream.failures:
                    stream.failures = 0
                    stream.next_due = now
        stream = self._streams.setdefault(request.key, _Stream(now))
        stream.failures = 0
        stream.next_due = now + self._cadence(request)

    def failed(self, request: PollRequest, now: float) -> float:
        """A 5xx, timeout or connection error: back off this endpoint; returns the delay."""
        self.outage = True
        stream = self._streams.setdefault(request.key, _Stream(now))
        stream.failures += 1
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (stream.failures - 1))
        # Full jitter, but a failing server is never asked more often than a healthy one.
        delay = max(self._cadence(request), self.rng.uniform(0, ceiling))
        stream.next_due = now + delay
        if request.kind == "detail":
            track = self._tracks.get(request.batch_id or "")
            if track is not None and track.once_due is not None:
                track.once_due = stream.next_due
        return delay

    def backoff(self, request: PollRequest) -> int:
        """How many times in a row this endpoint has failed."""
        stream = self._streams.get(request.key)
        return stream.failures if stream else 0

    def backing_off(self) -> int:
        """How many endpoints are backing off after errors."""
        return sum(1 for stream in self._streams.values() if stream.failures)

    def rate_limited(self, retry_after: float | None, now: float) -> None:
        """A 429: pause every request until the server's ``Retry-After``."""
        wait = retry_after if retry_after is not None and retry_after > 0 else self.interval
        self.paused_until = max(self.paused_until or now, now + wait)

    def unauthorized(self) -> None:
        """A 401/403: retrying cannot help, so stop until the user asks."""
        self.stopped = True

    # ── what the user asks ───────────────────────────────────────────────────

    def highlight(self, batch_id: str | None, now: float) -> None:
        """The user looks at this batch: its detail is fetched now if ours is old."""
        self.highlighted = batch_id
        track = self._tracks.get(batch_id) if batch_id else None
        if track is None or track.gone:
            return
        final = track.status in TERMINAL_STATUSES and track.detail_at is not None
        if not final and (track.detail_at is None or now - track.detail_at >= self.interval):
            track.once_due = now

    def refresh(self, now: float) -> None:
        """Everything that can change is due now (within the budget); a 401 stop is lifted."""
        self.stopped = False
        self.outage = False  # the user asks to try now: one round, then judge again
        for stream in self._streams.values():
            stream.next_due = now
            stream.failures = 0
        if self.highlighted in self._tracks:
            track = self._tracks[self.highlighted]
            track.gone = False
            if not (track.status in TERMINAL_STATUSES and track.detail_at is not None):
                track.once_due = now

    def refresh_one(self, batch_id: str, now: float) -> None:
        """Fetch this one batch again as soon as nothing forbids it."""
        track = self._tracks.setdefault(batch_id, _Track())
        track.gone = False
        track.once_due = now

    def set_interval(self, interval: float, now: float) -> None:
        """Change the asked interval; what was planned further out moves closer."""
        self.interval = interval
        for key, stream in self._streams.items():
            cadence = self.discovery_every if key == "list" else interval
            stream.next_due = min(stream.next_due, now + cadence)

    # ── what is due ──────────────────────────────────────────────────────────

    def _candidates(self) -> list[tuple[float, int, PollRequest]]:
        """Every request with the time it falls due, and its priority (lower first)."""
        out: list[tuple[float, int, PollRequest]] = []
        statuses = {t.status for t in self._tracks.values() if t.listed and not t.gone}
        for status in SWEPT_STATUSES:
            if status in statuses and self._swept(status):
                request = PollRequest("sweep", status=status)
                stream = self._streams.setdefault(request.key, _Stream(self.now))
                out.append((stream.next_due, 2, request))
        out.append((self._streams["list"].next_due, 3, PollRequest("list")))
        for batch_id, track in self._tracks.items():
            if track.gone:
                continue
            request = PollRequest("detail", batch_id)
            priority = 0 if batch_id == self.highlighted else 1
            if track.once_due is not None:
                out.append((track.once_due, priority, request))
            elif self._needs_own_detail(batch_id, track):
                stream = self._streams.get(request.key)
                due = stream.next_due if stream else (track.detail_at or self.now)
                out.append((due, priority, request))
        return out

    def _restretch(self, now: float) -> None:
        """Fit the plan into the budget: one stretch factor, the highlighted batch last."""
        allowed = self.budget.allowed_rate(now)
        rates = self._base_rates()
        total = sum(rates.values())
        highlighted = rates.get("highlighted", 0.0)
        if allowed is None or total <= allowed or total == 0:
            self.factor = self.highlight_factor = 1.0
        elif allowed > highlighted and total > highlighted:
            self.highlight_factor = 1.0
            self.factor = (total - highlighted) / (allowed - highlighted)
        else:
            self.factor = self.highlight_factor = total / max(allowed, 1e-6)
        cap = MAX_INTERVAL / self.interval
        self.factor = min(self.factor, cap)
        self.highlight_factor = min(self.highlight_factor, cap)

    def _base_rates(self) -> dict[str, float]:
        """Requests per second of each recurring stream at the asked interval."""
        counts: dict[str, int] = {}
        own_details = 0
        highlighted = 0.0
        for batch_id, track in self._tracks.items():
            if track.listed and not track.gone and self._swept(track.status):
                counts[track.status or ""] = counts.get(track.status or "", 0) + 1
            if self._needs_own_detail(batch_id, track):
                if batch_id == self.highlighted:
                    highlighted = 1 / self.interval
                else:
                    own_details += 1
        rates = {
            f"sweep:{status}": math.ceil(n / PAGE_SIZE) / self._sweep_every(status)
            for status, n in counts.items()
        }
        pages = max(1, math.ceil(len(self._tracks) / PAGE_SIZE))
        rates["list"] = pages / self.discovery_every
        rates["details"] = own_details / self.interval
        rates["highlighted"] = highlighted
        return rates

    def plan(self, now: float) -> Plan:
        """The pace the scheduler keeps now, for the status line."""
        self._restretch(now)
        rates = self._base_rates()
        highlighted = rates.pop("highlighted")
        per_second = sum(rates.values()) / self.factor + highlighted / self.highlight_factor
        return Plan(
            interval=self.interval,
            effective_interval=self.interval * self.factor,
            highlighted_interval=self.interval * self.highlight_factor,
            requests_per_minute=60 * per_second,
        )

    def next_request(self, now: float) -> PollRequest | None:
        """The one request to make now, or None: highlighted first, then oldest due."""
        self.now = now
        if self.stopped or (self.paused_until is not None and now < self.paused_until):
            return None
        self.paused_until = None
        if not self.budget.can_send(now):
            return None
        self._restretch(now)
        candidates = self._candidates()
        if self.outage:
            # The server looks down: nothing but one probe every two intervals (the
            # most wanted request), so a failing server gets almost no load and its
            # return shows within two intervals. The first success ends this.
            if now < self._probe_at():
                return None
            due = [(priority, when, request) for when, priority, request in candidates]
        else:
            due = [
                (priority, when, request) for when, priority, request in candidates if when <= now
            ]
        if not due:
            return None
        return min(due, key=lambda item: (item[0], item[1], item[2].key))[2]

    def sending(self, now: float) -> None:
        """A request is going out now (the probe timer counts from the last one)."""
        self._last_sent = now

    def _probe_at(self) -> float:
        return self._last_sent + PROBE_INTERVALS * self.interval

    def next_wakeup(self, now: float) -> float | None:
        """When something next falls due (None: nothing will without the user)."""
        if self.stopped:
            return None
        times = [when for when, _, _ in self._candidates()]
        if not times:
            return None
        soonest = min(times)
        if self.outage:
            soonest = self._probe_at()
        if self.paused_until is not None:
            soonest = max(soonest, self.paused_until)
        if not self.budget.can_send(now) and self.budget.reset is not None:
            soonest = max(soonest, self.budget.reset)
        return soonest
