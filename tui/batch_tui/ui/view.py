"""Which batches the list shows, and in what order: the find and sort state.

Pure data and functions (no widgets), so the rules are easy to test: a text
filter on id or name, a status view, the day a batch finished (chosen on the
history screen), and a sort key with a direction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from batch_tui.api.models import TERMINAL_STATUSES
from batch_tui.monitor.insight import failure_rate
from batch_tui.monitor.monitor import Snapshot

#: What ``s`` cycles through.
STATUS_VIEWS = ("all", "active", "completed", "failed", "cancelled")
#: What ``o`` cycles through.
SORT_KEYS = ("created", "status", "progress", "cost", "failure rate")


#: Sorting by status, highest first: what still runs, then what waits, then what
#: is over (failed before completed, cancelled last), as an operator reads them.
STATUS_RANK = {
    status: rank
    for rank, status in enumerate(
        ("cancelled", "completed", "failed", "pending", "validating", "processing")
    )
}


def _sort_value(sort: str, snapshot: Snapshot) -> Any:
    batch = snapshot.batch
    if sort == "created":
        return batch.created_at.timestamp() if batch.created_at else None
    if sort == "status":
        return STATUS_RANK.get(batch.status or "")
    if sort == "progress":
        return batch.progress
    if sort == "cost":
        return batch.total_cost_cents
    return failure_rate(batch.failure_count, batch.processed_items)


@dataclass(frozen=True)
class FinishedOn:
    """Batches that finished in one local day: ``[start, stop)`` in unix seconds."""

    label: str
    start: float
    stop: float

    def holds(self, snapshot: Snapshot) -> bool:
        """Whether this batch finished within the day."""
        batch = snapshot.batch
        if batch.status not in TERMINAL_STATUSES or batch.completed_at is None:
            return False
        return self.start <= batch.completed_at.timestamp() < self.stop


@dataclass(frozen=True)
class ListView:
    """The list's filter and order."""

    text: str = ""
    """Shown when the id or the name contains this, ignoring case."""
    status: str = "all"
    sort: str = "created"
    descending: bool = True
    from_command_line: bool = False
    """The status filter was given on the command line (``--status``): ``s`` and
    Escape clear it rather than cycle on from it."""
    day: FinishedOn | None = None
    """Only batches that finished that day (Escape clears it)."""

    @property
    def is_default(self) -> bool:
        """Everything, newest first: the order the monitor already keeps."""
        return self == ListView()

    def shows(self, snapshot: Snapshot) -> bool:
        """Whether this batch passes the filter."""
        batch = snapshot.batch
        if self.status == "active" and batch.status in TERMINAL_STATUSES:
            return False
        if self.status not in ("all", "active") and batch.status != self.status:
            return False
        if self.day is not None and not self.day.holds(snapshot):
            return False
        if self.text:
            needle = self.text.casefold()
            return needle in (batch.id or "").casefold() or needle in (batch.name or "").casefold()
        return True

    def order(self, snapshots: Mapping[str, Snapshot]) -> list[str]:
        """The ids shown, in order; unknown values sort last either way."""
        if self.is_default:
            return list(snapshots)
        shown = [(batch_id, s) for batch_id, s in snapshots.items() if self.shows(s)]
        known = [(i, s) for i, s in shown if _sort_value(self.sort, s) is not None]
        unknown = [i for i, s in shown if _sort_value(self.sort, s) is None]
        known.sort(key=lambda item: _sort_value(self.sort, item[1]), reverse=self.descending)
        return [i for i, _ in known] + unknown

    def next_status(self) -> ListView:
        """The next status view (``s``); from one given on the command line (or one
        ``s`` does not offer), back to all."""
        if self.from_command_line or self.status not in STATUS_VIEWS:
            return replace(self, status="all", from_command_line=False)
        index = (STATUS_VIEWS.index(self.status) + 1) % len(STATUS_VIEWS)
        return replace(self, status=STATUS_VIEWS[index])

    def next_sort(self) -> ListView:
        """The next sort key (``o``), highest first."""
        index = (SORT_KEYS.index(self.sort) + 1) % len(SORT_KEYS)
        return replace(self, sort=SORT_KEYS[index], descending=True)

    def flipped(self) -> ListView:
        """The same order, reversed (``O``)."""
        return replace(self, descending=not self.descending)

    def describe(self) -> str:
        """A short line saying what is filtered and how it is sorted."""
        status = f"status: {self.status}"
        if self.from_command_line:
            status += " (--status; s or Escape clears it)"
        parts = [status, f"sort: {self.sort} {'↓' if self.descending else '↑'}"]
        if self.day is not None:
            parts.append(f"finished: {self.day.label} (Escape clears)")
        if self.text:
            parts.append(f"filter: {self.text}")
        return " · ".join(parts)
