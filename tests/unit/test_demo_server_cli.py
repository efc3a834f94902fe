"""``batch-tui demo-server`` runs the demo API as its own process, on the port asked for."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from batch_tui.demo.faults import SPEC_KEYS
from helpers import start_demo_process


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


def test_demo_server_with_a_hundred_thousand_batches_serves_any_page(serve):
    url = serve("--batches", "100000", "--active", "20", "--rate-limit", "0")
    headers = {"Authorization": "Bearer anything"}
    with httpx.Client(base_url=url, headers=headers) as http:
        first = http.get("/v1/batch", params={"limit": 100}).json()
        last = http.get("/v1/batch", params={"limit": 100, "offset": 99_900}).json()
        running = http.get("/v1/batch", params={"status": "processing", "limit": 100}).json()
        one = http.get(f"/v1/batch/{last['data'][-1]['id']}").json()
    assert first["pagination"]["total"] == last["pagination"]["total"] == 100_000
    assert first["data"][0]["createdAt"] >= first["data"][-1]["createdAt"]
    assert first["data"][-1]["createdAt"] >= last["data"][0]["createdAt"]
    assert last["pagination"]["hasMore"] is False and len(last["data"]) == 100
    assert running["pagination"]["total"] == 20
    assert {row["status"] for row in running["data"]} == {"processing"}
    assert one["id"] == last["data"][-1]["id"] and one["createdAt"] == last["data"][-1]["createdAt"]


def test_demo_server_with_churn_serves_a_stream_of_short_batches(serve):
    # The churn runs on the server's real clock, so the counts are checked against the
    # time measured around the requests, never against a fixed sleep: a loaded machine
    # that answers late sees more batches, and the bounds move with it.
    started = time.monotonic()
    url = serve("--churn", "5", "--rate-limit", "0")
    headers = {"Authorization": "Bearer anything"}
    with httpx.Client(base_url=url, headers=headers) as http:
        asked = time.monotonic()
        first = http.get("/v1/batch", params={"limit": 100}).json()
        answered = time.monotonic()
        deadline = answered + 30
        while True:
            sent = time.monotonic()
            later = http.get("/v1/batch", params={"limit": 100}).json()
            received = time.monotonic()
            new = later["pagination"]["total"] - first["pagination"]["total"]
            statuses = {row["status"] for row in later["data"]}
            if new >= 5 and {"pending", "validating", "processing", "completed"} <= statuses:
                break
            assert received < deadline, f"{new} new batches, statuses {statuses}"
            time.sleep(0.1)
        one = http.get(f"/v1/batch/{later['data'][0]['id']}").json()
    # A minute of history at the start (its epoch is the whole second the server started
    # in, so up to a second before we did), then five more a second.
    assert 300 <= first["pagination"]["total"] <= 301 + 5 * (answered - started + 1)
    assert 5 * (sent - answered) - 1 <= new <= 5 * (received - asked) + 1
    assert later["data"][0]["createdAt"] >= first["data"][0]["createdAt"]
    assert one["id"] == later["data"][0]["id"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--churn", "0"), "--churn must be more than 0 and at most 1000 batches a second"),
        (("--churn", "5", "--batches", "10"), "--churn and --batches cannot be used together"),
    ],
)
def test_demo_server_refuses_a_churn_it_cannot_serve(args, message):
    result = demo_server(*args)
    assert result.returncode == 2
    assert result.stderr.strip() == f"batch-tui: error: {message}"


def test_demo_server_takes_hostile_fault_kinds_from_the_faults_option(serve):
    url = serve("--faults", "endless, msreset", "--rate-limit", "0")
    response = httpx.get(f"{url}/v1/batch", headers={"Authorization": "Bearer anything"})
    assert response.json()["pagination"]["hasMore"] is True
    assert response.headers["X-RateLimit-Remaining"] == "0"


def demo_server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "batch_tui", "demo-server", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_demo_server_help_describes_every_fault_kind():
    result = demo_server("--help")
    assert result.returncode == 0
    for key in SPEC_KEYS:
        assert f"\n  {key}=" in result.stdout, key


def test_demo_server_names_the_mistake_in_a_fault_spec():
    result = demo_server("--faults", "endless=2")
    assert result.returncode == 2
    assert result.stderr.strip() == "batch-tui: error: --faults: fault endless out of range: 2"
