"""Corrupt local files: the config file and the watch list, read from real files.

A config file that cannot be used is one line and exit 2, never a traceback and
never a hang (a FIFO or a device is refused before it is opened for reading). A
watch list that cannot be used is reported and ignored, and its content is kept.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from batch_tui.integrations.watchlist import WatchList
from batch_tui.settings.config import ConfigError, read_config_file, resolve_settings
from helpers import cli_env, run_cli

KEY = "vfy_local_files_test_key"


#: A developer's own config file never leaks in (the fixture is in conftest.py).
pytestmark = pytest.mark.usefixtures("no_real_config")


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # A bounded wait: a command that blocks on a FIFO fails here instead of hanging.
    return run_cli(args, cli_env(tmp_path, CHECK_API_KEY=KEY, **env), tmp_path, timeout=30)


def one_usage_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert KEY not in result.stderr
    return lines[0]


def nested_toml(depth: int) -> str:
    return "interval = " + "[" * depth + "]" * depth + "\n"


# ── the config file ──────────────────────────────────────────────────────────


def test_a_config_nested_past_the_parsers_stack_is_a_config_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(nested_toml(5000), encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply") as info:
        read_config_file(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("command", [[], ["status"], ["watch", "batch_x"]])
def test_a_nested_config_is_one_line_and_exit_2(tmp_path, command):
    path = tmp_path / "config.toml"
    path.write_text(nested_toml(5000), encoding="utf-8")
    line = one_usage_error(run([*command, "--config", str(path)], tmp_path))
    assert str(path) in line and "nested too deeply" in line


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: p.mkdir(), "a directory"),
        (lambda p: os.mkfifo(p), "a FIFO"),
    ],
    ids=["directory", "fifo"],
)
@pytest.mark.parametrize("command", [[], ["status"]])
def test_config_that_is_not_a_regular_file_is_refused_without_reading(
    tmp_path, make, kind, command
):
    path = tmp_path / "config.toml"
    make(path)
    line = one_usage_error(run([*command, "--config", str(path)], tmp_path))
    assert f"config file {path} is {kind}" in line


def test_dev_null_as_config_is_refused():
    with pytest.raises(ConfigError, match="is a character device"):
        resolve_settings(cli={"config": "/dev/null"}, env={"CHECK_API_KEY": KEY})


def test_a_fifo_at_the_default_config_path_does_not_hang(tmp_path):
    directory = tmp_path / "xdg" / "batch-tui"
    directory.mkdir(parents=True)
    os.mkfifo(directory / "config.toml")
    line = one_usage_error(run(["status"], tmp_path))
    assert "is a FIFO" in line


def test_a_huge_config_file_is_refused(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    with pytest.raises(ConfigError, match="larger than"):
        read_config_file(path)


def test_a_good_config_file_still_reads(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('interval = 10\nstatus = "failed"\n', encoding="utf-8")
    assert read_config_file(path) == {"interval": 10, "status": "failed"}
    assert read_config_file(tmp_path / "missing.toml") == {}


# ── the watch list ───────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"watched": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"{not json",
        b"\xff\xfe\x00garbage",
        b'{"watched": "batch_a"}',
        b"[]",
    ],
    ids=["nested", "nested-inside", "not-json", "not-utf8", "not-a-list", "not-an-object"],
)
def test_a_corrupt_watch_list_is_reported_ignored_and_kept(tmp_path, content):
    path = tmp_path / "watched.json"
    path.write_bytes(content)
    store = WatchList(path)
    assert store.load() == []
    assert store.problem is not None and str(path) in store.problem
    kept = path.with_name("watched.json.corrupt")
    assert str(kept) in store.problem
    # What the dashboard does next: remember the ids of this run.
    store.save(["batch_a"])
    assert kept.read_bytes() == content
    assert json.loads(path.read_text()) == {"watched": ["batch_a"]}
    # A second corrupt file does not overwrite the first one kept.
    path.write_bytes(b"{again")
    assert WatchList(path).load() == []
    assert kept.read_bytes() == content
    assert path.with_name("watched.json.corrupt-1").read_bytes() == b"{again"


def load_within(store: WatchList, seconds: float = 10) -> list[str] | None:
    """``store.load()`` in a thread, or None if it is still blocked after ``seconds``
    (a bounded wait; a blocked reader of a FIFO is then released by opening its
    other end, so no thread is left behind)."""
    result: list[list[str]] = []
    thread = threading.Thread(target=lambda: result.append(store.load()), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        os.close(os.open(store.path, os.O_WRONLY))
        thread.join()
        return None
    return result[0]


def test_a_watch_list_that_is_not_a_regular_file_is_left_alone(tmp_path):
    path = tmp_path / "watched.json"
    os.mkfifo(path)
    store = WatchList(path)
    assert load_within(store) == []  # at once: a FIFO is never opened for reading
    assert "is a FIFO" in (store.problem or "")
    store.save(["batch_a"])  # nothing of ours to replace it with
    assert path.is_fifo()


def test_ids_that_are_no_batch_ids_are_dropped_from_the_watch_list(tmp_path):
    path = tmp_path / "watched.json"
    path.write_text(json.dumps({"watched": ["batch_a", "..", "a/b", 7, "", "batch_a", "b"]}))
    store = WatchList(path)
    assert store.load() == ["batch_a", "b"]
    assert store.problem is None


def test_a_missing_watch_list_is_empty_without_a_problem(tmp_path):
    store = WatchList(tmp_path / "nowhere" / "watched.json")
    assert store.load() == [] and store.problem is None
    store.save(["batch_a"])
    assert store.load() == ["batch_a"]
