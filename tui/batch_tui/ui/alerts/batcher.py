"""Gather events, then summarise: the one way alerts are held back a moment.

Finishes, stalls and desktop notifications each come in bursts (a fleet of short
batches finishes in the same poll). A ``Batcher`` keeps what arrives for
``GATHER_SECONDS`` from the first, then hands it all over at once, so what it
feeds can say "12 batches finished" in one line instead of twelve.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Generic, Protocol, TypeVar

from textual.timer import Timer

#: What arrives within this many seconds of the first is told together.
GATHER_SECONDS = 1.0

Item = TypeVar("Item")


class TimerOwner(Protocol):
    """What can run a timer: a widget, a screen or the app."""

    def set_timer(self, delay: float, callback: Callable[[], object]) -> Timer | None: ...


class Batcher(Generic[Item]):
    """Holds items for ``gather`` seconds from the first, then calls ``tell`` with them.

    With ``key``, a later item replaces an earlier one of the same key (a batch that
    changed twice is told once, as it is now), keeping its place.
    """

    def __init__(
        self,
        owner: TimerOwner,
        tell: Callable[[list[Item]], None],
        *,
        key: Callable[[Item], Hashable] | None = None,
        gather: float = GATHER_SECONDS,
    ) -> None:
        self.owner = owner
        """Whose timer waits (its timers stop with it)."""
        self.tell = tell
        """Given everything gathered, once the time is up."""
        self.key = key
        self.gather = gather
        self._items: dict[Hashable, Item] = {}
        self._timer: Timer | None = None

    def add(self, items: Iterable[Item]) -> None:
        """Gather these; the first of a burst starts the wait."""
        for item in items:
            self._items[self.key(item) if self.key else len(self._items)] = item
        if self._items and self._timer is None:
            self._timer = self.owner.set_timer(self.gather, self.flush)

    def flush(self) -> None:
        """Tell what was gathered now (the timer calls this; so may a test)."""
        self._timer = None
        items, self._items = list(self._items.values()), {}
        if items:
            self.tell(items)
