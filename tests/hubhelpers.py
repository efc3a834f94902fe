"""What the hub and team tests share: a team's names, a member, a record, waiting
with a bound, and a monitor running in a team."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

from batch_tui.api.client import CheckClient
from batch_tui.hub import Hub, Member, Record, team_name
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.monitor.team import Team
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


@asynccontextmanager
async def team_monitor(demo, clock, hub: Hub, *, interval: float = 2.0, key: str = TEST_KEY):
    """A monitor in the hub's team, its loop running; closed (leaving the team) after.
    Batches follow the frozen ``clock``; the team's heartbeats run on the wall clock."""
    monitor = BatchMonitor(
        CheckClient(demo.url, key, clock=clock),
        interval=interval,
        clock=clock,
        team=Team(hub, kind="dashboard", interval=interval, clock=time.time),
    )
    task = asyncio.create_task(monitor.run())
    try:
        yield monitor
    finally:
        await monitor.aclose()
        await asyncio.gather(task, return_exceptions=True)


def leading(monitor: BatchMonitor) -> bool:
    """True while this monitor polls for its team."""
    assert monitor.team is not None
    return monitor.team.team.leading
