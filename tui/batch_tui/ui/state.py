"""Small values the dashboard binds into its widgets (frozen, so they compare by value
and a bound widget hears of them only when they really change)."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Protocol


class Shown(Protocol):
    """What ``Counts.of`` reads of the list."""

    @property
    def row_count(self) -> int: ...
    def get_row_index(self, batch_id: str) -> int: ...


class Known(Protocol):
    """What ``Counts.of`` reads of the monitor."""

    @property
    def snapshots(self) -> Mapping[str, Any]: ...
    @property
    def missing(self) -> AbstractSet[str]: ...

    @property
    def known_total(self) -> int: ...

    def active_count(self) -> int: ...


def _has_row(rows: Shown, batch_id: str) -> bool:
    try:
        rows.get_row_index(batch_id)
    except KeyError:
        return False
    return True


@dataclass(frozen=True)
class Counts:
    """How many batches there are, how many still run, how many the list shows, and
    how many are marked."""

    total: int = 0
    """How many the server has, as far as known (not only those held in memory)."""
    active: int = 0
    shown: int = 0
    marked: int = 0
    loaded: int = 0
    """How many are held now (what a find or a filter looks through)."""

    @property
    def not_loaded(self) -> int:
        """How many the server has that are not held now."""
        return max(0, self.total - self.loaded)

    @classmethod
    def of(cls, monitor: Known, rows: Shown, marked: int = 0) -> Counts:
        """The counts now. An id the server said does not exist is counted nowhere."""
        missing = monitor.missing
        # Counted by the (few) missing ids, not by the rows: a status update must not
        # cost the length of the history.
        hidden = sum(1 for batch_id in missing if _has_row(rows, batch_id))
        loaded = len(monitor.snapshots) - len(missing)
        return cls(
            total=max(monitor.known_total, loaded),
            active=monitor.active_count(),
            shown=rows.row_count - hidden,
            marked=marked,
            loaded=loaded,
        )
