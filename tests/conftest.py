"""Shared fixtures: a frozen clock, the simulator, and the demo server on real loopback HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Before Textual is imported anywhere: no animations, so snapshots and Pilot runs are stable.
os.environ["TEXTUAL_ANIMATIONS"] = "none"
# The history screen's days are local days: every test sees the same ones.
os.environ["TZ"] = "UTC"
time.tzset()
# Every run of the app in the tests (in-process or in tmux) keeps its watch list and
# local store here, never in the user's own state directory.
os.environ["BATCH_TUI_STATE_DIR"] = tempfile.mkdtemp(prefix="batch-tui-state-")
# Tests of one dashboard poll alone; the team tests (test_team_*.py) take this away.
os.environ["BATCH_TUI_SOLO"] = "true"

from batch_tui.api.client import CheckClient  # noqa: E402
from batch_tui.core.clock import FakeClock  # noqa: E402
from batch_tui.demo.server import DemoApi, DemoServer  # noqa: E402
from batch_tui.demo.simulator import Simulator  # noqa: E402

# Property tests: a moderate count in CI; HYPOTHESIS_PROFILE=thorough runs 10,000 each.
hypothesis_settings.register_profile("default", max_examples=200, deadline=None)
hypothesis_settings.register_profile("thorough", max_examples=10_000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

#: The frozen instant every deterministic test starts from.
EPOCH = datetime(2026, 1, 15, 10, 0, 0, tzinfo=UTC).timestamp()
SEED = 7
TEST_KEY = "vfy_test_not_a_real_key"


@pytest.fixture(autouse=True)
def _outside_tmux(monkeypatch):
    """Tests run as if outside tmux, whatever terminal runs them (the dashboard asks
    a surrounding tmux about passthrough and the clipboard); the tmux tests start
    their own."""
    monkeypatch.delenv("TMUX", raising=False)


@pytest.fixture
def clock() -> FakeClock:
    """A clock frozen at EPOCH; tests move it with ``advance``."""
    return FakeClock(EPOCH)


@pytest.fixture
def local_utc(monkeypatch):
    """Local time is UTC for the test (the list's ``created`` column shows local time)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def simulator(clock: FakeClock) -> Simulator:
    """The demo fleet at EPOCH with a fixed seed."""
    return Simulator(seed=SEED, epoch=EPOCH, clock=clock)


@pytest.fixture
def demo_api(simulator: Simulator) -> DemoApi:
    """The demo API with the rate limit off (tests that need it turn it on)."""
    return DemoApi(simulator, rate_limit=0)


@pytest.fixture
def demo(demo_api: DemoApi):
    """The demo API served on a free loopback port."""
    with DemoServer(demo_api) as server:
        yield server


@pytest.fixture
async def client(demo: DemoServer):
    """A client pointed at the demo server."""
    async with CheckClient(demo.url, TEST_KEY) as api_client:
        yield api_client


@pytest.fixture
def run_app(demo, clock):
    """Start the real app (built by ``session.make_app``) against the demo server with
    the frozen clock: ``async with run_app(size=..., **options) as pilot``. The pilot
    is handed over once the screen shows what the monitor holds. ``server=`` runs it
    against another demo server."""
    from apphelpers import running

    def run_app(*, server: DemoServer | None = None, **options):
        return running(server or demo, clock, **options)

    return run_app


async def wait_until(predicate: Callable[[], bool], *, timeout: float = 10.0, pilot=None) -> None:
    """Wait for a condition the app reaches by itself (e.g. an HTTP answer), or fail.

    This waits for an event, not for a length of time: it returns as soon as the
    predicate holds, and the timeout only bounds a test that would otherwise hang.
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
    deadline = time.monotonic() + 20
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


class RedisServer:
    """A real ``redis-server`` on a free loopback port, keeping nothing on disk
    (``--save '' --appendonly no``): ``restart`` brings it back on the same port, empty.
    ``password`` makes it ask for one; ``tls`` makes it speak only TLS, with a
    certificate from a throwaway authority (``ca_file``)."""

    def __init__(
        self, executable: str, directory: Path, *, password: str | None = None, tls: bool = False
    ) -> None:
        self.executable = executable
        self.directory = directory
        self.password = password
        self.tls = tls
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.ca_file = directory / "ca.crt"
        if tls:
            self._make_certificates()

    @property
    def url(self) -> str:
        login = f":{self.password}@" if self.password else ""
        if self.tls:
            return f"rediss://{login}127.0.0.1:{self.port}/0?ssl_ca_certs={self.ca_file}"
        return f"redis://{login}127.0.0.1:{self.port}/0"

    def _make_certificates(self) -> None:
        if shutil.which("openssl") is None:
            if os.environ.get("CI"):
                pytest.fail("openssl is required in CI (.ci/run installs it)")
            pytest.skip("openssl is not installed")
        d = self.directory

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *ec, "-days", "2", "-keyout", "ca.key", "-out", "ca.crt",
                "-subj", "/CN=batch-tui test CA")
        openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
        (d / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext")

    def answers(self) -> bool:
        """True when the server answers PING (asking for a password is an answer)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as raw:
                sock = raw
                if self.tls:
                    context = ssl.create_default_context(cafile=str(self.ca_file))
                    sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith((b"+PONG", b"-NOAUTH"))
        except OSError:
            return False

    def arguments(self) -> list[str]:
        """The server's command line."""
        args = [
            self.executable,
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
            "--daemonize", "no",
        ]
        if self.password:
            args += ["--requirepass", self.password]
        if not self.tls:
            return [*args, "--port", str(self.port)]
        return [
            *args,
            "--port", "0",
            "--tls-port", str(self.port),
            "--tls-cert-file", str(self.directory / "server.crt"),
            "--tls-key-file", str(self.directory / "server.key"),
            "--tls-ca-cert-file", str(self.ca_file),
            "--tls-auth-clients", "no",
        ]

    def start(self) -> None:
        """Start it and wait until it answers (bounded: a server that cannot start fails)."""
        self.process = subprocess.Popen(
            self.arguments(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                problem = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"redis-server did not start: {problem}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop it and wait until it is gone (its port refuses connections)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def restart(self) -> None:
        """The same port, empty: what a crashed and restarted server looks like."""
        self.stop()
        self.start()


def redis_server_executable() -> str:
    """redis-server's path; skips the test where it is not installed, but fails it in
    CI, which must run the hub tests (``.ci/run`` installs it), as for tmux."""
    executable = shutil.which("redis-server")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI (.ci/run installs it)")
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    return executable


@pytest.fixture
def make_redis_server(tmp_path):
    """``make_redis_server(password=..., tls=...)``: a started redis-server of its own;
    all are stopped after the test."""
    servers: list[RedisServer] = []

    def make(**options) -> RedisServer:
        directory = tmp_path / f"redis-{len(servers)}"
        directory.mkdir()
        server = RedisServer(redis_server_executable(), directory, **options)
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def redis_server(make_redis_server):
    """A fresh redis-server for the test, stopped after it."""
    return make_redis_server()


@pytest.fixture
def restart_redis(redis_server):
    """Restart the test's redis-server on the same port, empty."""
    return redis_server.restart
