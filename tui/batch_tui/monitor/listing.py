"""The monitor's poll requests and what their answers change: lists and details.

Lists (sweeps, discovery and history) go one page per request; a detail fetch
refreshes one batch.
Every page is a request of its own under the one rate budget. Discovery reads
the newest pages only until one holds no batch it does not know; it checks, as it
goes, that the list really is newest first. When it is not, the first page says
nothing of what is new: the status sweeps find new batches instead, the scan reads
the list through slowly in the background (``SCAN_SHARE`` of the budget), and the
status line says so.
"""

from __future__ import annotations

from dataclasses import replace

from batch_tui.api.errors import NotFound
from batch_tui.api.models import Batch
from batch_tui.monitor.gate import RequestGate
from batch_tui.monitor.paging import Walk
from batch_tui.monitor.results import Results
from batch_tui.monitor.scheduler import PAGE_SIZE, PollRequest
from batch_tui.monitor.snapshot import Change, Snapshot, looks_different
from batch_tui.monitor.state import MonitorState
from batch_tui.monitor.status import ORDER_NOTICE
from batch_tui.monitor.window import Window

__all__ = ["ORDER_NOTICE", "Lister"]

#: History loading starts this many rows before the end of what is known.
HISTORY_OVERLAP = 20
#: With a list not newest first, the newest batch known says little of when the
#: dashboard started: batches created this long before the first discovery pass
#: are taken as known at start-up (never announced when first seen finished).
ANNOUNCE_SKEW = 60.0


def _in_order(previous: float | None, batches: list[Batch]) -> tuple[bool, float | None]:
    """Whether these rows (after a row created at ``previous``) are newest first."""
    last = previous
    for batch in batches:
        if batch.created_at is None:
            continue
        created = batch.created_at.timestamp()
        if last is not None and created > last + 1e-6:
            return False, created
        last = created
    return True, last


class Lister:
    """List and detail requests, and what their answers change: see the module
    docstring."""

    def __init__(
        self, state: MonitorState, gate: RequestGate, window: Window, results: Results
    ) -> None:
        self.state = state
        self.gate = gate
        self.window = window
        self.results = results
        self._order_ok_until: dict[str, float | None] = {}
        self._known_at_walk_start: dict[str, int] = {}

    async def list_page(self, request: PollRequest) -> Change:
        """One page of a list (a sweep, discovery or history) and what it changed."""
        state = self.state
        if request.kind == "sweep":
            status = request.status
        else:
            status = state.status_filter
        self.gate.sending()
        try:
            page = await state.client.list_batches(
                status=status, limit=PAGE_SIZE, offset=request.offset
            )
        finally:
            self.gate.answered()
        batches = [b for b in page.batches if b.id]
        walk = state.scheduler.walk(request)
        if not walk.started:
            self._known_at_walk_start[request.key] = len(state.listed)
        # Newest first, new batches come before any known one: a page that shows a
        # known batch has reached what was seen before, and what lies beyond it is
        # history (loaded when wanted), not news.
        all_new = bool(batches) and not any(b.id in state.fleet for b in batches)
        rows = [(b.id or "", b.status) for b in batches]  # what the page held, for the walk
        if request.kind == "list":
            self._check_order(request, walk, batches)
        elif request.kind == "scan":
            # The scan looks for what is new; old finished rows are history, loaded
            # when wanted, not by a background read of the whole list.
            batches = [b for b in batches if self._scan_keeps(b)]
        change = self._apply_listing(batches)
        now = state.clock()
        has_more = page.pagination.has_more
        total = page.pagination.total
        if request.kind != "sweep" and total is not None:
            state.server_total = total  # the list as shown (a status sweep counts one status)
        if request.kind == "sweep":
            if walk.page(rows, has_more, wanted=True, total=total):
                state.scheduler.next_page(request, now)
            else:
                state.scheduler.sweep_done(request.status or "", set(walk.seen), now)
                walk.restart()
        elif request.kind == "list":
            # Discovery joins the newest rows to those already known; with nothing
            # known yet (a first start without a store) there is nothing to join,
            # and older pages are history, loaded only when wanted.
            joined = self._known_at_walk_start.get(request.key, 0) > 0
            wanted = all_new and joined and not state.scheduler.unordered
            if walk.page(rows, has_more, wanted=wanted, total=total):
                state.scheduler.next_page(request, now)
            else:
                state.scheduler.discovery_done(now, whole_list=not has_more)
                floor = now - ANNOUNCE_SKEW if state.scheduler.unordered else None
                state.fleet.start_announcing(floor)
                if not has_more and state.status_filter is None:
                    state.scheduler.history_complete = True  # the whole list fit: no history
                walk.restart()
        elif request.kind == "scan":
            more = walk.page(rows, has_more, wanted=True, total=total)
            state.scheduler.scan_page_done(now)
            if not more:
                walk.restart()
        else:
            more = walk.page(rows, has_more, wanted=True, total=total)
            state.scheduler.history_page_done(not more, now)
            self.window.history_loaded(batches)
            if not more:
                state.gap_before = None
                state.store.set_meta("history_complete", "1")
        return change

    def _check_order(self, request: PollRequest, walk: Walk, batches: list[Batch]) -> None:
        """Fall back to full discovery when the list is not newest first."""
        state = self.state
        previous = self._order_ok_until.get(request.key) if walk.started else None
        ok, last = _in_order(previous, batches)
        self._order_ok_until[request.key] = last
        if not ok and not state.scheduler.unordered:
            state.scheduler.unordered = True

    def _scan_keeps(self, batch: Batch) -> bool:
        """A scanned row worth showing: known, still running, or new since start-up."""
        fleet = self.state.fleet
        return batch.id in fleet or not batch.is_terminal or fleet.created_since_start(batch)

    def _apply_listing(self, batches: list[Batch]) -> Change:
        state = self.state
        now = state.clock()
        changed: set[str] = set()
        added: list[Snapshot] = []
        for summary in batches:
            batch_id = summary.id or ""
            state.scheduler.saw_summary(batch_id, summary.status, now)
            state.listed.add(batch_id)
            old = state.fleet.get(batch_id)
            if old is not None and old.batch.is_terminal and old.error is None:
                continue  # final: a list cannot tell us anything new about it
            expires = old.batch.expires_at if old else None
            if expires is not None and expires.timestamp() <= now:
                state.scheduler.expired(batch_id)
            batch = old.batch.with_summary(summary) if old and old.has_detail else summary
            snapshot = state.fleet.observe(
                old,
                Snapshot(
                    batch,
                    updated_at=now,
                    detail_at=old.detail_at if old else None,
                    planned_interval=state.scheduler.planned_interval(batch_id),
                ),
            )
            if old is None or old.batch.created_at != batch.created_at:
                added.append(snapshot)
            else:
                state.fleet.snapshots[batch_id] = snapshot
            if looks_different(old, snapshot):
                changed.add(batch_id)
            state.dirty.add(batch_id)
        state.fleet.add_many(added)
        changed |= self.replan()
        return state.change(changed, reordered=bool(added))

    async def fetch(self, batch_id: str) -> Change:
        """One batch's detail (``GET /v1/batch/:id``) and what it changed."""
        state = self.state
        self.gate.sending()
        try:
            batch = await state.client.get_batch(batch_id)
        except NotFound as exc:
            state.scheduler.detail_gone(batch_id)
            state.fleet.mark(batch_id, f"not found: {exc.message}", None, not_found=True)
            return Change(frozenset({batch_id}))
        finally:
            self.gate.answered()
        now = state.clock()
        state.scheduler.saw_detail(batch_id, batch.status, now)
        if batch.expires_at is not None and batch.expires_at.timestamp() <= now:
            state.scheduler.expired(batch_id)
        if batch.id != batch_id:
            batch = replace(batch, id=batch_id)
        if state.outside_filter(batch_id, batch.status):
            state.scheduler.forget(batch_id)
            state.fleet.remove(batch_id)
            return state.change(set(), frozenset({batch_id}))
        old = state.fleet.get(batch_id)
        snapshot = state.fleet.observe(
            old,
            Snapshot(
                batch,
                updated_at=now,
                detail_at=now,
                planned_interval=state.scheduler.planned_interval(batch_id),
            ),
        )
        state.fleet.put(snapshot)
        state.dirty.add(batch_id)
        reordered = old is None or old.batch.created_at != batch.created_at
        changed = {batch_id} if old is None or snapshot != old else set()
        if batch_id == state.scheduler.highlighted:
            self.results.want_item_errors(snapshot, now)
        return state.change(changed | self.replan(), reordered=reordered)

    def replan(self) -> set[str]:
        """Refresh the planned interval of every batch that can change; returns those
        whose interval changed (finished batches have none, so they cost nothing)."""
        state = self.state
        changed = set()
        for batch_id in state.scheduler.tracked():
            snapshot = state.fleet.get(batch_id)
            planned = state.scheduler.planned_interval(batch_id)
            if snapshot is not None and planned != snapshot.planned_interval:
                state.fleet.snapshots[batch_id] = replace(snapshot, planned_interval=planned)
                changed.add(batch_id)
        return changed

    def place_history_walk(self) -> None:
        """Start the server's history walk where what is known ends (once the store
        has given all it holds): newest first, what is known covers about the first
        pages; a little before their end, so a shifted list loses nothing."""
        state = self.state
        walk = state.scheduler.walk(PollRequest("history"))
        if state.scheduler.history_wanted and state.scheduler.history_ready and not walk.started:
            known = len(state.listed) if state.history_from is None else state.history_from
            walk.offset = max(0, known - HISTORY_OVERLAP)
