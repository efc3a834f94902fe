"""``batch-tui status`` and ``batch-tui watch``: output, JSON shape and exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from batch_tui.api.client import CheckClient
from batch_tui.headless.status import watch_batch
from helpers import TEST_KEY


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CHECK_API_KEY", "CHECK_API_BASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "batch_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture(scope="module")
def demo_fleet() -> list[dict]:
    result = run("status", "--demo", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_status_prints_a_table_of_every_batch():
    result = run("status", "--demo")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "STATUS", "PROGRESS"]
    assert len(lines) == 13
    assert any("processing" in line and "Article verification" in line for line in lines)


def test_status_json_has_the_documented_shape(demo_fleet):
    assert len(demo_fleet) == 12
    keys = {
        "id",
        "name",
        "status",
        "totalItems",
        "processedItems",
        "successCount",
        "failureCount",
        "totalCostCents",
        "progress",
        "costDollars",
        "createdAt",
        "startedAt",
        "completedAt",
        "paceItemsPerMinute",
        "etaSeconds",
        "projectedCostCents",
        "stalled",
        "unaccounted",
    }
    assert all(set(batch) == keys for batch in demo_fleet)
    assert {b["status"] for b in demo_fleet} >= {"processing", "completed", "failed", "cancelled"}


def test_status_of_named_batches_and_of_a_missing_one(demo_fleet):
    first = demo_fleet[0]["id"]
    result = run("status", "--demo", "--json", first)
    assert [b["id"] for b in json.loads(result.stdout)] == [first]
    missing = run("status", "--demo", "batch_missing")
    assert missing.returncode == 3
    assert missing.stderr.strip() == "batch-tui: error: batch_missing: Batch not found"


@pytest.mark.parametrize(("status", "code"), [("completed", 0), ("failed", 1), ("cancelled", 4)])
def test_watch_exit_status_follows_the_outcome(demo_fleet, status, code):
    batch_id = next(b["id"] for b in demo_fleet if b["status"] == status)
    result = run("watch", "--demo", batch_id, "--exit-status")
    assert result.returncode == code
    assert status in result.stdout
    assert run("watch", "--demo", batch_id).returncode == 0


async def test_watch_follows_a_batch_to_the_end_printing_each_change(client, clock, simulator):
    # One that runs for minutes: an ETA is given once there is a minute of history.
    now = clock()
    spec = min(
        (
            s
            for s in simulator.specs(now)
            if simulator.state(s, now).status == "processing" and s.finishes_at > now + 120
        ),
        key=lambda s: s.finishes_at,
    )
    out = io.StringIO()

    async def fake_sleep(seconds: float) -> None:
        clock.advance(seconds)

    batch = await watch_batch(client, spec.id, interval=2.0, out=out, clock=clock, sleep=fake_sleep)
    assert batch.status == "completed"
    lines = out.getvalue().splitlines()
    assert len(lines) > 2
    assert "processing" in lines[0] and "completed" in lines[-1]
    assert any("ETA " in line for line in lines[1:-1])
    assert not any("ETA " in line for line in lines[:25])  # not in the first minute
    assert "ETA" not in lines[-1]


async def test_watch_of_a_missing_batch_raises_not_found(demo):
    from batch_tui.api.errors import NotFound

    async with CheckClient(demo.url, TEST_KEY) as api_client:
        with pytest.raises(NotFound):
            await watch_batch(api_client, "batch_missing", interval=1, out=io.StringIO())
