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

from collections.abc import Iterable

from batch_tui.api.models import Batch
from batch_tui.monitor.fleet import order_key
from batch_tui.monitor.parts import MonitorParts
from batch_tui.monitor.scheduler import PollRequest

#: Batches are let go only once a fifth more than the window are held: one pass
#: over the rows per few hundred finishes, not per poll.
SLACK = 0.2
#: Rows kept on either side of the highlighted batch, well over a screen.
BAND = 500
#: Stored rows read again before the window's end, in case the list shifted.
OVERLAP = 50


class WindowMixin(MonitorParts):
    """Letting finished batches go, for ``BatchMonitor``: see the module docstring."""

    keep_finished: int
    kept: frozenset[str]
    _end_held: bool
    _added_at_pass: int

    def keep(self, batch_ids: Iterable[str]) -> None:
        """Hold these batches whatever the window (the user's marks): a finished
        one marked long ago keeps its row, and so its mark."""
        self.kept = frozenset(batch_ids)

    def _evict(self) -> frozenset[str]:
        """Let go of finished batches beyond the window; the ids let go."""
        fleet = self.fleet
        slack = self.keep_finished * SLACK
        if (
            self.scheduler.history_wanted
            or self.keep_finished <= 0
            or len(fleet.snapshots) <= self.keep_finished + slack + len(self.scheduler.tracked())
            # A pass lets a batch of rows go, not a few on every poll (each pass
            # redraws the list): it waits for a fifth of the window of new rows.
            or fleet.added < self._added_at_pass + slack
        ):
            return frozenset()
        self._added_at_pass = fleet.added
        gone = self._beyond_window()
        if not gone:
            return frozenset()
        fleet.evict(gone)
        self._listed.difference_update(gone)
        for batch_id in gone:
            self.item_errors.pop(batch_id, None)
        return frozenset(gone)

    def _beyond_window(self) -> set[str]:
        """The finished batches outside the window, the band and the protected."""
        fleet = self.fleet
        order = fleet.order
        protected = set(self.watched) | self._cancelling | fleet.missing | self.kept
        highlighted = self.scheduler.highlighted
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
        self.gap_before = order[band.start] if first_gone < band.start < len(order) else None
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
        complete = self.scheduler.history_complete and self.store.fully_loaded
        return not (complete or self._end_held)

    def _rewind_history(self, kept: int) -> None:
        """History is read again from the window's end: the store's rows first."""
        self._history_from = kept
        self.scheduler.walk(PollRequest("history")).restart()
        self.scheduler.history_complete = False
        if self.store.active:
            self.store.rewind(max(0, kept - OVERLAP))
            self.scheduler.history_ready = self.store.fully_loaded

    def _history_loaded(self, batches: list[Batch]) -> None:
        """Older rows came back (from the store or the server): the gap is closed
        once they reach the row after it."""
        gap = self.fleet.get(self.gap_before) if self.gap_before else None
        if gap is None:
            self.gap_before = None
            return
        if any(
            order_key(b.id or "", b) >= order_key(self.gap_before or "", gap.batch) for b in batches
        ):
            self.gap_before = None
