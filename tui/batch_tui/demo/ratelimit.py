"""A per-minute request budget like the real service's: fixed one-minute windows."""

from __future__ import annotations

import math
from dataclasses import dataclass

from batch_tui.core.clock import Clock

WINDOW = 60.0


@dataclass(frozen=True)
class Verdict:
    """The outcome of asking for one request: allowed or not, and the headers to send."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    """When the window ends, as whole unix seconds (``X-RateLimit-Reset``)."""
    retry_after: int
    """Whole seconds until the window ends (``Retry-After`` when refused)."""

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers, plus ``Retry-After`` when refused."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    """Counts requests in the current minute; ``limit`` 0 or None turns the limit off.

    With the limit off the headers still go out, reporting a large budget, so a
    client always sees the same shape of response.
    """

    UNLIMITED = 1_000_000

    def __init__(self, limit: int | None, clock: Clock, *, foreign_per_minute: float = 0) -> None:
        self.limit = limit or 0
        self.clock = clock
        self.foreign_per_minute = foreign_per_minute
        """Requests a minute that simulated other clients of the organisation spend."""
        self._window_start = -math.inf
        self._count = 0

    def check(self) -> Verdict:
        """Count one request against the budget and say whether it may proceed."""
        now = self.clock()
        start = math.floor(now / WINDOW) * WINDOW
        if start != self._window_start:
            self._window_start, self._count = start, 0
        reset = start + WINDOW
        retry_after = max(1, math.ceil(reset - now))
        limit = self.limit or self.UNLIMITED
        # Other clients spend their share evenly through the window.
        foreign = math.floor(self.foreign_per_minute * (now - start) / WINDOW)
        used = min(limit, self._count + foreign)
        if used >= limit:
            return Verdict(False, limit, 0, int(reset), retry_after)
        self._count += 1
        return Verdict(True, limit, limit - used - 1, int(reset), retry_after)
