"""The organisation's request budget, as the server reports it.

The rate limit is per organisation, shared by every client of it, so our own
count is not the truth: ``X-RateLimit-Remaining`` is. ``Budget`` keeps the
latest ``Limit/Remaining/Reset`` values, estimates how fast the organisation's
other clients spend the budget (the part of each drop in ``Remaining`` that our
own requests do not explain), and answers two questions for the scheduler: how
many requests a second may we plan, and may we send one now.
"""

from __future__ import annotations

from collections import deque

from batch_tui.api.models import RateLimit
from batch_tui.core.defaults import DEFAULT_HEADROOM

#: The length of a rate-limit window: the API's limits are per minute.
WINDOW = 60.0
#: Seconds of a window to watch before its own evidence replaces the last window's rate.
MIN_EVIDENCE = 10.0


class Budget:
    """What the server says is left of the rate limit, and what we may spend of it."""

    def __init__(self, headroom: float = DEFAULT_HEADROOM) -> None:
        self.headroom = headroom
        """Fraction of the limit never spent by us (0 to 0.9)."""
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset: float | None = None
        """When the current window ends (unix seconds)."""
        self._sent: deque[float] = deque()
        self._others: list[float] = []
        """When the other members of this process's team sent their requests (the
        team's shared ledger): they count against the same sliding minute."""
        self._sent_since_observation = 0
        self._window_start: float | None = None
        self._foreign_in_window = 0
        self._previous_foreign_rate = 0.0
        self._last_now = 0.0
        self._observed_at = 0.0

    # ── what happens ─────────────────────────────────────────────────────────

    def sent(self, now: float) -> None:
        """We are sending one request now."""
        self._sent.append(now)
        self._sent_since_observation += 1
        self._forget_before(now - 60)

    def observe(self, rate_limit: RateLimit, now: float) -> None:
        """A response carried these ``X-RateLimit-*`` values."""
        if rate_limit.remaining is None:
            return
        same_window = (
            self.reset is not None and rate_limit.reset == self.reset and self.remaining is not None
        )
        if same_window:
            drop = (self.remaining or 0) - rate_limit.remaining
            self._foreign_in_window += max(0, drop - self._sent_since_observation)
        else:
            if self._window_start is not None and now - self._window_start >= MIN_EVIDENCE:
                self._previous_foreign_rate = self._foreign_rate_now(now)
            self._window_start = now
            self._foreign_in_window = 0
        self.limit = rate_limit.limit if rate_limit.limit is not None else self.limit
        self.remaining = rate_limit.remaining
        self.reset = rate_limit.reset
        self._observed_at = now
        self._sent_since_observation = 0

    def _foreign_rate_now(self, now: float) -> float:
        if self._window_start is None:
            return 0.0
        elapsed = now - self._window_start
        if elapsed < MIN_EVIDENCE:
            # Too early in the window to tell: trust the last window's rate.
            return max(self._previous_foreign_rate, self._foreign_in_window / MIN_EVIDENCE)
        return self._foreign_in_window / elapsed

    @property
    def foreign_rate(self) -> float:
        """Requests per second the organisation's other clients are estimated to spend."""
        return self._foreign_rate_now(self._last_now)

    # ── what the scheduler asks ──────────────────────────────────────────────

    def set_others(self, times: list[float]) -> None:
        """When the other members of the team sent requests in the last minute."""
        self._others = sorted(times)

    def requests_last_minute(self, now: float) -> int:
        """How many requests we (this process and its team) sent in the last 60 seconds."""
        self._forget_before(now - 60)
        return len(self._sent) + sum(1 for at in self._others if at >= now - 60)

    @property
    def reserve(self) -> float:
        """Requests per window left to the organisation's other clients."""
        return (self.limit or 0) * self.headroom

    def window_end(self) -> float | None:
        """When the current window ends. A reset further out than one window (a
        server's mistake, e.g. milliseconds, or a hostile value) is not believed:
        the window is taken to end one window length after the answer that said so."""
        if self.remaining is None:
            return None
        if self.reset is None:
            return self._observed_at + WINDOW
        return min(self.reset, self._observed_at + WINDOW)

    def _window_over(self, now: float) -> bool:
        end = self.window_end()
        return end is not None and now >= end

    def spendable(self, now: float) -> float | None:
        """Requests we may still send in this window (None: no limit known)."""
        if self.remaining is None or self.limit is None:
            return None
        if self._window_over(now):
            return self.limit - self.reserve
        return self.remaining - self._sent_since_observation - self.reserve

    def allowed_rate(self, now: float) -> float | None:
        """Requests per second we may plan for, steadily (None: no limit known).

        That is our share of a window (the limit less the headroom, less what the
        other clients are spending) spread evenly over it. ``can_send`` separately
        stops us when the current window is spent early, so planning for the
        steady rate never overspends.
        """
        if self.limit is None:
            return None
        self._last_now = now
        share = self.limit * (1 - self.headroom) / WINDOW
        return max(0.0, share - self._foreign_rate_now(now))

    def own_share(self) -> float | None:
        """Requests we may send in any 60 seconds: the limit less the headroom and
        less what the other clients are estimated to spend (None: no limit known)."""
        if self.limit is None:
            return None
        return self.limit * (1 - self.headroom) - self.foreign_rate * WINDOW

    def can_send(self, now: float) -> bool:
        """False when sending now would eat into the other clients' headroom, in this
        window or in any sliding minute (so no burst at a window's edge doubles up)."""
        spendable = self.spendable(now)
        if spendable is not None and spendable < 1:
            return False
        share = self.own_share()
        return share is None or self.requests_last_minute(now) + 1 <= max(1.0, share)

    def next_window(self, now: float) -> float:
        """When sending may be possible again, at the latest one window from now."""
        spendable = self.spendable(now)
        if spendable is not None and spendable < 1:
            end = self.window_end()
            return end if end is not None and end > now else now + WINDOW
        self._forget_before(now - WINDOW)
        return self._sent[0] + WINDOW if self._sent else now

    def _forget_before(self, cutoff: float) -> None:
        while self._sent and self._sent[0] < cutoff:
            self._sent.popleft()
