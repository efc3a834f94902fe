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

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError, NotFound, RateLimited, RequestRejected, Unauthorized
from batch_tui.api.models import Batch, ResultsPage
from batch_tui.clock import Clock, system_clock
from batch_tui.monitor.budget import DEFAULT_HEADROOM, Budget
from batch_tui.monitor.fleet import DEFAULT_ALARM_MIN_ITEMS, DEFAULT_ALARM_RATE, Fleet
from batch_tui.monitor.insight import Progress
from batch_tui.monitor.listing import ListingMixin
from batch_tui.monitor.persist import StoreLink
from batch_tui.monitor.scheduler import DEFAULT_INTERVAL, PollRequest, Scheduler
from batch_tui.monitor.snapshot import (
    STALE_AFTER,
    UNCONFIRMED,
    CancelOutcome,
    Change,
    ItemErrors,
    MonitorStatus,
    Snapshot,
)
from batch_tui.store.db import Store

__all__ = [
    "STALE_AFTER",
    "BatchMonitor",
    "CancelOutcome",
    "Change",
    "ItemErrors",
    "MonitorStatus",
    "Snapshot",
]

#: Item errors are kept for this many batches (the highlighted one and recent ones).
ITEM_ERRORS_KEPT = 20
#: History loading starts this many rows before the end of what is known.
HISTORY_OVERLAP = 20
#: The first page of results the errors table shows failed items from.
ITEM_ERRORS_PAGE = 100


class BatchMonitor(ListingMixin):
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
        store: Store | None = None,
        store_problem: str | None = None,
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
        self.fleet = Fleet(alarm_rate, alarm_min_items)
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
        self._seen_rate_limit = client.rate_limit
        self._load_store_first()
        now = clock()
        for batch_id in self.watched:
            self.scheduler.watch(batch_id, now)
            if batch_id not in self.fleet:
                self.fleet.put(Snapshot(Batch(id=batch_id), updated_at=now))
        self._update_status()

    # ── what the UI reads ────────────────────────────────────────────────────

    @property
    def snapshots(self) -> dict[str, Snapshot]:
        """The latest snapshot of every batch shown, by id, newest first."""
        return self.fleet.snapshots

    @property
    def progress(self) -> dict[str, Progress]:
        """Each running batch's recent progress, for throughput, ETA and burn rate."""
        return self.fleet.progress

    def active_count(self) -> int:
        """How many batches shown can still change (counted without touching the history)."""
        return sum(
            1
            for batch_id in self.scheduler.tracked()
            if (snapshot := self.fleet.get(batch_id)) is not None
            and not snapshot.batch.is_terminal
            and not self.scheduler.is_gone(batch_id)
        )

    # ── commands from the UI ─────────────────────────────────────────────────

    def refresh(self) -> None:
        """Fetch what can change, now, within the budget (``r``); lifts a 401 stop.

        Presses in quick succession cost one refresh; during a 429 hold it sends
        one probe, which ends the hold if it succeeds.
        """
        self.scheduler.refresh(self.clock())
        self._wake.set()

    def watch(self, batch_id: str) -> Change:
        """Follow this batch too, even if no list shows it."""
        if batch_id not in self.watched:
            self.watched = (*self.watched, batch_id)
        now = self.clock()
        self.scheduler.watch(batch_id, now)
        added = batch_id not in self.fleet
        if added:
            self.fleet.put(
                Snapshot(
                    Batch(id=batch_id), updated_at=now, planned_interval=self.scheduler.interval
                )
            )
        self._wake.set()
        change = Change(frozenset({batch_id}), reordered=added)
        self._emit(change)
        return change

    def unwatch(self, batch_id: str) -> Change:
        """Stop following this batch by name; it stays while a list shows it."""
        self.watched = tuple(i for i in self.watched if i != batch_id)
        self.scheduler.unwatch(batch_id)
        removed: frozenset[str] = frozenset()
        if batch_id not in self._listed:
            self.scheduler.forget(batch_id)
            self.fleet.remove(batch_id)
            removed = frozenset({batch_id})
        change = Change(removed=removed)
        self._emit(change)
        return change

    def wake(self) -> None:
        """Re-plan now (the clock may have jumped, e.g. a fake one in a benchmark)."""
        self._wake.set()

    def highlight(self, batch_id: str | None) -> None:
        """The user is looking at this batch: it is served first; its detail is fetched
        now if it can still change and ours is old, or once if it is final and unknown."""
        now = self.clock()
        snapshot = self.fleet.get(batch_id) if batch_id else None
        fetch = False
        if snapshot is not None and not self.scheduler.is_gone(batch_id or ""):
            if snapshot.batch.is_terminal:
                fetch = not snapshot.has_detail
            else:
                fetch = snapshot.detail_at is None or now - snapshot.detail_at >= (
                    self.scheduler.interval
                )
        self.scheduler.highlight(batch_id, now, fetch=fetch)
        if snapshot is not None:
            self._want_item_errors(snapshot, now)
        self._wake.set()

    def want_history(self, wanted: bool) -> None:
        """The user needs older batches than are loaded (the cursor nears the end,
        a filter or find is on), or no longer does."""
        if wanted != self.scheduler.history_wanted:
            walk = self.scheduler.walk(PollRequest("history"))
            if wanted and not walk.started:
                # Newest first: what is already known covers about the first pages;
                # start a little before their end so a shifted list loses nothing.
                walk.offset = max(0, len(self._listed) - HISTORY_OVERLAP)
            self.scheduler.want_history(wanted)
            self._update_status()
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

    async def results_page(self, batch_id: str, *, offset: int = 0, limit: int = 50) -> ResultsPage:
        """One page of a batch's item results, asked for by the user (so sent even
        while polling is paused); raises ``ApiError``, including ``RateLimited`` when
        a 429 hold or the budget forbids sending now."""
        async with self._lock:
            self._check_gate()
            self._sending()
            try:
                return await self.client.get_results(batch_id, limit=limit, offset=offset)
            except RateLimited as exc:
                self.scheduler.rate_limited(exc.retry_after, self.clock())
                self._update_status(state="rate limited")
                raise
            finally:
                self._answered()

    def _check_gate(self) -> None:
        """Raise when nothing may be sent now, whatever the user asks."""
        now = self.clock()
        if self.scheduler.stopped:
            raise Unauthorized("the API key was rejected; press r to try again")
        held = self.scheduler.paused_until
        if held is not None and now < held:
            raise RateLimited(
                f"rate limited: the server asked for a pause of {held - now:.0f} s more",
                retry_after=held - now,
            )
        if not self.budget.can_send(now):
            wait = self.budget.next_window(now) - now
            raise RateLimited(
                f"the rate budget is spent until the next window (in {wait:.0f} s)",
                retry_after=wait,
            )

    async def cancel(self, batch_id: str) -> CancelOutcome:
        """Send exactly one cancel for this batch, and report what really happened.

        A second call while the first is in flight sends nothing. When the server's
        answer does not say (a timeout, a 5xx, a 204 or a body that is not JSON),
        the batch is read again and its status decides the outcome: a cancel the
        server applied is reported as done even if its answer was lost.
        """
        if batch_id in self._cancelling:
            return CancelOutcome(batch_id, False, "A cancel is already in flight", sent=False)
        self._cancelling.add(batch_id)
        try:
            async with self._lock:
                return await self._cancel_and_verify(batch_id)
        finally:
            self._cancelling.discard(batch_id)
            self._wake.set()

    async def _cancel_and_verify(self, batch_id: str) -> CancelOutcome:
        self._sending()
        try:
            result = await self.client.cancel_batch(batch_id)
        except (RequestRejected, NotFound, Unauthorized, RateLimited) as exc:
            # A clear refusal: nothing was cancelled. The batch is re-read on schedule.
            self.scheduler.refresh_one(batch_id, self.clock())
            return CancelOutcome(batch_id, False, exc.message)
        except ApiError as exc:
            unclear = f"the answer to the cancel was unclear ({exc.kind}: {exc.message})"
        else:
            if result.confirmed:
                self._show_status(batch_id, result.status)
            unclear = None if result.confirmed else "the server's answer to the cancel was empty"
            message = result.message or "Batch cancelled"
        finally:
            self._answered()
        status = await self._reread(batch_id)
        if unclear is None:
            return CancelOutcome(batch_id, True, message)
        if status == "cancelled":
            return CancelOutcome(batch_id, True, f"cancelled ({unclear}; re-reading it shows so)")
        if status is None:
            return CancelOutcome(
                batch_id, False, f"{unclear}, and the batch could not be re-read: press r to check"
            )
        return CancelOutcome(batch_id, False, f"{unclear}; the batch is still {status}")

    def _show_status(self, batch_id: str, status: str | None) -> None:
        """Show the server's answer at once, so no second cancel can be confirmed in the
        moment before the re-read lands."""
        old = self.fleet.get(batch_id)
        if old is not None and status:
            self.fleet.put(replace(old, batch=replace(old.batch, status=status)))
            self._emit(Change(frozenset({batch_id})))

    async def _reread(self, batch_id: str) -> str | None:
        """Fetch the batch now (the user asked, so even while paused); its status or None."""
        try:
            self._check_gate()
            change = await self._fetch(batch_id)
        except ApiError:
            self.scheduler.refresh_one(batch_id, self.clock())
            return None
        self._save()
        self._emit(change)
        snapshot = self.fleet.get(batch_id)
        return snapshot.batch.status if snapshot is not None else None

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

    async def _fetch(self, batch_id: str) -> Change:
        self._sending()
        try:
            batch = await self.client.get_batch(batch_id)
        except NotFound as exc:
            self.scheduler.detail_gone(batch_id)
            self.fleet.mark(batch_id, f"not found: {exc.message}", None)
            return Change(frozenset({batch_id}))
        finally:
            self._answered()
        now = self.clock()
        self.scheduler.saw_detail(batch_id, batch.status, now)
        if batch.expires_at is not None and batch.expires_at.timestamp() <= now:
            self.scheduler.expired(batch_id)
        if batch.id != batch_id:
            batch = replace(batch, id=batch_id)
        if self._outside_filter(batch_id, batch.status):
            self.scheduler.forget(batch_id)
            self.fleet.remove(batch_id)
            return self._change(set(), frozenset({batch_id}))
        old = self.fleet.get(batch_id)
        snapshot = self.fleet.observe(
            old,
            Snapshot(
                batch,
                updated_at=now,
                detail_at=now,
                planned_interval=self.scheduler.planned_interval(batch_id),
            ),
        )
        self.fleet.put(snapshot)
        self._dirty.add(batch_id)
        reordered = old is None or old.batch.created_at != batch.created_at
        changed = {batch_id} if old is None or snapshot != old else set()
        if batch_id == self.scheduler.highlighted:
            self._want_item_errors(snapshot, now)
        return self._change(changed | self._replan(), reordered=reordered)

    def _outside_filter(self, batch_id: str, status: str | None) -> bool:
        """True when a status filter is on and this batch (not named by the user) left it."""
        return (
            self.status_filter is not None
            and status != self.status_filter
            and batch_id not in self.watched
        )

    def _want_item_errors(self, snapshot: Snapshot, now: float) -> None:
        """Ask for the highlighted batch's failed items when its failures changed."""
        batch = snapshot.batch
        if not batch.failure_count or not batch.id:
            return
        known = self.item_errors.get(batch.id)
        if known is None or known.failures != batch.failure_count:
            self.scheduler.want_item_errors(batch.id, now)
            self._wake.set()

    async def _fetch_item_errors(self, batch_id: str) -> Change:
        self._sending()
        try:
            page = await self.client.get_results(batch_id, limit=ITEM_ERRORS_PAGE)
        finally:
            self._answered()
        now = self.clock()
        self.scheduler.errors_done(batch_id, now)
        snapshot = self.fleet.get(batch_id)
        failures = snapshot.batch.failure_count or 0 if snapshot else 0
        failed = tuple(item for item in page.items if item.status == "failed")
        self.item_errors.pop(batch_id, None)
        self.item_errors[batch_id] = ItemErrors(failures, now, failed)
        while len(self.item_errors) > ITEM_ERRORS_KEPT:
            del self.item_errors[next(iter(self.item_errors))]
        return Change(frozenset({batch_id}))

    def _change(
        self, changed: set[str], removed: frozenset[str] = frozenset(), *, reordered: bool = False
    ) -> Change:
        """A Change carrying the finishes and alarms noticed since the last one."""
        finished, alarms = self.fleet.take_events()
        return Change(frozenset(changed), removed, reordered, finished, alarms)

    def _replan(self) -> set[str]:
        """Refresh the planned interval of every batch that can change; returns those
        whose interval changed (finished batches have none, so they cost nothing)."""
        changed = set()
        for batch_id in self.scheduler.tracked():
            snapshot = self.fleet.get(batch_id)
            planned = self.scheduler.planned_interval(batch_id)
            if snapshot is not None and planned != snapshot.planned_interval:
                self.fleet.snapshots[batch_id] = replace(snapshot, planned_interval=planned)
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

    def _load_store_first(self) -> None:
        """Draw the newest stored rows at once, with the progress behind their pace."""
        if not self.store.active:
            return
        self._add_stored(self.store.next_rows(self.clock(), first=True))
        self.scheduler.history_complete = self.store.meta("history_complete") == "1"

    def _load_store_chunk(self) -> bool:
        """Read the next chunk of stored rows; True when there was one."""
        if self.store.fully_loaded:
            return False
        rows = self.store.next_rows(self.clock())
        if not rows:
            return False
        self._add_stored(rows)
        self._emit(Change(reordered=True))
        return True

    def _add_stored(self, rows: list[Snapshot]) -> None:
        now = self.clock()
        fresh = [row for row in rows if row.batch.id not in self.fleet]
        running = [row for row in fresh if row.error == UNCONFIRMED]
        for row in running:
            self.scheduler.saw_summary(row.batch.id or "", row.batch.status, now)
        for batch_id, samples in self.store.samples(r.batch.id or "" for r in running).items():
            progress = self.fleet.progress.setdefault(batch_id, Progress())
            for at, processed, cost in samples:
                progress.add(at, processed, cost)
        self.fleet.add_many(fresh)
        self._listed.update(row.batch.id or "" for row in fresh)

    def _save(self) -> None:
        if not self._dirty:
            return
        dirty = [self.fleet.snapshots[i] for i in self._dirty if i in self.fleet.snapshots]
        self._dirty.clear()
        self.store.save(dirty, self.clock())

    # ── status ───────────────────────────────────────────────────────────────

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
            notice=self._notice(),
            history=self._history(),
            **changes,
        )

    def _emit(self, change: Change) -> None:
        if self.on_change is not None:
            self.on_change(change)
