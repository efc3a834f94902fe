"""The ``on_event`` hook: run with the batch in its environment, never through a shell,
without the API key; failures, hangs and bursts reported and bounded."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from batch_tui.integrations.hooks import HookRunner
from helpers import RECORDER, TEST_KEY, event, recorded, wait_until

HOSTILE_NAME = "$(touch pwned); `touch pwned2` ; rm -rf ~ \x1b]0;owned\x07\x07 'q\" | tee x"




async def test_a_hook_runs_with_the_batch_in_its_environment_and_never_through_a_shell(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "hook.jsonl"
    environ = {
        "PATH": "/usr/bin:/bin",
        "CHECK_API_KEY": "vfy_from_the_environment",  # left out by name
        "COPY": "key: " + TEST_KEY,  # left out because it holds the key in use
        "PRODUCTION_KEY": "vfy_another_profiles_key",  # left out: it looks like a key
        "KEEP": "1",
    }
    runner = HookRunner(
        [sys.executable, "-c", RECORDER, str(out), "$HOME;echo hi", "*"],
        secret=TEST_KEY,
        environ=environ,
    )
    problem = await runner.run(event(name=HOSTILE_NAME, unaccounted=3))
    assert problem is None
    [run] = recorded(out)
    assert run["argv"] == ["$HOME;echo hi", "*"]  # as written: no shell expanded them
    env = run["env"]
    assert env["BATCH_EVENT"] == "completed"
    assert env["BATCH_ID"] == "batch_abc123"
    assert env["BATCH_STATUS"] == "completed"
    assert (env["BATCH_PROCESSED"], env["BATCH_TOTAL"], env["BATCH_COST_CENTS"]) == (
        "50",
        "50",
        "250",
    )
    assert (env["BATCH_SUCCEEDED"], env["BATCH_FAILED"], env["BATCH_UNACCOUNTED"]) == (
        "45",
        "2",
        "3",
    )
    # The name arrives as data, without its escape sequence or control characters.
    assert env["BATCH_NAME"].startswith("$(touch pwned); `touch pwned2` ; rm -rf ~ ")
    assert "\x1b" not in env["BATCH_NAME"] and "\x07" not in env["BATCH_NAME"]
    assert "'q\" | tee x" in env["BATCH_NAME"]
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    # Never the key: not by its name, not under another name.
    assert "CHECK_API_KEY" not in env and "COPY" not in env and "PRODUCTION_KEY" not in env
    assert TEST_KEY not in json.dumps(run) and "vfy_from" not in json.dumps(run)
    assert env["KEEP"] == "1"


async def test_a_missing_program_is_one_line():
    runner = HookRunner(["/nonexistent/notify-me", "x"])
    assert await runner.run(event()) == "hook notify-me: program not found (completed batch_abc123)"


async def test_a_failing_hook_is_reported_with_its_last_error_line_cleaned():
    script = (
        "import sys; sys.stderr.write('first\\nno route to \\x1b]0;x\\x07chat\\n'); sys.exit(7)"
    )
    runner = HookRunner([sys.executable, "-c", script])
    problem = await runner.run(event("stalled", stalled_for=700.0))
    assert problem == "hook " + Path(sys.executable).name + (
        ": exit status 7 (stalled batch_abc123): no route to chat"
    )


async def test_a_hook_that_hangs_is_killed_after_the_timeout_and_reported(tmp_path):
    # It starts a child that would outlive it: both are stopped, as one process group.
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "open(sys.argv[1], 'w').write(str(child.pid)); time.sleep(60)"
    )
    # Three seconds: long enough that a busy machine has started both processes (and
    # written the pid) before the hook is stopped.
    runner = HookRunner([sys.executable, "-c", script, str(pid_file)], timeout=3.0)
    # Bounded: a hook's child holding its stderr open must not hold the runner.
    problem = await asyncio.wait_for(runner.run(event("failure_alarm")), 30)
    assert problem == (
        f"hook {Path(sys.executable).name}: still running after 3s, stopped "
        "(failure_alarm batch_abc123)"
    )
    child = Path(f"/proc/{pid_file.read_text()}/stat")
    await wait_until(lambda: not child.exists() or child.read_text().split()[2] == "Z")


async def test_a_burst_runs_one_hook_at_a_time_and_drops_what_cannot_wait(tmp_path):
    out = tmp_path / "runs.txt"
    script = (
        "import os, sys, time; f = open(sys.argv[1], 'a'); "
        "f.write('start\\n'); f.flush(); time.sleep(0.05); f.write('end\\n')"
    )
    runner = HookRunner([sys.executable, "-c", script, str(out)], max_queued=4)
    problems: list[str] = []
    runner.report = problems.append
    runner.submit([event() for _ in range(500)])
    await wait_until(lambda: bool(problems), timeout=30)
    lines = out.read_text().splitlines()
    assert lines == ["start", "end"] * 4  # serially: never two at once
    assert runner.dropped == 496 and runner.runs == 4
    hook = Path(sys.executable).name
    assert problems == [f"hook {hook}: 496 events skipped (more than 4 were waiting at once)"]


@pytest.mark.parametrize("kind", ["completed", "failed", "cancelled", "stalled", "failure_alarm"])
def test_every_event_kind_is_named_as_documented(kind):
    from batch_tui.integrations.hooks import event_variables

    assert event_variables(event(kind))["BATCH_EVENT"] == kind


def _from_file(tmp_path: Path, text: str):
    from batch_tui.settings.config import resolve_settings

    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return resolve_settings(cli={"config": str(path)}, env={"CHECK_API_KEY": TEST_KEY})


def test_on_event_is_read_from_the_config_file_as_an_argument_list(tmp_path):
    settings = _from_file(tmp_path, 'on_event = ["notify-send", "batch-tui"]\nnotify = "desktop"\n')
    assert settings.on_event == ("notify-send", "batch-tui")
    assert settings.notify == "desktop"


@pytest.mark.parametrize("value", ['"notify-send $BATCH_NAME"', "[]", '[""]', '["a", 1]', "true"])
def test_an_on_event_that_is_not_a_list_of_strings_is_refused_in_one_line(tmp_path, value):
    from batch_tui.settings.config import ConfigError

    with pytest.raises(ConfigError, match="on_event must be a list of strings") as caught:
        _from_file(tmp_path, f"on_event = {value}\n")
    assert "\n" not in str(caught.value)


def test_bad_notify_and_stall_after_are_refused_naming_them(tmp_path):
    from batch_tui.settings.config import ConfigError, resolve_settings

    with pytest.raises(ConfigError, match="--notify: notify must be one of none, desktop, osc777"):
        resolve_settings(cli={"notify": "loud"}, env={"CHECK_API_KEY": TEST_KEY})
    with pytest.raises(ConfigError, match="--stall-after: stall_after must be a number of seconds"):
        resolve_settings(cli={"stall_after": "5"}, env={"CHECK_API_KEY": TEST_KEY})
    assert resolve_settings(cli={"stall_after": "90", "demo": True}, env={}).stall_after == 90
