"""Benchmarks of the polling engine and the dashboard, against the demo server.

Not a test: it measures and prints a table (docs/performance.md
quotes it). From the repository root:

    .venv/bin/python tools/benchmark.py            # the full run, about 32 minutes
    .venv/bin/python tools/benchmark.py --quick    # shorter runs, for a rough look
    .venv/bin/python tools/benchmark.py --only 6   # one benchmark (repeatable)
    .venv/bin/python tools/benchmark.py --only 8   # idle CPU against Textual's own, ~1.5 min
    .venv/bin/python tools/benchmark.py --only 9   # one poller per organisation, ~13 min

1. Request cost: 200 batches, 20 active, interval 2 s, rate limit off; batch-tui's
   engine against the naive baseline (one loop per batch calling
   GET /v1/batch/:id every interval whatever its status).
2. Budget: limit 20/min, 10 active, interval 1 s; then with simulated other
   clients spending half the budget.
3. UI update cost: one poll result changing 20 rows of a 1,000- and a 10,000-row
   list, to the next frame painted.
4. Idle cost: the real app in a pseudo-terminal, 200 batches / 20 active,
   interval 2 s; and a soak of 10,000 polls on a fast fake clock.
5. Start-up: process start to the first batch rows drawn, each run followed by one
   of an empty Textual app (tools/reference_app.py --empty) as the floor; and what
   importing batch_tui.cli, batch_tui.session (the app) and textual.app costs. Both
   run from compiled bytecode, as installed: batch-tui's is compiled first (an
   install compiles it, and a checkout caches it on its first run, but not where
   PYTHONDONTWRITEBYTECODE is set: every start would then compile ~600 KB of source).
6. History: cost follows activity, not history. Side by side, 200, 2,000, 20,000
   and 100,000 finished batches with 20 active, limit 200/min, interval 2 s. The
   demo server runs in this process and notes every answer and which batches it
   carried; the real app runs in a pseudo-terminal, cold (empty state directory)
   for 4 minutes (90 s with --quick), then warm from its store, filled beforehand
   with every batch of the fleet. Measured: time to first rows cold and warm;
   requests a minute after the first minute; the busiest sliding minute and the
   429s (both runs); the p95 age of the running batches' data (since the server
   last served each); how long after its creation a new batch was first served,
   and that the list shows it; RSS cold, and warm once every stored row is read.
7. History screen (h): a store of 200,000 finished batches, every one of them in
   the last 30 days (the most the query can meet); the 30 days summed, one day's
   batches listed, and the one-time upgrade of such a store from schema 1.
8. Idle cost against Textual's own: the real app in 140x40 pseudo-terminals,
   interval 2 s, 200 batches / 20 active with the store off and on, and 10,000
   batches / 20 active with the store on, each beside its own reference Textual
   app doing the same visible work (tools/reference_app.py: 40 rows, 20 changed
   every 2 s, each its own widget updated only when it changed, a status line
   redrawn every second), one pair at a time, the pair's CPU measured over the same
   60 s (20 s with --quick): the ratio is the figure, as absolute ones vary between
   machines.
9. One poller per organisation (``bench_team.py``): 1, 5 and 10 dashboards on one
   host, and 3 hosts sharing a Redis hub, side by side.
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
import tempfile
import termios
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
# The app keeps its watch list and local store here, never in the user's own state directory.
os.environ.setdefault("BATCH_TUI_STATE_DIR", tempfile.mkdtemp(prefix="batch-tui-state-"))
# The shared test helpers (the demo server in its own process) live in tests/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_team import bench_team

from batch_tui.api.client import CheckClient  # noqa: E402
from batch_tui.api.errors import ApiError  # noqa: E402
from batch_tui.api.models import Batch  # noqa: E402
from batch_tui.core.clock import FakeClock  # noqa: E402
from batch_tui.demo.catalog import SteadyCatalog  # noqa: E402
from batch_tui.demo.server import DemoApi, DemoServer  # noqa: E402
from batch_tui.demo.simulator import Simulator  # noqa: E402
from batch_tui.monitor.monitor import BatchMonitor, Change, Snapshot  # noqa: E402
from batch_tui.store import Store, StoredBatch  # noqa: E402
from helpers import start_demo_process

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
                f"p95 {percentile(ages, 0.95):.2f} s "
                f"({percentile(ages, 0.95) / interval:.2f}x interval)",
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
    from batch_tui.ui.connection import Connection
    from batch_tui.ui.messages import MonitorChanged
    from batch_tui.ui.widgets.batch_list import BatchList

    now = datetime(2026, 1, 15, 10, tzinfo=UTC)
    clock = FakeClock(now)
    monitor = StaticMonitor(CheckClient("http://127.0.0.1:9", KEY), clock=clock)
    monitor.fleet.snapshots = fake_snapshots(rows, now)
    app = BatchTUI(Connection(monitor), clock=clock)
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
    """The real ``batch-tui`` in a 140x40 pseudo-terminal, its output drained.

    ``state_dir`` is its ``$BATCH_TUI_STATE_DIR`` (the watch list and the local
    store); by default a fresh empty one, so nothing of the user's is read or written.
    ``watch_for`` notes when a string (a batch id) is first drawn.
    """

    TAIL = 256 * 1024
    """Bytes of recent output kept, to find a string drawn just before it was asked for."""

    def __init__(
        self,
        url: str,
        interval: float,
        *,
        state_dir: Path | None = None,
        args: tuple[str, ...] = (),
        command: list[str] | None = None,
    ) -> None:
        """``args``: more of batch-tui's options (``--no-store``); ``command``: run this
        instead of batch-tui (the reference apps), in the same terminal."""
        if state_dir is None:
            self._own_state = tempfile.TemporaryDirectory(prefix="batch-tui-bench-")
            state_dir = Path(self._own_state.name)
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
        # The product as users run it: the tests' BATCH_TUI_SOLO (set by conftest) is
        # not passed on.
        env = {
            k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "BATCH_TUI_SOLO")
        }
        env.update(
            CHECK_API_KEY=KEY,
            TERM="xterm-256color",
            COLORTERM="truecolor",
            BATCH_TUI_STATE_DIR=str(state_dir),
        )
        self.started = time.perf_counter()
        if command is None:
            command = [sys.executable, "-m", "batch_tui", "--base-url", url]
            command += ["--interval", str(interval), *args]
        self.process = subprocess.Popen(
            command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.first_row_at: float | None = None
        self.bytes_out = 0
        """Bytes the app has written to its terminal."""
        self.drawn: dict[str, float] = {}
        """When each watched string was first seen in the output (``perf_counter``)."""
        self._watched: set[bytes] = set()
        self._lock = threading.Lock()
        self._seen = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def watch_for(self, text: str) -> None:
        """Note when ``text`` is drawn (it may have been drawn a moment ago already)."""
        with self._lock:
            if text in self.drawn:
                return
            if text.encode() in self._seen:
                self.drawn[text] = time.perf_counter()
            else:
                self._watched.add(text.encode())

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.bytes_out += len(chunk)
                self._seen += chunk
                if len(self._seen) > 2 * self.TAIL:
                    del self._seen[: -self.TAIL]
                recent = bytes(self._seen[-(len(chunk) + 64) :])  # a string may span reads
                if self.first_row_at is None and b"batch_" in recent:
                    self.first_row_at = time.perf_counter()
                for text in [t for t in self._watched if t in recent]:
                    self._watched.discard(text)
                    self.drawn[text.decode()] = time.perf_counter()

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
    from batch_tui.ui.connection import Connection

    with demo_server("--batches", "200", "--active", "20", "--rate-limit", "0") as url:
        clock = FakeClock(time.time())
        monitor = BatchMonitor(CheckClient(url, KEY), interval=2.0, clock=clock)
        app = BatchTUI(Connection(monitor), clock=clock)
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
            f"RSS {before:.0f} MB after 1,000 polls, "
            f"{after:.0f} MB after {polls:,}: +{after - before:.1f} MB",
            "<= +5 MB",
        )
    ]


#: The reference Textual apps (``tools/reference_app.py``): the dashboard's visible
#: work and nothing else, and one line of text (start-up's floor).
REFERENCE = [sys.executable, str(ROOT / "tools" / "reference_app.py")]
EMPTY_APP = [*REFERENCE, "--empty"]


def import_seconds(module: str) -> float:
    """What importing ``module`` costs a fresh interpreter (``-X importtime``'s total)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in reversed(done.stderr.splitlines()):
        fields = line.split("|")
        if len(fields) == 3 and fields[2].strip() == module:
            return int(fields[1]) / 1e6
    raise RuntimeError(f"no import time for {module}")


def compile_package() -> None:
    """Compile batch-tui's bytecode, as an install does (Textual's came compiled with it)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "tui" / "batch_tui")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def bench_start(runs: int = 5) -> list[tuple[str, str, str]]:
    """Start-up to first rows, each run followed by one of an empty Textual app (the
    same terminal, the same machine, the same moment): the floor it is measured against."""
    compile_package()
    times, empty = [], []
    with demo_server("--batches", "200", "--active", "20", "--rate-limit", "0") as url:
        for _ in range(runs):
            app = PtyApp(url, interval=2.0)
            times.append(wait_for_rows(app))
            app.quit()
            reference = PtyApp(url, 2.0, command=EMPTY_APP)
            empty.append(wait_for_rows(reference))
            reference.quit()
    imports = {m: import_seconds(m) for m in ("batch_tui.cli", "batch_tui.session", "textual.app")}
    return [
        (
            "5. start-up to first rows",
            f"median {statistics.median(times):.2f} s of {runs} "
            f"(min {min(times):.2f}, max {max(times):.2f})",
            "<= 0.5 s",
        ),
        (
            "5. start-up, an empty Textual app",
            f"median {statistics.median(empty):.2f} s of {runs} "
            f"(min {min(empty):.2f}, max {max(empty):.2f})",
            "",
        ),
        (
            "5. import time",
            ", ".join(f"{m} {t * 1000:.0f} ms" for m, t in imports.items()),
            "",
        ),
    ]


# ── 8. idle cost against Textual's own ───────────────────────────────────────

#: The scenarios of benchmark 8: (name, demo server options, batch-tui options).
IDLE_SCENARIOS = (
    ("200 batches / 20 active, store off", ("--batches", "200"), ("--no-store",)),
    ("200 batches / 20 active, store on", ("--batches", "200"), ()),
    ("10,000 batches / 20 active, store on", ("--batches", "10000"), ()),
)


def idle_cost(
    apps: list[PtyApp], duration: float, settle: float = 10
) -> tuple[list[float], list[float]]:
    """Each app's CPU (% of one core) and what it drew (KB/s) over the same
    ``duration`` seconds, once all show rows and ``settle`` more seconds have passed
    (start-up and the first pages are over); the apps are quit after."""
    try:
        for app in apps:
            wait_for_rows(app, timeout=60)
        time.sleep(settle)
        before = [(app.cpu_seconds(), app.bytes_out) for app in apps]
        wall_before = time.monotonic()
        time.sleep(duration)
        wall = time.monotonic() - wall_before
        after = [(app.cpu_seconds(), app.bytes_out) for app in apps]
    finally:
        for app in apps:
            app.quit()
    cpu = [(a[0] - b[0]) / wall * 100 for a, b in zip(after, before, strict=True)]
    drawn = [(a[1] - b[1]) / wall / 1024 for a, b in zip(after, before, strict=True)]
    return cpu, drawn


def bench_idle_ratio(duration: float, settle: float = 10) -> list[tuple[str, str, str]]:
    """Idle CPU of the real app beside the reference app, measured over the same
    seconds, each in its own 140x40 pseudo-terminal, interval 2 s: one scenario at a
    time, so that only the pair shares the machine (four apps at once on two cores
    made each figure swing by a fifth from run to run). Absolute figures vary between
    machines (and with what else the machine does); the ratio is the figure that
    travels."""
    rows = []
    for name, server, args in IDLE_SCENARIOS:
        with demo_server(*server, "--active", "20", "--rate-limit", "0") as url:
            pair = [PtyApp(url, 2.0, args=args), PtyApp("", 2.0, command=REFERENCE)]
            cpu, drawn = idle_cost(pair, duration, settle)
        rows.append(
            (
                f"8. idle, {name}",
                f"CPU {cpu[0]:.2f}% ({cpu[0] / cpu[1]:.2f}x the reference's {cpu[1]:.2f}%); "
                f"draws {drawn[0]:.1f} KB/s ({drawn[1]:.1f})",
                "<= 1.5x",
            )
        )
    return rows


# ── 6. history: cost follows activity, not history ───────────────────────────

HISTORIES = (200, 2_000, 20_000, 100_000)
HISTORY_ACTIVE = 20
HISTORY_LIMIT = 200
HISTORY_INTERVAL = 2.0
HISTORY_SEED = 6
#: The Home key, as a terminal sends it.
HOME = b"\x1b[H"
#: A new batch should show within two discovery periods (max(30 s, 10 x interval)).
SHOW_WITHIN = 2 * max(30.0, 10 * HISTORY_INTERVAL)


class RecordingApi(DemoApi):
    """The demo API, noting every answer's time and status code, and when each batch
    was first and last handed to the client (in a list page or a detail): what the
    client can know of a batch is exactly what it was last served."""

    def __init__(self, simulator: Simulator, **kwargs) -> None:
        super().__init__(simulator, **kwargs)
        self.answers: list[tuple[float, int]] = []
        self.list_offsets: list[int] = []
        """The offset of every unfiltered list request (discovery and history)."""
        self.first_served: dict[str, float] = {}
        self.last_served: dict[str, float] = {}

    async def _answer(self, request, handler):
        response = await super()._answer(request, handler)
        self.answers.append((time.time(), response.status_code))
        params = request.query_params
        if request.url.path == "/v1/batch" and not params.get("status"):
            self.list_offsets.append(int(params.get("offset") or 0))
        return response

    def _served(self, batch_ids) -> None:
        now = time.time()
        for batch_id in batch_ids:
            self.first_served.setdefault(batch_id, now)
            self.last_served[batch_id] = now

    async def list_batches(self, request):
        page = await super().list_batches(request)
        self._served(row["id"] for row in page["data"])
        return page

    async def get_batch(self, request):
        batch = await super().get_batch(request)
        self._served([batch["id"]])
        return batch


def running_batches(truth: SteadyCatalog, now: float) -> list[tuple[str, float]]:
    """(id, created) of every batch that can still change at ``now``: the running
    slots' newest batches (the history finished long ago). Read from a catalog of
    our own, so sampling never touches the server's lock or index."""
    count = truth.count(now)
    out = []
    for n in range(max(truth.history, count - 5 * truth.active), count):
        spec = truth.spec(n)
        if spec.created <= now < truth.end(n)[0]:
            out.append((spec.id, spec.created))
    return out


def busiest_minute(times: list[float]) -> int:
    """The most requests in any sliding 60 seconds."""
    times = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 60:
            first += 1
        best = max(best, last - first + 1)
    return best


def prefill_store(state_dir: Path, simulator: Simulator) -> int:
    """Write every batch of the fleet into the app's store (as history loading would
    leave it); returns how many rows the store holds."""
    (path,) = (state_dir / "store").glob("*.sqlite3")  # the one the cold run made
    store = Store.open(path)
    try:
        offset, now = 0, time.time()
        while True:
            page = simulator.list_json(limit=100, offset=offset)
            rows = [Batch.from_json(data) for data in page["data"]]
            store.save([StoredBatch(batch, now) for batch in rows if batch.id])
            offset += len(rows)
            if not page["pagination"]["hasMore"] or not rows:
                break
        return store.count()
    finally:
        store.close()


def sample_run(
    app: PtyApp,
    api: RecordingApi,
    truth: SteadyCatalog,
    done,
    arrivals: dict[str, float],
    since: float,
    ages_from: float = 0.0,
) -> list[float]:
    """Until ``done()``, every half second: how old the client's view of each running
    batch is (since it was last served; a batch never served counts from its
    creation), from ``ages_from`` on. Batches created after ``since`` are noted in
    ``arrivals`` and watched for on the screen."""
    ages = []
    while not done():
        time.sleep(0.5)
        now = time.time()
        for batch_id, created in running_batches(truth, now):
            if created > since and batch_id not in arrivals:
                arrivals[batch_id] = created
                app.watch_for(batch_id)
            if now >= ages_from:
                ages.append(now - max(api.last_served.get(batch_id, created), created))
    return ages


class RssWatch:
    """Samples an app's RSS until it has not grown for ``settle`` seconds and at least
    ``least`` seconds passed (or ``cap`` did): ``done`` is a sampling loop's stop test."""

    def __init__(self, app: PtyApp, settle: float, cap: float, least: float = 0.0) -> None:
        self.app, self.settle, self.cap, self.least = app, settle, cap, least
        self.start = time.monotonic()
        self.samples: list[tuple[float, float]] = []

    def done(self) -> bool:
        now = time.monotonic()
        self.samples.append((now, self.app.rss_mb()))
        recent = [rss for at, rss in self.samples if at >= now - self.settle]
        earlier = [rss for at, rss in self.samples if at < now - self.settle]
        settled = bool(earlier) and max(recent) <= max(earlier) + 0.5
        return (settled and now - self.start >= self.least) or now - self.start >= self.cap

    @property
    def last(self) -> float:
        return self.samples[-1][1]

    @property
    def peak(self) -> float:
        return max(rss for _, rss in self.samples)


def history_run(history: int, measure: float, settle: float, cap: float) -> dict:
    """One history size: the real app cold for ``measure`` seconds, then warm from a
    store holding the whole fleet."""
    fleet = history + HISTORY_ACTIVE
    # Place the epoch so that the first running batch finishes (and the next one in
    # its slot is created) a while into the measurement, after the start-up minute.
    probe = SteadyCatalog(HISTORY_SEED, 0.0, fleet, HISTORY_ACTIVE)
    first_finish = min(probe.end(n)[0] for n in range(probe.history, fleet))
    epoch = time.time() + min(75.0, measure / 3 + 10) - first_finish
    simulator = Simulator(seed=HISTORY_SEED, epoch=epoch, fleet=fleet, active=HISTORY_ACTIVE)
    truth = SteadyCatalog(HISTORY_SEED, epoch, fleet, HISTORY_ACTIVE)
    api = RecordingApi(simulator, rate_limit=HISTORY_LIMIT)
    result: dict = {"history": history}
    with tempfile.TemporaryDirectory(prefix="batch-tui-bench-") as state, DemoServer(api) as server:
        state_dir = Path(state)
        # Cold: an empty state directory.
        app = PtyApp(server.url, HISTORY_INTERVAL, state_dir=state_dir)
        wall0 = time.time()
        result["cold_first"] = wait_for_rows(app)
        arrivals: dict[str, float] = {}
        ages = sample_run(
            app, api, truth, lambda: time.time() >= wall0 + measure, arrivals, since=wall0
        )
        cold_end = time.time()
        result["cold_rss"] = app.rss_mb()
        # The list keeps its view on the cursor's batch, so a new batch lands above
        # it, out of view: go to the top (after the measurement) to see it listed.
        os.write(app.master, HOME)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not set(arrivals) <= set(app.drawn):
            time.sleep(0.1)
        result["listed"] = sum(1 for batch_id in arrivals if batch_id in app.drawn)
        app.quit()
        result["deep_pages"] = sum(1 for offset in api.list_offsets if offset > 0)
        steady = [at for at, _ in api.answers if wall0 + 60 <= at <= cold_end]
        result["per_minute"] = len(steady) / (cold_end - wall0 - 60) * 60
        result["age_p95"] = percentile(ages, 0.95)
        shown, missed = [], []
        for batch_id, created in arrivals.items():
            served = api.first_served.get(batch_id)
            if served is not None:
                shown.append(served - created)
            elif cold_end - created >= SHOW_WITHIN:
                missed.append(cold_end - created)
        result["shown"], result["missed"] = shown, missed
        # Warm: the same state directory, its store holding every batch of the fleet.
        result["stored"] = prefill_store(state_dir, simulator)
        app = PtyApp(server.url, HISTORY_INTERVAL, state_dir=state_dir)
        # The status line counts the rows held: all of them once the store is read.
        every_row = [f" {result['stored'] + extra:,} batches," for extra in range(3)]
        for text in every_row:
            app.watch_for(text)
        result["warm_first"] = wait_for_rows(app)
        # Stored history is drawn only when wanted: End asks for all of it, as a user
        # scrolling to the bottom (or a find) would.
        os.write(app.master, b"\x1b[F")
        # Ages from 5 s on: until its first polls the app shows the stored rows.
        rss = RssWatch(app, settle, cap, least=settle * 3)
        warm_ages = sample_run(
            app, api, truth, rss.done, arrivals, since=wall0, ages_from=time.time() + 5
        )
        result["warm_rss"], result["warm_peak"] = rss.last, rss.peak
        result["warm_age_p95"] = percentile(warm_ages, 0.95)
        result["warm_age_max"] = max(warm_ages, default=float("nan"))
        read = [app.drawn[text] for text in every_row if text in app.drawn]
        result["all_read"] = min(read) - app.started if read else None
        app.quit()
    times = [at for at, _ in api.answers]
    result["requests"] = len(times)
    result["busiest"] = busiest_minute(times)
    result["429"] = sum(1 for _, status in api.answers if status == 429)
    return result


def _seconds(value: float | None) -> str:
    return "not seen" if value is None else f"{value:.1f} s"


def _new_batches(r: dict) -> str:
    """How long after creation each new batch was first served, and whether it was listed."""
    if not r["shown"] and not r["missed"]:
        return "none arrived"
    parts = [f"{seconds:.1f} s" for seconds in r["shown"]]
    parts += [f"not served after {seconds:.0f} s" for seconds in r["missed"]]
    return f"{', '.join(parts)} (listed {r['listed']} of {len(r['shown']) + len(r['missed'])})"


def history_rows(results: list[dict]) -> list[tuple[str, str, str]]:
    base = results[0]["per_minute"]
    return [
        (
            f"6. history {r['history']:,} finished + {HISTORY_ACTIVE} active",
            f"first rows {r['cold_first']:.2f} s cold, {r['warm_first']:.2f} s warm; "
            f"{r['per_minute']:.1f} req/min ({r['per_minute'] / base - 1:+.0%}); "
            f"busiest minute {r['busiest']} ({r['busiest'] / HISTORY_LIMIT:.0%}); "
            f"{r['429']} x 429; age p95 {r['age_p95']:.2f} s; "
            f"new batch served after {_new_batches(r)}; "
            f"RSS {r['cold_rss']:.0f} MB cold, {r['warm_rss']:.0f} MB warm "
            f"({r['stored']:,} stored)",
            f"<= 3 s / 1 s; +-10%; <= 80%; 0; <= {1.5 * HISTORY_INTERVAL:.0f} s; "
            f"<= {SHOW_WITHIN:.0f} s; <= 150 MB",
        )
        for r in results
    ]


def print_history_table(results: list[dict]) -> None:
    """Benchmark 6 side by side: one column per history size."""
    base = results[0]["per_minute"]
    lines = [
        ("first rows, cold", "<= 3 s", lambda r: f"{r['cold_first']:.2f} s"),
        ("first rows, warm", "<= 1 s", lambda r: f"{r['warm_first']:.2f} s"),
        (
            "requests/min after the first minute",
            "within 10% of 200's",
            lambda r: f"{r['per_minute']:.1f} ({r['per_minute'] / base - 1:+.0%})",
        ),
        (
            "busiest sliding minute",
            f"<= {0.8 * HISTORY_LIMIT:.0f}",
            lambda r: f"{r['busiest']} ({r['busiest'] / HISTORY_LIMIT:.0%})",
        ),
        ("429s", "0", lambda r: str(r["429"])),
        (
            "age of active batches, p95",
            f"<= {1.5 * HISTORY_INTERVAL:.1f} s",
            lambda r: f"{r['age_p95']:.2f} s",
        ),
        ("new batch served after", f"<= {SHOW_WITHIN:.0f} s", _new_batches),
        ("list pages past the first (cold)", "", lambda r: str(r["deep_pages"])),
        ("RSS cold", "", lambda r: f"{r['cold_rss']:.0f} MB"),
        ("warm: rows in the store", "", lambda r: f"{r['stored']:,}"),
        ("warm: every stored row read, from start", "", lambda r: _seconds(r["all_read"])),
        (
            "warm: RSS then (peak)",
            "<= 150 MB",
            lambda r: f"{r['warm_rss']:.0f} MB ({r['warm_peak']:.0f})",
        ),
        (
            "warm: age p95 (max) meanwhile",
            f"<= {1.5 * HISTORY_INTERVAL:.1f} s",
            lambda r: f"{r['warm_age_p95']:.2f} s ({r['warm_age_max']:.1f})",
        ),
    ]
    header = ["6. history (finished batches)", *(f"{r['history']:,}" for r in results), "target"]
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, target, cell in lines:
        print("| " + " | ".join([name, *(cell(r) for r in results), target]) + " |")


def bench_history(measure: float, settle: float, cap: float) -> tuple[list, list[dict]]:
    results = []
    for history in HISTORIES:
        results.append(history_run(history, measure, settle, cap))
        r = results[-1]
        print(f"  6. history {history:,}: {r}", file=sys.stderr, flush=True)
    return history_rows(results), results


def fill_history_store(path: Path, rows: int, now: float, schema_1: bool = False) -> None:
    """A store of ``rows`` finished batches, spread over the 29 days before ``now``;
    ``schema_1``: as the previous batch-tui left it (no history columns)."""
    from batch_tui.api.shape import batch_to_json
    from batch_tui.store.db import MIGRATIONS

    def batch(n: int) -> Batch:
        done = datetime.fromtimestamp(now - (n * 12.5) % (29 * 86400), UTC)
        return Batch(
            id=f"batch_{n:07d}",
            name=f"Nightly claims {n % 97}",
            status="completed" if n % 10 else "failed",
            total_items=500,
            processed_items=500,
            success_count=480,
            failure_count=20,
            total_cost_cents=1234.5,
            methods_config={"reasoning": 1.0, "tool": 0.5},
            context={"source": "news-aggregator"},
            created_at=done - timedelta(minutes=20),
            started_at=done - timedelta(minutes=19),
            completed_at=done,
            expires_at=done + timedelta(days=30),
        )

    if not schema_1:
        store = Store.open(path)
        for start in range(0, rows, 10_000):
            store.save([StoredBatch(batch(n), now) for n in range(start, start + 10_000)])
        store.close()
        return
    import json
    import sqlite3

    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(MIGRATIONS[0])
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO batches (id, created, terminal, body, updated_at) VALUES (?, ?, 1, ?, ?)",
        (
            (b.id, b.created_at.timestamp(), json.dumps(batch_to_json(b)), now)
            for b in map(batch, range(rows))
            if b.created_at
        ),
    )
    db.execute("COMMIT")
    db.execute("PRAGMA user_version = 1")
    db.close()


def bench_history_screen(rows: int = 200_000) -> list[tuple[str, str, str]]:
    from batch_tui.store.history import HistoryReader

    now = time.time()
    with tempfile.TemporaryDirectory() as folder:
        # As the app keeps it: a store folder inside a private one (a store whose
        # folder sits in a folder others may write, like /tmp, is refused).
        path = Path(folder) / "store" / "history.sqlite3"
        path.parent.mkdir(mode=0o700)
        fill_history_store(path, rows, now)
        reader = HistoryReader(path)
        days_ms, day_ms = [], []
        for _ in range(7):
            started = time.perf_counter()
            days = reader.days(now)
            days_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            listed = reader.batches(max(days, key=lambda day: day.batches))
            day_ms.append((time.perf_counter() - started) * 1000)
        assert sum(day.batches for day in days) == rows, "every row is in the 30 days"
        old = path.parent / "old.sqlite3"
        fill_history_store(old, rows, now, schema_1=True)
        started = time.perf_counter()
        Store.open(old).close()
        upgrade = time.perf_counter() - started
    return [
        (
            f"7. history screen: 30 days summed over {rows:,} stored finished batches, median of 7",
            f"{statistics.median(days_ms):.0f} ms (in a worker thread)",
            "≤ 250 ms",
        ),
        (
            f"7. one day's batches listed "
            f"(the first {len(listed):,} of its {max(d.batches for d in days):,})",
            f"{statistics.median(day_ms):.0f} ms",
            "≤ 250 ms",
        ),
        (
            f"7. upgrading a store of {rows:,} batches from schema 1 (once)",
            f"{upgrade:.1f} s",
            "",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (figures are rougher)")
    parser.add_argument(
        "--only", type=int, choices=range(1, 10), action="append", help="run only these"
    )
    args = parser.parse_args()
    cost_seconds, budget_seconds, idle_seconds, polls = (
        (30, 90, 15, 2000) if args.quick else (120, 180, 60, 10_000)
    )
    ratio_seconds = 20 if args.quick else 60
    history_seconds, rss_settle, rss_cap = (90, 5, 30) if args.quick else (240, 10, 90)
    wanted = set(args.only or range(1, 10))
    team_warmup, team_measure = (20, 40) if args.quick else (60, 120)
    rows: list[tuple[str, str, str]] = []
    history_results: list[dict] = []

    def history() -> list[tuple[str, str, str]]:
        new, results = bench_history(history_seconds, rss_settle, rss_cap)
        history_results.extend(results)
        return new

    started = time.monotonic()
    for number, run in (
        (1, lambda: bench_request_cost(cost_seconds)),
        (2, lambda: bench_budget(budget_seconds)),
        (3, bench_ui),
        (4, lambda: bench_idle(idle_seconds) + bench_soak(polls)),
        (5, bench_start),
        (6, history),
        (7, bench_history_screen),
        (8, lambda: bench_idle_ratio(ratio_seconds)),
        (9, lambda: bench_team(team_warmup, team_measure)),
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
    if history_results:
        print_history_table(history_results)
    print(
        f"\n{os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
