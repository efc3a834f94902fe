"""The batches the user has marked (Space, ``*``), to cancel many at once.

Marks are batch ids in a set, so they survive sorting, filtering and every refresh,
and marking all the list shows costs one pass over the shown ids, however long the
history: no row is rendered again beyond those on screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence


class Marks:
    """A set of marked batch ids, in the order they were marked."""

    def __init__(self) -> None:
        self._ids: dict[str, None] = {}

    def __contains__(self, batch_id: object) -> bool:
        return batch_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def toggle(self, batch_id: str) -> bool:
        """Mark this batch, or unmark it when it is marked; whether it is marked now."""
        if batch_id in self._ids:
            del self._ids[batch_id]
            return False
        self._ids[batch_id] = None
        return True

    def toggle_all(self, shown: Sequence[str]) -> bool:
        """Mark every batch shown; when every one already is, unmark them instead.
        Whether they are marked now."""
        if not shown:
            return False
        if all(batch_id in self._ids for batch_id in shown):
            for batch_id in shown:
                del self._ids[batch_id]
            return False
        self._ids.update(dict.fromkeys(shown))
        return True

    def add(self, batch_ids: Iterable[str]) -> None:
        """Mark these too."""
        self._ids.update(dict.fromkeys(batch_ids))

    def clear(self) -> None:
        """Unmark everything."""
        self._ids.clear()

    def forget(self, batch_ids: Iterable[str]) -> None:
        """These batches are gone from the dashboard: they are marked no more."""
        for batch_id in batch_ids:
            self._ids.pop(batch_id, None)
