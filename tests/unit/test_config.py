"""Settings resolution: command line > environment > TOML config file > defaults, and validation."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from batch_tui.settings import config
from batch_tui.settings.config import ConfigError, Settings, resolve_settings
from helpers import write_config

KEY = "vfy_config_test_secret_123"
FILE_KEY = "vfy_from_the_config_file_456"
KEY_ENV = "CHECK_API_KEY"


#: A developer's own config file never leaks in (the fixture is in conftest.py).
pytestmark = pytest.mark.usefixtures("no_real_config")




def resolve(cli=None, env=None) -> Settings:
    return resolve_settings(cli=cli or {}, env=env if env is not None else {"CHECK_API_KEY": KEY})


# --- defaults and precedence --------------------------------------------------------


def test_defaults_with_only_a_key():
    settings = resolve()

    assert settings.api_key == KEY
    assert settings.base_url == "https://api.check.ai"
    assert settings.interval == 5.0
    assert settings.status is None
    assert settings.batch_ids == ()
    assert settings.demo is False
    assert settings.config_path is None


def test_default_config_file_is_read_when_present(no_real_config):
    no_real_config.parent.mkdir(parents=True)
    no_real_config.write_text(f'api_key = "{FILE_KEY}"\ninterval = 12\n', encoding="utf-8")

    settings = resolve(env={})

    assert settings.api_key == FILE_KEY
    assert settings.interval == 12.0
    assert settings.config_path == no_real_config


def test_config_file_overrides_defaults(tmp_path):
    path = write_config(
        tmp_path,
        f'api_key = "{FILE_KEY}"\nbase_url = "https://file.example.com"\ninterval = 30\nstatus = "failed"\n',
    )

    settings = resolve(cli={"config": str(path)}, env={})

    assert settings.api_key == FILE_KEY
    assert settings.base_url == "https://file.example.com"
    assert settings.interval == 30.0
    assert settings.status == "failed"
    assert settings.config_path == path


def test_environment_overrides_config_file(tmp_path):
    path = write_config(
        tmp_path,
        f'api_key = "{FILE_KEY}"\nbase_url = "https://file.example.com"\ninterval = 30\n',
    )
    env = {
        "CHECK_API_KEY": KEY,
        "CHECK_API_BASE_URL": "https://env.example.com",
        "BATCH_TUI_INTERVAL": "7.5",
    }

    settings = resolve(cli={"config": str(path)}, env=env)

    assert settings.api_key == KEY
    assert settings.base_url == "https://env.example.com"
    assert settings.interval == 7.5


def test_command_line_overrides_environment_and_file(tmp_path):
    path = write_config(
        tmp_path, 'base_url = "https://file.example.com"\ninterval = 30\nstatus = "failed"\n'
    )
    env = {
        "CHECK_API_KEY": KEY,
        "CHECK_API_BASE_URL": "https://env.example.com",
        "BATCH_TUI_INTERVAL": "7.5",
    }
    cli = {
        "config": str(path),
        "base_url": "https://cli.example.com/",
        "interval": "2",
        "status": "Processing",
    }

    settings = resolve(cli=cli, env=env)

    assert settings.base_url == "https://cli.example.com"
    assert settings.interval == 2.0
    assert settings.status == "processing"


def test_empty_environment_values_fall_through_to_the_file(tmp_path):
    path = write_config(tmp_path, 'base_url = "https://file.example.com"\ninterval = 30\n')
    env = {"CHECK_API_KEY": KEY, "CHECK_API_BASE_URL": "", "BATCH_TUI_INTERVAL": ""}

    settings = resolve(cli={"config": str(path)}, env=env)

    assert settings.base_url == "https://file.example.com"
    assert settings.interval == 30.0


def test_none_on_the_command_line_means_not_given():
    env = {"CHECK_API_KEY": KEY, "BATCH_TUI_INTERVAL": "9"}
    settings = resolve(cli={"interval": None, "base_url": None, "status": None}, env=env)
    assert settings.interval == 9.0
    assert settings.base_url == "https://api.check.ai"


def test_batch_ids_from_the_command_line():
    settings = resolve(cli={"batch_ids": ["batch_abc123def456", "batch_2"]})
    assert settings.batch_ids == ("batch_abc123def456", "batch_2")


@pytest.mark.parametrize("bad_id", ["has space", "", "tab\there", "x" * 201])
def test_bad_batch_id_is_refused(bad_id):
    with pytest.raises(ConfigError, match="not a batch id"):
        resolve(cli={"batch_ids": [bad_id]})


# --- the API key --------------------------------------------------------------------


def test_environment_key_wins_over_file_key(tmp_path):
    path = write_config(tmp_path, f'api_key = "{FILE_KEY}"\n')
    assert resolve(cli={"config": str(path)}, env={"CHECK_API_KEY": KEY}).api_key == KEY


def test_key_is_trimmed():
    assert resolve(env={"CHECK_API_KEY": f"  {KEY}\n"}).api_key == KEY


def test_key_is_never_taken_from_the_command_line():
    with pytest.raises(ConfigError, match="no API key"):
        resolve(cli={"api_key": KEY}, env={})


def test_missing_key_is_an_error_that_suggests_demo(no_real_config):
    with pytest.raises(ConfigError) as info:
        resolve(env={})
    message = str(info.value)
    assert "CHECK_API_KEY" in message
    assert "--demo" in message
    assert str(no_real_config) in message
    assert "\n" not in message


def test_empty_file_key_counts_as_missing(tmp_path):
    path = write_config(tmp_path, 'api_key = ""\n')
    with pytest.raises(ConfigError, match="no API key"):
        resolve(cli={"config": str(path)}, env={})


def test_blank_environment_key_counts_as_missing():
    with pytest.raises(ConfigError, match="no API key"):
        resolve(env={"CHECK_API_KEY": "   "})


def test_demo_needs_no_key():
    settings = resolve(cli={"demo": True}, env={})
    assert settings.demo is True
    assert settings.api_key is None


@pytest.mark.parametrize("text", [repr, str])
def test_key_never_appears_in_repr_or_str(text):
    settings = resolve()
    shown = text(settings)
    assert KEY not in shown
    assert "vfy_" not in shown
    assert "<redacted>" in shown
    assert "https://api.check.ai" in shown


def test_key_from_file_never_appears_in_repr(tmp_path):
    path = write_config(tmp_path, f'api_key = "{FILE_KEY}"\n')
    settings = resolve(cli={"config": str(path)}, env={})
    assert FILE_KEY not in repr(settings)
    assert FILE_KEY not in str(settings)
    assert FILE_KEY not in f"{settings}"


# --- the config file ----------------------------------------------------------------


def test_malformed_toml_names_the_file_and_the_line(tmp_path):
    path = write_config(tmp_path, 'interval = 5\nbase_url = = "x"\n')

    with pytest.raises(ConfigError) as info:
        resolve(cli={"config": str(path)})

    message = str(info.value)
    assert str(path) in message
    assert "line 2" in message
    assert "\n" not in message


def test_config_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'api_key = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match="not UTF-8") as info:
        resolve(cli={"config": str(path)})
    assert str(path) in str(info.value)


def test_unknown_config_key_is_an_error(tmp_path):
    path = write_config(tmp_path, 'base_url = "https://api.check.ai"\nrefresh = 3\n')
    with pytest.raises(ConfigError) as info:
        resolve(cli={"config": str(path)})
    message = str(info.value)
    assert "refresh" in message
    assert str(path) in message


def test_api_key_spelled_wrong_in_the_file_is_an_error_not_a_missing_key(tmp_path):
    path = write_config(tmp_path, f'apikey = "{FILE_KEY}"\n')
    with pytest.raises(ConfigError, match="unknown setting 'apikey'") as info:
        resolve(cli={"config": str(path)}, env={})
    assert FILE_KEY not in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('interval = "fast"\n', "interval must be a number"),
        ("interval = true\n", "interval must be a number"),
        ("base_url = 42\n", "base_url must be a string"),
        ('status = ["failed"]\n', "status must be a string"),
        ("api_key = 1234\n", "api_key must be a string"),
    ],
)
def test_mistyped_config_values_are_errors(tmp_path, text, expected):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=expected):
        resolve(cli={"config": str(path)})


def test_explicit_config_path_that_does_not_exist_is_an_error(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="does not exist") as info:
        resolve(cli={"config": str(missing)})
    assert str(missing) in str(info.value)


def test_missing_default_config_file_is_fine(no_real_config):
    assert not no_real_config.exists()
    assert resolve().base_url == "https://api.check.ai"


def test_bad_value_in_config_file_names_the_file(tmp_path):
    path = write_config(tmp_path, "interval = 0\n")
    with pytest.raises(ConfigError) as info:
        resolve(cli={"config": str(path)})
    assert str(path) in str(info.value)


# --- base URL -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.check.ai", "https://api.check.ai"),
        ("https://api.check.ai/", "https://api.check.ai"),
        ("  https://staging.check.ai:8443/api/  ", "https://staging.check.ai:8443/api"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost", "http://localhost"),
        ("http://localhost:8787/", "http://localhost:8787"),
        ("http://[::1]:8787", "http://[::1]:8787"),
    ],
)
def test_good_base_urls(url, expected):
    assert resolve(cli={"base_url": url}).base_url == expected


@pytest.mark.parametrize(
    "url",
    [
        "api.check.ai",
        "not a url",
        "",
        "ftp://api.check.ai",
        "file:///etc/passwd",
        "https://",
        "https://api.check.ai:99999",
    ],
)
def test_bad_base_urls_are_refused(url):
    with pytest.raises(ConfigError, match="--base-url"):
        resolve(cli={"base_url": url})


def test_base_url_with_credentials_is_refused_without_echoing_them():
    with pytest.raises(ConfigError, match="credentials") as info:
        resolve(cli={"base_url": "https://user:hunter2@api.check.ai"})
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    "url", ["http://api.check.ai", "http://10.0.0.5:8000", "http://localhost.evil.com"]
)
def test_plain_http_to_a_remote_host_is_refused(url):
    with pytest.raises(ConfigError) as info:
        resolve(cli={"base_url": url})
    message = str(info.value)
    assert "http" in message
    assert "--allow-insecure-http" in message


def test_plain_http_to_a_remote_host_is_allowed_when_asked():
    settings = resolve(cli={"base_url": "http://api.check.ai", "allow_insecure_http": True})
    assert settings.base_url == "http://api.check.ai"
    assert settings.allow_insecure_http is True


def test_bad_base_url_from_the_environment_names_the_variable():
    env = {"CHECK_API_KEY": KEY, "CHECK_API_BASE_URL": "ftp://api.check.ai"}
    with pytest.raises(ConfigError, match="CHECK_API_BASE_URL"):
        resolve(env=env)


def test_insecure_base_url_in_the_config_file_is_refused(tmp_path):
    path = write_config(tmp_path, 'base_url = "http://api.check.ai"\n')
    with pytest.raises(ConfigError, match="plain http") as info:
        resolve(cli={"config": str(path)})
    assert str(path) in str(info.value)


# --- interval -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [("0.5", 0.5), ("5", 5.0), (" 60 ", 60.0), ("3600", 3600.0)]
)
def test_good_intervals(value, expected):
    assert resolve(cli={"interval": value}).interval == expected


@pytest.mark.parametrize(
    "value", ["fast", "", "0", "-1", "0.1", "nan", "inf", "-inf", "3601", "1e9"]
)
def test_bad_intervals_are_refused(value):
    with pytest.raises(ConfigError, match="interval") as info:
        resolve(cli={"interval": value})
    assert "--interval" in str(info.value)


def test_bad_interval_from_the_environment_names_the_variable():
    with pytest.raises(ConfigError, match="BATCH_TUI_INTERVAL"):
        resolve(env={"CHECK_API_KEY": KEY, "BATCH_TUI_INTERVAL": "soon"})


# --- status -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", ["pending", "validating", "processing", "completed", "failed", "cancelled"]
)
def test_every_documented_status_is_accepted(status):
    assert resolve(cli={"status": status}).status == status


def test_status_is_normalised():
    assert resolve(cli={"status": "  FAILED "}).status == "failed"


@pytest.mark.parametrize("status", ["done", "canceled", "", "queued"])
def test_bad_status_is_refused_with_the_choices(status):
    with pytest.raises(ConfigError) as info:
        resolve(cli={"status": status})
    message = str(info.value)
    assert "--status" in message
    assert "processing" in message


def test_headroom_and_read_only_come_from_the_config_file_or_the_command_line(tmp_path):
    path = write_config(tmp_path, 'api_key = "vfy_x"\nheadroom = 35\nread_only = true\n')
    settings = resolve(cli={"config": str(path)}, env={})
    assert settings.headroom == 0.35 and settings.read_only
    settings = resolve(cli={"config": str(path), "headroom": "10"}, env={})
    assert settings.headroom == 0.10


@pytest.mark.parametrize("bad", ["95", "-1", "lots", "nan"])
def test_a_bad_headroom_is_refused(bad):
    with pytest.raises(ConfigError, match="headroom"):
        resolve(cli={"headroom": bad}, env={"CHECK_API_KEY": "vfy_x"})


def test_a_bad_failure_alarm_is_refused_naming_it():
    with pytest.raises(ConfigError, match="--failure-alarm: failure_alarm must be a percentage"):
        resolve(cli={"failure_alarm": "0"})


# --- switches -----------------------------------------------------------------------


def test_switches_on_the_command_line_override_the_file(tmp_path):
    path = write_config(tmp_path, "bell = true\nstore = true\nread_only = false\n")
    cli = {"config": str(path), "bell": False, "store": False, "read_only": True}
    settings = resolve(cli=cli)
    assert (settings.bell, settings.store, settings.read_only) == (False, False, True)


def test_switches_not_given_leave_the_file_in_charge(tmp_path):
    path = write_config(tmp_path, "bell = false\nstore = false\nread_only = true\n")
    cli = {"config": str(path), "bell": None, "store": None, "read_only": None}
    settings = resolve(cli=cli)
    assert (settings.bell, settings.store, settings.read_only) == (False, False, True)


@pytest.mark.parametrize("key", ["bell", "store", "read_only"])
def test_a_switch_in_the_file_must_be_true_or_false(tmp_path, key):
    path = write_config(tmp_path, f'{key} = "no"\n')
    with pytest.raises(ConfigError, match=f"{key} must be true or false"):
        resolve(cli={"config": str(path)})


def test_blank_environment_values_fall_through_to_the_file(tmp_path):
    path = write_config(tmp_path, 'base_url = "https://file.example.com"\n')
    env = {"CHECK_API_KEY": KEY, "CHECK_API_BASE_URL": "  "}
    assert resolve(cli={"config": str(path)}, env=env).base_url == "https://file.example.com"


def test_an_api_key_a_header_cannot_carry_is_refused_without_echoing_it(tmp_path):
    with pytest.raises(ConfigError, match="CHECK_API_KEY contains characters") as info:
        resolve(env={"CHECK_API_KEY": "vfy_with space"})
    assert "vfy_with space" not in str(info.value)


# --- which commands take which settings ----------------------------------------------


def test_status_never_reads_the_poll_interval():
    env = {"CHECK_API_KEY": KEY, "BATCH_TUI_INTERVAL": "abc"}
    settings = resolve_settings(cli={"interval": "also bad"}, env=env, command="status")
    assert settings.interval == config.DEFAULT_INTERVAL
    with pytest.raises(ConfigError, match="BATCH_TUI_INTERVAL"):
        resolve_settings(cli={}, env=env, command="watch")


def test_a_script_ignores_dashboard_only_settings_in_the_file(tmp_path):
    path = write_config(tmp_path, "failure_alarm = 500\nbell = false\n")
    for command in ("status", "watch"):
        settings = resolve_settings(cli={"config": str(path)}, env={KEY_ENV: KEY}, command=command)
        assert settings.failure_alarm == config.DEFAULT_ALARM_RATE and settings.bell is True
    with pytest.raises(ConfigError, match="failure_alarm"):
        resolve_settings(cli={"config": str(path)}, env={KEY_ENV: KEY}, command="dashboard")


def test_watch_keeps_the_headroom_the_dashboard_keeps_and_status_ignores_it(tmp_path):
    path = write_config(tmp_path, "headroom = 95\n")
    settings = resolve_settings(cli={"config": str(path)}, env={KEY_ENV: KEY}, command="status")
    assert settings.headroom == config.DEFAULT_HEADROOM
    for command in ("dashboard", "watch"):
        with pytest.raises(ConfigError, match="headroom"):
            resolve_settings(cli={"config": str(path)}, env={KEY_ENV: KEY}, command=command)
        settings = resolve_settings(cli={"headroom": "50"}, env={KEY_ENV: KEY}, command=command)
        assert settings.headroom == 0.5


def test_watch_has_no_status_filter():
    settings = resolve_settings(cli={"status": "failed"}, env={KEY_ENV: KEY}, command="watch")
    assert settings.status is None


def test_an_unknown_command_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown command"):
        resolve_settings(cli={}, env={KEY_ENV: KEY}, command="dashbaord")


def test_demo_with_a_base_url_on_the_command_line_is_refused():
    with pytest.raises(ConfigError, match="--demo runs its own server; drop --base-url"):
        resolve(cli={"demo": True, "base_url": "https://api.check.ai"})


# --- the table of settings ---------------------------------------------------------


def test_every_field_of_settings_is_one_row_of_the_table_with_the_same_default():
    names = [item.name for item in fields(Settings) if item.name not in config.DERIVED]
    assert sorted(names) == sorted(setting.name for setting in config.SETTINGS)
    for item in fields(Settings):
        if item.name in config.SETTING:
            assert item.default == config.SETTING[item.name].default, item.name


def test_the_table_is_consistent():
    file_keys = [s.file_key for s in config.SETTINGS if s.file_key]
    flags = [s.flag for s in config.SETTINGS if s.flag]
    assert len(set(file_keys)) == len(file_keys) and len(set(flags)) == len(flags)
    assert config.CONFIG_KEYS == tuple(file_keys)
    for setting in config.SETTINGS:
        assert setting.commands and setting.commands <= set(config.COMMANDS), setting.name
        if setting.secret:
            assert setting.flag is None and not setting.operand, "a secret is never typed"
        if setting.switch is not None:
            assert setting.flag and setting.metavar is None, setting.name
        if setting.flag:
            assert setting.help, setting.name
    order = [s.name for s in config.SETTINGS]
    # base_url's parser reads allow_insecure_http, so that comes first.
    assert order.index("allow_insecure_http") < order.index("base_url")


def test_repr_shows_every_field_and_redacts_the_key(tmp_path):
    path = write_config(tmp_path, "bell = false\n")
    settings = resolve(cli={"config": str(path), "batch_ids": ["batch_1"]})
    shown = repr(settings)
    for item in fields(Settings):
        assert f"{item.name}=" in shown, item.name
    assert "api_key=<redacted>" in shown and KEY not in shown
    assert "bell=False" in shown and "batch_ids=('batch_1',)" in shown
    assert "api_key=None" in repr(resolve(cli={"demo": True}, env={}))


def test_the_settings_page_holds_the_table_rendered_from_the_settings():
    page = Path(__file__).resolve().parents[2] / "docs" / "settings.md"
    text = page.read_text(encoding="utf-8")
    start, end = "<!-- settings-table -->\n", "<!-- /settings-table -->"
    assert text.count(start) == 1 and text.count(end) == 1
    shown = text.split(start, 1)[1].split(end, 1)[0]
    assert shown == config.settings_table_markdown(), (
        "docs/settings.md's settings table is out of date; replace it with "
        "batch_tui.settings.config.settings_table_markdown()"
    )


def test_the_rendered_table_has_a_row_per_setting():
    rows = config.settings_table_markdown().splitlines()[2:]
    assert len(rows) == len(config.SETTINGS)
    key_row = rows[[s.name for s in config.SETTINGS].index("api_key")]
    assert "— (never)" in key_row and "`CHECK_API_KEY`" in key_row
