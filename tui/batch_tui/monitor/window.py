"""Memory that stays flat: finished batches beyond a window are let go, and come
back as history when wanted.

A dashboard left open on a busy organisation sees thousands of new batches an
hour, and each one held costs a few KB for good. So, while the user is not
looking at history (the cursor is not near the end of the list, and no find,
filter or other order needs every batch), the monitor holds only: every batch
that can still change, the newest ``keep_finished`` finished ones, a band of
rows around the highlighted batch (no row near the cursor ever vanishes), and
every batch the user named (watched, marked, being cancelled, not found). The rest are
let go. They stay in the local store (or, with the store off, on the server) and
come back the way all history does: as the cursor nears the end of the list, or
the gap above the band, or when a find needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from batch_tui.api.models import Batch
from batch_tui.monitor.fleet import order_key
from batch_tui.monitor.scheduler import PollRequest
from batch_tui.monitor.state import MonitorState

#: Batches are let go only once a fifth more than the window are held: one pass
#: over the rows per few hundred finishes, not per poll.
SLACK = 0.2
#: Rows kept on either side of the highlighted batch, well over a screen.
BAND = 500
#: Stored rows read again before the window's end, in case the list shifted.
OVERLAP = 50


class Window:
    """Letting finished batches go, and knowing where history must come back from:
    see the module docstring."""

    def __init__(self, state: MonitorState, keep_finished: int) -> None:
        self.state = state
        self.keep_finished = keep_finished
        """Finished batches held beyond those running; 0 holds all."""
        self.kept: frozenset[str] = frozenset()
        """Batches held whatever the window: the user's marks (``keep``)."""
        self._end_held = False
        self._added_at_pass = 0

    def keep(self, batch_ids: Iterable[str]) -> None:
        """Hold these batches whatever the window (the user's marks): a finished
        one marked long ago keeps its row, and so its mark."""
        self.kept = frozenset(batch_ids)

    def evict(self, before: Callable[[], None]) -> frozenset[str]:
        """Let go of finished batches beyond the window; the ids let go. ``before`` is
        called just before any is let go (the monitor saves what changed then: a
        batch must reach the store before it leaves memory)."""
        state = self.state
        fleet = state.fleet
        slack = self.keep_finished * SLACK
        if (
            state.scheduler.history_wanted
            or self.keep_finished <= 0
            or len(fleet.snapshots) <= self.keep_finished + slack + len(state.scheduler.tracked())
            # A pass lets a batch of rows go, not a few on every poll (each pass
            # redraws the list): it waits for a fifth of the window of new rows.
            or fleet.added < self._added_at_pass + slack
        ):
            return frozenset()
        self._added_at_pass = fleet.added
        gone = self._beyond_window()
        if not gone:
            return frozenset()
        before()
        fleet.evict(gone)
        state.most_listed = max(state.most_listed, len(state.listed))
        state.listed.difference_update(gone)
        for batch_id in gone:
            state.item_errors.pop(batch_id, None)
        return frozenset(gone)

    def _beyond_window(self) -> set[str]:
        """The finished batches outside the window, the band and the protected."""
        state = self.state
        fleet = state.fleet
        order = fleet.order
        protected = set(state.watched) | state.cancelling | fleet.missing | self.kept
        highlighted = state.scheduler.highlighted
        band = range(0)
        if highlighted is not None and highlighted in fleet:
            at = order.index(highlighted)
            band = range(max(0, at - BAND), at + BAND + 1)
        finished, window_end, first_gone, last_gone, gone = 0, -1, len(order), -1, set()
        for index, batch_id in enumerate(order):
            if not fleet.snapshots[batch_id].batch.is_terminal:
                continue
            if finished < self.keep_finished:
                finished += 1
                window_end = index
            elif index not in band and batch_id not in protected:
                gone.add(batch_id)
                first_gone, last_gone = min(first_gone, index), index
        if not gone:
            return gone
        state.gap_before = order[band.start] if first_gone < band.start < len(order) else None
        # Only a gap above the band, the end of the list held: nothing older lies
        # beyond it that was not there before.
        end_held = last_gone < band.start and not self.more_below
        self._rewind_history(window_end + 1)
        self._end_held = end_held
        return gone

    @property
    def more_below(self) -> bool:
        """Older batches than the last row held may exist (in the store or on the
        server): the cursor nearing the end of the list should ask for them."""
        state = self.state
        complete = state.scheduler.history_complete and state.store.fully_loaded
        return not (complete or self._end_held)

    def _rewind_history(self, kept: int) -> None:
        """History is read again from the window's end: the store's rows first."""
        state = self.state
        state.history_from = kept
        state.scheduler.walk(PollRequest("history")).restart()
        state.scheduler.history_complete = False
        if state.store.active:
            state.store.rewind(max(0, kept - OVERLAP))
            state.scheduler.history_ready = state.store.fully_loaded

    def history_loaded(self, batches: list[Batch]) -> None:
        """Older rows came back (from the store or the server): the gap is closed
        once they reach the row after it."""
        state = self.state
        gap = state.fleet.get(state.gap_before) if state.gap_before else None
        if gap is None:
            state.gap_before = None
            return
        if any(
            order_key(b.id or "", b) >= order_key(state.gap_before or "", gap.batch)
            for b in batches
        ):
            state.gap_before = None
