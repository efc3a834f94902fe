"""What the monitor tells the UI: per-batch snapshots, the connection status, changes.

Plain frozen dataclasses, compared by value, so a consumer can tell "changed"
from "refreshed with the same values" with ``==``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from batch_tui.api.models import Batch, ItemResult, RateLimit
from batch_tui.monitor.alarms import BatchEvent
from batch_tui.monitor.scheduler import DEFAULT_INTERVAL

#: Data older than this many planned intervals is marked stale on screen.
STALE_AFTER = 3
#: Why a row loaded from the local store is marked until a poll confirms it.
UNCONFIRMED = "from the local store; not yet confirmed by the server"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The latest known state of one batch, with how fresh it is."""

    batch: Batch
    """The newest good data (list summaries merged into the last detail)."""
    updated_at: float
    """When the data last came from the server (unix seconds)."""
    detail_at: float | None = None
    """When ``GET /v1/batch/:id`` last answered: tokens, errors and config date from then."""
    error: str | None = None
    """Why the data may not be current (the last refresh failed, or it is from the
    local store and not yet confirmed); None after a success."""
    planned_interval: float | None = None
    """How often the monitor refreshes this batch; None once it is final."""
    alarm: bool = False
    """Its failure rate passed the alarm threshold."""
    not_found: bool = False
    """The server answered 404 for it: there is no such batch (for this key)."""
    stalled_since: float | None = None
    """When it last moved, while it has not moved for the stall threshold (None:
    it is moving, or final)."""

    @property
    def has_detail(self) -> bool:
        """True once the batch's detail (tokens, errors, config) is known."""
        return self.detail_at is not None

    @property
    def polled(self) -> bool:
        """True while the monitor will fetch this batch again on its own."""
        return self.planned_interval is not None

    def age(self, now: float) -> float:
        """Seconds since the data came from the server."""
        return max(0.0, now - self.updated_at)

    def is_stale(self, now: float) -> bool:
        """True when the last refresh failed, or the data is over three planned intervals
        old; never for a batch that does not exist (there is no data to be stale)."""
        if self.not_found:
            return False
        if self.error is not None:
            return True
        return (
            self.planned_interval is not None
            and self.age(now) > STALE_AFTER * self.planned_interval
        )


def looks_different(old: Snapshot | None, new: Snapshot) -> bool:
    """Whether the user would see a difference (fresher data with the same values
    changes nothing on screen, so it costs no redraw)."""
    return (
        old is None
        or old.batch != new.batch
        or old.error != new.error
        or old.planned_interval != new.planned_interval
        or old.has_detail != new.has_detail
        or old.alarm != new.alarm
        or old.not_found != new.not_found
        or old.stalled_since != new.stalled_since
    )


@dataclass(frozen=True)
class BulkProgress:
    """How far a cancel of many batches has got: "cancelling 4 of 12"."""

    current: int
    """The batch being cancelled now (from 1)."""
    total: int
    waiting_until: float | None = None
    """The rate budget (or a 429 hold) keeps the next cancel back until then."""


@dataclass(frozen=True)
class MonitorStatus:
    """The connection as a whole, for the status line."""

    state: str = "connecting"
    """One of: connecting, ok, error, rate limited, unauthorized."""
    last_success: float | None = None
    next_poll: float | None = None
    rate_limit: RateLimit = field(default_factory=RateLimit)
    last_error: str | None = None
    """The last failure, with its kind (``server error: …``)."""
    last_error_message: str | None = None
    """The last failure in the server's own words."""
    paused_until: float | None = None
    """A 429 holds every request until then."""
    interval: float = DEFAULT_INTERVAL
    """The interval the user asked for."""
    effective_interval: float = DEFAULT_INTERVAL
    """The interval the rate budget allows (equal to ``interval`` when it fits)."""
    planned_gap: float = DEFAULT_INTERVAL
    """The longest the plan means to go without a request: the effective interval
    while batches can change, the discovery period while none can."""
    requests_last_minute: int = 0
    backing_off: int = 0
    """How many endpoints are backing off after errors."""
    failures_in_a_row: int = 0
    """The most failures in a row of any endpoint (0: none is backing off)."""
    user_paused: bool = False
    """Polling paused by the user (``p``)."""
    notice: str | None = None
    """Something the user should know about how the monitor works now (the local
    store is unavailable, the list is not newest first, pagination was cut short)."""
    history: str | None = None
    """How much of the organisation's history is loaded, when not all of it is."""
    cancelling: BulkProgress | None = None
    """How far a cancel of many batches has got, while one runs."""
    team: str | None = None
    """This process's part in its team (``polling for 3 dashboards``,
    ``following: another dashboard polls``); None when it polls alone by choice."""


@dataclass(frozen=True)
class CancelOutcome:
    """What came of a cancel request: shown to the user as a notification."""

    batch_id: str
    ok: bool
    message: str
    sent: bool = True
    """False when no request was sent (one was already in flight)."""
    held: bool = False
    """The server's rate limit refused it (429): nothing was cancelled, and the same
    request may succeed once the hold is over."""
    refused: bool = False
    """The server refused this cancel (cannot be cancelled, not found): nothing was
    cancelled, often because the batch finished meanwhile."""
    requested: bool = False
    """The server took the cancel but the batch still runs (or could not be read
    again to confirm): asked for, not done."""


@dataclass(frozen=True)
class ItemErrors:
    """The failed items on the first page of a batch's results, for the errors table."""

    failures: int
    """The batch's failure count when they were fetched."""
    fetched_at: float
    items: tuple[ItemResult, ...]
    scanned: int = 0
    """How many results the page held (the failed items are among the first this many)."""


@dataclass(frozen=True)
class Change:
    """What one monitor step changed; the UI updates only these rows."""

    changed: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    reordered: bool = False
    """New rows arrived, so the list order changed."""
    finished: frozenset[str] = frozenset()
    """Batches seen turning completed, failed or cancelled in this step."""
    alarms: frozenset[str] = frozenset()
    """Batches whose failure rate passed the threshold in this step (once each)."""
    events: tuple[BatchEvent, ...] = ()
    """Everything worth telling in this step, once each: finishes, stalls, alarms
    (the one stream the notifications, desktop notifications and hooks read)."""

    def then(self, later: Change) -> Change:
        """This change followed by ``later``, as one: what a screen that saw neither
        must redraw. A row removed and then brought back is changed, and the reverse
        is removed."""
        return Change(
            changed=(self.changed - later.removed) | later.changed,
            removed=(self.removed - later.changed) | later.removed,
            reordered=self.reordered or later.reordered,
            finished=self.finished | later.finished,
            alarms=self.alarms | later.alarms,
            events=self.events + later.events,
        )
