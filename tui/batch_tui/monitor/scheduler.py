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

``Scheduler`` is the front: it owns the interval, the clock, the budget, the
filter, and what the user wants (the highlighted batch, its item errors, history),
and builds the candidates from its parts, each handed what it needs: ``Tracks``
(the batches that can still change), ``Streams`` (each stream's next time and
backoff, the holds over all of them), ``Walks`` (the list walks) and ``Pace``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from batch_tui.core.defaults import DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL
from batch_tui.monitor.backoff import BACKOFF_CAP
from batch_tui.monitor.budget import Budget
from batch_tui.monitor.outcomes import Streams
from batch_tui.monitor.pace import HIGHLIGHTED, Pace, Plan
from batch_tui.monitor.paging import Walk, Walks
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
    swept,
)
from batch_tui.monitor.tracking import Tracks, own_detail

__all__ = [
    "BACKOFF_CAP",
    "DEFAULT_INTERVAL",
    "ITEM_ERRORS_EVERY",
    "MAX_INTERVAL",
    "MIN_INTERVAL",
    "PAGE_SIZE",
    "REFRESH_COALESCE",
    "SWEPT_STATUSES",
    "Plan",
    "PollRequest",
    "Scheduler",
]


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
        self.history_wanted = False
        """The user wants older history than is loaded."""
        self.history_complete = False
        """The history walk reached the end of the list."""
        self.history_ready = True
        """Older batches may be asked of the server (the local store has given all it has)."""
        self.following = False
        """Another member of the team polls: only what this one alone wants (its
        highlighted batch's detail, item errors, the history it scrolled to) is
        planned here."""
        self.unordered = False
        """The list turned out not newest first: the sweeps find new batches and
        the scan reads the rest in the background."""
        self._tracks = Tracks()
        self._streams = Streams(self.now, self.rng)
        self._walks = Walks()
        self._pace = Pace()

    # ── the parts' state, as callers have always read it ─────────────────────

    @property
    def paused_until(self) -> float | None:
        """Set by a 429: nothing is sent before this time."""
        return self._streams.paused_until

    @property
    def stopped(self) -> bool:
        """Set by a 401/403: nothing is sent until ``refresh()``."""
        return self._streams.stopped

    @property
    def outage(self) -> bool:
        """Every request since the last success failed: the server looks down."""
        return self._streams.outage

    @property
    def walks(self) -> dict[str, Walk]:
        """The list walks under way (discovery, sweeps, history), by stream key."""
        return self._walks.by_key

    # ── cadences ─────────────────────────────────────────────────────────────

    @property
    def discovery_every(self) -> float:
        """Seconds between discovery passes, before any stretching."""
        return max(MIN_DISCOVERY_EVERY, self.interval * DISCOVERY_FACTOR)

    def _sweep_every(self, status: str) -> float:
        every = self.interval * (1 if status == "processing" else SLOW_FACTOR)
        if self.unordered and status not in self._tracks.statuses():
            # Swept only to find new batches (the list's order cannot say).
            every = max(every, NEW_BATCH_SWEEP_EVERY)
        return every

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
        factor = self._pace.factor
        if request.kind == "list":
            return self.discovery_every * factor
        if request.kind == "history":
            return self.history_every()
        if request.kind == "scan":
            return self.scan_every()
        if request.kind == "sweep":
            return self._sweep_every(request.status or "") * factor
        if request.kind == "errors":
            return ITEM_ERRORS_EVERY * factor
        if request.batch_id == self.highlighted:
            return self.interval * self._pace.highlight_factor
        return self.interval * factor

    def planned_interval(self, batch_id: str) -> float | None:
        """How often this batch's data is refreshed (None: never again, it is final)."""
        track = self._tracks.changing(batch_id)
        if track is None:
            return None
        if batch_id == self.highlighted:
            return self.interval * self._pace.highlight_factor
        if track.status in SWEPT_STATUSES and track.listed:
            return self._sweep_every(track.status) * self._pace.factor
        return self.interval * self._pace.factor

    # ── the batches ──────────────────────────────────────────────────────────

    def tracked(self) -> list[str]:
        """The batches that can still change (the only ones with a planned interval)."""
        return self._tracks.tracked()

    def tracked_in(self, status: str) -> list[str]:
        """The tracked batches last seen in ``status``."""
        return self._tracks.tracked_in(status)

    def is_polled(self, batch_id: str) -> bool:
        """True while the batch will be fetched again on its own."""
        return self.planned_interval(batch_id) is not None

    def is_gone(self, batch_id: str) -> bool:
        """True when the server said this batch does not exist."""
        return self._tracks.is_gone(batch_id)

    def watch(self, batch_id: str, now: float) -> None:
        """Follow a batch named by the user even when no list shows it."""
        self._tracks.watch(batch_id, now)

    def unwatch(self, batch_id: str) -> None:
        """The user no longer names this batch; lists may still show it."""
        if self._tracks.unwatch(batch_id):
            self._streams.drop(PollRequest("detail", batch_id).key)

    def forget(self, batch_id: str) -> None:
        """Stop following a batch."""
        self._tracks.forget(batch_id)
        self._streams.drop(PollRequest("detail", batch_id).key)

    def saw_summary(self, batch_id: str, status: str | None, now: float) -> None:
        """A list (discovery, sweep or history) showed this batch with this status."""
        self._tracks.saw_summary(batch_id, status, now, self.status_filter)

    def sweep_done(self, status: str, seen: set[str], now: float) -> None:
        """A whole sweep of ``status`` finished; batches it no longer shows changed status."""
        self._tracks.sweep_done(status, seen, now)
        # After the marking: with an unordered list, the sweep's cadence depends on it.
        self._succeeded(PollRequest("sweep", status=status), now)

    def saw_detail(self, batch_id: str, status: str | None, now: float) -> None:
        """A detail fetch succeeded."""
        self._succeeded(PollRequest("detail", batch_id), now)
        if batch_id == self.highlighted:
            self.highlight_due = None
        if self._tracks.saw_detail(batch_id, status, now):
            self._streams.drop(PollRequest("detail", batch_id).key)

    def detail_gone(self, batch_id: str) -> None:
        """The server answered 404, or the batch expired: never ask again (until refresh)."""
        self._tracks.gone(batch_id)
        if batch_id == self.highlighted:
            self.highlight_due = None
        self._streams.drop(PollRequest("detail", batch_id).key)

    expired = detail_gone

    # ── list walks ───────────────────────────────────────────────────────────

    def walk(self, request: PollRequest) -> Walk:
        """The walk a list request belongs to."""
        return self._walks.walk(request)

    # ── outcomes ─────────────────────────────────────────────────────────────

    def _succeeded(self, request: PollRequest, now: float) -> None:
        self._streams.succeeded(request.key, now, self._cadence(request))

    def discovery_done(self, now: float, *, whole_list: bool = False) -> None:
        """A discovery pass finished: the next one is a full cadence away. When it
        read the whole list it brought every summary, so the sweeps can wait too."""
        self._succeeded(PollRequest("list"), now)
        if whole_list and self.status_filter is None:
            for status in SWEPT_STATUSES:
                self._succeeded(PollRequest("sweep", status=status), now)

    def next_page(self, request: PollRequest, now: float) -> None:
        """The walk goes on: its next page is due now."""
        self._streams.next_page(request.key, now)

    def scan_page_done(self, now: float) -> None:
        """A page of the background scan came back: the next is a scan cadence away."""
        self._succeeded(PollRequest("scan"), now)

    def history_page_done(self, complete: bool, now: float) -> None:
        """A history page came back; ``complete`` when it was the last one."""
        self.history_complete = complete
        self._succeeded(PollRequest("history"), now)

    def errors_done(self, batch_id: str, now: float) -> None:
        """The item errors of ``batch_id`` came back."""
        if batch_id == self.highlighted:
            self.errors_due = None
        self._succeeded(PollRequest("errors", batch_id), now)

    def failed(self, request: PollRequest, now: float) -> float:
        """A 5xx, timeout or connection error: back off this endpoint; returns the delay."""
        delay = self._streams.failed(request.key, now, self._cadence(request))
        retry_at = self._streams.due(request.key, now)
        # A one-off fetch waiting for this endpoint waits for its backoff too.
        if request.kind == "detail":
            self._tracks.postpone(request.batch_id or "", retry_at)
            if request.batch_id == self.highlighted and self.highlight_due is not None:
                self.highlight_due = retry_at
        if request.kind == "errors" and self.errors_due is not None:
            self.errors_due = retry_at
        return delay

    def backoff(self, request: PollRequest) -> int:
        """How many times in a row this endpoint has failed."""
        return self._streams.failures(request.key)

    def backing_off(self) -> int:
        """How many endpoints are backing off after errors."""
        return self._streams.backing_off()

    def max_backoff(self) -> int:
        """The most failures in a row of any endpoint."""
        return self._streams.max_failures()

    def rate_limited(self, retry_after: float | None, now: float) -> None:
        """A 429: pause every request until the server's ``Retry-After`` (within reason)."""
        self._streams.rate_limited(retry_after, now, self.interval)

    def unauthorized(self) -> None:
        """A 401/403: retrying cannot help, so stop until the user asks."""
        self._streams.unauthorized()

    def refresh(self, now: float) -> bool:
        """Everything that can change is due now (within the budget); lifts a 401 stop.

        A press within ``REFRESH_COALESCE`` seconds of the last one joins it, so
        pressing ``r`` ten times costs one refresh. During a 429 hold, one probe may
        go out: if it succeeds, the hold is over. Returns False when coalesced.
        """
        if not self._streams.refresh(now):
            return False
        if self.highlighted is not None:
            self._tracks.refetch(self.highlighted, now, follow=False)
        return True

    def refresh_one(self, batch_id: str, now: float) -> None:
        """Fetch this one batch again as soon as nothing forbids it."""
        self._tracks.refetch(batch_id, now, follow=True)

    def sending(self, now: float) -> None:
        """A request is going out now (the probe timer counts from the last one)."""
        self._streams.sending(now)

    def set_interval(self, interval: float, now: float) -> None:
        """Change the asked interval; what was planned further out moves closer."""
        self.interval = interval
        self._streams.pull_in(now, interval, self.discovery_every)

    # ── what the user asks ───────────────────────────────────────────────────

    def highlight(self, batch_id: str | None, now: float, *, fetch: bool) -> None:
        """The user looks at this batch; ``fetch``: its detail is wanted now, once."""
        if batch_id != self.highlighted:
            self.errors_due = None
        self.highlighted = batch_id
        self.highlight_due = now if fetch and not self._tracks.is_gone(batch_id or "") else None

    def want_item_errors(self, batch_id: str, now: float) -> None:
        """The highlighted batch's failed items are wanted (within ``ITEM_ERRORS_EVERY``)."""
        if batch_id != self.highlighted or self.errors_due is not None:
            return
        due = self._streams.next_due(PollRequest("errors", batch_id).key)
        self.errors_due = now if due is None else max(now, due)

    def want_history(self, wanted: bool) -> None:
        """The user needs older batches than are loaded (or no longer does)."""
        self.history_wanted = wanted

    # ── what is due ──────────────────────────────────────────────────────────

    def _candidates(self) -> list[tuple[float, int, PollRequest]]:
        """Every request with the time it falls due, and its priority (lower first)."""
        out: list[tuple[float, int, PollRequest]] = []
        streams, walks = self._streams, self._walks
        if self.following:
            # What only this dashboard's user wants: its highlighted batch, and the
            # older history it scrolled to (the leader's user may want neither).
            if self.highlighted is not None and self.highlight_due is not None:
                out.append((self.highlight_due, 0, PollRequest("detail", self.highlighted)))
            if self.highlighted is not None and self.errors_due is not None:
                out.append((self.errors_due, 1, PollRequest("errors", self.highlighted)))
            if self.history_wanted and self.history_ready and not self.history_complete:
                history = PollRequest("history")
                out.append((streams.due(history.key, self.now), 4, walks.at(history)))
            return out
        statuses = self._tracks.statuses()
        for status in SWEPT_STATUSES:
            request = PollRequest("sweep", status=status)
            wanted = status in statuses or walks.started(request) or self.unordered
            if wanted and swept(status, self.status_filter):
                out.append((streams.due(request.key, self.now), 2, walks.at(request)))
        if self.unordered:
            # The first page tells nothing new: the sweeps find new batches; the
            # rest of the list is scanned slowly for what they cannot see.
            scan = PollRequest("scan")
            out.append((streams.due(scan.key, self.now), 4, walks.at(scan)))
        else:
            discovery = PollRequest("list")
            out.append((streams.due(discovery.key, self.now), 3, walks.at(discovery)))
        if self.history_wanted and self.history_ready and not self.history_complete:
            history = PollRequest("history")
            out.append((streams.due(history.key, self.now), 4, walks.at(history)))
        if self.highlighted is not None:
            if self.highlight_due is not None:
                out.append((self.highlight_due, 0, PollRequest("detail", self.highlighted)))
            if self.errors_due is not None:
                out.append((self.errors_due, 1, PollRequest("errors", self.highlighted)))
        highlighted, status_filter = self.highlighted, self.status_filter
        for batch_id, track in self._tracks.live():
            if batch_id == highlighted and self.highlight_due is not None:
                continue
            priority = 0 if batch_id == highlighted else 1
            if track.once_due is not None:
                out.append((track.once_due, priority, PollRequest("detail", batch_id)))
            elif own_detail(batch_id, track, highlighted, status_filter):
                request = PollRequest("detail", batch_id)
                own = streams.next_due(request.key)
                due = own if own is not None else (track.detail_at or self.now)
                out.append((due, priority, request))
        return out

    def _base_rates(self) -> dict[str, float]:
        """Requests per second of each recurring stream at the asked interval."""
        counts: dict[str, int] = {}
        if self.unordered:
            counts = {status: 0 for status in SWEPT_STATUSES if swept(status, self.status_filter)}
        for status, n in self._tracks.listed_in(self.status_filter).items():
            counts[status] = counts.get(status, 0) + n
        own = self._tracks.own_details(self.highlighted, self.status_filter)
        highlighted = 1 / self.interval if self.highlighted in own else 0.0
        own_details = len(own) - (self.highlighted in own)
        rates = {
            f"sweep:{status}": max(1, math.ceil(n / PAGE_SIZE)) / self._sweep_every(status)
            for status, n in counts.items()
        }
        rates["list"] = 0.0 if self.unordered else 1 / self.discovery_every
        rates["details"] = own_details / self.interval
        if self.highlighted is not None and self.errors_due is not None:
            rates["details"] += 1 / ITEM_ERRORS_EVERY
        rates[HIGHLIGHTED] = highlighted
        return rates

    def _restretch(self, now: float) -> dict[str, float]:
        """Fit the plan into the budget; returns the base rates it was fitted from."""
        rates = self._base_rates()
        self._pace.fit(rates, self.budget.allowed_rate(now), self.interval)
        return rates

    def plan(self, now: float) -> Plan:
        """The pace the scheduler keeps now, for the status line."""
        return self._pace.plan(self._restretch(now), self.interval)

    def next_request(self, now: float, *, along: float = 0.0) -> PollRequest | None:
        """The one request to make now, or None: highlighted first, then oldest due.

        ``along``: a request due within this many seconds goes now too (the caller
        is in the middle of a burst, whose answers are drawn together): streams that
        drifted a few milliseconds apart fall back into one burst, one redraw.
        """
        self.now = now
        streams = self._streams
        if streams.stopped or streams.held(now):
            return None
        streams.end_hold(now)
        if not self.budget.can_send(now):
            return None
        self._restretch(now)
        candidates = self._candidates()
        if streams.outage or streams.probe_now:
            # The server looks down (or holds us with a 429 the user wants probed):
            # only the most wanted request, once every two intervals at most.
            if not streams.probe_now and now < streams.probe_at(self.interval):
                return None
            due = [(priority, when, request) for when, priority, request in candidates]
        else:
            due = [
                (priority, when, request)
                for when, priority, request in candidates
                if when <= now + along
            ]
        if not due:
            return None
        return min(due, key=lambda item: (item[0], item[1], item[2].key))[2]

    def next_wakeup(self, now: float) -> float | None:
        """When something next falls due (None: nothing will without the user)."""
        streams = self._streams
        if streams.stopped:
            return None
        times = [when for when, _, _ in self._candidates()]
        if not times:
            return None
        soonest = min(times)
        if streams.outage:
            soonest = streams.probe_at(self.interval)
        if streams.paused_until is not None and not streams.probe_now:
            soonest = max(soonest, streams.paused_until)
        if not self.budget.can_send(now):
            soonest = max(soonest, self.budget.next_window(now))
        return soonest
