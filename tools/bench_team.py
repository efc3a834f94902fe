"""Benchmark 9: one poller per organisation, side by side in one run.

Real dashboards in pseudo-terminals (140x40) against one demo server in this
process (200 finished and 3 running batches, new ones created as old ones finish,
limit 200/min, interval 2 s): 1, 5 and 10 dashboards sharing one host's state
directory, and 3 "hosts" (separate state directories) sharing a real redis-server.
For each:

* requests a minute after the first minute, all processes together, and 429s;
* the p95 age of the running batches' data (since the server last served each) plus
  the p95 time from the first screen drawing a poll's result (the status line's
  "updated HH:MM:SS", new at every poll) to each other screen drawing it: the age a
  follower's screen shows is at most the leader's plus that;
* failover: the leader is killed (SIGKILL) and the gap between the last request
  before and the first after is measured (one interval is the target);
* the leader's and a follower's CPU (share of one core) and RSS.

Run through ``benchmark.py --only 9`` (``--quick`` for shorter runs).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from batch_tui.demo.catalog import SteadyCatalog
from batch_tui.demo.server import DemoServer
from batch_tui.demo.simulator import Simulator
from batch_tui.hub import team_name
from helpers import free_port  # tests/ is on the path: benchmark.py puts it there

SEED = 11
HISTORY = 200
ACTIVE = 3
LIMIT = 200
INTERVAL = 2.0


class Redis:
    """A throwaway redis-server on a free loopback port, keeping nothing on disk."""

    def __init__(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        self.port = free_port()
        self.dir = tempfile.TemporaryDirectory(prefix="batch-tui-redis-")
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir.name],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def leader_pid(self, team: str) -> int | None:
        import redis

        client = redis.Redis(port=self.port)
        leader = client.get(f"batch-tui:{team}:leader")
        body = client.hget(f"batch-tui:{team}:members", leader) if leader else None
        return json.loads(body)["pid"] if body else None

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        self.dir.cleanup()


def local_leader_pid(state_dir: Path, team: str) -> int | None:
    """The pid of the member the host's team file names as leader."""
    with sqlite3.connect(state_dir / "store" / f"team-{team}.db") as db:
        row = db.execute(
            "SELECT m.body FROM meta JOIN members m ON m.id = meta.value WHERE meta.key = 'leader'"
        ).fetchone()
    return json.loads(row[0])["pid"] if row else None


def run_config(label: str, apps: int, hosts: int, warmup: float, measure: float) -> dict:
    """One configuration: ``apps`` dashboards over ``hosts`` state directories (more
    than one host: through Redis)."""
    from benchmark import KEY, PtyApp, RecordingApi, percentile, running_batches, wait_for_rows

    fleet = HISTORY + ACTIVE
    epoch = time.time() - 30
    simulator = Simulator(seed=SEED, epoch=epoch, fleet=fleet, active=ACTIVE)
    truth = SteadyCatalog(SEED, epoch, fleet, ACTIVE)
    api = RecordingApi(simulator, rate_limit=LIMIT)
    redis = Redis() if hosts > 1 else None
    states = [tempfile.TemporaryDirectory(prefix="batch-tui-bench-") for _ in range(hosts)]
    result: dict = {"label": label}
    try:
        with DemoServer(api) as server:
            args = ("--hub", redis.url) if redis else ()
            screens = []
            for n in range(apps):
                state = Path(states[n % hosts].name)
                screens.append(PtyApp(server.url, INTERVAL, state_dir=state, args=args))
            for app in screens:
                wait_for_rows(app)
            wall0 = time.time()
            stamps: set[str] = set()
            ages: list[float] = []
            cpu0 = {app.process.pid: app.cpu_seconds() for app in screens}
            while time.time() < wall0 + warmup + measure:
                time.sleep(0.5)
                now = time.time()
                if now >= wall0 + warmup:
                    for second in range(int(now) + 1, int(now) + 3):
                        stamp = "updated " + time.strftime("%H:%M:%S", time.localtime(second))
                        if stamp not in stamps:
                            stamps.add(stamp)
                            for app in screens:
                                app.watch_for(stamp)
                for batch_id, created in running_batches(truth, now):
                    if now >= wall0 + warmup:
                        ages.append(now - max(api.last_served.get(batch_id, created), created))
            end = time.time()
            spent = {
                app.process.pid: (app.cpu_seconds() - cpu0[app.process.pid]) / (end - wall0) * 100
                for app in screens
            }
            team = team_name(server.url, KEY)
            leader_pid = (
                redis.leader_pid(team)
                if redis
                else local_leader_pid(Path(states[0].name), team)
            )
            steady = [at for at, _ in api.answers if wall0 + warmup <= at <= end]
            result["per_minute"] = len(steady) / (end - wall0 - warmup) * 60
            result["429"] = sum(1 for _, status in api.answers if status == 429)
            result["age_p95"] = percentile(ages, 0.95)
            lags = []
            for stamp in stamps:
                drawn = [app.drawn[stamp] for app in screens if stamp in app.drawn]
                if len(drawn) == len(screens) and len(drawn) > 1:
                    first = min(drawn)
                    lags += [at - first for at in drawn if at != first]
            result["lag_p95"] = percentile(lags, 0.95) if lags else None
            result["polls_seen"] = len(lags)
            leader = next((a for a in screens if a.process.pid == leader_pid), None)
            followers = [a for a in screens if a is not leader]
            result["leader_cpu"] = spent[leader_pid] if leader else None
            result["leader_rss"] = leader.rss_mb() if leader else None
            result["follower_cpu"] = (
                statistics.median(spent[a.process.pid] for a in followers) if followers else None
            )
            result["follower_rss"] = (
                statistics.median(a.rss_mb() for a in followers) if followers else None
            )
            # Failover: kill the leader, then see how long the server went unasked.
            result["failover"] = None
            if leader is not None and followers:
                killed_at = time.time()
                os.kill(leader.process.pid, signal.SIGKILL)
                leader.process.wait()
                deadline = killed_at + 15
                while time.time() < deadline:
                    if any(at > killed_at + 0.05 for at, _ in api.answers):
                        break
                    time.sleep(0.05)
                before = [at for at, _ in api.answers if at <= killed_at]
                after = [at for at, _ in api.answers if at > killed_at]
                if before and after:
                    result["failover"] = min(after) - max(before)
            for app in screens:
                if app.process.poll() is None:
                    app.quit()
    finally:
        if redis is not None:
            redis.close()
        for state in states:
            state.cleanup()
    return result


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def bench_team(warmup: float, measure: float) -> list[tuple[str, str, str]]:
    """Benchmark 9: every configuration in one run; returns the table's rows."""
    configs = [
        ("1 dashboard", 1, 1),
        ("5 dashboards, one host", 5, 1),
        ("10 dashboards, one host", 10, 1),
        ("3 hosts, Redis hub", 3, 3),
    ]
    results = [run_config(label, apps, hosts, warmup, measure) for label, apps, hosts in configs]
    alone = results[0]["per_minute"]
    rows = []
    for r in results:
        ratio = r["per_minute"] / alone if alone else float("nan")
        rows.append(
            (
                f"9. team: {r['label']}",
                f"{r['per_minute']:.1f} req/min ({ratio:.2f}x one), {r['429']} x 429; "
                f"age p95 {_fmt(r['age_p95'], ' s')} + screen lag p95 "
                f"{_fmt(r['lag_p95'], ' s', 2)}; failover gap {_fmt(r['failover'], ' s')}; "
                f"CPU leader {_fmt(r['leader_cpu'], '%', 2)} / follower "
                f"{_fmt(r['follower_cpu'], '%', 2)}; RSS leader {_fmt(r['leader_rss'], ' MB', 0)}"
                f" / follower {_fmt(r['follower_rss'], ' MB', 0)}",
                "within 5% of one; 0 x 429; age <= 3 s; lag <= 0.5 s; gap <= 2 s",
            )
        )
    return rows
