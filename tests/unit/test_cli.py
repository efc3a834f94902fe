"""The real ``batch-tui`` command in a subprocess: bad input gives one line and exit 2, never a traceback.

No test here launches the dashboard: every run either prints help/version or fails
validation before the app starts (a timeout turns an accidental launch into a failure).
"""

from __future__ import annotations

import subprocess

import pytest

from batch_tui import __version__
from batch_tui.settings.config import SETTINGS
from helpers import cli_env, run_cli

SECRET = "vfy_secret_for_help_test"


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """The current environment minus batch-tui's variables, with config looked up in tmp_path."""
    return cli_env(tmp_path, NO_COLOR="1", COLUMNS="100")


@pytest.fixture
def keyed_env(env) -> dict[str, str]:
    """The clean environment with a (fake) API key set."""
    return {**env, "CHECK_API_KEY": SECRET}


run = run_cli


def assert_one_line_usage_error(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr, no traceback; returns that line."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stderr.endswith("\n")
    assert "error" in lines[0]
    return lines[0]


# --- no key -------------------------------------------------------------------------


def test_no_key_exits_2_with_one_line_that_suggests_demo(env, tmp_path):
    line = assert_one_line_usage_error(run([], env, tmp_path))

    assert "CHECK_API_KEY" in line
    assert "--demo" in line
    # It names where the config file would be, which is under our XDG_CONFIG_HOME.
    assert str(tmp_path / "xdg") in line


def test_empty_key_variable_counts_as_no_key(env, tmp_path):
    line = assert_one_line_usage_error(run([], {**env, "CHECK_API_KEY": ""}, tmp_path))
    assert "--demo" in line


def test_default_config_file_under_xdg_config_home_is_read(env, tmp_path):
    config_dir = tmp_path / "xdg" / "batch-tui"
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text(
        f'api_key = "{SECRET}"\ninterval = 0\n', encoding="utf-8"
    )

    line = assert_one_line_usage_error(run([], env, tmp_path))

    # The key was found in the file (no "no API key"), and the file's bad interval is reported.
    assert "interval" in line
    assert str(config_dir / "config.toml") in line
    assert SECRET not in line


# --- bad input: one line each, exit 2 ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--interval", "soon"], "--interval"),
        (["--interval", "0"], "--interval"),
        (["--interval", "-3"], "--interval"),
        (["--interval", "nan"], "--interval"),
        (["--base-url", "not a url"], "--base-url"),
        (["--base-url", "ftp://api.check.ai"], "--base-url"),
        (["--base-url", "http://api.check.ai"], "--allow-insecure-http"),
        (["--status", "done"], "--status"),
        (["has space"], "not a batch id"),
    ],
)
def test_bad_option_values_give_one_line(keyed_env, tmp_path, args, expected):
    line = assert_one_line_usage_error(run(args, keyed_env, tmp_path))
    assert expected in line
    assert SECRET not in line


def test_bad_interval_from_the_environment_gives_one_line(keyed_env, tmp_path):
    line = assert_one_line_usage_error(
        run([], {**keyed_env, "BATCH_TUI_INTERVAL": "fast"}, tmp_path)
    )
    assert "BATCH_TUI_INTERVAL" in line


def test_bad_interval_is_reported_even_with_demo(env, tmp_path):
    line = assert_one_line_usage_error(run(["--demo", "--interval", "0"], env, tmp_path))
    assert "--interval" in line


def test_demo_with_base_url_is_refused(env, tmp_path):
    line = assert_one_line_usage_error(
        run(["--demo", "--base-url", "https://api.check.ai"], env, tmp_path)
    )
    assert "--base-url" in line


def test_malformed_config_file_names_file_and_line(keyed_env, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('interval = 5\nstatus = "failed\n', encoding="utf-8")

    line = assert_one_line_usage_error(run(["--config", str(path)], keyed_env, tmp_path))

    assert str(path) in line
    assert "line 2" in line


def test_unknown_setting_in_config_file_gives_one_line(keyed_env, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("refresh = 3\n", encoding="utf-8")

    line = assert_one_line_usage_error(run(["--config", str(path)], keyed_env, tmp_path))

    assert "refresh" in line
    assert str(path) in line


def test_missing_config_file_gives_one_line(keyed_env, tmp_path):
    missing = tmp_path / "nowhere.toml"
    line = assert_one_line_usage_error(run(["--config", str(missing)], keyed_env, tmp_path))
    assert str(missing) in line


@pytest.mark.parametrize("args", [["--bogus"], ["--interval"], ["-x"]])
def test_unknown_or_incomplete_options_give_one_line(keyed_env, tmp_path, args):
    line = assert_one_line_usage_error(run(args, keyed_env, tmp_path))
    assert "--help" in line
    assert SECRET not in line


def test_there_is_no_api_key_option(keyed_env, tmp_path):
    result = run(["--api-key", "vfy_typed_key"], keyed_env, tmp_path)
    line = assert_one_line_usage_error(result)
    assert "unrecognized arguments" in line


# --- help and version ---------------------------------------------------------------


def test_help_exits_0_and_explains_demo_and_the_key_variable(env, tmp_path):
    result = run(["--help"], env, tmp_path)

    assert result.returncode == 0
    assert result.stderr == ""
    assert "--demo" in result.stdout
    assert "CHECK_API_KEY" in result.stdout
    assert "--api-key" not in result.stdout


def test_help_never_shows_the_key_from_the_environment(keyed_env, tmp_path):
    result = run(["--help"], keyed_env, tmp_path)

    assert result.returncode == 0
    assert "CHECK_API_KEY" in result.stdout
    assert SECRET not in result.stdout
    assert SECRET not in result.stderr


def test_help_works_without_a_key_and_with_a_broken_config(env, tmp_path):
    config_dir = tmp_path / "xdg" / "batch-tui"
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text("this is not toml\n", encoding="utf-8")

    result = run(["--help"], env, tmp_path)

    assert result.returncode == 0
    assert "usage" in result.stdout


def test_version(env, tmp_path):
    result = run(["--version"], env, tmp_path)

    assert result.returncode == 0
    assert result.stdout.strip() == f"batch-tui {__version__}"


def test_demo_server_help(keyed_env, tmp_path):
    result = run(["demo-server", "--help"], keyed_env, tmp_path)

    assert result.returncode == 0
    assert "--port" in result.stdout
    assert "--require-key" in result.stdout
    assert SECRET not in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "abc"], "--port"),
        (["--port", "0"], "--port"),
        (["--port", "70000"], "--port"),
        (["--rate-limit", "-1"], "--rate-limit"),
        (["--require-key"], "CHECK_API_KEY"),
        (["--bogus"], "--bogus"),
    ],
)
def test_demo_server_bad_input_gives_one_line(env, tmp_path, args, expected):
    line = assert_one_line_usage_error(run(["demo-server", *args], env, tmp_path))
    assert expected in line


def test_key_never_appears_in_any_error_output(keyed_env, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[[[\n", encoding="utf-8")
    cases = [
        ["--interval", "x"],
        ["--base-url", "http://example.com"],
        ["--status", "nope"],
        ["--config", str(broken)],
        ["--config", str(tmp_path / "missing.toml")],
        ["--bogus"],
        ["demo-server", "--port", "0"],
    ]
    for args in cases:
        result = run(args, keyed_env, tmp_path)
        assert result.returncode == 2, args
        assert SECRET not in result.stdout, args
        assert SECRET not in result.stderr, args


# --- options come from the table of settings ----------------------------------------


@pytest.mark.parametrize("command", ["dashboard", "status", "watch"])
def test_each_command_offers_exactly_the_settings_it_takes(env, tmp_path, command):
    args = ["--help"] if command == "dashboard" else [command, "--help"]
    result = run(args, env, tmp_path)
    assert result.returncode == 0, result.stderr
    offered = {word.strip("[],") for word in result.stdout.split() if word.startswith("--")}
    for setting in SETTINGS:
        if setting.flag:
            assert (setting.flag in offered) == (command in setting.commands), setting.flag
    for setting in SETTINGS:
        if setting.env and command in setting.commands:
            assert setting.env in result.stdout


def test_option_help_names_the_default_and_the_other_sources(env, tmp_path):
    result = run(["--help"], {**env, "COLUMNS": "400"}, tmp_path)
    line = next(
        line for line in result.stdout.splitlines() if line.strip().startswith("--interval")
    )
    assert "default 5 (0.5 to 3600)" in line
    assert "env BATCH_TUI_INTERVAL" in line and "config file: interval" in line


def test_status_ignores_a_broken_interval_variable_but_watch_does_not(env, tmp_path):
    broken = {**env, "BATCH_TUI_INTERVAL": "abc"}
    status = run(["status", "--demo"], broken, tmp_path)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("ID ")
    line = assert_one_line_usage_error(run(["watch", "--demo", "batch_x"], broken, tmp_path))
    assert "BATCH_TUI_INTERVAL" in line


def test_demo_with_base_url_is_refused_by_the_scripts_too(env, tmp_path):
    for command in (["status"], ["watch", "batch_x"]):
        args = [*command, "--demo", "--base-url", "https://api.check.ai"]
        line = assert_one_line_usage_error(run(args, env, tmp_path))
        assert "drop --base-url" in line
