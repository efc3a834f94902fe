"""Clocks: every layer that needs the time takes one, so tests can freeze it.

A clock is any callable returning the current time as unix seconds (UTC).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]
"""A source of the current time, in unix seconds."""

system_clock: Clock = time.time


class FakeClock:
    """A clock that only moves when told to: for tests, screenshots and benchmarks."""

    def __init__(self, start: float | datetime) -> None:
        self.now = start.timestamp() if isinstance(start, datetime) else float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        self.now += seconds

    def set(self, when: float | datetime) -> None:
        """Jump to ``when``."""
        self.now = when.timestamp() if isinstance(when, datetime) else float(when)


def to_datetime(unix_seconds: float) -> datetime:
    """An aware UTC datetime for unix seconds."""
    return datetime.fromtimestamp(unix_seconds, tz=UTC)
