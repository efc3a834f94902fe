"""``BatchMonitor``: runs the scheduler against the client and keeps the latest snapshots.

The monitor owns every request the program sends: polls, item errors, results
pages and cancels all pass one gate (the rate budget, the user's pause, a 429
hold, a rejected key) and one lock, so requests never overlap: a server slower
than the interval delays the next poll instead of piling requests up. Failures
never escape the loop: they are recorded on the snapshots (which keep their last
good data) and in ``status``.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError, RateLimited, Unauthorized
from batch_tui.api.models import Batch
from batch_tui.core.clock import Clock, system_clock
from batch_tui.core.defaults import DEFAULT_KEEP_FINISHED, DEFAULT_STALL_AFTER
from batch_tui.monitor.actions import ActionsMixin
from batch_tui.monitor.budget import DEFAULT_HEADROOM, Budget
from batch_tui.monitor.bulk import BulkCancelMixin, BulkOutcome
from batch_tui.monitor.commands import CommandsMixin
from batch_tui.monitor.fleet import DEFAULT_ALARM_MIN_ITEMS, DEFAULT_ALARM_RATE, Fleet
from batch_tui.monitor.insight import Progress
from batch_tui.monitor.listing import ListingMixin
from batch_tui.monitor.persist import StoreLink, StoreMixin
from batch_tui.monitor.scheduler import DEFAULT_INTERVAL, PollRequest, Scheduler
from batch_tui.monitor.snapshot import (
    STALE_AFTER,
    BulkProgress,
    CancelOutcome,
    Change,
    ItemErrors,
    MonitorStatus,
    Snapshot,
)
from batch_tui.monitor.window import WindowMixin
from batch_tui.store.db import Store

__all__ = [
    "STALE_AFTER",
    "BatchMonitor",
    "BulkOutcome",
    "BulkProgress",
    "CancelOutcome",
    "Change",
    "ItemErrors",
    "MonitorStatus",
    "Snapshot",
]

#: Item errors are kept for this many batches (the highlighted one and recent ones).
ITEM_ERRORS_KEPT = 20
#: The first page of results the errors table shows failed items from.
ITEM_ERRORS_PAGE = 100


class BatchMonitor(
    CommandsMixin, ListingMixin, ActionsMixin, BulkCancelMixin, StoreMixin, WindowMixin
):
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
        stall_after: float = DEFAULT_STALL_AFTER,
        store: Store | None = None,
        store_problem: str | None = None,
        keep_finished: int = DEFAULT_KEEP_FINISHED,
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
        self.fleet = Fleet(alarm_rate, alarm_min_items, stall_after)
        self.watched: tuple[str, ...] = tuple(dict.fromkeys(watch))
        """Batch ids the user named; they stay even when the list does not show them."""
        self.status = MonitorStatus(interval=interval, effective_interval=interval)
        self.requests_sent = 0
        """Every request sent since start (polls, results pages and cancels)."""
        self.failures: Counter[str] = Counter()
        """Failed requests since start, by kind (``rate limited``, ``timeout``…)."""
        self.item_errors: dict[str, ItemErrors] = {}
        """The failed items of recently highlighted batches, for the errors table."""
        self.store = StoreLink(store, store_problem)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._cancelling: set[str] = set()
        self._closed = False
        self._user_paused = False
        self._dirty: set[str] = set()
        self._listed: set[str] = set()
        self._order_ok_until: dict[str, float | None] = {}
        self._known_at_walk_start: dict[str, int] = {}
        self.keep_finished = keep_finished
        """Finished batches held beyond those running (``window``); 0 holds all."""
        self.kept: frozenset[str] = frozenset()
        """Batches held whatever the window: the user's marks (``keep``)."""
        self.gap_before: str | None = None
        self.server_total: int | None = None
        """How many batches the server's list says it has (its ``pagination.total``,
        as last read; None until a page has said)."""
        self._most_held = 0
        self._history_from: int | None = None
        self._end_held = False
        self._added_at_pass = 0
        self._seen_rate_limit = client.rate_limit
        self._load_store_first()
        now = clock()
        for batch_id in self.watched:
            self.scheduler.watch(batch_id, now)
            if batch_id not in self.fleet:
                self.fleet.put(Snapshot(Batch(id=batch_id), updated_at=now))
        self._update_status()

    @property
    def busy(self) -> bool:
        """True while a request is on its way (no other can start until it is answered)."""
        return self._lock.locked()

    # ── what the UI reads ────────────────────────────────────────────────────

    @property
    def snapshots(self) -> dict[str, Snapshot]:
        """The latest snapshot of every batch shown, by id, newest first."""
        return self.fleet.snapshots

    @property
    def missing(self) -> set[str]:
        """Batches shown that the server said do not exist (counted nowhere)."""
        return self.fleet.missing

    @property
    def known_total(self) -> int:
        """How many batches there are, as far as known: the server's total, or the
        most ever held (never fewer because the memory window let rows go)."""
        held = len(self.fleet.snapshots) - len(self.fleet.missing)
        self._most_held = max(self._most_held, held)
        return max(self.server_total or 0, self._most_held)

    @property
    def progress(self) -> dict[str, Progress]:
        """Each running batch's recent progress, for throughput, ETA and burn rate."""
        return self.fleet.progress

    # ── commands from the UI ─────────────────────────────────────────────────

    def close(self) -> None:
        """Stop the ``run()`` loop after its current request."""
        self._closed = True
        self._wake.set()

    async def aclose(self) -> None:
        """Stop polling, close the store and the client's connections."""
        self.close()
        self.store.close()
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
                async with self._lock:
                    await self.step(request)
                continue
            if self._load_store_chunk():
                await asyncio.sleep(0)  # let the screen draw between chunks
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
                change = await self._fetch(request.batch_id or "")
            elif request.kind == "errors":
                change = await self._fetch_item_errors(request.batch_id or "")
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
        self._save()
        if gone := self._evict():
            change = replace(change, removed=change.removed | gone)
            self._update_status()
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

    def _outside_filter(self, batch_id: str, status: str | None) -> bool:
        """True when a status filter is on and this batch (not named by the user) left it."""
        return (
            self.status_filter is not None
            and status != self.status_filter
            and batch_id not in self.watched
        )

    def _change(
        self, changed: set[str], removed: frozenset[str] = frozenset(), *, reordered: bool = False
    ) -> Change:
        """A Change carrying the finishes and alarms noticed since the last one."""
        finished, alarms, events = self.fleet.take_events()
        return Change(frozenset(changed), removed, reordered, finished, alarms, events)

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
            affected = set(self.scheduler.tracked_in(request.status or ""))
        else:
            affected = set()
        changed = {
            batch_id
            for batch_id in affected
            if self.fleet.mark(batch_id, message, self.scheduler.planned_interval(batch_id))
        }
        self._update_status(state=state, last_error=message, last_error_message=exc.message)
        return Change(frozenset(changed))

    # ── the local store ──────────────────────────────────────────────────────

    # ── status ───────────────────────────────────────────────────────────────

    def _update_status(self, **changes: Any) -> None:
        now = self.clock()
        plan = self.scheduler.plan(now)
        self.status = replace(
            self.status,
            rate_limit=self.client.rate_limit,
            interval=plan.interval,
            effective_interval=plan.effective_interval,
            planned_gap=plan.planned_gap,
            requests_last_minute=self.budget.requests_last_minute(now),
            paused_until=self.scheduler.paused_until,
            backing_off=self.scheduler.backing_off(),
            failures_in_a_row=self.scheduler.max_backoff(),
            user_paused=self._user_paused,
            notice=self._notice(),
            history=self._history(),
            **changes,
        )

    def _emit(self, change: Change) -> None:
        if self.on_change is not None:
            self.on_change(change)
