"""The API key never shows: not on screen, in notifications, errors, tracebacks or screenshots."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from apphelpers import notifications, screen_text
from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError
from batch_tui.monitor.scheduler import REFRESH_COALESCE
from batch_tui.settings.config import ConfigError, resolve_settings
from helpers import wait_until

SECRET = "vfy_secret_DO_NOT_SHOW_0123456789"
ROOT = Path(__file__).resolve().parents[2]


async def test_key_is_nowhere_on_screen_in_notifications_or_screenshots(run_app, demo_api, clock):
    seen: list[str] = []
    async with run_app(size=(140, 36), notifications=True, api_key=SECRET) as pilot:
        app = pilot.app
        seen += [screen_text(app), app.export_screenshot()]
        # Every path that shows an error: a failing server, a rejected key, a refused cancel.
        demo_api.faults.status = 500
        await pilot.press("r")
        await wait_until(lambda: app.monitor.status.state == "error", pilot=pilot)
        demo_api.faults.status = None
        await pilot.press("c", "n")  # a cancel dialog, declined
        demo_api.api_key = "vfy_the_real_one"
        clock.advance(REFRESH_COALESCE)  # a second press this soon would join the first
        await pilot.press("r")
        await wait_until(lambda: app.monitor.status.state == "unauthorized", pilot=pilot)
        await pilot.pause()
        seen += [screen_text(app), app.export_screenshot()]
        seen += [f"{n.title} {n.message}" for n in notifications(app)]
        seen += [repr(app.monitor.client), repr(app.monitor.status), str(app.monitor.snapshots)]
    for text in seen:
        assert SECRET not in text


async def test_key_is_not_in_error_messages_or_tracebacks(demo):
    async with CheckClient("http://127.0.0.1:9", SECRET, timeout=0.5) as client:
        with pytest.raises(ApiError) as failed:
            await client.get_batch("batch_x")
    rendered = "".join(traceback.format_exception(failed.value))
    assert SECRET not in rendered and SECRET not in repr(failed.value)


def test_key_is_not_in_settings_repr_or_help():
    settings = resolve_settings(cli={"demo": False}, env={"CHECK_API_KEY": SECRET})
    assert SECRET not in repr(settings) and SECRET not in str(settings)
    env = {**os.environ, "CHECK_API_KEY": SECRET}
    shown = subprocess.run(
        [sys.executable, "-m", "batch_tui", "--help"], capture_output=True, text=True, env=env
    )
    assert SECRET not in shown.stdout + shown.stderr


def test_no_committed_screenshot_or_snapshot_holds_a_key():
    pictures = [*ROOT.glob("screenshots/*.svg"), *ROOT.glob("tests/**/__snapshots__/**/*.svg")]
    assert pictures
    for picture in pictures:
        text = picture.read_text(encoding="utf-8")
        assert "vfy_" not in text, picture.name


def test_a_config_file_others_can_read_gets_a_warning_with_the_fix(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'api_key = "{SECRET}"\n')
    path.chmod(0o644)
    settings = resolve_settings(cli={"config": str(path)}, env={})
    assert settings.warnings and f"chmod 600 {path}" in settings.warnings[0]
    assert SECRET not in settings.warnings[0]
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert resolve_settings(cli={"config": str(path)}, env={}).warnings == ()


# ── config errors never echo a key ───────────────────────────────────────────


@pytest.mark.parametrize(
    "url",
    [
        f"ftp://user:{SECRET}@api.check.ai",
        f"ftp://user:{SECRET}/x@api.check.ai",  # a '/' in the password
        f"{SECRET}@api.check.ai",
        f"not a url://user:{SECRET}@host",
        f"http://user:{SECRET}@api.check.ai",  # parses, but carries credentials
    ],
)
@pytest.mark.parametrize("where", ["cli", "env", "file"])
def test_a_base_url_with_credentials_is_refused_without_echoing_them(tmp_path, url, where):
    path = tmp_path / "config.toml"
    path.write_text(f"base_url = {json.dumps(url)}\n" if where == "file" else "")
    cli = {"config": str(path), "base_url": url if where == "cli" else None}
    env = {"CHECK_API_KEY": "vfy_other_key_1234"}
    if where == "env":
        env["CHECK_API_BASE_URL"] = url
    with pytest.raises(ConfigError) as refused:
        resolve_settings(cli=cli, env=env)
    message = str(refused.value)
    assert SECRET not in message and "user:" not in message
    assert "base URL" in message


@pytest.mark.parametrize(
    "cli",
    [
        {"base_url": f"ftp://api.check.ai/?key={SECRET}"},
        {"interval": SECRET},
        {"status": SECRET},
        {"batch_ids": [f"{SECRET} "]},
    ],
)
def test_the_key_itself_is_redacted_from_any_config_error(tmp_path, cli):
    with pytest.raises(ConfigError) as refused:
        resolve_settings(cli={"config": None, **cli}, env={"CHECK_API_KEY": SECRET})
    assert SECRET not in str(refused.value)
    assert "<redacted>" in str(refused.value)


def test_a_key_from_the_file_is_redacted_from_a_config_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'api_key = "{SECRET}"\nstatus = "{SECRET}"\n')
    path.chmod(0o600)
    with pytest.raises(ConfigError) as refused:
        resolve_settings(cli={"config": str(path)}, env={})
    assert SECRET not in str(refused.value)


def test_the_command_line_never_echoes_a_key_in_a_base_url(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'base_url = "ftp://u:{SECRET}@h"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHECK_", "BATCH_TUI_"))}
    env.update(CHECK_API_KEY="vfy_whatever_key_1", HOME=str(tmp_path))
    for command in ([], ["status"], ["watch", "batch_x"]):
        shown = subprocess.run(
            [sys.executable, "-m", "batch_tui", *command, "--config", str(config)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert shown.returncode == 2
        assert SECRET not in shown.stdout + shown.stderr
        assert len(shown.stderr.splitlines()) == 1
