"""``BatchMonitor``: the thin front that owns the poll loop and the user's commands.

The monitor owns every request the program sends: polls, item errors, results
pages and cancels all pass one gate (the rate budget, the user's pause, a 429
hold, a rejected key) and one lock, so requests never overlap: a server slower
than the interval delays the next poll instead of piling requests up. Failures
never escape the loop: they are recorded on the snapshots (which keep their last
good data) and in ``status``.

The work is done by collaborators that share one ``MonitorState``, each handed
what it needs: the ``RequestGate``, the ``Lister`` (lists and details), the
``Results`` (results pages and item errors), the ``Canceller`` and the
``BulkCanceller``, the memory ``Window``, the ``StoredRows`` (the local store),
the ``StatusBuilder`` and, in a team, the ``TeamLink``.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError, RateLimited, Unauthorized
from batch_tui.api.models import Batch, ResultsPage
from batch_tui.core.clock import Clock, system_clock
from batch_tui.core.defaults import DEFAULT_KEEP_FINISHED, DEFAULT_STALL_AFTER
from batch_tui.monitor.actions import Canceller
from batch_tui.monitor.budget import DEFAULT_HEADROOM, Budget
from batch_tui.monitor.bulk import BulkCanceller, BulkOutcome
from batch_tui.monitor.fleet import DEFAULT_ALARM_MIN_ITEMS, DEFAULT_ALARM_RATE, Fleet
from batch_tui.monitor.gate import RequestGate
from batch_tui.monitor.insight import Progress
from batch_tui.monitor.listing import Lister
from batch_tui.monitor.persist import StoreLink
from batch_tui.monitor.results import Results
from batch_tui.monitor.scheduler import DEFAULT_INTERVAL, PollRequest, Scheduler
from batch_tui.monitor.sharing import TeamLink
from batch_tui.monitor.snapshot import (
    STALE_AFTER,
    BulkProgress,
    CancelOutcome,
    Change,
    ItemErrors,
    MonitorStatus,
    Snapshot,
)
from batch_tui.monitor.state import MonitorState
from batch_tui.monitor.status import StatusBuilder
from batch_tui.monitor.stored import StoredRows
from batch_tui.monitor.team import Team
from batch_tui.monitor.window import Window
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

#: Seconds the answers of one burst of requests may wait to be told (and drawn) together.
BURST_HOLD = 0.25


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
        stall_after: float = DEFAULT_STALL_AFTER,
        store: Store | None = None,
        store_problem: str | None = None,
        keep_finished: int = DEFAULT_KEEP_FINISHED,
        team: Team | None = None,
    ) -> None:
        budget = Budget(headroom)
        self.state = state = MonitorState(
            client=client,
            clock=clock,
            budget=budget,
            scheduler=Scheduler(
                interval,
                now=clock(),
                budget=budget,
                status_filter=status_filter,
                rng=rng or random.Random(),
            ),
            fleet=Fleet(alarm_rate, alarm_min_items, stall_after),
            store=StoreLink(store, store_problem),
            status_filter=status_filter,
            watched=tuple(dict.fromkeys(watch)),
            status=MonitorStatus(interval=interval, effective_interval=interval),
            on_change=on_change,
        )
        self.gate = RequestGate(state, on_sent=None if team is None else team.sent)
        self.status_builder = StatusBuilder(state)
        self.window = Window(state, keep_finished)
        self.results = Results(state, self.gate, self.status_builder)
        self.lister = Lister(state, self.gate, self.window, self.results)
        self.stored = StoredRows(state, self.window, self.lister)
        self.canceller = Canceller(state, self.gate, self.lister, self.status_builder, self.stored)
        self.bulk = BulkCanceller(state, self.gate, self.canceller, self.status_builder)
        self.team: TeamLink | None = None
        """The link to the other processes watching this organisation (None: solo)."""
        if team is not None:
            self.team = TeamLink(
                team,
                fleet=state.fleet,
                scheduler=state.scheduler,
                budget=budget,
                clock=clock,
                emit=self._emit,
                update_status=self.status_builder.update,
                refresh=self.refresh,
                wake=state.wake.set,
                status=lambda: state.status,
                dirty=state.dirty,
                listed=state.listed,
                server_total=lambda: state.server_total,
                set_server_total=lambda total: setattr(state, "server_total", total),
                save_followed=not team.hub.shares_store,
            )
            self.status_builder.team = self.stored.team = self.team
            # Until the team has met, nobody polls: a follower must not poll at start.
            state.scheduler.following = True
            state.status = replace(state.status, team=team.describe())
        self._team_task: asyncio.Task[None] | None = None
        self._closed = False
        self._rows_told = False
        """True once a change with rows in it was told: the first is told at once."""
        self.stored.load_first()
        now = clock()
        for batch_id in state.watched:
            state.scheduler.watch(batch_id, now)
            self._hold_row(batch_id)
        self.status_builder.update()

    # ── what the UI reads ────────────────────────────────────────────────────

    @property
    def client(self) -> CheckClient:
        """The API client every request goes through."""
        return self.state.client

    @property
    def clock(self) -> Clock:
        """The monitor's clock."""
        return self.state.clock

    @property
    def scheduler(self) -> Scheduler:
        """Who is polled next, and when."""
        return self.state.scheduler

    @property
    def budget(self) -> Budget:
        """The organisation's rate budget, as the server reports it."""
        return self.state.budget

    @property
    def fleet(self) -> Fleet:
        """Every batch held, in list order, with what was noticed about each."""
        return self.state.fleet

    @property
    def store(self) -> StoreLink:
        """The link to the local store."""
        return self.state.store

    @property
    def status(self) -> MonitorStatus:
        """The connection as a whole, for the status line."""
        return self.state.status

    @property
    def on_change(self) -> Callable[[Change], None] | None:
        """Called after every step that changed what the user would see."""
        return self.state.on_change

    @on_change.setter
    def on_change(self, callback: Callable[[Change], None] | None) -> None:
        self.state.on_change = callback

    @property
    def watched(self) -> tuple[str, ...]:
        """Batch ids the user named; they stay even when the list does not show them."""
        return self.state.watched

    @property
    def item_errors(self) -> dict[str, ItemErrors]:
        """The failed items of recently highlighted batches, for the errors table."""
        return self.state.item_errors

    @property
    def requests_sent(self) -> int:
        """Every request sent since start (polls, results pages and cancels)."""
        return self.state.requests_sent

    @property
    def failures(self) -> Counter[str]:
        """Failed requests since start, by kind (``rate limited``, ``timeout``…)."""
        return self.state.failures

    @property
    def gap_before(self) -> str | None:
        """The first row after a gap in the list: history is wanted near it."""
        return self.state.gap_before

    @property
    def keep_finished(self) -> int:
        """Finished batches held beyond those running (``window``); 0 holds all."""
        return self.window.keep_finished

    @keep_finished.setter
    def keep_finished(self, count: int) -> None:
        self.window.keep_finished = count

    @property
    def more_below(self) -> bool:
        """Older batches than the last row held may exist."""
        return self.window.more_below

    @property
    def busy(self) -> bool:
        """True while a request is on its way (no other can start until it is answered)."""
        return self.state.lock.locked()

    @property
    def snapshots(self) -> dict[str, Snapshot]:
        """The latest snapshot of every batch shown, by id, newest first."""
        return self.state.fleet.snapshots

    @property
    def missing(self) -> set[str]:
        """Batches shown that the server said do not exist (counted nowhere)."""
        return self.state.fleet.missing

    @property
    def server_total(self) -> int | None:
        """How many batches the server's list says it has (None until a page said)."""
        return self.state.server_total

    @server_total.setter
    def server_total(self, total: int | None) -> None:
        self.state.server_total = total

    @property
    def known_total(self) -> int:
        """How many batches there are, as far as known: the server's total, or the most
        a list ever showed (never fewer because the memory window let rows go; never
        a row only asked about, such as a find's id the server may not have)."""
        state = self.state
        return max(state.server_total or 0, state.most_listed, len(state.listed))

    @property
    def progress(self) -> dict[str, Progress]:
        """Each running batch's recent progress, for throughput, ETA and burn rate."""
        return self.state.fleet.progress

    @property
    def bulk_cancelling(self) -> bool:
        """True while a cancel of many batches runs."""
        return self.bulk.bulk_cancelling

    def active_count(self) -> int:
        """How many batches shown can still change (counted without touching the history)."""
        state = self.state
        return sum(
            1
            for batch_id in state.scheduler.tracked()
            if (snapshot := state.fleet.get(batch_id)) is not None
            and not snapshot.batch.is_terminal
            and not state.scheduler.is_gone(batch_id)
        )

    def is_cancelling(self, batch_id: str) -> bool:
        """True while a cancel for this batch is in flight."""
        return self.canceller.is_cancelling(batch_id)

    # ── commands from the UI ─────────────────────────────────────────────────

    def refresh(self) -> None:
        """Fetch what can change, now, within the budget (``r``); lifts a 401 stop.

        Presses in quick succession cost one refresh; during a 429 hold it sends
        one probe, which ends the hold if it succeeds. A follower asks its team's
        leader.
        """
        self.state.scheduler.refresh(self.state.clock())
        if self.team is not None and not self.team.team.polls:
            self.team.team.ask_refresh()
        self.state.wake.set()

    def watch(self, batch_id: str) -> Change:
        """Follow this batch too, even if no list shows it."""
        state = self.state
        if batch_id not in state.watched:
            state.watched = (*state.watched, batch_id)
        state.scheduler.watch(batch_id, state.clock())
        added = self._hold_row(batch_id)
        state.wake.set()
        change = Change(frozenset({batch_id}), reordered=added)
        self._emit(change)
        return change

    def look_up(self, batch_id: str) -> None:
        """A find named this whole id and nothing loaded has it: show it as a row of
        its own, so the cursor lands on it and its detail is fetched at once (the
        highlighted batch's rule); the server's answer fills the row, or says it has
        no such batch. Held like any row, never followed for good (``watch`` is that)."""
        if self._hold_row(batch_id):
            self._emit(Change(frozenset({batch_id}), reordered=True))
            self.state.wake.set()

    def _hold_row(self, batch_id: str) -> bool:
        """A row for a batch known only by its id, until the server's answer fills it
        (True: it had none). Its interval is the one asked for: it is polled as any."""
        state = self.state
        if batch_id in state.fleet:
            return False
        state.fleet.put(
            Snapshot(
                Batch(id=batch_id),
                updated_at=state.clock(),
                planned_interval=state.scheduler.interval,
            )
        )
        return True

    def unwatch(self, batch_id: str) -> Change:
        """Stop following this batch by name; it stays while a list shows it."""
        state = self.state
        state.watched = tuple(i for i in state.watched if i != batch_id)
        state.scheduler.unwatch(batch_id)
        removed: frozenset[str] = frozenset()
        if batch_id not in state.listed:
            state.scheduler.forget(batch_id)
            state.fleet.remove(batch_id)
            removed = frozenset({batch_id})
        change = Change(removed=removed)
        self._emit(change)
        return change

    def wake(self) -> None:
        """Re-plan now (the clock may have jumped, e.g. a fake one in a benchmark)."""
        self.state.wake.set()

    def highlight(self, batch_id: str | None) -> None:
        """The user is looking at this batch: it is served first; its detail is fetched
        now if it can still change and ours is old, or once if it is final and unknown."""
        state = self.state
        now = state.clock()
        snapshot = state.fleet.get(batch_id) if batch_id else None
        fetch = False
        if snapshot is not None and not state.scheduler.is_gone(batch_id or ""):
            if snapshot.batch.is_terminal:
                fetch = not snapshot.has_detail
            else:
                fetch = snapshot.detail_at is None or now - snapshot.detail_at >= (
                    state.scheduler.interval
                )
        state.scheduler.highlight(batch_id, now, fetch=fetch)
        if snapshot is not None:
            self.results.want_item_errors(snapshot, now)
        state.wake.set()

    def want_history(self, wanted: bool) -> None:
        """The user needs older batches than are loaded (the cursor nears the end,
        a filter or find is on), or no longer does."""
        state = self.state
        if wanted != state.scheduler.history_wanted:
            state.scheduler.want_history(wanted)
            self.lister.place_history_walk()
            self.status_builder.update()
            state.wake.set()

    def set_interval(self, interval: float) -> None:
        """Change the poll interval at run time."""
        self.state.scheduler.set_interval(interval, self.state.clock())
        if self.team is not None:
            self.team.team.set_interval(interval)
        self.status_builder.update()
        self.state.wake.set()

    @property
    def paused(self) -> bool:
        """True while the user has paused polling."""
        return self.state.user_paused

    def set_paused(self, paused: bool) -> None:
        """Pause or resume polling (``p``); a resume fetches what fell due meanwhile.
        In a team, a paused leader hands polling to another member."""
        self.state.user_paused = paused
        if self.team is not None:
            self.team.team.set_paused(paused)
        self.status_builder.update()
        self._emit(Change())
        self.state.wake.set()

    def keep(self, batch_ids: Iterable[str]) -> None:
        """Hold these batches whatever the memory window (the user's marks)."""
        self.window.keep(batch_ids)

    async def results_page(self, batch_id: str, *, offset: int = 0, limit: int = 50) -> ResultsPage:
        """One page of a batch's item results (see ``Results.page``)."""
        return await self.results.page(batch_id, offset=offset, limit=limit)

    async def cancel(self, batch_id: str) -> CancelOutcome:
        """Send exactly one cancel for this batch (see ``Canceller.cancel``)."""
        return await self.canceller.cancel(batch_id)

    async def cancel_many(self, batch_ids: Sequence[str]) -> list[BulkOutcome] | None:
        """Cancel each of these in turn (see ``BulkCanceller.cancel_many``)."""
        return await self.bulk.cancel_many(batch_ids)

    def close(self) -> None:
        """Stop the ``run()`` loop after its current request."""
        self._closed = True
        if self.team is not None:
            self.team.team.close()
        self.state.wake.set()

    async def aclose(self) -> None:
        """Stop polling, leave the team, close the store and the client's connections."""
        self.close()
        if self._team_task is not None:
            await asyncio.gather(self._team_task, return_exceptions=True)
        # In a thread: writing what waits may wait out another program's lock.
        await asyncio.to_thread(self.state.store.close)
        await self.state.client.aclose()

    # ── the loop ─────────────────────────────────────────────────────────────

    def next_request(self, *, along: float = 0.0) -> PollRequest | None:
        """The request the loop would make now (None while paused or nothing is due);
        ``along``: see ``Scheduler.next_request``."""
        if self.state.user_paused:
            return None
        return self.state.scheduler.next_request(self.state.clock(), along=along)

    async def run(self) -> None:
        """Poll until ``close()``; never raises for a failed request."""
        state = self.state
        if self.team is not None and self._team_task is None:
            self._team_task = asyncio.create_task(self.team.team.run(self.team))
        # The requests that fall due together (a sweep and the highlighted batch's
        # detail, a walk's pages) are told as one change when the burst ends: one
        # redraw for the screen, not one per answer. A long burst is told every
        # BURST_HOLD seconds, so a slow server's answers still show as they come.
        # The first answer with rows is told at once: an empty list waits for nothing.
        held: Change | None = None
        held_since = 0.0
        while not self._closed:
            # Re-plan after every request: a 429 or 401 must stop the rest at once.
            request = self.next_request(along=0.0 if held is None else BURST_HOLD)
            if request is not None:
                async with state.lock:
                    change = await self.step(request, hold=True)
                if held is None:
                    held, held_since = change, state.clock()
                else:
                    held = held.then(change)
                first_rows = not self._rows_told and bool(held.changed)
                if first_rows or state.clock() - held_since >= BURST_HOLD:
                    self._save_and_emit(held)
                    held = None
                continue
            if held is not None:
                self._save_and_emit(held)  # before the store's chunks, and before sleeping
                held = None
            if self.stored.load_chunk():
                await asyncio.sleep(0)  # let the screen draw between chunks
                continue
            now = state.clock()
            wakeup = None if state.user_paused else state.scheduler.next_wakeup(now)
            self.status_builder.update(next_poll=wakeup)
            self._emit(Change())
            delay = None if wakeup is None else max(0.0, wakeup - now)
            state.wake.clear()
            try:
                await asyncio.wait_for(state.wake.wait(), timeout=delay)
            except TimeoutError:
                pass

    async def step(self, request: PollRequest, *, hold: bool = False) -> Change:
        """Perform one request and apply its outcome; save and tell the change, unless
        ``hold``: the loop saves (one write, one publish) and tells a burst's changes
        as one."""
        state = self.state
        try:
            if request.kind == "detail":
                change = await self.lister.fetch(request.batch_id or "")
            elif request.kind == "errors":
                change = await self.results.fetch_item_errors(request.batch_id or "")
            else:
                change = await self.lister.list_page(request)
        except ApiError as exc:
            change = self._failed(request, exc)
        except Exception as exc:  # a bug must cost one poll, never the dashboard
            change = self._failed(request, ApiError(f"internal error: {type(exc).__name__}: {exc}"))
        else:
            self.status_builder.update(
                state="ok", last_success=state.clock(), last_error=None, last_error_message=None
            )
        if gone := self.window.evict(before=self.stored.save_before_letting_go):
            change = replace(change, removed=change.removed | gone)
            self.status_builder.update()
        if not hold:
            self._save_and_emit(change)
        return change

    def _failed(self, request: PollRequest, exc: ApiError) -> Change:
        state = self.state
        now = state.clock()
        state.failures[exc.kind] += 1
        message = f"{exc.kind}: {exc.message}" if exc.message != exc.kind else exc.kind
        status = "error"
        if isinstance(exc, RateLimited):
            state.scheduler.rate_limited(exc.retry_after, now)
            status = "rate limited"
        elif isinstance(exc, Unauthorized):
            state.scheduler.unauthorized()
            status = "unauthorized"
        else:
            state.scheduler.failed(request, now)
        if request.kind == "detail":
            affected = {request.batch_id or ""}
        elif request.kind == "sweep":
            affected = set(state.scheduler.tracked_in(request.status or ""))
        else:
            affected = set()
        changed = {
            batch_id
            for batch_id in affected
            if state.fleet.mark(batch_id, message, state.scheduler.planned_interval(batch_id))
        }
        self.status_builder.update(state=status, last_error=message, last_error_message=exc.message)
        return Change(frozenset(changed))

    def _save_and_emit(self, change: Change) -> None:
        """Write what the answers changed (and, leading a team, publish it), then tell
        it: once per burst of answers."""
        self.stored.save()
        self._emit(change)

    def _emit(self, change: Change) -> None:
        self._rows_told = self._rows_told or bool(change.changed)
        if self.team is not None:
            self.team.changed(())  # the status, at least, is news
        self.state.emit(change)
