"""``batch-tui status`` within the dashboard's rate budget, against the loopback demo
server (requests counted server-side): a few requests however long the history, no
429 for 300 named ids, progress for ``--all``, and what it has when a 429 stops it."""

from __future__ import annotations

import io
import json

import pytest

from batch_tui.core.clock import FakeClock
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import Simulator
from batch_tui.headless.status import run_status
from batch_tui.settings.config import Settings
from helpers import EPOCH, SEED, TEST_KEY
from hostile_server import HostileServer, json_response, response

LIMIT = 200


class Counted:
    """A demo server of ``fleet`` batches with the rate limit on, counting what it
    answered and how many it refused (429)."""

    def __init__(self, fleet: int, active: int = 20) -> None:
        self.clock = FakeClock(EPOCH)
        simulator = Simulator(seed=SEED, epoch=EPOCH, clock=self.clock, fleet=fleet, active=active)
        self.simulator = simulator
        self.api = DemoApi(simulator, rate_limit=LIMIT)
        self.refused = 0
        check = self.api.limiter.check

        def counting():
            verdict = check()
            self.refused += not verdict.allowed
            return verdict

        self.api.limiter.check = counting  # type: ignore[method-assign]

    async def sleep(self, seconds: float) -> None:
        self.clock.advance(seconds)  # the gate's waits pass in fake time, at once

    def status(self, *ids: str, as_json: bool = False, **options) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with DemoServer(self.api) as server:
            everything = options.pop("everything", False)
            settings = Settings(base_url=server.url, api_key=TEST_KEY, **options)
            code = run_status(
                settings,
                ids,
                as_json=as_json,
                everything=everything,
                out=out,
                err=err,
                clock=self.clock,
                sleep=self.sleep,
            )
        return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def hundred_thousand() -> Counted:
    return Counted(100_000)


def test_status_over_100000_batches_spends_a_tenth_of_the_limit_and_shows_the_running(
    hundred_thousand,
):
    server = hundred_thousand
    code, out, err = server.status()
    assert code == 0, err
    assert len(server.api.request_log) <= LIMIT // 10
    assert server.refused == 0
    running = server.simulator.list_json(limit=100, status="processing")["data"]
    assert len(running) == 20
    for row in running:
        assert row["id"] in out
    assert "the newest 100 of 100,000 batches shown" in err  # partial, and says so


def test_status_json_over_30000_batches_draws_no_429():
    server = Counted(30_000)
    code, out, err = server.status(as_json=True)
    assert code == 0, err
    assert server.refused == 0 and len(server.api.request_log) <= LIMIT // 10
    assert len(json.loads(out)) == 100 + 0  # the 20 running are among the newest 100


def test_status_of_300_named_batches_waits_for_the_budget_and_draws_no_429():
    server = Counted(2_000)
    ids = [row["id"] for row in server.simulator.list_json(limit=300, offset=500)["data"]]
    assert len(ids) == 300
    code, out, err = server.status(*ids, as_json=True)
    assert code == 0, err
    assert server.refused == 0
    assert [row["id"] for row in json.loads(out)] == ids
    assert "rate budget spent, waiting" in err  # said, not silent


def test_status_all_walks_the_whole_history_with_progress_on_stderr():
    server = Counted(2_000)
    code, out, err = server.status(everything=True)
    assert code == 0, err
    assert len(out.splitlines()) == 1 + 2_000
    assert "batch-tui: read 1,000 of 2,000 batches" in err
    assert server.refused == 0


def test_status_active_lists_only_the_unfinished():
    server = Counted(2_000, active=7)
    code, out, _ = server.status(status="active")
    assert code == 0
    rows = out.splitlines()[1:]
    assert len(rows) == 7 and all("processing" in row for row in rows)


def test_a_429_that_does_not_end_prints_what_was_read_and_what_is_missing():
    pending = {"id": "batch_p1", "name": "waiting job", "status": "pending", "totalItems": 5}

    def answer(request):
        if "status=pending" in request.target:
            page = {"data": [pending], "pagination": {"total": 1, "hasMore": False}}
            return json_response(json.dumps(page))
        body = b'{"error": {"code": "rate_limited", "message": "Rate limit exceeded"}}'
        return response(429, body, headers={"Retry-After": "5"})

    clock = FakeClock(EPOCH)

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    out, err = io.StringIO(), io.StringIO()
    with HostileServer(answer) as server:
        settings = Settings(base_url=server.url, api_key=TEST_KEY)
        code = run_status(settings, (), as_json=False, out=out, err=err, clock=clock, sleep=sleep)
    assert code == 3
    assert "batch_p1" in out.getvalue() and "waiting job" in out.getvalue()
    assert "rate limited, waiting" in err.getvalue()
    assert "batch-tui: error: rate limited: only 0 validating batches read" in err.getvalue()


def test_the_status_table_says_incomplete_where_the_dashboard_does():
    server = Counted(200, active=2)
    server.api.faults.unaccounted_rate = 1.0
    code, out, _ = server.status()
    assert code == 0
    statuses = {line.split()[1] for line in out.splitlines()[1:]}
    assert "incomplete" in statuses and "completed" not in statuses


def test_status_active_is_accepted_on_the_command_line(tmp_path):
    from helpers import cli_env, run_cli

    result = run_cli(["status", "--demo", "--status", "active"], cli_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()[1:]
    assert rows and not any(s in row for row in rows for s in ("completed", "cancelled"))


@pytest.mark.parametrize(
    "args",
    [
        ["watch", "--demo"],  # a usage error (no id)
        ["watch", "--demo", "--timeout", "x", "batch_abc"],
        ["status", "--demo", "--bogus"],
        ["status", "--demo", "--status", "nope"],
    ],
)
def test_every_headless_error_starts_batch_tui_error(tmp_path, args):
    from helpers import cli_env, run_cli

    result = run_cli(args, cli_env(tmp_path), tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("batch-tui: error: ")
    if "--help" in line:
        assert f"batch-tui {args[0]} --help" in line  # which --help to read


def test_a_server_failing_half_way_still_prints_what_was_read():
    pending = {"id": "batch_p1", "name": "waiting job", "status": "pending", "totalItems": 5}

    def answer(request):
        if "status=pending" in request.target:
            page = {"data": [pending], "pagination": {"total": 1, "hasMore": False}}
            return json_response(json.dumps(page))
        body = b'{"error": {"code": "internal", "message": "database on fire"}}'
        return response(500, body)

    out, err = io.StringIO(), io.StringIO()
    with HostileServer(answer) as server:
        settings = Settings(base_url=server.url, api_key=TEST_KEY)
        code = run_status(settings, (), as_json=False, out=out, err=err)
    assert code == 3
    assert "batch_p1" in out.getvalue()
    assert "database on fire" in err.getvalue() and "only 0 validating batches read" in err.getvalue()
