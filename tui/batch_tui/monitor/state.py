"""``MonitorState``: what the monitor's collaborators share, in one small object.

The request gate, the lister, the canceller, the window, the store's rows and the
status builder each get this state and, in their constructors, the few other
collaborators they call; none reaches into another's attributes. The state holds
what more than one of them reads or writes, and the two things every step ends
with: telling the UI (``emit``) and gathering the events noticed (``change``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from batch_tui.api.client import CheckClient
from batch_tui.core.clock import Clock
from batch_tui.monitor.budget import Budget
from batch_tui.monitor.fleet import Fleet
from batch_tui.monitor.persist import StoreLink
from batch_tui.monitor.scheduler import Scheduler
from batch_tui.monitor.snapshot import Change, ItemErrors, MonitorStatus


@dataclass(eq=False)
class MonitorState:
    """The monitor's shared state (see the module docstring)."""

    client: CheckClient
    clock: Clock
    budget: Budget
    scheduler: Scheduler
    fleet: Fleet
    store: StoreLink
    status_filter: str | None = None
    """Only batches in this status are listed (the user's named ones stay)."""
    watched: tuple[str, ...] = ()
    """Batch ids the user named; they stay even when the list does not show them."""
    status: MonitorStatus = field(default_factory=MonitorStatus)
    on_change: Callable[[Change], None] | None = None
    item_errors: dict[str, ItemErrors] = field(default_factory=dict)
    """The failed items of recently highlighted batches, for the errors table."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    """Set to make the loop re-plan at once."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while a request is on its way: no two ever overlap."""
    cancelling: set[str] = field(default_factory=set)
    """Batches with a cancel in flight (or waiting in a cancel of many)."""
    user_paused: bool = False
    dirty: set[str] = field(default_factory=set)
    """Batches changed since the last write to the store (and publish to the team)."""
    listed: set[str] = field(default_factory=set)
    """Batches some list showed (a named batch no list shows can be dropped)."""
    gap_before: str | None = None
    """The first row after a gap in the list (rows let go above it, see
    ``window``): history is wanted when the cursor comes near it."""
    history_from: int | None = None
    """Where the server's history walk starts again after the window let rows go."""
    most_listed: int = 0
    """The most batches ``listed`` ever held: rows the window let go still count."""
    server_total: int | None = None
    """How many batches the server's list says it has (its ``pagination.total``, as
    last read; None until a page has said)."""
    requests_sent: int = 0
    """Every request sent since start (polls, results pages and cancels)."""
    failures: Counter[str] = field(default_factory=Counter)
    """Failed requests since start, by kind (``rate limited``, ``timeout``…)."""

    def emit(self, change: Change) -> None:
        """Tell the UI what changed."""
        if self.on_change is not None:
            self.on_change(change)

    def change(
        self, changed: set[str], removed: frozenset[str] = frozenset(), *, reordered: bool = False
    ) -> Change:
        """A Change carrying the finishes and alarms noticed since the last one."""
        finished, alarms, events = self.fleet.take_events()
        return Change(frozenset(changed), removed, reordered, finished, alarms, events)

    def outside_filter(self, batch_id: str, status: str | None) -> bool:
        """True when a status filter is on and this batch (not named by the user) left it."""
        return (
            self.status_filter is not None
            and status != self.status_filter
            and batch_id not in self.watched
        )
