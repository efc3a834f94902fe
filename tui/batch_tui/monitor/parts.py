"""What the monitor's parts (commands, listing, actions, the store link) may use of
one another: its state and a few methods, declared once so each part type-checks
on its own. ``BatchMonitor`` sets every attribute in ``__init__``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from batch_tui.api.client import CheckClient
from batch_tui.api.models import Batch
from batch_tui.core.clock import Clock
from batch_tui.monitor.budget import Budget
from batch_tui.monitor.fleet import Fleet
from batch_tui.monitor.scheduler import Scheduler
from batch_tui.monitor.snapshot import CancelOutcome, Change, ItemErrors, MonitorStatus, Snapshot

if TYPE_CHECKING:
    from batch_tui.monitor.persist import StoreLink


class MonitorParts:
    """The monitor's shared state (see the module docstring)."""

    client: CheckClient
    clock: Clock
    status_filter: str | None
    budget: Budget
    scheduler: Scheduler
    fleet: Fleet
    watched: tuple[str, ...]
    item_errors: dict[str, ItemErrors]
    store: StoreLink
    status: MonitorStatus
    _wake: asyncio.Event
    _lock: asyncio.Lock
    _cancelling: set[str]
    _user_paused: bool
    _dirty: set[str]
    _listed: set[str]
    _order_ok_until: dict[str, float | None]
    _known_at_walk_start: dict[str, int]
    _history_from: int | None
    gap_before: str | None
    server_total: int | None
    """The first row after a gap in the list (rows let go above it, see
    ``window``): history is wanted when the cursor comes near it."""

    if TYPE_CHECKING:
        # Declared for the type checker only, so they never shadow the real ones.
        def _sending(self) -> None: ...
        def _answered(self) -> None: ...
        def _emit(self, change: Change) -> None: ...
        def _update_status(self, **changes: Any) -> None: ...
        def _change(
            self, changed: set[str], removed: frozenset[str] = ..., *, reordered: bool = ...
        ) -> Change: ...
        def _replan(self) -> set[str]: ...
        async def _fetch(self, batch_id: str) -> Change: ...
        def _save(self) -> None: ...
        def _outside_filter(self, batch_id: str, status: str | None) -> bool: ...
        def _want_item_errors(self, snapshot: Snapshot, now: float) -> None: ...
        def _add_stored(self, rows: list[Snapshot]) -> None: ...
        def _check_gate(self) -> None: ...
        def _place_history_walk(self) -> None: ...
        def _history_loaded(self, batches: list[Batch]) -> None: ...
        async def _reread(self, batch_id: str) -> str | None: ...
        async def _cancel_and_verify(
            self, batch_id: str, *, reread: bool = ...
        ) -> CancelOutcome: ...
