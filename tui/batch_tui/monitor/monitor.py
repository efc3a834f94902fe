"""``BatchMonitor``: runs the scheduler against the client and keeps the latest snapshots.

One long-lived ``run()`` loop performs due requests one at a time, so polls never
overlap: a server slower than the interval delays the next poll instead of piling
requests up, and every answer is applied as soon as it arrives. Failures never
escape the loop: they are recorded on the snapshot (which keeps its last good
data, marked stale) and in ``status``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError, NotFound, RateLimited, Unauthorized
from batch_tui.api.models import Batch, RateLimit
from batch_tui.clock import Clock, system_clock
from batch_tui.monitor.scheduler import DEFAULT_INTERVAL, PollRequest, Scheduler


@dataclass(frozen=True)
class Snapshot:
    """The latest known state of one batch, with how fresh it is."""

    batch: Batch
    """The newest good data (list summary merged into the last detail)."""
    updated_at: float
    """When the data last came from the server (unix seconds)."""
    has_detail: bool = False
    """True once ``GET /v1/batch/:id`` answered: tokens, errors and config are known."""
    error: str | None = None
    """Why the last request for this batch failed; None after a success."""
    polled: bool = True
    """True while the monitor will fetch this batch again on its own."""

    @property
    def stale(self) -> bool:
        """True when the last request failed, so the data shown may be out of date."""
        return self.error is not None


@dataclass(frozen=True)
class MonitorStatus:
    """The connection as a whole, for the status line."""

    state: str = "connecting"
    """One of: connecting, ok, error, rate limited, unauthorized."""
    last_success: float | None = None
    next_poll: float | None = None
    rate_limit: RateLimit = field(default_factory=RateLimit)
    last_error: str | None = None
    paused_until: float | None = None
    interval: float = DEFAULT_INTERVAL


@dataclass(frozen=True)
class CancelOutcome:
    """What came of a cancel request: shown to the user as a notification."""

    batch_id: str
    ok: bool
    message: str
    sent: bool = True
    """False when no request was sent (one was already in flight)."""


@dataclass(frozen=True)
class Change:
    """What one monitor step changed; the UI updates only these rows."""

    changed: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()


class BatchMonitor:
    """Polls the API on the scheduler's plan and keeps a ``Snapshot`` per batch.

    ``on_change`` is called (on the monitor's event loop) after every step that
    changed what the user would see; read ``snapshots`` and ``status`` then.
    """

    def __init__(
        self,
        client: CheckClient,
        *,
        interval: float = DEFAULT_INTERVAL,
        status_filter: str | None = None,
        watch: Iterable[str] = (),
        clock: Clock = system_clock,
        on_change: Callable[[Change], None] | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.status_filter = status_filter
        self.on_change = on_change
        self.scheduler = Scheduler(interval, now=clock())
        self.snapshots: dict[str, Snapshot] = {}
        """The latest snapshot of every batch shown, by id, in list order."""
        self.watched: tuple[str, ...] = tuple(dict.fromkeys(watch))
        """Batch ids the user named; they stay even when the list does not show them."""
        self.status = MonitorStatus(interval=interval)
        self._wake = asyncio.Event()
        self._cancelling: set[str] = set()
        self._closed = False
        now = clock()
        for batch_id in self.watched:
            self.scheduler.watch(batch_id, now)
            self.snapshots[batch_id] = Snapshot(Batch(id=batch_id), updated_at=now, polled=True)

    # ── commands from the UI ─────────────────────────────────────────────────

    def refresh(self) -> None:
        """Fetch everything that can change, now (``r``); also lifts a stop after 401/403."""
        self.scheduler.refresh(self.clock())
        self._wake.set()

    def highlight(self, batch_id: str | None) -> None:
        """The user is looking at this batch; it is served first."""
        self.scheduler.highlight(batch_id, self.clock())
        self._wake.set()

    def set_interval(self, interval: float) -> None:
        """Change the poll interval at run time."""
        self.scheduler.set_interval(interval, self.clock())
        self.status = replace(self.status, interval=interval)
        self._wake.set()

    def is_cancelling(self, batch_id: str) -> bool:
        """True while a cancel for this batch is in flight."""
        return batch_id in self._cancelling

    async def cancel(self, batch_id: str) -> CancelOutcome:
        """Send exactly one cancel for this batch, then fetch it again.

        A second call while the first is in flight sends nothing.
        """
        if batch_id in self._cancelling:
            return CancelOutcome(batch_id, False, "A cancel is already in flight", sent=False)
        self._cancelling.add(batch_id)
        try:
            result = await self.client.cancel_batch(batch_id)
        except ApiError as exc:
            outcome = CancelOutcome(batch_id, False, exc.message)
        else:
            outcome = CancelOutcome(batch_id, True, result.message or "Batch cancelled")
            # Show the server's answer at once, so no second cancel can be confirmed
            # in the moment before the re-fetch lands.
            old = self.snapshots.get(batch_id)
            if old is not None and result.status:
                self.snapshots[batch_id] = replace(
                    old, batch=replace(old.batch, status=result.status)
                )
                self._emit(Change(frozenset({batch_id})))
        finally:
            self._cancelling.discard(batch_id)
        # Whatever the answer, the truth is on the server: fetch the batch again now.
        self.scheduler.refresh_one(batch_id, self.clock())
        self._wake.set()
        return outcome

    def close(self) -> None:
        """Stop the ``run()`` loop after its current request."""
        self._closed = True
        self._wake.set()

    async def aclose(self) -> None:
        """Stop polling and close the client's connections."""
        self.close()
        await self.client.aclose()

    # ── the loop ─────────────────────────────────────────────────────────────

    async def run(self) -> None:
        """Poll until ``close()``; never raises for a failed request."""
        while not self._closed:
            # Re-plan after every request: a 429 or 401 must stop the rest at once.
            due = self.scheduler.due(self.clock())
            if due:
                await self.step(due[0])
                continue
            now = self.clock()
            wakeup = self.scheduler.next_wakeup(now)
            self._set_status(next_poll=wakeup)
            self._emit(Change())
            delay = None if wakeup is None else max(0.0, wakeup - now)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass

    async def step(self, request: PollRequest) -> None:
        """Perform one request and apply its outcome."""
        try:
            if request.kind == "list":
                change = await self._discover()
            else:
                assert request.batch_id is not None
                change = await self._fetch(request.batch_id)
        except ApiError as exc:
            change = self._failed(request, exc)
        except Exception as exc:  # a bug must cost one poll, never the dashboard
            change = self._failed(request, ApiError(f"internal error: {type(exc).__name__}: {exc}"))
        else:
            self._set_status(
                state="ok", last_success=self.clock(), last_error=None, paused_until=None
            )
        self._emit(change)

    async def _discover(self) -> Change:
        batches = await self.client.list_all_batches(status=self.status_filter)
        now = self.clock()
        self.scheduler.listed(now)
        seen: dict[str, Snapshot] = {}
        changed: set[str] = set()
        for summary in batches:
            if summary.id is None or summary.id in seen:
                continue
            self.scheduler.saw_summary(summary.id, summary.status, now)
            old = self.snapshots.get(summary.id)
            batch = old.batch.with_summary(summary) if old and old.has_detail else summary
            snapshot = Snapshot(
                batch,
                updated_at=now,
                has_detail=bool(old and old.has_detail),
                error=None,
                polled=self.scheduler.is_polled(summary.id),
            )
            if snapshot != old:
                changed.add(summary.id)
            seen[summary.id] = snapshot
        for batch_id in self.watched:
            if batch_id not in seen and batch_id in self.snapshots:
                seen[batch_id] = self.snapshots[batch_id]
        removed = frozenset(self.snapshots) - frozenset(seen)
        for batch_id in removed:
            self.scheduler.forget(batch_id)
        self.snapshots = seen
        return Change(frozenset(changed), removed)

    async def _fetch(self, batch_id: str) -> Change:
        try:
            batch = await self.client.get_batch(batch_id)
        except NotFound as exc:
            self.scheduler.detail_failed(batch_id, self.clock(), gone=True)
            self._mark(batch_id, f"not found: {exc.message}")
            # A 404 is a real answer, not a connection problem.
            return Change(frozenset({batch_id}))
        now = self.clock()
        self.scheduler.saw_detail(batch_id, batch.status, now)
        if batch.id != batch_id:
            batch = replace(batch, id=batch_id)
        self.snapshots[batch_id] = Snapshot(
            batch, updated_at=now, has_detail=True, polled=self.scheduler.is_polled(batch_id)
        )
        return Change(frozenset({batch_id}))

    def _failed(self, request: PollRequest, exc: ApiError) -> Change:
        now = self.clock()
        message = f"{exc.kind}: {exc.message}" if exc.message != exc.kind else exc.kind
        state = "error"
        if isinstance(exc, RateLimited):
            self.scheduler.rate_limited(exc.retry_after, now)
            state = "rate limited"
        elif isinstance(exc, Unauthorized):
            self.scheduler.unauthorized()
            state = "unauthorized"
        if request.kind == "list":
            self.scheduler.listed(now)
            affected = frozenset()
        else:
            assert request.batch_id is not None
            if not isinstance(exc, (RateLimited, Unauthorized)):
                self.scheduler.detail_failed(request.batch_id, now)
            else:
                # Not this batch's fault: it is fetched again once the pause or stop ends.
                self.scheduler.refresh_one(request.batch_id, now)
            self._mark(request.batch_id, message)
            affected = frozenset({request.batch_id})
        self._set_status(
            state=state,
            last_error=message,
            paused_until=self.scheduler.paused_until,
        )
        return Change(affected)

    def _mark(self, batch_id: str, error: str) -> None:
        old = self.snapshots.get(batch_id)
        if old is not None:
            self.snapshots[batch_id] = replace(
                old, error=error, polled=self.scheduler.is_polled(batch_id)
            )

    def _set_status(self, **changes: object) -> None:
        self.status = replace(self.status, rate_limit=self.client.rate_limit, **changes)

    def _emit(self, change: Change) -> None:
        if self.on_change is not None:
            self.on_change(change)
