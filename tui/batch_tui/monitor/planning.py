"""What the scheduler plans with: its constants, requests, and per-batch and per-stream state.

Shared by ``scheduler.py`` and the objects it is built from: ``tracking.py`` (the
batches that can still change), ``outcomes.py`` (the recurring streams and what
answers do to them), ``paging.py`` (the list walks) and ``pace.py`` (the stretch
that fits the plan into the budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
#: A list that is not newest first is read through in the background (the scan,
#: for batches created and finished between two sweeps) at most at this share.
SCAN_SHARE = 0.02
#: With such a list, the sweep of a status that holds no known batch runs this
#: often at least: the sweeps are what finds a new batch, whatever the order.
NEW_BATCH_SWEEP_EVERY = 20.0
#: Refreshes (``r``) pressed within this many seconds of each other are one refresh.
REFRESH_COALESCE = 2.0
#: At most this many batches the server said do not exist are remembered.
MAX_GONE = 10_000
#: The first page of a failing batch's results is fetched again at most this often.
ITEM_ERRORS_EVERY = 30.0


def swept(status: str | None, status_filter: str | None) -> bool:
    """True when a status sweep covers batches in ``status`` (under the user's filter)."""
    return status in SWEPT_STATUSES and status_filter in (None, status)


Kind = Literal["list", "sweep", "detail", "history", "errors", "scan"]


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
class Track:
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
class Stream:
    """A recurring request: when it is next due, and its backoff state."""

    next_due: float
    failures: int = 0
    last_ok: float | None = None
