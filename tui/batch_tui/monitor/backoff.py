"""How long to wait after a failure: the one backoff rule, shared by the dashboard and scripts.

The service asks for exponential backoff with full jitter, 1 s doubling to a 30 s
cap. A wait the server names itself (``Retry-After``) is honoured up to
``MAX_SERVER_WAIT``: a server saying "come back in 30 years" is not obeyed for
30 years, it is asked again after that cap (the user's ``r`` asks at once).
"""

from __future__ import annotations

import math
import random

BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
#: The longest wait a server can impose with ``Retry-After`` or a rate-limit reset.
MAX_SERVER_WAIT = 300.0


def backoff_delay(failures: int, floor: float, rng: random.Random) -> float:
    """Seconds to wait after ``failures`` failures in a row: full jitter, never below ``floor``."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (min(failures, 32) - 1))
    return max(floor, rng.uniform(0, ceiling))


def server_wait(seconds: float | None, default: float) -> float:
    """A server-named wait made sane: ``default`` when absent or not a number,
    never negative, never longer than ``MAX_SERVER_WAIT``."""
    if seconds is None or math.isnan(seconds) or seconds <= 0:
        return min(default, MAX_SERVER_WAIT)
    return min(seconds, MAX_SERVER_WAIT)
