"""What answers do to the scheduler's plan: cadences reset, backoff, holds, stops, refreshes.

Every stream (a sweep, discovery, history, the scan, a batch's detail or item
errors) keeps when it is next due and how often it failed in a row. Around them
sit the states that hold every stream at once: an outage (nothing succeeds), a
429 hold, a 401 stop. A stream's cadence is the scheduler's to know; it is handed
in with each outcome.
"""

from __future__ import annotations

import random

from batch_tui.monitor.backoff import backoff_delay, server_wait
from batch_tui.monitor.planning import PROBE_INTERVALS, REFRESH_COALESCE, Stream


class Streams:
    """The recurring streams by key, with their backoff, and the holds over all of them."""

    def __init__(self, now: float, rng: random.Random) -> None:
        self.rng = rng
        """Source of backoff jitter (seeded in tests)."""
        self.paused_until: float | None = None
        """Set by a 429: nothing is sent before this time."""
        self.probe_now = False
        """The user asked (``r``) for one request despite a 429 hold."""
        self.stopped = False
        """Set by a 401/403: nothing is sent until ``refresh()``."""
        self.outage = False
        """Every request since the last success failed: the server looks down."""
        self._last_sent = now
        self._refreshed_at: float | None = None
        self._streams: dict[str, Stream] = {"list": Stream(now)}

    def due(self, key: str, now: float) -> float:
        """When the stream is next due; a stream met for the first time is due ``now``."""
        return self._streams.setdefault(key, Stream(now)).next_due

    def next_due(self, key: str) -> float | None:
        """When the stream is next due (None: it has not run yet)."""
        stream = self._streams.get(key)
        return None if stream is None else stream.next_due

    def drop(self, key: str) -> None:
        """Forget a stream (its batch is no longer followed)."""
        self._streams.pop(key, None)

    def succeeded(self, key: str, now: float, cadence: float) -> None:
        """An answer came back: the stream is next due a ``cadence`` from now."""
        self.probe_now = False
        self.paused_until = None  # a success ends a 429 hold early (the user's probe)
        if self.outage:
            # The server is back: every endpoint that was backing off is due now.
            self.outage = False
            for stream in self._streams.values():
                if stream.failures:
                    stream.failures = 0
                    stream.next_due = now
        stream = self._streams.setdefault(key, Stream(now))
        stream.failures = 0
        stream.last_ok = now
        stream.next_due = now + cadence

    def next_page(self, key: str, now: float) -> None:
        """A walk goes on: its next page is due now."""
        stream = self._streams.setdefault(key, Stream(now))
        stream.next_due = now
        stream.failures = 0
        stream.last_ok = now
        self.outage = False

    def failed(self, key: str, now: float, cadence: float) -> float:
        """A 5xx, timeout or connection error: back off this stream; returns the delay.

        The delay has full jitter and is never shorter than the stream's ``cadence``.
        """
        self.outage = True
        self.probe_now = False
        stream = self._streams.setdefault(key, Stream(now))
        stream.failures += 1
        delay = backoff_delay(stream.failures, cadence, self.rng)
        stream.next_due = now + delay
        return delay

    def failures(self, key: str) -> int:
        """How many times in a row this stream has failed."""
        stream = self._streams.get(key)
        return stream.failures if stream else 0

    def backing_off(self) -> int:
        """How many streams are backing off after errors."""
        return sum(1 for stream in self._streams.values() if stream.failures)

    def max_failures(self) -> int:
        """The most failures in a row of any stream."""
        return max((stream.failures for stream in self._streams.values()), default=0)

    def rate_limited(self, retry_after: float | None, now: float, interval: float) -> None:
        """A 429: hold every stream until the server's ``Retry-After`` (within reason)."""
        self.probe_now = False
        wait = server_wait(retry_after, interval)
        self.paused_until = max(self.paused_until or now, now + wait)

    def unauthorized(self) -> None:
        """A 401/403: retrying cannot help, so stop until the user asks."""
        self.stopped = True

    def refresh(self, now: float) -> bool:
        """Every stream but history is due now; lifts a 401 stop. False when coalesced.

        A press within ``REFRESH_COALESCE`` seconds of the last one joins it, so
        pressing ``r`` ten times costs one refresh. During a 429 hold, one probe may
        go out: if it succeeds, the hold is over.
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
        return True

    def sending(self, now: float) -> None:
        """A request is going out now (the probe timer counts from the last one)."""
        self._last_sent = now

    def probe_at(self, interval: float) -> float:
        """While the server looks down, when the next probe may go out."""
        return self._last_sent + PROBE_INTERVALS * interval

    def held(self, now: float) -> bool:
        """True while a 429 holds everything (and the user asked for no probe)."""
        return self.paused_until is not None and now < self.paused_until and not self.probe_now

    def end_hold(self, now: float) -> None:
        """A 429 hold that has run out is over."""
        if self.paused_until is not None and now >= self.paused_until:
            self.paused_until = None

    def pull_in(self, now: float, interval: float, discovery_every: float) -> None:
        """The interval changed: nothing stays planned further out than one new cadence."""
        for key, stream in self._streams.items():
            cadence = discovery_every if key == "list" else interval
            stream.next_due = min(stream.next_due, now + cadence)
