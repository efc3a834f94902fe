"""An index of which batches are finished at an instant, so a list page costs O(page).

A finished batch's status never changes again, so once the clock passes its end
the index files its number away: in one sorted array of all finished batches and
one per terminal status. The few unfinished batches stay in a small "open" list,
looked at on every request. Moving the clock forward only files away what
finished meanwhile and adds what arrived; moving it back (only tests do) rebuilds
from scratch. Either way the answer at an instant is the same as evaluating every
batch at that instant: the index is a cache, not part of the story.

Numbers are the catalog's: creation order, oldest first, so newest first is the
arrays read backwards.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Sequence
from typing import Protocol

from batch_tui.demo.batches import TERMINAL


class Catalog(Protocol):
    """What the index needs to know about the batches (see ``catalog``)."""

    def count(self, t: float) -> int: ...

    def end(self, n: int) -> tuple[float, str]: ...


class FleetIndex:
    """Finished batches by creation and by status, and the open ones, as of ``horizon``."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.cancels: dict[int, float] = {}
        """Cancels received, by batch number: they move a batch's end earlier."""
        self.horizon = float("-inf")
        self._stale = True
        self._reset()

    def _reset(self) -> None:
        self._count = 0
        self._done = array("q")
        self._by_status = {status: array("q") for status in TERMINAL}
        self._open: list[int] = []

    @property
    def open(self) -> tuple[int, ...]:
        """The numbers of the batches not finished at ``horizon``, oldest first."""
        return tuple(self._open)

    def end(self, n: int) -> tuple[float, str]:
        """When batch ``n`` becomes terminal, and how, counting cancels received."""
        end, status = self.catalog.end(n)
        cancel = self.cancels.get(n)
        if cancel is not None and cancel < end:
            # Cancelled before it would have finished: a cancel before the natural
            # end always lands on a batch that is still pending or running.
            return cancel, "cancelled"
        return end, status

    def cancel(self, n: int, at: float) -> None:
        """Record a cancel of batch ``n`` at ``at`` (it takes effect from ``at`` on)."""
        self.cancels[n] = at
        if at < self.horizon:
            self._stale = True  # may have been filed away as finished already: start again

    def advance(self, t: float) -> None:
        """Bring the index to instant ``t``: add arrivals, file away what finished."""
        if self._stale or t < self.horizon:
            self._rebuild(t)
            return
        count = self.catalog.count(t)
        self._open.extend(range(self._count, count))
        self._count = count
        still_open = []
        for n in self._open:
            end, status = self.end(n)
            if end <= t:
                bisect.insort(self._done, n)
                bisect.insort(self._by_status[status], n)
            else:
                still_open.append(n)
        self._open = still_open
        self.horizon = t

    def _rebuild(self, t: float) -> None:
        self._reset()
        self._count = self.catalog.count(t)
        # Numbers come in ascending order, so appending keeps every array sorted.
        for n in range(self._count):
            end, status = self.end(n)
            if end <= t:
                self._done.append(n)
                self._by_status[status].append(n)
            else:
                self._open.append(n)
        self.horizon = t
        self._stale = False

    def page(
        self, offset: int, limit: int, status: str | None, status_of: Callable[[int], str]
    ) -> tuple[list[int], int]:
        """Numbers of one page newest first, and the total, at ``horizon``.

        ``status_of`` tells an open batch's status now; finished ones are filed by theirs.
        """
        if status is None:
            done: Sequence[int] = self._done
            extra = self._open
        else:
            done = self._by_status.get(status, ())
            # An open batch can read as terminal a hair before its end (rounding in
            # the item count): asking it keeps filtered and unfiltered lists agreeing.
            extra = [n for n in self._open if status_of(n) == status]
        return merged_page(done, extra, offset, limit), len(done) + len(extra)


def merged_page(done: Sequence[int], extra: list[int], offset: int, limit: int) -> list[int]:
    """Items ``offset`` to ``offset + limit`` of two disjoint sorted sequences merged
    in descending order, in O(len(extra) · log len(done) + limit).

    ``extra`` is small; each of its items takes a known place in the merged order
    (how many items of both are above it), and every other place is filled from
    ``done`` read backwards.
    """
    places = {
        len(done) - bisect.bisect_right(done, n) + len(extra) - 1 - i: n
        for i, n in enumerate(extra)
    }
    total = len(done) + len(extra)
    extra_above = sum(1 for place in places if place < offset)
    page = []
    for place in range(offset, min(total, offset + limit)):
        n = places.get(place)
        if n is None:
            page.append(done[len(done) - 1 - (place - extra_above)])
        else:
            page.append(n)
            extra_above += 1
    return page
