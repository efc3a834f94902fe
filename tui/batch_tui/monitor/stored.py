"""``StoredRows``: what the monitor draws from the local store, and writes back to it.

Loading: the newest rows at once (so the first frame has them), the rest in
chunks between polls, only while older batches are wanted. Writing: the batches
and progress samples each step changed, in one transaction, and (for a team's
leader) the same batches published to the team.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from batch_tui.monitor.insight import Progress
from batch_tui.monitor.listing import Lister
from batch_tui.monitor.snapshot import UNCONFIRMED, Change, Snapshot
from batch_tui.monitor.state import MonitorState
from batch_tui.monitor.window import Window

if TYPE_CHECKING:
    from batch_tui.monitor.sharing import TeamLink


class StoredRows:
    """See the module docstring."""

    def __init__(self, state: MonitorState, window: Window, lister: Lister) -> None:
        self.state = state
        self.window = window
        self.lister = lister
        self.team: TeamLink | None = None
        """The team link, once the monitor has one: a leader publishes what it saves."""

    def load_first(self) -> None:
        """Draw the newest stored rows at once, with the progress behind their pace."""
        state = self.state
        if not state.store.active:
            return
        self.add(state.store.next_rows(first=True))
        state.scheduler.history_complete = state.store.meta("history_complete") == "1"
        state.scheduler.history_ready = state.store.fully_loaded

    def load_chunk(self) -> bool:
        """Read the next chunk of stored rows while older batches are wanted (the
        cursor nears the end, a find needs them); True when there was one. Stored
        history costs memory only once the user asks for it, like the server's."""
        state = self.state
        if state.store.fully_loaded or not state.scheduler.history_wanted:
            return False
        rows = state.store.next_rows()
        if rows:
            self.add(rows)
            self.window.history_loaded([row.batch for row in rows])
            state.emit(Change(reordered=True))
        if state.store.fully_loaded:
            # What the store holds is all drawn: older batches come from the server now.
            state.scheduler.history_ready = True
            self.lister.place_history_walk()
        return bool(rows)

    def add(self, rows: list[Snapshot]) -> None:
        """Place stored rows in the fleet (running ones keep being polled)."""
        state = self.state
        now = state.clock()
        fresh = [row for row in rows if row.batch.id not in state.fleet]
        running = [row for row in fresh if row.error == UNCONFIRMED]
        for row in running:
            state.scheduler.saw_summary(row.batch.id or "", row.batch.status, now)
        for batch_id, samples in state.store.samples(r.batch.id or "" for r in running).items():
            progress = state.fleet.progress.setdefault(batch_id, Progress())
            for at, processed, cost in samples:
                progress.add(at, processed, cost)
        state.fleet.add_many(fresh)
        state.listed.update(row.batch.id or "" for row in fresh)

    def save(self) -> None:
        """Write (and, leading a team, publish) what changed since the last save."""
        state = self.state
        everything = state.store.active and state.store.catch_up
        if not state.dirty and not everything:
            return
        if everything:
            # The store opened late: what was seen before it did is written too.
            state.store.catch_up = False
            state.dirty.update(state.fleet.snapshots)
        fleet = state.fleet.snapshots
        dirty = [fleet[i] for i in state.dirty if i in fleet]
        if self.team is not None:
            self.team.changed(state.dirty)
        state.dirty.clear()
        state.store.save(dirty, state.clock())

    def save_before_letting_go(self) -> None:
        """``save``, written at once: the rows are about to leave memory, and are read
        back from the file when the user scrolls to them again."""
        self.save()
        self.state.store.write_now()
