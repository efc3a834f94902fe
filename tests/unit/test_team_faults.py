"""The team when things go wrong, against the real things: a real redis-server that
is lost, restarted empty or never there, team members in processes of their own
that are frozen (SIGSTOP) or killed (SIGKILL), and a directory no team file can be
written to. Every monitor talks real HTTP to the loopback demo server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_tui.hub import team_name
from batch_tui.hub.local import LocalHub
from batch_tui.hub.redis import RedisHub
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.monitor.team import Team
from helpers import TEST_KEY, free_port, wait_until
from hubhelpers import leading, team_monitor

MEMBER = Path(__file__).parents[1] / "team_member.py"


def member(demo, clock, hub, *, interval=2.0):
    """A monitor in the hub's team."""
    return team_monitor(demo, clock, hub, interval=interval)


def polls(monitor: BatchMonitor) -> bool:
    assert monitor.team is not None
    return monitor.team.team.polls


def redis_hub(server, demo) -> RedisHub:
    return RedisHub(server.url, team_name(demo.url, TEST_KEY))


async def test_two_dashboards_share_one_poller_through_redis(demo, clock, redis_server):
    async with (
        member(demo, clock, redis_hub(redis_server, demo)) as first,
        member(demo, clock, redis_hub(redis_server, demo)) as second,
    ):
        await wait_until(lambda: leading(first) or leading(second))
        leader, follower = (first, second) if leading(first) else (second, first)
        await wait_until(
            lambda: bool(follower.snapshots) and set(follower.snapshots) == set(leader.snapshots)
        )
        assert follower.requests_sent == 0 and not leading(follower)
        host = f"127.0.0.1:{redis_server.port}"
        await wait_until(lambda: (follower.status.team or "").startswith(f"hub: {host}, leader on "))
        await wait_until(lambda: leader.status.team == f"hub: {host}, polling for 2 dashboards")


async def test_an_unreachable_hub_means_polling_alone_and_saying_so(demo, clock):
    hub = RedisHub(f"redis://127.0.0.1:{free_port()}/0", team_name(demo.url, TEST_KEY))
    async with member(demo, clock, hub) as alone:
        await wait_until(lambda: alone.requests_sent > 0, timeout=10)
        assert polls(alone)
        assert "polling alone" in (alone.status.team or "")


async def test_a_lost_hub_means_polling_alone_until_it_returns_without_spinning(
    demo, clock, redis_server, monkeypatch
):
    """While the hub is lost, each member polls alone and waits for its retry: it
    once spun through its team loop 80,000 times a second (a core at 100%) when a
    wake-up had been asked for before the hub failed."""
    steps: list[bool] = []
    real_step = Team._step

    async def counted(self, host):
        steps.append(self.problem is not None)
        return await real_step(self, host)

    monkeypatch.setattr(Team, "_step", counted)
    async with (
        member(demo, clock, redis_hub(redis_server, demo)) as first,
        member(demo, clock, redis_hub(redis_server, demo)) as second,
    ):
        await wait_until(lambda: leading(first) or leading(second))
        redis_server.stop()
        await wait_until(lambda: polls(first) and polls(second), timeout=20)
        assert "polling alone" in (first.status.team or "")
        lost = len(steps)
        await asyncio.sleep(1)  # a second of the outage (RETRY_EVERY is longer)
        assert len(steps) - lost <= 4
        redis_server.start()  # back on the same port, empty
        await wait_until(lambda: leading(first) != leading(second), timeout=20)
        await wait_until(lambda: polls(first) != polls(second), timeout=20)


async def test_the_team_reforms_after_redis_restarts_empty(demo, clock, redis_server):
    async with (
        member(demo, clock, redis_hub(redis_server, demo)) as first,
        member(demo, clock, redis_hub(redis_server, demo)) as second,
    ):
        await wait_until(lambda: leading(first) or leading(second))
        redis_server.restart()
        await wait_until(lambda: leading(first) != leading(second), timeout=20)
        leader, follower = (first, second) if leading(first) else (second, first)
        sent = follower.requests_sent
        clock.advance(10)
        leader.wake()
        await wait_until(lambda: not polls(follower) and leader.requests_sent > 0, timeout=10)
        assert follower.requests_sent == sent


def start_member(base_url: str, kind: str, where: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(MEMBER), base_url, TEST_KEY, kind, where],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def said(process: subprocess.Popen, word: str, timeout: float = 20) -> None:
    """Wait (bounded) for the member process to print ``word``."""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.strip() == word:
            return
    raise AssertionError(f"the member never said {word!r}")


async def test_a_frozen_leader_is_replaced_and_follows_once_it_wakes(demo, clock, redis_server):
    leader = start_member(demo.url, "redis", redis_server.url)
    try:
        await asyncio.to_thread(said, leader, "leading")
        async with member(demo, clock, redis_hub(redis_server, demo)) as follower:
            await wait_until(lambda: bool(follower.snapshots))
            assert not leading(follower)
            leader.send_signal(signal.SIGSTOP)
            await wait_until(lambda: leading(follower), timeout=15)
            leader.send_signal(signal.SIGCONT)
            await asyncio.to_thread(said, leader, "following")
            assert leading(follower)
    finally:
        leader.kill()
        leader.wait()


async def test_a_killed_leader_is_replaced_at_once_on_one_host(demo, clock, tmp_path):
    leader = start_member(demo.url, "local", str(tmp_path))
    try:
        await asyncio.to_thread(said, leader, "leading")
        hub = LocalHub(tmp_path, team_name(demo.url, TEST_KEY))
        async with member(demo, clock, hub) as follower:
            await wait_until(lambda: bool(follower.snapshots))
            assert not leading(follower)
            leader.kill()  # SIGKILL: no goodbye; the kernel lets go of its lock
            leader.wait()
            await wait_until(lambda: leading(follower), timeout=5)
    finally:
        leader.kill()
        leader.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make an unprivileged user's view")
def test_a_directory_no_team_file_can_be_written_to_means_polling_alone(tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(directory, 0o555)
    probe = (
        "import asyncio, os, sys\n"
        "from pathlib import Path\n"
        "from batch_tui.hub.local import LocalHub\n"
        "from batch_tui.hub import HubUnavailable\n"
        "import sqlite3, encodings.idna, concurrent.futures.thread  # loaded before giving up root\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "try:\n"
        "    asyncio.run(LocalHub(Path(sys.argv[1]), 'team').start())\n"
        "except HubUnavailable as exc:\n"
        "    print('unavailable:', exc)\n"
        "else:\n"
        "    print('started')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(directory / "store")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.stdout.startswith("unavailable: cannot share through"), result.stderr
    assert "Traceback" not in result.stderr


async def test_garbage_in_redis_is_ignored_with_a_notice(demo, clock, redis_server):
    import redis

    team = team_name(demo.url, TEST_KEY)
    async with (
        member(demo, clock, redis_hub(redis_server, demo)) as first,
        member(demo, clock, redis_hub(redis_server, demo)) as second,
    ):
        await wait_until(lambda: leading(first) or leading(second))
        leader, follower = (first, second) if leading(first) else (second, first)
        await wait_until(lambda: bool(follower.snapshots))
        raw = redis.Redis.from_url(redis_server.url)
        seq = int(raw.get(f"batch-tui:{team}:seq")) + 1
        raw.hset(f"batch-tui:{team}:records", "batch_evil", b"\x00not json{[")
        raw.zadd(f"batch-tui:{team}:order", {"batch_evil": seq})
        raw.set(f"batch-tui:{team}:seq", seq)
        clock.advance(5)
        leader.wake()  # its next publish wakes the follower, which reads the garbage too
        await wait_until(lambda: "unreadable values from the team ignored" in (follower.status.team or ""))
        assert "batch_evil" not in follower.snapshots
        assert not leading(follower) and follower.requests_sent == 0
