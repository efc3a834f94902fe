"""``batch-tui demo-server`` runs the demo API as its own process, on the port asked for."""

from __future__ import annotations

import httpx
import pytest

from conftest import start_demo_process


@pytest.fixture
def serve():
    processes = []

    def start(*args: str, env: dict[str, str] | None = None) -> str:
        process, url = start_demo_process(*args, env=env)
        processes.append(process)
        return url

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
