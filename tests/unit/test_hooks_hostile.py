"""Hooks on a hostile host: no profile's key reaches a hook whatever its spelling,
and a hook is done when its process exits, whatever it leaves in the background."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from batch_tui.integrations.hooks import HookRunner
from batch_tui.session import connect
from batch_tui.settings.config import resolve_settings
from helpers import RECORDER, TEST_KEY, event, recorded, wait_until

OTHER_KEY = "vfy_other_profiles_key_0123456789"
PLAIN_KEY = "plainkey-without-the-usual-prefix-42"


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_no_profiles_key_reaches_a_hook_by_name_or_by_value_however_spaced(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    out = tmp_path / "hook.jsonl"
    config.write_text(
        f'on_event = ["{sys.executable}", "-c", {json.dumps(RECORDER)}, "{out}"]\n'
        "[profiles.prod]\nkey_env = \"PROD_KEY\"\n"
        "[profiles.lab]\nkey_env = \"LAB_KEY\"\n"
        f'[profiles.old]\napi_key = "{PLAIN_KEY}"\n',
        encoding="utf-8",
    )
    env = {
        "CHECK_API_KEY": TEST_KEY,
        # Another profile's key, with the leading space the profile strips.
        "PROD_KEY": " " + OTHER_KEY,
        # A key without the vfy_ prefix, named by key_env: dropped by name.
        "LAB_KEY": "lab-key-that-looks-like-nothing",
        # The same keys under names no profile gives, spaced: dropped by value.
        "COPY_OF_PROD": f"\t{OTHER_KEY}  ",
        "COPY_OF_OLD": f" {PLAIN_KEY}\n",
        "KEEP": "1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BATCH_TUI_STATE_DIR", str(tmp_path / "state"))
    settings = resolve_settings(cli={"config": str(config), "profile": "old"}, env=env)
    runner = connect(settings).hooks
    assert runner is not None
    problem = asyncio.run(runner.run(event()))
    assert problem is None
    [run] = recorded(out)
    seen = run["env"]
    for name in ("CHECK_API_KEY", "PROD_KEY", "LAB_KEY", "COPY_OF_PROD", "COPY_OF_OLD"):
        assert name not in seen, name
    text = json.dumps(seen)
    assert OTHER_KEY not in text and PLAIN_KEY not in text and "lab-key" not in text
    assert seen["KEEP"] == "1"


async def test_a_hook_that_leaves_a_background_child_is_done_at_once_and_its_child_lives(tmp_path):
    pid_file = tmp_path / "child.pid"
    # The shell's `sleep 30 &` inherits the hook's stderr and outlives it.
    script = f'sleep 30 & echo $! > "{pid_file}"; exit 0'
    runner = HookRunner(["/bin/sh", "-c", script], timeout=10.0)
    problems: list[str] = []
    runner.report = problems.append
    started = time.monotonic()
    runner.submit([event() for _ in range(6)])
    await wait_until(lambda: runner.runs == 6 and runner._task is not None and runner._task.done())
    assert time.monotonic() - started < 5  # six events, not one per ten seconds
    assert problems == []
    child = int(pid_file.read_text())
    try:
        # Left alone: the hook's child is still running after the hook is done.
        os.kill(child, 0)
        assert Path(f"/proc/{child}/stat").read_text().split()[2] != "Z"
    finally:
        os.kill(child, 9)


async def test_a_setsid_child_holding_stderr_leaks_no_descriptor_and_holds_nothing(tmp_path):
    pid_file = tmp_path / "pids"
    script = f'setsid sleep 30 & echo $! >> "{pid_file}"; echo done >&2; exit 0'
    runner = HookRunner(["/bin/sh", "-c", script], timeout=10.0)
    before = _open_fds()
    started = time.monotonic()
    try:
        for _ in range(8):
            assert await runner.run(event()) is None
        assert time.monotonic() - started < 6
        assert _open_fds() <= before  # flat: no pipe left open per event
    finally:
        for pid in pid_file.read_text().split():
            try:
                os.kill(int(pid), 9)
            except ProcessLookupError:
                pass


async def test_a_failing_hook_still_says_why_when_a_child_keeps_its_stderr(tmp_path):
    pid_file = tmp_path / "pid"
    script = f'sleep 30 & echo $! > "{pid_file}"; echo "disk on fire" >&2; exit 3'
    runner = HookRunner(["/bin/sh", "-c", script], timeout=10.0)
    try:
        problem = await asyncio.wait_for(runner.run(event()), 5)
        assert problem == "hook sh: exit status 3 (completed batch_abc123): disk on fire"
    finally:
        os.kill(int(pid_file.read_text()), 9)
