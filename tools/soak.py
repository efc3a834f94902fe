"""Soak test: the real dashboard against a churning server, its memory sampled for half an hour.

Not a test (pytest does not collect it): it runs for ``--minutes`` and prints a
table. From the repository root:

    .venv/bin/python tools/soak.py                 # 30 minutes, the acceptance run
    .venv/bin/python tools/soak.py --minutes 5     # a rough look

It starts ``batch-tui demo-server --churn 5 --rate-limit 1000`` in its own process
(five new batches a second, each finished about ten seconds later: some ten
finishes and alerts a second), then the real app in a 140x40 pseudo-terminal with
``--interval 2`` and a fresh, empty state directory. Every 30 s it samples the
resident set size (RSS) of both processes, the app's CPU and how much it drew,
and prints a row. At the end it prints the app's growth from the end of the
warm-up (``--warmup`` minutes, default 2: start-up and the first pages are over
by then) to the last sample. The dashboard holds the newest 2,000 finished
batches before it lets older ones go, which takes some eight minutes at five a
second: ``--minutes 40 --warmup 10`` measures half an hour of steady state.

Exit status 0 when that growth is within ±10 MB (``--tolerance``), 1 when it is
not, 2 when the app died or drew nothing.

``--tracemalloc DIR`` runs the app with tracemalloc on (``--trace-frames``,
default 8) and has it write a snapshot to DIR every ``--trace-every`` seconds
(default 120), through a ``sitecustomize`` module put on the app's path for the
run only; compare two with ``--compare OLD NEW``. Tracing makes the app several
times slower and bigger, so its RSS figures are not the acceptance figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from benchmark import PtyApp, wait_for_rows

from helpers import start_demo_process

SAMPLE_EVERY = 30.0
BASELINE_AT = 120.0
"""Growth is measured from this many seconds after the first rows were drawn."""

TRACE_HOOK = '''
"""Installed by tools/soak.py for one run: tracemalloc snapshots of the app, on a timer."""
import os, threading, time, tracemalloc

_DIR = os.environ.get("BATCH_TUI_SOAK_TRACE_DIR")
if _DIR:
    tracemalloc.start(int(os.environ.get("BATCH_TUI_SOAK_TRACE_FRAMES", "8")))

    def _dump():
        every = float(os.environ.get("BATCH_TUI_SOAK_TRACE_EVERY", "120"))
        n = 0
        while True:
            time.sleep(every)
            tracemalloc.take_snapshot().dump(os.path.join(_DIR, f"snapshot-{n:03d}.trace"))
            n += 1

    threading.Thread(target=_dump, daemon=True, name="soak-tracemalloc").start()
'''


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def memory_mb(pid: int) -> tuple[float, float]:
    """A process's resident set size and its anonymous part (the heap), in MB.

    The rest of RSS is mapped files (the interpreter, shared libraries), which the
    kernel drops and reloads under memory pressure from other processes: the
    anonymous part is what a leak grows.
    """
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", float("nan")), fields.get("RssAnon", float("nan"))


def soak(
    minutes: float,
    rate: float,
    interval: float,
    trace_dir: Path | None,
    trace: tuple[float, int] = (120.0, 8),
) -> list[dict]:
    server, url = start_demo_process("--churn", f"{rate:g}", "--rate-limit", "1000")
    state_dir = tempfile.mkdtemp(prefix="batch-tui-soak-state-")
    hook_dir = None
    saved_env = dict(os.environ)
    os.environ["BATCH_TUI_STATE_DIR"] = state_dir
    if trace_dir is not None:
        hook_dir = tempfile.mkdtemp(prefix="batch-tui-soak-hook-")
        Path(hook_dir, "sitecustomize.py").write_text(textwrap.dedent(TRACE_HOOK))
        trace_dir.mkdir(parents=True, exist_ok=True)
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (hook_dir, os.environ.get("PYTHONPATH")) if p
        )
        os.environ["BATCH_TUI_SOAK_TRACE_DIR"] = str(trace_dir.resolve())
        os.environ["BATCH_TUI_SOAK_TRACE_EVERY"] = str(trace[0])
        os.environ["BATCH_TUI_SOAK_TRACE_FRAMES"] = str(trace[1])
    samples: list[dict] = []
    app = None
    try:
        app = PtyApp(url, interval)
        os.environ.clear()
        os.environ.update(saved_env)
        wait_for_rows(app, timeout=60)
        start = time.monotonic()
        cpu_before, bytes_before, wall_before = app.cpu_seconds(), app.bytes_out, start
        print(
            f"{'elapsed':>8}  {'app RSS':>9}  {'(anon)':>9}  {'server RSS':>10}  {'(anon)':>9}"
            f"  {'app CPU':>7}  {'drawn':>10}",
            flush=True,
        )
        for k in range(int(minutes * 60 // SAMPLE_EVERY) + 1):
            time.sleep(max(0.0, start + k * SAMPLE_EVERY - time.monotonic()))
            if app.process.poll() is not None or not alive(server.pid):
                who = "app" if app.process.poll() is not None else "demo server"
                print(f"the {who} exited after {time.monotonic() - start:.0f} s", flush=True)
                break
            now = time.monotonic()
            cpu, out = app.cpu_seconds(), app.bytes_out
            span = now - wall_before
            app_rss, app_anon = memory_mb(app.process.pid)
            server_rss, server_anon = memory_mb(server.pid)
            sample = {
                "elapsed": now - start,
                "app": app_rss,
                "app_anon": app_anon,
                "server": server_rss,
                "server_anon": server_anon,
                # Over the last period (the first sample has none: zero).
                "cpu": (cpu - cpu_before) / span * 100 if span > 1 else 0.0,
                "kbps": (out - bytes_before) / span / 1024 if span > 1 else 0.0,
            }
            cpu_before, bytes_before, wall_before = cpu, out, now
            samples.append(sample)
            print(
                f"{sample['elapsed'] / 60:7.1f}m  {sample['app']:6.1f} MB  "
                f"{sample['app_anon']:6.1f} MB  {sample['server']:7.1f} MB  "
                f"{sample['server_anon']:6.1f} MB  {sample['cpu']:6.1f}%  "
                f"{sample['kbps']:5.1f} KB/s",
                flush=True,
            )
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        if app is not None and app.process.poll() is None:
            app.quit()
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(state_dir, ignore_errors=True)
        if hook_dir:
            shutil.rmtree(hook_dir, ignore_errors=True)
    return samples


def growth(
    samples: list[dict], key: str, baseline: float = BASELINE_AT
) -> tuple[float, float, float]:
    """(value at the end of the warm-up, value at the end, the difference) of one column."""
    base = min(samples, key=lambda s: abs(s["elapsed"] - baseline))
    return base[key], samples[-1][key], samples[-1][key] - base[key]


def compare(old: Path, new: Path, top: int = 25) -> None:
    """The allocation sites that grew most between two tracemalloc snapshots."""
    import tracemalloc

    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    first = tracemalloc.Snapshot.load(str(old)).filter_traces(ignore)
    second = tracemalloc.Snapshot.load(str(new)).filter_traces(ignore)
    print(f"traced: {sum(s.size for s in second.statistics('filename')) / 2**20:.1f} MB now")
    print(f"\ntop {top} lines by growth:")
    for stat in second.compare_to(first, "lineno")[:top]:
        print(f"  {stat}")
    print("\nthe largest growth, by traceback:")
    for stat in second.compare_to(first, "traceback")[:5]:
        print(f"\n  {stat.size_diff / 1024:+.0f} KiB in {stat.count_diff:+d} blocks")
        for line in stat.traceback.format(limit=12):
            print(f"    {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long (default 30)")
    parser.add_argument("--rate", type=float, default=5.0, help="batches a second (default 5)")
    parser.add_argument("--interval", type=float, default=2.0, help="the app's --interval")
    parser.add_argument("--tolerance", type=float, default=10.0, help="allowed growth in MB")
    parser.add_argument(
        "--warmup", type=float, default=BASELINE_AT / 60, help="minutes before growth counts"
    )
    parser.add_argument("--tracemalloc", type=Path, metavar="DIR", help="snapshots of the app")
    parser.add_argument("--trace-every", type=float, default=120.0, metavar="SECONDS")
    parser.add_argument("--trace-frames", type=int, default=8, metavar="N")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("OLD", "NEW"))
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return 0
    print(
        f"soak: demo-server --churn {args.rate:g} --rate-limit 1000; "
        f"batch-tui --interval {args.interval:g}; {args.minutes:g} minutes",
        flush=True,
    )
    samples = soak(
        args.minutes,
        args.rate,
        args.interval,
        args.tracemalloc,
        (args.trace_every, args.trace_frames),
    )
    baseline = args.warmup * 60
    if len(samples) < 2 or samples[-1]["elapsed"] < min(baseline, args.minutes * 60):
        print("not enough samples: the run ended early")
        return 2
    app_from, app_to, app_growth = growth(samples, "app", baseline)
    server_from, server_to, server_growth = growth(samples, "server", baseline)
    anon_growth = growth(samples, "app_anon", baseline)[2]
    server_anon_growth = growth(samples, "server_anon", baseline)[2]
    ok = abs(app_growth) <= args.tolerance
    at = f"minute {args.warmup:g}"
    print(
        f"\napp RSS:    {app_from:.1f} MB at {at}, {app_to:.1f} MB at the end: "
        f"{app_growth:+.1f} MB ({'within' if ok else 'beyond'} ±{args.tolerance:g} MB); "
        f"anonymous {anon_growth:+.1f} MB"
    )
    print(
        f"server RSS: {server_from:.1f} MB at {at}, {server_to:.1f} MB at the end: "
        f"{server_growth:+.1f} MB; anonymous {server_anon_growth:+.1f} MB"
    )
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
