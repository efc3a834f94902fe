"""Benchmarks of the polling engine and the dashboard, against the demo server.

Not a test: it measures and prints a table (the README's "Performance" section
quotes it). From the repository root:

    .venv/bin/python tests/benchmark.py            # the full run, about 13 minutes
    .venv/bin/python tests/benchmark.py --quick    # shorter runs, for a rough look

1. Request cost: 200 batches, 20 active, interval 2 s, rate limit off; batch-tui's
   engine against the naive baseline (one loop per batch calling
   GET /v1/batch/:id every interval whatever its status).
2. Budget: limit 20/min, 10 active, interval 1 s; then with simulated other
   clients spending half the budget.
3. UI update cost: one poll result changing 20 rows of a 1,000- and a 10,000-row
   list, to the next frame painted.
4. Idle cost: the real app in a pseudo-terminal, 200 batches / 20 active,
   interval 2 s; and a soak of 10,000 polls on a fast fake clock.
5. Start-up: process start to the first batch rows drawn.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from batch_tui.api.client import CheckClient  # noqa: E402
from batch_tui.api.errors import ApiError  # noqa: E402
from batch_tui.api.models import Batch  # noqa: E402
from batch_tui.clock import FakeClock  # noqa: E402
from batch_tui.monitor.monitor import BatchMonitor, Change, Snapshot  # noqa: E402
from conftest import start_demo_process  # noqa: E402

KEY = "vfy_benchmark_key"
ROOT = Path(__file__).resolve().parents[1]


# ── helpers ──────────────────────────────────────────────────────────────────


@contextmanager
def demo_server(*args: str):
    """``batch-tui demo-server`` in its own process, so its work is not measured as ours."""
    process, url = start_demo_process(*args)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


async def active_ids(url: str) -> list[str]:
    async with CheckClient(url, KEY) as client:
        return [b.id for b in await client.list_all_batches(status="processing") if b.id]


async def all_ids(url: str) -> list[str]:
    async with CheckClient(url, KEY) as client:
        return [b.id for b in await client.list_all_batches() if b.id]


async def sample_ages(last_update, ids: list[str], duration: float) -> list[float]:
    """Every half second, how old each active batch's progress is."""
    ages = []
    end = time.time() + duration
    while time.time() < end:
        await asyncio.sleep(0.5)
        now = time.time()
        ages.extend(now - last_update(batch_id) for batch_id in ids)
    return ages


# ── 1. request cost ──────────────────────────────────────────────────────────


async def engine_cost(url: str, interval: float, duration: float) -> tuple[float, list[float]]:
    active = await active_ids(url)
    client = CheckClient(url, KEY)
    monitor = BatchMonitor(client, interval=interval)
    task = asyncio.create_task(monitor.run())
    while monitor.status.last_success is None:
        await asyncio.sleep(0.05)
    monitor.highlight(active[0])  # the dashboard always has a row highlighted
    start = monitor.requests_sent

    def updated(batch_id: str) -> float:
        return monitor.snapshots[batch_id].updated_at

    ages = await sample_ages(updated, active, duration)
    sent = monitor.requests_sent - start
    await monitor.aclose()
    await task
    return sent / duration * 60, ages


async def baseline_cost(url: str, interval: float, duration: float) -> tuple[float, list[float]]:
    active = await active_ids(url)
    everything = await all_ids(url)
    client = CheckClient(url, KEY)
    last: dict[str, float] = {}
    sent = 0

    async def wait_for_batch(batch_id: str) -> None:
        nonlocal sent
        while True:
            try:
                await client.get_batch(batch_id)
                last[batch_id] = time.time()
            except ApiError:
                pass
            sent += 1
            await asyncio.sleep(interval)

    loops = [asyncio.create_task(wait_for_batch(batch_id)) for batch_id in everything]
    while len(last) < len(everything):
        await asyncio.sleep(0.05)
    start = sent
    ages = await sample_ages(lambda batch_id: last[batch_id], active, duration)
    total = sent - start
    for loop in loops:
        loop.cancel()
    await asyncio.gather(*loops, return_exceptions=True)
    await client.aclose()
    return total / duration * 60, ages


def bench_request_cost(duration: float) -> list[tuple[str, str, str]]:
    interval = 2.0
    rows = []
    results = {}
    for name, runner in (("batch-tui", engine_cost), ("baseline", baseline_cost)):
        with demo_server("--batches", "200", "--active", "20", "--rate-limit", "0") as url:
            per_minute, ages = asyncio.run(runner(url, interval, duration))
        results[name] = per_minute
        rows.append(
            (
                f"1. request cost, {name}",
                f"{per_minute:.0f} req/min; age p50 {percentile(ages, 0.5):.2f} s, "
                f"p95 {percentile(ages, 0.95):.2f} s ({percentile(ages, 0.95) / interval:.2f}x interval)",
                "",
            )
        )
    ratio = results["baseline"] / results["batch-tui"]
    rows.append(
        ("1. request cost, ratio", f"batch-tui sends 1/{ratio:.0f} of the baseline", "<= 1/40")
    )
    rows[0] = (*rows[0][:2], "p95 <= 1.5x")
    return rows


# ── 2. budget ────────────────────────────────────────────────────────────────


async def engine_under_budget(url: str, duration: float) -> tuple[int, int, float, float]:
    active = await active_ids(url)
    client = CheckClient(url, KEY)
    monitor = BatchMonitor(client, interval=1.0)
    task = asyncio.create_task(monitor.run())
    while monitor.status.last_success is None and not monitor.failures:
        await asyncio.sleep(0.05)
    monitor.highlight(active[0])
    await asyncio.sleep(60)
    early = monitor.failures["rate limited"]
    sent_before = monitor.requests_sent
    intervals = []
    end = time.time() + duration - 60
    while time.time() < end:
        await asyncio.sleep(1)
        intervals.append(monitor.scheduler.plan(time.time()).effective_interval)
    late = monitor.failures["rate limited"] - early
    per_minute = (monitor.requests_sent - sent_before) / (duration - 60) * 60
    effective = statistics.median(intervals)
    await monitor.aclose()
    await task
    return early, late, effective, per_minute


def bench_budget(duration: float) -> list[tuple[str, str, str]]:
    rows = []
    for label, extra in (("alone", []), ("others spend half", ["--foreign-load", "10"])):
        with demo_server("--batches", "30", "--active", "10", "--rate-limit", "20", *extra) as url:
            early, late, effective, per_minute = asyncio.run(engine_under_budget(url, duration))
        rows.append(
            (
                f"2. budget 20/min, {label}",
                f"{late} x 429 after the first minute ({early} in it); "
                f"effective interval {effective:.1f} s (median); {per_minute:.1f} req/min",
                "0 x 429",
            )
        )
    return rows


# ── 3. UI update cost ────────────────────────────────────────────────────────


class StaticMonitor(BatchMonitor):
    """A monitor whose snapshots the benchmark sets by hand: no polling, no HTTP."""

    async def run(self) -> None:
        await asyncio.Event().wait()


def fake_snapshots(count: int, now: datetime, generation: int = 0) -> dict[str, Snapshot]:
    snapshots = {}
    for n in range(count):
        batch = Batch(
            id=f"batch_{n:012d}",
            name=f"Benchmark batch {n}",
            status="processing",
            total_items=1000,
            processed_items=(n + generation) % 1000,
            success_count=(n + generation) % 1000,
            failure_count=0,
            total_cost_cents=float(n % 997),
            created_at=now - timedelta(minutes=n % 600),
        )
        snapshots[batch.id] = Snapshot(batch, updated_at=now.timestamp(), planned_interval=2.0)
    return snapshots


async def ui_update_cost(rows: int, repeats: int = 50) -> float:
    from textual._compositor import CompositorUpdate

    from batch_tui.ui.app import BatchTUI
    from batch_tui.ui.messages import MonitorChanged
    from batch_tui.ui.widgets.batch_list import BatchList

    now = datetime(2026, 1, 15, 10, tzinfo=UTC)
    clock = FakeClock(now)
    monitor = StaticMonitor(CheckClient("http://127.0.0.1:9", KEY), clock=clock)
    monitor.snapshots = fake_snapshots(rows, now)
    app = BatchTUI(monitor, clock=clock)
    painted = asyncio.Event()
    applied = False
    stamps: list[float] = []
    original = app._display

    def display(screen, renderable):
        # Only the first frame after the update was applied counts.
        if renderable is not None and applied and not painted.is_set():
            # The headless driver skips writing to a terminal; produce the bytes anyway,
            # so the time includes everything a real paint costs.
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            stamps.append(time.perf_counter())
            painted.set()
        original(screen, renderable)

    timings = []
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        batch_list = app.dashboard.query_one(BatchList)
        apply = batch_list.apply

        def apply_and_mark(*args, **kwargs):
            nonlocal applied
            apply(*args, **kwargs)
            applied = True

        batch_list.apply = apply_and_mark
        app._display = display
        for generation in range(1, repeats + 1):
            changed = [f"batch_{(generation * 37 + k * 7) % 30:012d}" for k in range(20)]
            for batch_id in changed:
                old = monitor.snapshots[batch_id]
                progressed = replace(
                    old.batch, processed_items=(old.batch.processed_items or 0) + 1
                )
                monitor.snapshots[batch_id] = replace(old, batch=progressed)
            await pilot.pause()  # start each round from a quiet screen
            painted.clear()
            stamps.clear()
            applied = False
            start = time.perf_counter()
            app.dashboard.post_message(MonitorChanged(Change(frozenset(changed))))
            await asyncio.wait_for(painted.wait(), timeout=30)
            timings.append(stamps[0] - start)
    return statistics.median(timings) * 1000


def bench_ui() -> list[tuple[str, str, str]]:
    rows = []
    for count, target in ((1_000, "<= 16 ms"), (10_000, "<= 50 ms")):
        median = asyncio.run(ui_update_cost(count))
        rows.append(
            (f"3. UI update, {count:,} rows", f"median {median:.1f} ms to the next frame", target)
        )
    return rows


# ── 4 and 5. the real app in a pseudo-terminal ───────────────────────────────


class PtyApp:
    """The real ``batch-tui`` in a 140x40 pseudo-terminal, its output drained."""

    def __init__(self, url: str, interval: float) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env.update(CHECK_API_KEY=KEY, TERM="xterm-256color", COLORTERM="truecolor")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "batch_tui", "--base-url", url, "--interval", str(interval)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.first_row_at: float | None = None
        self._seen = b""
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            if self.first_row_at is None:
                self._seen = (self._seen + chunk)[-4096:]
                if b"batch_" in self._seen:
                    self.first_row_at = time.perf_counter()

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def quit(self) -> int:
        os.write(self.master, b"q")
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            os.close(self.master)


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_for_rows(app: PtyApp, timeout: float = 30) -> float:
    deadline = time.monotonic() + timeout
    while app.first_row_at is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the app drew no batch rows")
        time.sleep(0.005)
    return app.first_row_at - app.started


def bench_idle(duration: float) -> list[tuple[str, str, str]]:
    with demo_server("--batches", "200", "--active", "20", "--rate-limit", "0") as url:
        app = PtyApp(url, interval=2.0)
        wait_for_rows(app)
        time.sleep(5)  # start-up settles
        cpu_before, wall_before = app.cpu_seconds(), time.monotonic()
        time.sleep(duration)
        cpu = (app.cpu_seconds() - cpu_before) / (time.monotonic() - wall_before) * 100
        rss = app.rss_mb()
        app.quit()
    return [
        (
            "4. idle, 200 batches / 20 active",
            f"CPU {cpu:.1f}% of one core; RSS {rss:.0f} MB",
            "<= 2%, <= 100 MB",
        )
    ]


async def soak(polls: int) -> tuple[float, float]:
    from batch_tui.ui.app import BatchTUI

    with demo_server("--batches", "200", "--active", "20", "--rate-limit", "0") as url:
        clock = FakeClock(time.time())
        monitor = BatchMonitor(CheckClient(url, KEY), interval=2.0, clock=clock)
        app = BatchTUI(monitor, clock=clock)
        async with app.run_test(size=(140, 40)) as pilot:
            warm, before = 1000, None
            while monitor.requests_sent < polls:
                if before is None and monitor.requests_sent >= warm:
                    before = rss_mb()
                clock.advance(1.0)
                monitor.wake()
                await pilot.pause(0.002)
            after = rss_mb()
    return before or after, after


def bench_soak(polls: int) -> list[tuple[str, str, str]]:
    before, after = asyncio.run(soak(polls))
    return [
        (
            f"4. soak, {polls:,} polls",
            f"RSS {before:.0f} MB after 1,000 polls, {after:.0f} MB after {polls:,}: +{after - before:.1f} MB",
            "<= +5 MB",
        )
    ]


def bench_start(runs: int = 5) -> list[tuple[str, str, str]]:
    times = []
    with demo_server("--batches", "200", "--active", "20", "--rate-limit", "0") as url:
        for _ in range(runs):
            app = PtyApp(url, interval=2.0)
            times.append(wait_for_rows(app))
            app.quit()
    return [
        (
            "5. start-up to first rows",
            f"median {statistics.median(times):.2f} s of {runs} (min {min(times):.2f}, max {max(times):.2f})",
            "<= 1.0 s",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (figures are rougher)")
    parser.add_argument(
        "--only", type=int, choices=range(1, 6), action="append", help="run only these"
    )
    args = parser.parse_args()
    cost_seconds, budget_seconds, idle_seconds, polls = (
        (30, 90, 15, 2000) if args.quick else (120, 180, 60, 10_000)
    )
    wanted = set(args.only or range(1, 6))
    rows: list[tuple[str, str, str]] = []
    started = time.monotonic()
    for number, run in (
        (1, lambda: bench_request_cost(cost_seconds)),
        (2, lambda: bench_budget(budget_seconds)),
        (3, bench_ui),
        (4, lambda: bench_idle(idle_seconds) + bench_soak(polls)),
        (5, bench_start),
    ):
        if number in wanted:
            new = run()
            rows.extend(new)
            for row in new:
                print(f"  {row[0]}: {row[1]}", file=sys.stderr, flush=True)
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"\n| {'benchmark':<{width}} | {'result':<{value_width}} | target |")
    print(f"|{'-' * (width + 2)}|{'-' * (value_width + 2)}|--------|")
    for name, value, target in rows:
        print(f"| {name:<{width}} | {value:<{value_width}} | {target} |")
    print(
        f"\n{os.cpu_count()} cores, Python {sys.version.split()[0]}, {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
