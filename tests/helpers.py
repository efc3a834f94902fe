"""Plain helpers the tests (and tools/) import by name: the frozen instant and seed,
waiting on a condition, answering what a monitor has due, the command line in its own
process, the demo server in its own process, a hook that records how it was run."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from batch_tui.api.models import Batch
from batch_tui.monitor.alarms import BatchEvent
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.settings.config import resolve_settings
from batch_tui.store import Store, store_path

if TYPE_CHECKING:
    from batch_tui.core.clock import FakeClock
    from batch_tui.demo.simulator import Simulator

#: The frozen instant every deterministic test starts from.
EPOCH = datetime(2026, 1, 15, 10, 0, 0, tzinfo=UTC).timestamp()
SEED = 7
TEST_KEY = "vfy_test_not_a_real_key"

#: A hook that writes its argument list and environment to the file named first.
RECORDER = (
    "import json, os, sys; "
    "open(sys.argv[1], 'a').write(json.dumps({'argv': sys.argv[2:], 'env': dict(os.environ)}) + '\\n')"
)


def recorded(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def wait_until(predicate: Callable[[], bool], *, timeout: float = 30.0, pilot=None) -> None:
    """Wait for a condition the app reaches by itself (e.g. an HTTP answer), or fail.

    This waits for an event, not for a length of time: it returns as soon as the
    predicate holds, and the timeout only bounds a test that would otherwise hang (it is
    generous, so that a machine busy with other work is never taken for a hang).
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        if pilot is not None:
            await pilot.pause(0.01)
        else:
            await asyncio.sleep(0.01)


async def run_due(monitor) -> None:
    """Perform every request a ``BatchMonitor`` has due now, one at a time, as its loop would."""
    while (request := monitor.next_request()) is not None:
        await monitor.step(request)


async def advance(monitor, clock: FakeClock, seconds: float, step: float = 1.0) -> None:
    """Let ``seconds`` of fake time pass, answering whatever falls due on the way."""
    for _ in range(round(seconds / step)):
        clock.advance(step)
        await run_due(monitor)


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The current environment minus batch-tui's own variables, with the config and
    home looked up in ``tmp_path``, plus ``extra``: what a command-line test runs in."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in ("CHECK_API_KEY", "CHECK_API_BASE_URL", "BATCH_TUI_INTERVAL")
    }
    clean.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path / "home"), **extra)
    return clean


def run_cli(
    args: list[str], env: dict[str, str], cwd: Path, *, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``batch-tui ARGS`` in its own process, no input, output captured (a bounded wait:
    a command that blocks fails the test instead of hanging it)."""
    return subprocess.run(
        [sys.executable, "-m", "batch_tui", *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def soonest_to_finish(simulator: Simulator, now: float):
    """The processing batch that will complete first: for tests that watch one finish."""
    return min(
        (s for s in simulator.specs(now) if simulator.state(s, now).status == "processing"),
        key=lambda s: s.finishes_at,
    )


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_demo_process(
    *args: str, port: int | None = None, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """``batch-tui demo-server`` in its own process; returns it and its URL once it accepts."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "batch_tui", "demo-server", "--port", str(port), *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60  # a bound on a busy machine's start-up, not a wait
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                problem = process.stderr.read().decode()
                raise RuntimeError(f"demo server did not start: {problem}") from None
            time.sleep(0.05)


KEEP = 20


def monitor_for(client, clock, tmp_path, *, store: bool = True, **options) -> BatchMonitor:
    opened = (
        Store.open(store_path(client.base_url, TEST_KEY, tmp_path), base_url=client.base_url)
        if store
        else None
    )
    return BatchMonitor(
        client, interval=2, clock=clock, store=opened, keep_finished=KEEP, **options
    )


TOP_KEY = "vfy_top_level_key_111"
STAGING_KEY = "vfy_staging_key_222"


CONFIG = f"""
api_key = "{TOP_KEY}"
interval = 10
bell = false

[profiles.staging]
base_url = "https://staging.example.com"
api_key = "{STAGING_KEY}"
color = "green"

[profiles.production]
base_url = "https://api.example.com"
key_env = "PROD_KEY"
color = "#ff0000"
read_only = true
interval = 30
"""


def write(tmp_path: Path, text: str = CONFIG, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def resolve(path: Path, env=None, command="dashboard", **cli):
    return resolve_settings(cli={"config": str(path), **cli}, env=env or {}, command=command)


def event(kind: str = "completed", name: str = "Daily fact check", **more) -> BatchEvent:
    batch = Batch(
        id="batch_abc123",
        name=name,
        status="completed" if kind == "completed" else "processing",
        total_items=50,
        processed_items=50,
        success_count=45,
        failure_count=2,
        total_cost_cents=250,
        created_at=datetime(2026, 1, 15, 10, 0, tzinfo=UTC),
    )
    return BatchEvent(kind, "batch_abc123", batch, **more)


def write_config(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


