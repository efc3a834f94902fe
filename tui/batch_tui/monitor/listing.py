"""The monitor's poll requests and what their answers change: lists and details.

Lists (sweeps, discovery and history) go one page per request; a detail fetch
refreshes one batch. ``BatchMonitor`` mixes this in.
Every page is a request of its own under the one rate budget. Discovery reads
the newest pages only until one holds no batch it does not know; it checks, as it
goes, that the list really is newest first, and when it is not it falls back to
walking every page (slowly, within the budget) and says so in the status line.
"""

from __future__ import annotations

from dataclasses import replace

from batch_tui.api.errors import NotFound
from batch_tui.api.models import Batch
from batch_tui.monitor.paging import Walk
from batch_tui.monitor.parts import MonitorParts
from batch_tui.monitor.scheduler import PAGE_SIZE, PollRequest
from batch_tui.monitor.snapshot import Change, Snapshot, looks_different

#: Said in the status line when the list turns out not to be newest first.
ORDER_NOTICE = "the list is not newest first: discovery reads every page"


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


class ListingMixin(MonitorParts):
    """List requests for ``BatchMonitor``: see the module docstring."""

    _order_ok_until: dict[str, float | None]
    _known_at_walk_start: dict[str, int]

    async def _list(self, request: PollRequest) -> Change:
        if request.kind == "sweep":
            status = request.status
        else:
            status = self.status_filter
        self._sending()
        try:
            page = await self.client.list_batches(
                status=status, limit=PAGE_SIZE, offset=request.offset
            )
        finally:
            self._answered()
        batches = [b for b in page.batches if b.id]
        walk = self.scheduler.walk(request)
        if not walk.started:
            self._known_at_walk_start[request.key] = len(self._listed)
        # Newest first, new batches come before any known one: a page that shows a
        # known batch has reached what was seen before, and what lies beyond it is
        # history (loaded when wanted), not news.
        all_new = bool(batches) and not any(b.id in self.fleet for b in batches)
        if request.kind != "sweep":
            self._check_order(request, walk, batches)
        change = self._apply_listing(batches)
        now = self.clock()
        rows = [(b.id or "", b.status) for b in batches]
        has_more = page.pagination.has_more
        total = page.pagination.total
        if request.kind != "sweep" and total is not None:
            self.server_total = total  # the list as shown (a status sweep counts one status)
        if request.kind == "sweep":
            if walk.page(rows, has_more, wanted=True, total=total):
                self.scheduler.next_page(request, now)
            else:
                self.scheduler.sweep_done(request.status or "", set(walk.seen), now)
                walk.restart()
        elif request.kind == "list":
            # Discovery joins the newest rows to those already known; with nothing
            # known yet (a first start without a store) there is nothing to join,
            # and older pages are history, loaded only when wanted.
            joined = self._known_at_walk_start.get(request.key, 0) > 0
            wanted = (all_new and joined) or self.scheduler.full_discovery
            if walk.page(rows, has_more, wanted=wanted, total=total):
                self.scheduler.next_page(request, now)
            else:
                self.scheduler.discovery_done(now, whole_list=not has_more)
                if not has_more and self.status_filter is None:
                    self.scheduler.history_complete = True  # the whole list fit: no history
                walk.restart()
        else:
            more = walk.page(rows, has_more, wanted=True, total=total)
            self.scheduler.history_page_done(not more, now)
            self._history_loaded(batches)
            if not more:
                self.gap_before = None
                self.store.set_meta("history_complete", "1")
        return change

    def _check_order(self, request: PollRequest, walk: Walk, batches: list[Batch]) -> None:
        """Fall back to full discovery when the list is not newest first."""
        previous = self._order_ok_until.get(request.key) if walk.started else None
        ok, last = _in_order(previous, batches)
        self._order_ok_until[request.key] = last
        if not ok and not self.scheduler.full_discovery:
            self.scheduler.full_discovery = True

    def _apply_listing(self, batches: list[Batch]) -> Change:
        now = self.clock()
        changed: set[str] = set()
        added: list[Snapshot] = []
        for summary in batches:
            batch_id = summary.id or ""
            self.scheduler.saw_summary(batch_id, summary.status, now)
            self._listed.add(batch_id)
            old = self.fleet.get(batch_id)
            if old is not None and old.batch.is_terminal and old.error is None:
                continue  # final: a list cannot tell us anything new about it
            expires = old.batch.expires_at if old else None
            if expires is not None and expires.timestamp() <= now:
                self.scheduler.expired(batch_id)
            batch = old.batch.with_summary(summary) if old and old.has_detail else summary
            snapshot = self.fleet.observe(
                old,
                Snapshot(
                    batch,
                    updated_at=now,
                    detail_at=old.detail_at if old else None,
                    planned_interval=self.scheduler.planned_interval(batch_id),
                ),
            )
            if old is None or old.batch.created_at != batch.created_at:
                added.append(snapshot)
            else:
                self.fleet.snapshots[batch_id] = snapshot
            if looks_different(old, snapshot):
                changed.add(batch_id)
            self._dirty.add(batch_id)
        self.fleet.add_many(added)
        changed |= self._replan()
        return self._change(changed, reordered=bool(added))

    def _notice(self) -> str | None:
        """What the status line should say about how the monitor works now."""
        if self.store.problem:
            return self.store.problem
        if self.scheduler.full_discovery:
            return ORDER_NOTICE
        truncated = [key for key, walk in self.scheduler.walks.items() if walk.truncated]
        if truncated:
            return (
                f"stopped reading {', '.join(sorted(truncated))} at a page cap or a repeated page"
            )
        return None

    def _history(self) -> str | None:
        """How much of the history is loaded, while not all of it is."""
        if self.scheduler.history_complete and self.store.fully_loaded:
            return None
        loaded = len(self.fleet.snapshots)
        if self.scheduler.history_wanted:
            return f"loading older batches · {loaded:,} loaded"
        return f"{loaded:,} loaded · older batches load as you scroll"

    async def _fetch(self, batch_id: str) -> Change:
        self._sending()
        try:
            batch = await self.client.get_batch(batch_id)
        except NotFound as exc:
            self.scheduler.detail_gone(batch_id)
            self.fleet.mark(batch_id, f"not found: {exc.message}", None, not_found=True)
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
