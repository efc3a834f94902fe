"""``BatchMonitor``: runs the scheduler against the client and keeps the latest snapshots.

One long-lived ``run()`` loop performs one request at a time, so polls never
overlap: a server slower than the interval delays the next poll instead of piling
requests up, and every answer is applied as soon as it arrives. Failures never
escape the loop: they are recorded on the snapshots (which keep their last good
data) and in ``status``.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError, NotFound, RateLimited, Unauthorized
from batch_tui.api.models import Batch, RateLimit, ResultsPage
from batch_tui.clock import Clock, system_clock
from batch_tui.monitor.budget import DEFAULT_HEADROOM, Budget
from batch_tui.monitor.insight import Progress, failure_rate
from batch_tui.monitor.scheduler import DEFAULT_INTERVAL, PollRequest, Scheduler

#: Data older than this many planned intervals is marked stale on screen.
STALE_AFTER = 3
#: A running batch whose failed ÷ processed reaches this share raises the alarm...
DEFAULT_ALARM_RATE = 0.2
#: ...once at least this many items are processed.
DEFAULT_ALARM_MIN_ITEMS = 10


@dataclass(frozen=True)
class Snapshot:
    """The latest known state of one batch, with how fresh it is."""

    batch: Batch
    """The newest good data (list summaries merged into the last detail)."""
    updated_at: float
    """When the data last came from the server (unix seconds)."""
    detail_at: float | None = None
    """When ``GET /v1/batch/:id`` last answered: tokens, errors and config date from then."""
    error: str | None = None
    """Why the last request that should have refreshed this batch failed; None after a success."""
    planned_interval: float | None = None
    """How often the monitor refreshes this batch; None once it is final."""
    alarm: bool = False
    """Its failure rate passed the alarm threshold."""

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
        """True when the last refresh failed, or the data is over three planned intervals old."""
        if self.error is not None:
            return True
        return (
            self.planned_interval is not None
            and self.age(now) > STALE_AFTER * self.planned_interval
        )


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
    requests_last_minute: int = 0
    backing_off: int = 0
    """How many endpoints are backing off after errors."""
    user_paused: bool = False
    """Polling paused by the user (``p``)."""


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
    reordered: bool = False
    """New rows arrived, so the list order changed."""
    finished: frozenset[str] = frozenset()
    """Batches seen turning completed, failed or cancelled in this step."""
    alarms: frozenset[str] = frozenset()
    """Batches whose failure rate passed the threshold in this step (once each)."""


def _looks_different(old: Snapshot | None, new: Snapshot) -> bool:
    """Whether the user would see a difference (fresher data with the same values
    changes nothing on screen, so it costs no redraw)."""
    return (
        old is None
        or old.batch != new.batch
        or old.error != new.error
        or old.planned_interval != new.planned_interval
        or old.has_detail != new.has_detail
        or old.alarm != new.alarm
    )


def _order_key(item: tuple[str, Snapshot]) -> tuple:
    """Newest first, as the API lists them; batches never seen in a list go last."""
    batch_id, snapshot = item
    created = snapshot.batch.created_at
    return (created is None, -(created.timestamp() if created else 0), batch_id)


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
        headroom: float = DEFAULT_HEADROOM,
        on_change: Callable[[Change], None] | None = None,
        rng: random.Random | None = None,
        alarm_rate: float = DEFAULT_ALARM_RATE,
        alarm_min_items: int = DEFAULT_ALARM_MIN_ITEMS,
    ) -> None:
        self.client = client
        self.clock = clock
        self.status_filter = status_filter
        self.on_change = on_change
        self.budget = Budget(headroom)
        self.scheduler = Scheduler(
            interval,
            now=clock(),
            budget=self.budget,
            status_filter=status_filter,
            rng=rng or random.Random(),
        )
        self.snapshots: dict[str, Snapshot] = {}
        """The latest snapshot of every batch shown, by id, newest first."""
        self.watched: tuple[str, ...] = tuple(dict.fromkeys(watch))
        """Batch ids the user named; they stay even when the list does not show them."""
        self.status = MonitorStatus(interval=interval, effective_interval=interval)
        self.requests_sent = 0
        """Every request sent since start (polls and cancels)."""
        self.failures: Counter[str] = Counter()
        """Failed requests since start, by kind (``rate limited``, ``timeout``…)."""
        self.progress: dict[str, Progress] = {}
        """Each batch's recent progress, for throughput, ETA and burn rate."""
        self.alarm_rate = alarm_rate
        self.alarm_min_items = alarm_min_items
        self._alarmed: set[str] = set()
        self._finished_now: set[str] = set()
        self._alarms_now: set[str] = set()
        self._wake = asyncio.Event()
        self._cancelling: set[str] = set()
        self._closed = False
        self._user_paused = False
        self._seen_rate_limit = client.rate_limit
        now = clock()
        for batch_id in self.watched:
            self.scheduler.watch(batch_id, now)
            self.snapshots[batch_id] = Snapshot(
                Batch(id=batch_id), updated_at=now, planned_interval=interval
            )

    # ── commands from the UI ─────────────────────────────────────────────────

    def refresh(self) -> None:
        """Fetch everything that can change, now, within the budget (``r``); lifts a 401 stop."""
        self.scheduler.refresh(self.clock())
        self._wake.set()

    def watch(self, batch_id: str) -> Change:
        """Follow this batch too, even if no list shows it."""
        if batch_id not in self.watched:
            self.watched = (*self.watched, batch_id)
        now = self.clock()
        self.scheduler.watch(batch_id, now)
        added = batch_id not in self.snapshots
        if added:
            self.snapshots[batch_id] = Snapshot(
                Batch(id=batch_id), updated_at=now, planned_interval=self.scheduler.interval
            )
        self._wake.set()
        change = Change(frozenset({batch_id}), reordered=added)
        self._emit(change)
        return change

    def unwatch(self, batch_id: str) -> Change:
        """Stop following this batch by name; it stays while a list still shows it."""
        self.watched = tuple(i for i in self.watched if i != batch_id)
        removed: frozenset[str] = frozenset()
        if not self.scheduler.is_listed(batch_id):
            self.scheduler.forget(batch_id)
            self.snapshots.pop(batch_id, None)
            self.progress.pop(batch_id, None)
            removed = frozenset({batch_id})
        else:
            self.scheduler.unwatch(batch_id)
        change = Change(removed=removed)
        self._emit(change)
        return change

    async def results_page(self, batch_id: str, *, offset: int = 0, limit: int = 50) -> ResultsPage:
        """One page of a batch's item results (for the drill-down); raises ApiError."""
        self._sending()
        try:
            return await self.client.get_results(batch_id, limit=limit, offset=offset)
        finally:
            self._answered()

    def wake(self) -> None:
        """Re-plan now (the clock may have jumped, e.g. a fake one in a benchmark)."""
        self._wake.set()

    def highlight(self, batch_id: str | None) -> None:
        """The user is looking at this batch; it is served first."""
        self.scheduler.highlight(batch_id, self.clock())
        self._wake.set()

    def set_interval(self, interval: float) -> None:
        """Change the poll interval at run time."""
        self.scheduler.set_interval(interval, self.clock())
        self._update_status()
        self._wake.set()

    @property
    def paused(self) -> bool:
        """True while the user has paused polling."""
        return self._user_paused

    def set_paused(self, paused: bool) -> None:
        """Pause or resume polling (``p``); a resume fetches what fell due meanwhile."""
        self._user_paused = paused
        self._update_status()
        self._emit(Change())
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
            self._sending()
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
            self._answered()
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

    def next_request(self) -> PollRequest | None:
        """The request the loop would make now (None while paused or nothing is due)."""
        if self._user_paused:
            return None
        return self.scheduler.next_request(self.clock())

    async def run(self) -> None:
        """Poll until ``close()``; never raises for a failed request."""
        while not self._closed:
            # Re-plan after every request: a 429 or 401 must stop the rest at once.
            request = self.next_request()
            if request is not None:
                await self.step(request)
                continue
            now = self.clock()
            wakeup = None if self._user_paused else self.scheduler.next_wakeup(now)
            self._update_status(next_poll=wakeup)
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
            if request.kind == "detail":
                assert request.batch_id is not None
                change = await self._fetch(request.batch_id)
            else:
                change = await self._list(request)
        except ApiError as exc:
            change = self._failed(request, exc)
        except Exception as exc:  # a bug must cost one poll, never the dashboard
            change = self._failed(request, ApiError(f"internal error: {type(exc).__name__}: {exc}"))
        else:
            self._update_status(
                state="ok", last_success=self.clock(), last_error=None, last_error_message=None
            )
        self._emit(change)

    # ── requests ─────────────────────────────────────────────────────────────

    def _sending(self) -> None:
        self.requests_sent += 1
        self.scheduler.sending(self.clock())
        self.budget.sent(self.clock())
        self._seen_rate_limit = self.client.rate_limit

    def _answered(self) -> None:
        # Only a response that carried headers replaces the client's RateLimit object.
        if self.client.rate_limit is not self._seen_rate_limit:
            self._seen_rate_limit = self.client.rate_limit
            self.budget.observe(self.client.rate_limit, self.clock())

    async def _list(self, request: PollRequest) -> Change:
        status = request.status if request.kind == "sweep" else self.status_filter
        batches: list[Batch] = []
        self._sending()
        try:
            async for page in self.client.iter_batch_pages(status=status):
                self._answered()
                batches.extend(page.batches)
                if page.pagination.has_more and page.batches:
                    self._sending()  # the next page
        finally:
            self._answered()
        return self._apply_listing(request, batches)

    def _apply_listing(self, request: PollRequest, batches: list[Batch]) -> Change:
        now = self.clock()
        seen: set[str] = set()
        changed: set[str] = set()
        added = False
        for summary in batches:
            if summary.id is None or summary.id in seen:
                continue
            seen.add(summary.id)
            self.scheduler.saw_summary(summary.id, summary.status, now)
            old = self.snapshots.get(summary.id)
            expires = old.batch.expires_at if old else None
            if expires is not None and expires.timestamp() <= now:
                self.scheduler.expired(summary.id)
            batch = old.batch.with_summary(summary) if old and old.has_detail else summary
            snapshot = self._observe(
                old,
                Snapshot(
                    batch,
                    updated_at=now,
                    detail_at=old.detail_at if old else None,
                    planned_interval=self.scheduler.planned_interval(summary.id),
                ),
            )
            if old is None:
                added = True
            if _looks_different(old, snapshot):
                changed.add(summary.id)
            self.snapshots[summary.id] = snapshot
        removed: frozenset[str] = frozenset()
        if request.kind == "sweep":
            self.scheduler.sweep_done(request.status or "", seen, now)
        else:
            removed = frozenset(self.scheduler.discovery_done(seen, now))
            for batch_id in removed:
                self.snapshots.pop(batch_id, None)
                self.progress.pop(batch_id, None)
                self._alarmed.discard(batch_id)
        changed |= self._replan(now)
        if added:
            self.snapshots = dict(sorted(self.snapshots.items(), key=_order_key))
        return self._change(changed, removed, reordered=added)

    async def _fetch(self, batch_id: str) -> Change:
        self._sending()
        try:
            batch = await self.client.get_batch(batch_id)
        except NotFound as exc:
            self.scheduler.detail_gone(batch_id)
            self._mark(batch_id, f"not found: {exc.message}")
            return Change(frozenset({batch_id}))
        finally:
            self._answered()
        now = self.clock()
        self.scheduler.saw_detail(batch_id, batch.status, now)
        if batch.expires_at is not None and batch.expires_at.timestamp() <= now:
            self.scheduler.expired(batch_id)
        if batch.id != batch_id:
            batch = replace(batch, id=batch_id)
        old = self.snapshots.get(batch_id)
        snapshot = self._observe(
            old,
            Snapshot(
                batch,
                updated_at=now,
                detail_at=now,
                planned_interval=self.scheduler.planned_interval(batch_id),
            ),
        )
        self.snapshots[batch_id] = snapshot
        reordered = old is None or old.batch.created_at != batch.created_at
        if reordered:
            self.snapshots = dict(sorted(self.snapshots.items(), key=_order_key))
        changed = {batch_id} if _looks_different(old, snapshot) else set()
        return self._change(changed | self._replan(now), reordered=reordered)

    def _observe(self, old: Snapshot | None, new: Snapshot) -> Snapshot:
        """Note what a fresh snapshot means: progress samples, a finish, an alarm."""
        batch = new.batch
        batch_id = batch.id or ""
        if batch.is_terminal:
            self.progress.pop(batch_id, None)  # no pace to show once it is over
        else:
            progress = self.progress.setdefault(batch_id, Progress())
            progress.add(new.updated_at, batch.processed_items, batch.total_cost_cents)
        if (
            old is not None
            and old.batch.status is not None
            and not old.batch.is_terminal
            and batch.is_terminal
        ):
            self._finished_now.add(batch_id)
        rate = failure_rate(batch.failure_count, batch.processed_items)
        alarm = (
            rate is not None
            and rate >= self.alarm_rate
            and (batch.processed_items or 0) >= self.alarm_min_items
        )
        if alarm and batch_id not in self._alarmed and not batch.is_terminal:
            self._alarmed.add(batch_id)
            self._alarms_now.add(batch_id)
        return replace(new, alarm=alarm) if alarm != new.alarm else new

    def _change(
        self, changed: set[str], removed: frozenset[str] = frozenset(), *, reordered: bool = False
    ) -> Change:
        """A Change carrying the finishes and alarms noticed since the last one."""
        change = Change(
            frozenset(changed),
            removed,
            reordered=reordered,
            finished=frozenset(self._finished_now),
            alarms=frozenset(self._alarms_now),
        )
        self._finished_now.clear()
        self._alarms_now.clear()
        return change

    def _replan(self, now: float) -> set[str]:
        """Refresh every snapshot's planned interval; returns those that changed."""
        changed = set()
        for batch_id, snapshot in self.snapshots.items():
            planned = self.scheduler.planned_interval(batch_id)
            if planned != snapshot.planned_interval:
                self.snapshots[batch_id] = replace(snapshot, planned_interval=planned)
                changed.add(batch_id)
        return changed

    def _failed(self, request: PollRequest, exc: ApiError) -> Change:
        now = self.clock()
        self.failures[exc.kind] += 1
        message = f"{exc.kind}: {exc.message}" if exc.message != exc.kind else exc.kind
        state = "error"
        if isinstance(exc, RateLimited):
            self.scheduler.rate_limited(exc.retry_after, now)
            state = "rate limited"
        elif isinstance(exc, Unauthorized):
            self.scheduler.unauthorized()
            state = "unauthorized"
        else:
            self.scheduler.failed(request, now)
        if request.kind == "detail":
            affected = {request.batch_id or ""}
        elif request.kind == "sweep":
            affected = {
                batch_id
                for batch_id, snapshot in self.snapshots.items()
                if snapshot.batch.status == request.status
            }
        else:
            affected = set()
        for batch_id in affected:
            self._mark(batch_id, message)
        self._update_status(state=state, last_error=message, last_error_message=exc.message)
        return Change(frozenset(affected))

    def _mark(self, batch_id: str, error: str) -> None:
        old = self.snapshots.get(batch_id)
        if old is not None:
            self.snapshots[batch_id] = replace(
                old, error=error, planned_interval=self.scheduler.planned_interval(batch_id)
            )

    def _update_status(self, **changes: object) -> None:
        now = self.clock()
        plan = self.scheduler.plan(now)
        self.status = replace(
            self.status,
            rate_limit=self.client.rate_limit,
            interval=plan.interval,
            effective_interval=plan.effective_interval,
            requests_last_minute=self.budget.requests_last_minute(now),
            paused_until=self.scheduler.paused_until,
            backing_off=self.scheduler.backing_off(),
            user_paused=self._user_paused,
            **changes,
        )

    def _emit(self, change: Change) -> None:
        if self.on_change is not None:
            self.on_change(change)
