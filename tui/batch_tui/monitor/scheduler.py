"""Who is polled next, and when: a pure planner driven by an injected clock.

The scheduler never performs I/O. The monitor asks it which request is due,
performs it, and reports the outcome; the scheduler plans what follows. Its cost,
like the requests it plans, grows with the organisation's *activity*, never with
its history: it keeps state only for batches that can still change (plus the one
the user looks at), never for the finished ones.

* **sweeps** — ``GET /v1/batch?status=S`` carries status, counts and cost for a
  whole page of batches. Processing batches are swept every interval; pending and
  validating ones every ``SLOW_FACTOR`` intervals, only while some are known. A
  sweep that meets an unknown batch adds it.
* **details** — ``GET /v1/batch/:id``: the highlighted batch every interval while it
  can change (once, if it is finished and its detail is not known); a batch that
  left its sweep once (the final fetch when it finished); a batch no sweep covers
  every interval. A finished batch is never fetched again on its own.
* **discovery** — the newest page(s) of the unfiltered list, at start and every
  ``discovery_every``, stopping at the first page that holds only known batches:
  batches that were created and finished between two sweeps are found there.
* **history** — older pages of the list, only while the user wants them (the cursor
  nears the end of what is loaded, a filter or find needs the rest), at no more
  than ``HISTORY_SHARE`` of the budget.
* **item errors** — the first page of the highlighted batch's results while it has
  failures, again when its failure count changes.

The rate budget (``Budget``) is respected: when the plan does not fit, every
cadence is stretched by one factor, the highlighted batch last. A 429 pauses
everything until ``Retry-After`` (at most ``MAX_SERVER_WAIT``); 5xx, timeouts and
connection errors back off per endpoint; while nothing succeeds only one probe
goes out every two intervals; 401/403 stops everything until ``refresh()``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Literal

from batch_tui.api.models import TERMINAL_STATUSES
from batch_tui.monitor.backoff import BACKOFF_CAP, backoff_delay, server_wait
from batch_tui.monitor.budget import Budget
from batch_tui.monitor.paging import MAX_DISCOVERY_PAGES, MAX_FULL_PAGES, MAX_SWEEP_PAGES, Walk

__all__ = ["BACKOFF_CAP", "DEFAULT_INTERVAL", "PollRequest", "Scheduler"]

#: The default poll interval, in seconds: 25 to 40 requests a minute however many
#: batches are active, far inside a Pro key's 200/min.
DEFAULT_INTERVAL = 5.0
MIN_INTERVAL = 0.5
MAX_INTERVAL = 3600.0
#: Pending and validating batches change less often: swept this many times slower.
SLOW_FACTOR = 2
#: Discovery runs this many times slower than the interval...
DISCOVERY_FACTOR = 10
#: ...but never more often than this.
MIN_DISCOVERY_EVERY = 30.0
#: The list endpoint's largest page: one list request covers this many batches.
PAGE_SIZE = 100
#: While the server is down, one probe goes out this many intervals apart.
PROBE_INTERVALS = 2
#: The statuses swept with the list endpoint's status filter.
SWEPT_STATUSES = ("processing", "validating", "pending")
#: Loading older history may use at most this share of what the budget allows us.
HISTORY_SHARE = 0.1
#: Refreshes (``r``) pressed within this many seconds of each other are one refresh.
REFRESH_COALESCE = 2.0
#: At most this many batches the server said do not exist are remembered.
MAX_GONE = 10_000
#: The first page of a failing batch's results is fetched again at most this often.
ITEM_ERRORS_EVERY = 30.0

Kind = Literal["list", "sweep", "detail", "history", "errors"]


@dataclass(frozen=True)
class PollRequest:
    """One request the monitor should make now."""

    kind: Kind
    batch_id: str | None = None
    status: str | None = None
    """For a sweep: the status it lists."""
    offset: int = 0
    """For a list request: where its page starts."""

    @property
    def key(self) -> str:
        """The stream this request belongs to, for its cadence and backoff."""
        if self.kind in ("detail", "errors"):
            return f"{self.kind}:{self.batch_id}"
        if self.kind == "sweep":
            return f"sweep:{self.status}"
        return self.kind


@dataclass
class _Track:
    """What the scheduler knows about one batch that can still change."""

    status: str | None = None
    detail_at: float | None = None
    once_due: float | None = None
    """A one-off detail fetch is wanted at this time (status change)."""
    watched: bool = False
    """Named by the user; followed even when no list shows it."""
    listed: bool = False
    """Seen in a list (discovery or sweep)."""


@dataclass
class _Stream:
    """A recurring request: when it is next due, and its backoff state."""

    next_due: float
    failures: int = 0
    last_ok: float | None = None


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
    """Plans sweeps, details, discovery and history; see the module docstring for the rules."""

    interval: float = DEFAULT_INTERVAL
    now: float = 0.0
    budget: Budget = field(default_factory=Budget)
    status_filter: str | None = None
    """Only batches in this status are shown, so only they are swept and discovered."""
    rng: random.Random = field(default_factory=random.Random)
    """Source of backoff jitter (seeded in tests)."""

    def __post_init__(self) -> None:
        self.highlighted: str | None = None
        self.highlight_due: float | None = None
        """The highlighted batch's detail is wanted once at this time."""
        self.errors_due: float | None = None
        """The highlighted batch's item errors are wanted at this time."""
        self.paused_until: float | None = None
        """Set by a 429: nothing is sent before this time."""
        self.probe_now = False
        """The user asked (``r``) for one request despite a 429 hold."""
        self.stopped = False
        """Set by a 401/403: nothing is sent until ``refresh()``."""
        self.factor = 1.0
        self.highlight_factor = 1.0
        self.outage = False
        """Every request since the last success failed: the server looks down."""
        self.history_wanted = False
        """The user wants older history than is loaded."""
        self.history_complete = False
        """The history walk reached the end of the list."""
        self.full_discovery = False
        """The list turned out not newest-first: discovery walks every page."""
        self._last_sent = self.now
        self._refreshed_at: float | None = None
        self._tracks: dict[str, _Track] = {}
        self._gone: dict[str, None] = {}
        self._streams: dict[str, _Stream] = {"list": _Stream(self.now)}
        self.walks: dict[str, Walk] = {"list": Walk(MAX_DISCOVERY_PAGES)}
        """The list walks under way (discovery, sweeps, history), by stream key."""

    # ── cadences ─────────────────────────────────────────────────────────────

    @property
    def discovery_every(self) -> float:
        """Seconds between discovery passes, before any stretching."""
        return max(MIN_DISCOVERY_EVERY, self.interval * DISCOVERY_FACTOR)

    def _sweep_every(self, status: str) -> float:
        return self.interval * (1 if status == "processing" else SLOW_FACTOR)

    def history_every(self) -> float:
        """Seconds between history pages: at most ``HISTORY_SHARE`` of the allowed rate."""
        allowed = self.budget.allowed_rate(self.now)
        if not allowed:
            return self.interval
        return max(self.interval / 2, 1 / (HISTORY_SHARE * allowed))

    def _cadence(self, request: PollRequest) -> float:
        if request.kind == "list":
            return self.discovery_every * self.factor
        if request.kind == "history":
            return self.history_every()
        if request.kind == "sweep":
            return self._sweep_every(request.status or "") * self.factor
        if request.kind == "errors":
            return ITEM_ERRORS_EVERY * self.factor
        if request.batch_id == self.highlighted:
            return self.interval * self.highlight_factor
        return self.interval * self.factor

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

    # ── the batches ──────────────────────────────────────────────────────────

    def _swept(self, status: str | None) -> bool:
        return status in SWEPT_STATUSES and self.status_filter in (None, status)

    def _needs_own_detail(self, batch_id: str, track: _Track) -> bool:
        """A batch still changing that no sweep covers is followed by its own detail polls."""
        if batch_id in self._gone or track.status in TERMINAL_STATUSES:
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
            track = self._tracks[batch_id] = _Track(status=status, listed=True)
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

    def discovery_done(self, now: float, *, whole_list: bool = False) -> None:
        """A discovery pass finished: the next one is a full cadence away. When it
        read the whole list it brought every summary, so the sweeps can wait too."""
        self._succeeded(PollRequest("list"), now)
        if whole_list and self.status_filter is None:
            for status in SWEPT_STATUSES:
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
            track = self._tracks[batch_id] = _Track()
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

    expired = detail_gone

    def is_gone(self, batch_id: str) -> bool:
        """True when the server said this batch does not exist."""
        return batch_id in self._gone

    # ── list walks ───────────────────────────────────────────────────────────

    def walk(self, request: PollRequest) -> Walk:
        """The walk a list request belongs to."""
        key = request.key
        if key not in self.walks:
            cap = MAX_SWEEP_PAGES if request.kind == "sweep" else MAX_FULL_PAGES
            self.walks[key] = Walk(cap)
        walk = self.walks[key]
        if key == "list":
            walk.max_pages = MAX_FULL_PAGES if self.full_discovery else MAX_DISCOVERY_PAGES
        return walk

    def next_page(self, request: PollRequest, now: float) -> None:
        """The walk goes on: its next page is due now."""
        stream = self._streams.setdefault(request.key, _Stream(now))
        stream.next_due = now
        stream.failures = 0
        stream.last_ok = now
        self.outage = False

    def history_page_done(self, complete: bool, now: float) -> None:
        """A history page came back; ``complete`` when it was the last one."""
        self.history_complete = complete
        self._succeeded(PollRequest("history"), now)

    # ── outcomes ─────────────────────────────────────────────────────────────

    def _succeeded(self, request: PollRequest, now: float) -> None:
        self.probe_now = False
        self.paused_until = None  # a success ends a 429 hold early (the user's probe)
        if self.outage:
            # The server is back: every endpoint that was backing off is due now.
            self.outage = False
            for stream in self._streams.values():
                if stream.failures:
                    stream.failures = 0
                    stream.next_due = now
        stream = self._streams.setdefault(request.key, _Stream(now))
        stream.failures = 0
        stream.last_ok = now
        stream.next_due = now + self._cadence(request)

    def errors_done(self, batch_id: str, now: float) -> None:
        """The item errors of ``batch_id`` came back."""
        if batch_id == self.highlighted:
            self.errors_due = None
        self._succeeded(PollRequest("errors", batch_id), now)

    def failed(self, request: PollRequest, now: float) -> float:
        """A 5xx, timeout or connection error: back off this endpoint; returns the delay."""
        self.outage = True
        self.probe_now = False
        stream = self._streams.setdefault(request.key, _Stream(now))
        stream.failures += 1
        delay = backoff_delay(stream.failures, self._cadence(request), self.rng)
        stream.next_due = now + delay
        if request.kind == "detail":
            track = self._tracks.get(request.batch_id or "")
            if track is not None and track.once_due is not None:
                track.once_due = stream.next_due
            if request.batch_id == self.highlighted and self.highlight_due is not None:
                self.highlight_due = stream.next_due
        if request.kind == "errors" and self.errors_due is not None:
            self.errors_due = stream.next_due
        return delay

    def backoff(self, request: PollRequest) -> int:
        """How many times in a row this endpoint has failed."""
        stream = self._streams.get(request.key)
        return stream.failures if stream else 0

    def backing_off(self) -> int:
        """How many endpoints are backing off after errors."""
        return sum(1 for stream in self._streams.values() if stream.failures)

    def max_backoff(self) -> int:
        """The most failures in a row of any endpoint."""
        return max((stream.failures for stream in self._streams.values()), default=0)

    def rate_limited(self, retry_after: float | None, now: float) -> None:
        """A 429: pause every request until the server's ``Retry-After`` (within reason)."""
        self.probe_now = False
        wait = server_wait(retry_after, self.interval)
        self.paused_until = max(self.paused_until or now, now + wait)

    def unauthorized(self) -> None:
        """A 401/403: retrying cannot help, so stop until the user asks."""
        self.stopped = True

    # ── what the user asks ───────────────────────────────────────────────────

    def highlight(self, batch_id: str | None, now: float, *, fetch: bool) -> None:
        """The user looks at this batch; ``fetch``: its detail is wanted now, once."""
        if batch_id != self.highlighted:
            self.errors_due = None
        self.highlighted = batch_id
        self.highlight_due = now if fetch and batch_id not in self._gone else None

    def want_item_errors(self, batch_id: str, now: float) -> None:
        """The highlighted batch's failed items are wanted (within ``ITEM_ERRORS_EVERY``)."""
        if batch_id != self.highlighted or self.errors_due is not None:
            return
        stream = self._streams.get(f"errors:{batch_id}")
        self.errors_due = now if stream is None else max(now, stream.next_due)

    def want_history(self, wanted: bool) -> None:
        """The user needs older batches than are loaded (or no longer does)."""
        self.history_wanted = wanted

    def refresh(self, now: float) -> bool:
        """Everything that can change is due now (within the budget); lifts a 401 stop.

        A press within ``REFRESH_COALESCE`` seconds of the last one joins it, so
        pressing ``r`` ten times costs one refresh. During a 429 hold, one probe may
        go out: if it succeeds, the hold is over. Returns False when coalesced.
        """
        self.stopped = False
        if self.paused_until is not None and now < self.paused_until:
            self.probe_now = True
        if self._refreshed_at is not None and 0 <= now - self._refreshed_at < REFRESH_COALESCE:
            return False
        self._refreshed_at = now
        self.outage = False
        for key, stream in self._streams.items():
            if key != "history":
                stream.next_due = min(stream.next_due, now)
                stream.failures = 0
        if self.highlighted is not None:
            self._gone.pop(self.highlighted, None)
            track = self._tracks.get(self.highlighted)
            if track is not None:
                track.once_due = now
        return True

    def refresh_one(self, batch_id: str, now: float) -> None:
        """Fetch this one batch again as soon as nothing forbids it."""
        self._gone.pop(batch_id, None)
        track = self._tracks.setdefault(batch_id, _Track())
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
        statuses = {t.status for b, t in self._tracks.items() if t.listed and b not in self._gone}
        for status in SWEPT_STATUSES:
            request = PollRequest("sweep", status=status)
            walking = self.walks.get(request.key)
            if (status in statuses or (walking and walking.started)) and self._swept(status):
                stream = self._streams.setdefault(request.key, _Stream(self.now))
                out.append((stream.next_due, 2, self._at(request)))
        out.append((self._streams["list"].next_due, 3, self._at(PollRequest("list"))))
        if self.history_wanted and not self.history_complete:
            stream = self._streams.setdefault("history", _Stream(self.now))
            out.append((stream.next_due, 4, self._at(PollRequest("history"))))
        if self.highlighted is not None:
            if self.highlight_due is not None:
                out.append((self.highlight_due, 0, PollRequest("detail", self.highlighted)))
            if self.errors_due is not None:
                out.append((self.errors_due, 1, PollRequest("errors", self.highlighted)))
        for batch_id, track in self._tracks.items():
            if batch_id in self._gone or (
                batch_id == self.highlighted and self.highlight_due is not None
            ):
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

    def _at(self, request: PollRequest) -> PollRequest:
        """A list request at the page its walk has reached."""
        walk = self.walks.get(request.key)
        if walk is None or walk.offset == 0:
            return request
        return PollRequest(request.kind, request.batch_id, request.status, walk.offset)

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
            if track.listed and batch_id not in self._gone and self._swept(track.status):
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
        walk = self.walks["list"]
        pages = max(1, walk.pages if self.full_discovery else 1)
        rates["list"] = pages / self.discovery_every
        rates["details"] = own_details / self.interval
        if self.highlighted is not None and self.errors_due is not None:
            rates["details"] += 1 / ITEM_ERRORS_EVERY
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

    def _held(self, now: float) -> bool:
        return self.paused_until is not None and now < self.paused_until and not self.probe_now

    def next_request(self, now: float) -> PollRequest | None:
        """The one request to make now, or None: highlighted first, then oldest due."""
        self.now = now
        if self.stopped or self._held(now):
            return None
        if self.paused_until is not None and now >= self.paused_until:
            self.paused_until = None
        if not self.budget.can_send(now):
            return None
        self._restretch(now)
        candidates = self._candidates()
        if self.outage or self.probe_now:
            # The server looks down (or holds us with a 429 the user wants probed):
            # only the most wanted request, once every two intervals at most.
            if not self.probe_now and now < self._probe_at():
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
        if self.paused_until is not None and not self.probe_now:
            soonest = max(soonest, self.paused_until)
        if not self.budget.can_send(now):
            soonest = max(soonest, self.budget.next_window(now))
        return soonest
