"""Fixtures every folder shares: a frozen clock, the simulator, and the demo server on real
loopback HTTP. Plain helpers (waiting on a condition, the CLI in a process) are in helpers.py,
which tests import by name; conftest modules are never imported."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
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
from helpers import EPOCH, SEED, TEST_KEY, free_port  # noqa: E402

# Property tests: a moderate count in CI; HYPOTHESIS_PROFILE=thorough runs 10,000 each.
hypothesis_settings.register_profile("default", max_examples=200, deadline=None)
hypothesis_settings.register_profile("thorough", max_examples=10_000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
        make_certificates(self.directory)

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


def make_certificates(d: Path) -> None:
    """In ``d``: a throwaway authority (``ca.crt``) and a server certificate it signed
    for localhost and 127.0.0.1 (``server.crt``, ``server.key``)."""
    if shutil.which("openssl") is None:
        if os.environ.get("CI"):
            pytest.fail("openssl is required in CI (.ci/run installs it)")
        pytest.skip("openssl is not installed")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-days", "2", "-keyout", "ca.key", "-out", "ca.crt",
            "-subj", "/CN=batch-tui test CA")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext")


@pytest.fixture
def certificates(tmp_path) -> Path:
    """A directory with a throwaway authority and a localhost certificate."""
    make_certificates(tmp_path)
    return tmp_path


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
