"""``batch-tui status`` and ``watch`` against a hostile server: one line, the right exit, never a traceback.

The real command runs in a subprocess against ``HostileServer`` on loopback, so
what is checked is what a script calling it sees: stdout, stderr and the exit
status.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable

import pytest

from batch_tui.api.client import CheckClient
from batch_tui.headless.status import watch_batch
from helpers import TEST_KEY, cli_env, run_cli
from hostile_server import HostileServer, RawRequest, json_response

DEEP = "[" * 100_000 + "]" * 100_000
NOT_FOUND = json_response('{"error": {"code": "not_found", "message": "Batch not found"}}', 404)


def batch(batch_id: str = "batch_x", **fields) -> str:
    return json.dumps({"id": batch_id, "name": "Daily", "status": "processing", **fields})


def routes(table: dict[str, bytes | Callable[[], bytes]], default: bytes = NOT_FOUND):
    """An answer function: the bytes for each path, ``default`` for any other."""

    def answer(request: RawRequest) -> bytes:
        found = table.get(request.path, default)
        return found() if callable(found) else found

    return answer


def in_turn(*answers: bytes) -> Callable[[], bytes]:
    """Each call gives the next answer; the last one repeats."""
    queue = list(answers)
    return lambda: queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return cli_env(tmp_path, CHECK_API_KEY=TEST_KEY, NO_COLOR="1")


run = run_cli


def one_error_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, result
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert TEST_KEY not in result.stderr + result.stdout
    return lines[0]


# ── server garbage ───────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "args",
    [["status"], ["status", "--json"], ["status", "batch_x"], ["status", "--json", "batch_x"]],
)
def test_status_with_nested_json_is_one_line_and_exit_3(env, tmp_path, args):
    with HostileServer(json_response(DEEP)) as server:
        result = run([*args, "--base-url", server.url], env, tmp_path)
    line = one_error_line(result, 3)
    assert line.startswith("batch-tui: error: ")
    assert "nested too deeply" in line


def test_watch_reports_garbage_on_one_line_and_carries_on(env, tmp_path):
    done = batch(status="completed", totalItems=2, processedItems=2)
    answer = routes({"/v1/batch/batch_x": in_turn(json_response(DEEP), json_response(done))})
    with HostileServer(answer) as server:
        result = run(
            ["watch", "batch_x", "--base-url", server.url, "--interval", "0.5", "--exit-status"],
            env,
            tmp_path,
        )
    assert result.returncode == 0, result
    assert "Traceback" not in result.stderr
    retry, final = result.stderr.splitlines()
    assert retry.startswith("batch-tui: bad response: ") and retry.endswith("; retrying")
    assert final.startswith("batch_x completed")
    assert "completed" in result.stdout


async def test_watch_eta_with_an_absurd_total_does_not_overflow(clock):
    bodies = [
        batch(totalItems=10**15, processedItems=n, status=status)
        for n, status in ((1, "processing"), (2, "processing"), (3, "completed"))
    ]
    answer = routes({"/v1/batch/batch_x": in_turn(*(json_response(b) for b in bodies))})
    out = io.StringIO()

    async def fake_sleep(seconds: float) -> None:
        clock.advance(seconds)

    with HostileServer(answer) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            final = await watch_batch(
                client, "batch_x", interval=60.0, out=out, clock=clock, sleep=fake_sleep
            )
    assert final.status == "completed"
    assert "ETA > 9999d" in out.getvalue().splitlines()[1]


def test_a_server_message_that_starts_with_error_reads_once(env, tmp_path):
    failing = json_response('{"error": {"code": "x", "message": "Error: internal error"}}', 500)
    with HostileServer(failing) as server:
        result = run(["status", "--base-url", server.url], env, tmp_path)
    assert one_error_line(result, 3) == "batch-tui: error: internal error"


# ── what a script needs to know ──────────────────────────────────────────────


def test_watch_of_a_failed_batch_prints_why(env, tmp_path):
    failed = batch(
        status="failed",
        errorMessage="3 validation error(s)",
        validationErrors=[
            {"row": 1, "error": "Content is required"},
            {"row": 5, "error": "Content \x1b[31mexceeds\x1b[0m maximum length"},
        ],
        completedAt="2024-01-15T10:02:30Z",
    )
    with HostileServer(routes({"/v1/batch/batch_x": json_response(failed)})) as server:
        result = run(["watch", "batch_x", "--base-url", server.url, "--exit-status"], env, tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "batch_x failed at 2024-01-15 10:02:30 UTC: 3 validation error(s)",
        "  row 1: Content is required",
        "  row 5: Content exceeds maximum length",
    ]


def test_watch_of_a_cancelled_batch_has_its_own_exit_status(env, tmp_path):
    cancelled = batch(status="cancelled")
    with HostileServer(routes({"/v1/batch/batch_x": json_response(cancelled)})) as server:
        result = run(["watch", "batch_x", "--base-url", server.url, "--exit-status"], env, tmp_path)
    assert result.returncode == 4


def test_status_names_a_missing_id_and_still_shows_the_others(env, tmp_path):
    found = routes({"/v1/batch/batch_ok": json_response(batch("batch_ok", status="completed"))})
    with HostileServer(found) as server:
        result = run(["status", "batch_nope", "batch_ok", "--base-url", server.url], env, tmp_path)
        as_json = run(
            ["status", "--json", "batch_nope", "batch_ok", "--base-url", server.url], env, tmp_path
        )
    assert one_error_line(result, 3) == "batch-tui: error: batch_nope: Batch not found"
    rows = result.stdout.splitlines()
    assert rows[0].startswith("ID") and len(rows) == 2 and rows[1].startswith("batch_ok ")
    assert one_error_line(as_json, 3) == "batch-tui: error: batch_nope: Batch not found"
    assert [b["id"] for b in json.loads(as_json.stdout)] == ["batch_ok"]


def test_status_with_a_base_url_ending_in_v1_says_it_looks_wrong(env, tmp_path):
    with HostileServer(NOT_FOUND) as server:
        result = run(["status", "--base-url", server.url + "/v1"], env, tmp_path)
    line = one_error_line(result, 3)
    assert "base URL looks wrong" in line and "trailing /v1" in line


def test_status_table_shows_long_ids_whole(env, tmp_path):
    long_id = "batch_" + "0123456789abcdef" * 4
    page = json.dumps({"data": [json.loads(batch(long_id)), json.loads(batch("batch_short"))]})
    with HostileServer(routes({"/v1/batch": json_response(page)})) as server:
        result = run(["status", "--base-url", server.url], env, tmp_path)
    assert result.returncode == 0, result
    header, first, second = result.stdout.splitlines()
    assert first.startswith(long_id + " ")
    # Columns still line up: the status starts at the same place on every line.
    assert header.index("STATUS") == first.index("processing") == second.index("processing")


# ── bad input and local problems ─────────────────────────────────────────────


@pytest.mark.parametrize(
    "args",
    [
        ["status", ".."],
        ["status", "."],
        ["status", "a/b"],
        ["watch", ".."],
        ["watch", "naïve"],
        ["watch", "batch_x", "batch_y", "a/b"],
        ["watch", "--wait", "batch_x", ".."],
    ],
)
def test_an_id_that_is_no_batch_id_is_a_usage_error(env, tmp_path, args):
    with HostileServer(json_response(batch())) as server:
        result = run([*args, "--base-url", server.url], env, tmp_path)
    line = one_error_line(result, 2)
    assert "not a batch id" in line
    assert server.requests == []


def test_status_ignores_the_poll_interval_it_does_not_use(env, tmp_path):
    page = json.dumps({"data": [json.loads(batch())]})
    with HostileServer(routes({"/v1/batch": json_response(page)})) as server:
        result = run(
            ["status", "--base-url", server.url], {**env, "BATCH_TUI_INTERVAL": "abc"}, tmp_path
        )
    assert result.returncode == 0, result.stderr
    assert "batch_x" in result.stdout


@pytest.mark.parametrize("command", [["status"], ["watch", "batch_x"]])
def test_status_and_watch_warn_about_a_key_file_others_can_read(env, tmp_path, command):
    config = tmp_path / "config.toml"
    config.write_text('api_key = "vfy_from_the_file_0123"\n', encoding="utf-8")
    config.chmod(0o644)
    done = json_response(batch(status="completed"))
    page = json_response(json.dumps({"data": []}))
    env = {k: v for k, v in env.items() if k != "CHECK_API_KEY"}
    with HostileServer(routes({"/v1/batch": page, "/v1/batch/batch_x": done})) as server:
        result = run([*command, "--base-url", server.url, "--config", str(config)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    warning = result.stderr.splitlines()[0]
    assert warning.startswith("batch-tui: warning: ") and f"chmod 600 {config}" in warning
    assert "vfy_from_the_file_0123" not in result.stderr + result.stdout
