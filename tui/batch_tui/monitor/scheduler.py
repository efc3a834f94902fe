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
  The API promises no order: when the list turns out not to be newest first
  (``unordered``), the first page says nothing of what is new, so discovery stops;
  every running status is swept (at least every ``NEW_BATCH_SWEEP_EVERY``), which
  finds a new batch whatever the order, and the **scan** reads the whole list
  through in the background at no more than ``SCAN_SHARE`` of the budget, for
  batches created and finished between two sweeps.
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

from batch_tui.core.defaults import DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL
from batch_tui.monitor.backoff import BACKOFF_CAP
from batch_tui.monitor.budget import Budget
from batch_tui.monitor.outcomes import OutcomesMixin
from batch_tui.monitor.paging import MAX_DISCOVERY_PAGES, MAX_FULL_PAGES, MAX_SWEEP_PAGES, Walk
from batch_tui.monitor.planning import (
    DISCOVERY_FACTOR,
    HISTORY_SHARE,
    ITEM_ERRORS_EVERY,
    MIN_DISCOVERY_EVERY,
    NEW_BATCH_SWEEP_EVERY,
    PAGE_SIZE,
    REFRESH_COALESCE,
    SCAN_SHARE,
    SLOW_FACTOR,
    SWEPT_STATUSES,
    PollRequest,
    Stream,
    Track,
)
from batch_tui.monitor.tracking import TrackingMixin

__all__ = [
    "BACKOFF_CAP",
    "DEFAULT_INTERVAL",
    "ITEM_ERRORS_EVERY",
    "MAX_INTERVAL",
    "MIN_INTERVAL",
    "PAGE_SIZE",
    "REFRESH_COALESCE",
    "SWEPT_STATUSES",
    "PollRequest",
    "Scheduler",
]


@dataclass
class Plan:
    """The scheduler's view of its own pace, for the status line."""

    interval: float
    effective_interval: float
    highlighted_interval: float
    requests_per_minute: float
    """What the plan would send in a minute at the effective pace."""
    planned_gap: float = 0.0
    """Seconds between requests of the plan's most frequent stream: data younger
    than a few of these is as fresh as planned (the discovery period, when nothing
    can change but the arrival of a new batch)."""


@dataclass
class Scheduler(TrackingMixin, OutcomesMixin):
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
        self.history_ready = True
        """Older batches may be asked of the server (the local store has given all it has)."""
        """The history walk reached the end of the list."""
        self.following = False
        """Another member of the team polls: only what this one alone wants (its
        highlighted batch's detail, item errors, the history it scrolled to) is
        planned here."""
        self.unordered = False
        """The list turned out not newest first: the sweeps find new batches and
        the scan reads the rest in the background."""
        self._last_sent = self.now
        self._refreshed_at: float | None = None
        self._tracks: dict[str, Track] = {}
        self._gone: dict[str, None] = {}
        self._streams: dict[str, Stream] = {"list": Stream(self.now)}
        self.walks: dict[str, Walk] = {"list": Walk(MAX_DISCOVERY_PAGES)}
        """The list walks under way (discovery, sweeps, history), by stream key."""

    # ── cadences ─────────────────────────────────────────────────────────────

    @property
    def discovery_every(self) -> float:
        """Seconds between discovery passes, before any stretching."""
        return max(MIN_DISCOVERY_EVERY, self.interval * DISCOVERY_FACTOR)

    def _sweep_every(self, status: str) -> float:
        every = self.interval * (1 if status == "processing" else SLOW_FACTOR)
        if self.unordered and status not in self._tracked_statuses():
            # Swept only to find new batches (the list's order cannot say).
            every = max(every, NEW_BATCH_SWEEP_EVERY)
        return every

    def _tracked_statuses(self) -> set[str | None]:
        return {t.status for b, t in self._tracks.items() if t.listed and b not in self._gone}

    def scan_every(self) -> float:
        """Seconds between scan pages: at most ``SCAN_SHARE`` of the allowed rate."""
        allowed = self.budget.allowed_rate(self.now)
        if not allowed:
            return MIN_DISCOVERY_EVERY
        return max(self.interval, 1 / (SCAN_SHARE * allowed))

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
        if request.kind == "scan":
            return self.scan_every()
        if request.kind == "sweep":
            return self._sweep_every(request.status or "") * self.factor
        if request.kind == "errors":
            return ITEM_ERRORS_EVERY * self.factor
        if request.batch_id == self.highlighted:
            return self.interval * self.highlight_factor
        return self.interval * self.factor

    # ── the batches ──────────────────────────────────────────────────────────

    # ── list walks ───────────────────────────────────────────────────────────

    def walk(self, request: PollRequest) -> Walk:
        """The walk a list request belongs to."""
        key = request.key
        if key not in self.walks:
            cap = MAX_SWEEP_PAGES if request.kind == "sweep" else MAX_FULL_PAGES
            self.walks[key] = Walk(cap)
        walk = self.walks[key]
        if key == "list":
            walk.max_pages = MAX_DISCOVERY_PAGES
        return walk

    # ── outcomes ─────────────────────────────────────────────────────────────

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

    # ── what is due ──────────────────────────────────────────────────────────

    def _candidates(self) -> list[tuple[float, int, PollRequest]]:
        """Every request with the time it falls due, and its priority (lower first)."""
        out: list[tuple[float, int, PollRequest]] = []
        if self.following:
            # What only this dashboard's user wants: its highlighted batch, and the
            # older history it scrolled to (the leader's user may want neither).
            if self.highlighted is not None and self.highlight_due is not None:
                out.append((self.highlight_due, 0, PollRequest("detail", self.highlighted)))
            if self.highlighted is not None and self.errors_due is not None:
                out.append((self.errors_due, 1, PollRequest("errors", self.highlighted)))
            if self.history_wanted and self.history_ready and not self.history_complete:
                stream = self._streams.setdefault("history", Stream(self.now))
                out.append((stream.next_due, 4, self._at(PollRequest("history"))))
            return out
        statuses = self._tracked_statuses()
        for status in SWEPT_STATUSES:
            request = PollRequest("sweep", status=status)
            walking = self.walks.get(request.key)
            wanted = status in statuses or (walking and walking.started) or self.unordered
            if wanted and self._swept(status):
                stream = self._streams.setdefault(request.key, Stream(self.now))
                out.append((stream.next_due, 2, self._at(request)))
        if self.unordered:
            # The first page tells nothing new: the sweeps find new batches; the
            # rest of the list is scanned slowly for what they cannot see.
            stream = self._streams.setdefault("scan", Stream(self.now))
            out.append((stream.next_due, 4, self._at(PollRequest("scan"))))
        else:
            out.append((self._streams["list"].next_due, 3, self._at(PollRequest("list"))))
        if self.history_wanted and self.history_ready and not self.history_complete:
            stream = self._streams.setdefault("history", Stream(self.now))
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
                own = self._streams.get(request.key)
                due = own.next_due if own else (track.detail_at or self.now)
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
        if self.unordered:
            counts = {status: 0 for status in SWEPT_STATUSES if self._swept(status)}
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
            f"sweep:{status}": max(1, math.ceil(n / PAGE_SIZE)) / self._sweep_every(status)
            for status, n in counts.items()
        }
        rates["list"] = 0.0 if self.unordered else 1 / self.discovery_every
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
        gaps = [self.factor / rate for rate in rates.values() if rate > 0]
        if highlighted > 0:
            gaps.append(self.highlight_factor / highlighted)
        return Plan(
            interval=self.interval,
            effective_interval=self.interval * self.factor,
            highlighted_interval=self.interval * self.highlight_factor,
            requests_per_minute=60 * per_second,
            planned_gap=min(gaps, default=self.interval * self.factor),
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
