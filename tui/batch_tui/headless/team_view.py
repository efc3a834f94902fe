"""What ``status`` and ``watch`` read from their team instead of asking the server.

When a dashboard (or several) already polls this organisation, on this host or
through the Redis hub, a script can read what the team's leader published and
cost the organisation's rate limit nothing. ``--direct`` (or ``--solo``, or no
live leader) asks the server instead, as before. What is read is parsed as
leniently as a server answer: a record that is not a batch is skipped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from batch_tui.api.models import Batch
from batch_tui.hub import Hub, HubUnavailable, Record, make_hub
from batch_tui.settings.config import Settings
from batch_tui.store import store_dir

#: How long reading the team may take before the script asks the server instead.
READ_DEADLINE = 5.0


@dataclass
class TeamView:
    """The batches the team's leader published, with when each was fetched."""

    label: str
    """Where the team meets: ``this host`` or ``hub: HOST:PORT``."""
    batches: dict[str, Batch] = field(default_factory=dict)
    updated_at: dict[str, float] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    """Batches the leader found the server does not know."""
    status: dict[str, Any] | None = None
    """The leader's connection status, as published."""
    cursor: int = 0

    def take(self, records: Iterable[Record]) -> set[str]:
        """Apply these records; returns the ids that changed."""
        changed = set()
        for record in records:
            try:
                batch = Batch.from_json(record.batch)
            except (ValueError, TypeError, RecursionError):
                continue
            if not batch.id:
                continue
            if record.not_found:
                self.missing.add(batch.id)
            else:
                self.missing.discard(batch.id)
                self.batches[batch.id] = batch
                self.updated_at[batch.id] = record.updated_at
            changed.add(batch.id)
        return changed

    def newest_first(self) -> list[Batch]:
        """Every batch, newest first (as the list endpoint orders them)."""
        return sorted(
            self.batches.values(),
            key=lambda b: (b.created_at.timestamp() if b.created_at else 0.0, b.id or ""),
            reverse=True,
        )


class TeamReader:
    """A connection to the team for one script: ``open`` finds a live leader (None:
    there is none, or sharing is off), ``follow`` waits for what it publishes next."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.view = TeamView(hub.label)

    @classmethod
    async def open(cls, settings: Settings) -> TeamReader | None:
        """Connect and read everything published, when a leader lives; otherwise None
        (``--direct``, ``--solo``, the demo, an unusable hub, or nobody polls)."""
        if settings.direct or settings.solo or settings.demo:
            return None
        try:
            hub = make_hub(settings.base_url, settings.api_key or "", settings.hub, store_dir())
        except HubUnavailable:
            return None
        reader = cls(hub)
        try:
            async with asyncio.timeout(READ_DEADLINE):
                await hub.start()
                if await hub.leader() is None:
                    await hub.close()
                    return None
                await reader.read_all()
        except (HubUnavailable, TimeoutError):
            await hub.close()
            return None
        return reader

    async def read_all(self) -> set[str]:
        """Read whatever was published since the last read (in pieces, however much)."""
        changed: set[str] = set()
        while True:
            records, status, cursor = await self.hub.read(self.view.cursor)
            if status is not None:
                self.view.status = status
            changed |= self.view.take(records)
            done = cursor == self.view.cursor or not records
            self.view.cursor = cursor
            if done:
                return changed

    async def follow(self, timeout: float) -> set[str] | None:
        """Wait up to ``timeout`` seconds for the leader's next publish; the ids that
        changed, or None when the team has no leader any more (or the hub failed):
        the caller then asks the server itself."""
        try:
            await self.hub.wait(timeout)
            changed = await self.read_all()
            if not changed and await self.hub.leader() is None:
                return None
            return changed
        except HubUnavailable:
            return None

    def age(self, batch_id: str) -> float | None:
        """Seconds since the leader fetched this batch."""
        at = self.view.updated_at.get(batch_id)
        return None if at is None else max(0.0, time.time() - at)

    async def close(self) -> None:
        """Let go of the hub."""
        await self.hub.close()
