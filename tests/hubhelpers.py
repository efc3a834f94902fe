"""What the hub tests share: a team's names, a member, a record, and waiting with a bound."""

from __future__ import annotations

import asyncio
import time

from batch_tui.hub import Member, Record, team_name
from helpers import EPOCH, TEST_KEY

BASE_URL = "https://api.example.test/v1"


TEAM = team_name(BASE_URL, TEST_KEY)


OTHER_TEAM = team_name(BASE_URL, TEST_KEY + "_other")


def member(member_id: str, *, kind: str = "dashboard", interval: float = 2.0) -> Member:
    """A member as a process describes itself (the hub stamps the heartbeat's time)."""
    return Member(member_id, "host-a", 4242, kind, interval)


def record(batch_id: str, completed: int = 0, at: float = EPOCH) -> Record:
    """A processing batch's record, ``completed`` items of 10 done."""
    batch = {"id": batch_id, "status": "processing", "completed": completed, "total": 10}
    return Record(batch, at)


async def within(seconds: float, awaitable) -> float:
    """Await it, failing when it takes longer than ``seconds``; returns how long it took."""
    started = time.monotonic()
    await asyncio.wait_for(awaitable, seconds)
    return time.monotonic() - started
