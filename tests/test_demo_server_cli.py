"""``batch-tui demo-server`` runs the demo API as its own process, on the port asked for."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def serve():
    processes = []

    def start(*args: str, env: dict[str, str] | None = None) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "batch_tui", "demo-server", "--port", str(port), *args],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return f"http://127.0.0.1:{port}"
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stderr.read().decode()) from None
                time.sleep(0.05)

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def test_demo_server_serves_the_batch_api(serve):
    url = serve()
    response = httpx.get(f"{url}/v1/batch", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"]["total"] >= 12
    assert response.headers["X-RateLimit-Limit"] == "200"


def test_demo_server_with_require_key_rejects_other_keys(serve):
    url = serve("--require-key", env={"CHECK_API_KEY": "vfy_demo_required"})
    wrong = httpx.get(f"{url}/v1/batch", headers={"Authorization": "Bearer vfy_other"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "unauthorized"
    right = httpx.get(f"{url}/v1/batch", headers={"Authorization": "Bearer vfy_demo_required"})
    assert right.status_code == 200
