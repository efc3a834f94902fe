"""What answers do to the scheduler's plan: cadences reset, backoff, holds, stops, refreshes.

``Scheduler`` mixes this in. Every stream (a sweep, discovery, history, a batch's
detail or item errors) keeps when it is next due and how often it failed in a row.
"""

from __future__ import annotations

from batch_tui.monitor.backoff import backoff_delay, server_wait
from batch_tui.monitor.planning import (
    PROBE_INTERVALS,
    REFRESH_COALESCE,
    SWEPT_STATUSES,
    PollRequest,
    SchedulerParts,
    Stream,
    Track,
)


class OutcomesMixin(SchedulerParts):
    """Streams, backoff and holds for ``Scheduler``: see the module docstring."""

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
        stream = self._streams.setdefault(request.key, Stream(now))
        stream.failures = 0
        stream.last_ok = now
        stream.next_due = now + self._cadence(request)

    def discovery_done(self, now: float, *, whole_list: bool = False) -> None:
        """A discovery pass finished: the next one is a full cadence away. When it
        read the whole list it brought every summary, so the sweeps can wait too."""
        self._succeeded(PollRequest("list"), now)
        if whole_list and self.status_filter is None:
            for status in SWEPT_STATUSES:
                self._succeeded(PollRequest("sweep", status=status), now)

    def next_page(self, request: PollRequest, now: float) -> None:
        """The walk goes on: its next page is due now."""
        stream = self._streams.setdefault(request.key, Stream(now))
        stream.next_due = now
        stream.failures = 0
        stream.last_ok = now
        self.outage = False

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
        self.outage = True
        self.probe_now = False
        stream = self._streams.setdefault(request.key, Stream(now))
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
        track = self._tracks.setdefault(batch_id, Track())
        track.once_due = now

    def sending(self, now: float) -> None:
        """A request is going out now (the probe timer counts from the last one)."""
        self._last_sent = now

    def _probe_at(self) -> float:
        return self._last_sent + PROBE_INTERVALS * self.interval

    def set_interval(self, interval: float, now: float) -> None:
        """Change the asked interval; what was planned further out moves closer."""
        self.interval = interval
        for key, stream in self._streams.items():
            cadence = self.discovery_every if key == "list" else interval
            stream.next_due = min(stream.next_due, now + cadence)

    def want_history(self, wanted: bool) -> None:
        """The user needs older batches than are loaded (or no longer does)."""
        self.history_wanted = wanted
