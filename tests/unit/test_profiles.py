"""Profiles: ``[profiles.NAME]`` tables, ``--profile`` / ``BATCH_TUI_PROFILE``, what wins
over what, the errors, the key warning, and each profile's own store and watch list."""

from __future__ import annotations

import json

import pytest

from batch_tui.core.paths import profile_dir
from batch_tui.integrations.watchlist import WatchList, default_path
from batch_tui.settings.config import ConfigError
from batch_tui.store import store_path
from helpers import CONFIG, STAGING_KEY, TOP_KEY, cli_env, resolve, run_cli, write

PROD_KEY = "vfy_production_key_333"
ENV_KEY = "vfy_left_in_the_shell_444"



#: A developer's own config file never leaks in (the fixture is in conftest.py).
pytestmark = pytest.mark.usefixtures("no_real_config")






# ── choosing a profile, and what wins ────────────────────────────────────────


def test_without_a_profile_the_top_level_settings_apply_as_before(tmp_path):
    settings = resolve(write(tmp_path))
    assert settings.profile is None and settings.profile_color is None
    assert (settings.api_key, settings.base_url, settings.interval) == (
        TOP_KEY,
        "https://api.check.ai",
        10,
    )
    assert settings.profiles == ("staging", "production")


def test_a_profile_overrides_the_top_level_and_falls_back_to_it(tmp_path):
    settings = resolve(write(tmp_path), profile="staging")
    assert settings.profile == "staging" and settings.profile_color == "green"
    assert settings.api_key == STAGING_KEY
    assert settings.base_url == "https://staging.example.com"
    assert settings.interval == 10 and settings.bell is False  # not in the profile: top level


def test_key_env_reads_the_named_variable(tmp_path):
    settings = resolve(write(tmp_path), env={"PROD_KEY": PROD_KEY}, profile="production")
    assert settings.api_key == PROD_KEY
    assert (settings.read_only, settings.interval, settings.profile_color) == (True, 30, "#ff0000")


def test_the_profile_is_chosen_by_the_environment_and_the_flag_wins(tmp_path):
    path = write(tmp_path)
    env = {"BATCH_TUI_PROFILE": "staging", "PROD_KEY": PROD_KEY}
    assert resolve(path, env=env).profile == "staging"
    assert resolve(path, env=env, profile="production").profile == "production"
    assert resolve(path, env={"BATCH_TUI_PROFILE": "  "}).profile is None  # blank is unset


def test_the_profile_beats_the_environment_and_the_command_line_beats_both(tmp_path):
    path = write(tmp_path)
    env = {"CHECK_API_KEY": ENV_KEY, "BATCH_TUI_INTERVAL": "3", "PROD_KEY": PROD_KEY}
    # A key left in the shell must not reach production when production is asked for.
    production = resolve(path, env=env, profile="production")
    assert production.api_key == PROD_KEY and production.interval == 30
    # What the profile does not set still comes from the environment before the file.
    staging = resolve(path, env=env, profile="staging")
    assert staging.api_key == STAGING_KEY and staging.interval == 3
    assert resolve(path, env=env, profile="production", interval="7").interval == 7
    assert resolve(path, env=env).api_key == ENV_KEY  # no profile: as before


# ── errors: one line each, never a key ───────────────────────────────────────


def test_an_unknown_profile_names_the_known_ones(tmp_path):
    path = write(tmp_path)
    with pytest.raises(ConfigError) as caught:
        resolve(path, profile="prod")
    message = str(caught.value)
    assert message == f"--profile: no profile 'prod' in {path} (known: staging, production)"
    with pytest.raises(ConfigError, match="BATCH_TUI_PROFILE: no profile 'x'"):
        resolve(path, env={"BATCH_TUI_PROFILE": "x"})
    with pytest.raises(ConfigError, match=r"defines no \[profiles.NAME\] tables"):
        resolve(write(tmp_path, f'api_key = "{TOP_KEY}"\n'), profile="staging")


def test_a_missing_key_variable_is_an_error_not_another_key(tmp_path):
    with pytest.raises(ConfigError) as caught:
        resolve(write(tmp_path), env={"CHECK_API_KEY": ENV_KEY}, profile="production")
    assert "reads its key from $PROD_KEY, which is not set" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('color = "rouge"', "color must be a colour name such as red"),
        ("color = 3", "color must be a colour name"),
        ('colour = "red"', "unknown setting 'colour'"),
        ('interval = "fast"', "interval must be a number of seconds"),
        ('api_key = "k"\nkey_env = "K"', "give api_key or key_env, not both"),
        ('key_env = "NOT A NAME"', "key_env must name an environment variable"),
    ],
)
def test_a_bad_profile_table_gives_one_line_naming_it(tmp_path, table, expected):
    path = write(tmp_path, f"[profiles.lab]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        resolve(path, env={"CHECK_API_KEY": ENV_KEY})
    message = str(caught.value)
    assert expected in message and "profile 'lab'" in message and "\n" not in message


def test_profiles_must_be_tables(tmp_path):
    with pytest.raises(ConfigError, match=r"profiles must be \[profiles.NAME\] tables"):
        resolve(write(tmp_path, 'profiles = "staging"\n'), env={"CHECK_API_KEY": ENV_KEY})


def test_profile_and_demo_or_base_url_do_not_mix(tmp_path):
    path = write(tmp_path)
    with pytest.raises(ConfigError, match="--demo runs its own server; drop --profile"):
        resolve(path, profile="staging", demo=True)
    with pytest.raises(ConfigError, match="--profile names the server; drop --base-url"):
        resolve(path, profile="staging", base_url="https://other.example.com")
    # A profile left in the environment does not stop the demo.
    demo = resolve(path, env={"BATCH_TUI_PROFILE": "staging"}, demo=True)
    assert demo.profile is None and demo.profiles == ()


def test_a_profile_name_with_escapes_is_quoted_inertly_in_errors(tmp_path):
    path = write(tmp_path, '[profiles."evil\\u001b]0;owned\\u0007"]\nkey_env = "NOPE"\n')
    with pytest.raises(ConfigError) as caught:
        resolve(path, profile="evil\x1b]0;owned\x07")
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value)


def test_profile_keys_are_redacted_from_errors(tmp_path):
    text = CONFIG + f'\n[profiles.bad]\nbase_url = "ftp://{STAGING_KEY}"\n'
    with pytest.raises(ConfigError) as caught:
        resolve(write(tmp_path, text), env={"PROD_KEY": PROD_KEY}, profile="bad")
    assert STAGING_KEY not in str(caught.value) and "<redacted>" in str(caught.value)


# ── the permission warning ───────────────────────────────────────────────────


def test_a_key_in_any_profile_of_a_readable_file_gets_the_warning(tmp_path):
    text = '[profiles.a]\napi_key = "vfy_a"\n[profiles.b]\nkey_env = "B_KEY"\n'
    path = write(tmp_path, text, mode=0o644)
    warnings = resolve(path, env={"B_KEY": "vfy_b"}, profile="b").warnings
    assert len(warnings) == 1
    assert "the API key of profile 'a'" in warnings[0] and f"chmod 600 {path}" in warnings[0]
    assert "'b'" not in warnings[0] and "vfy_a" not in warnings[0]
    # key_env keeps the key out of the file: no warning.
    path = write(tmp_path, '[profiles.b]\nkey_env = "B_KEY"\n', mode=0o644)
    assert resolve(path, env={"B_KEY": "vfy_b"}, profile="b").warnings == ()


# ── each profile's own store and watch list ──────────────────────────────────


def test_two_profiles_on_the_same_service_keep_separate_stores():
    url = "https://api.check.ai"
    unchanged = store_path(url, "vfy_k")
    assert store_path(url, "vfy_k", profile=None) == unchanged  # existing stores are kept
    assert (
        len(
            {
                unchanged,
                store_path(url, "vfy_k", profile="a"),
                store_path(url, "vfy_k", profile="b"),
            }
        )
        == 3
    )


def test_each_profile_has_its_own_watch_list_and_the_plain_one_is_where_it_was():
    assert default_path() == default_path(None) and default_path().name == "watched.json"
    assert default_path().parent == profile_dir("x").parent.parent
    staging, production = WatchList(default_path("staging")), WatchList(default_path("production"))
    staging.add("batch_only_staging")
    production.add("batch_only_production")
    assert WatchList(default_path("staging")).load() == ["batch_only_staging"]
    assert WatchList(default_path("production")).load() == ["batch_only_production"]
    assert "batch_only_staging" not in WatchList(default_path()).load()


def test_odd_profile_names_get_their_own_directories():
    names = ["a/b", "..", "~x", "a b", "ünï", "a" * 200]
    dirs = {profile_dir(name) for name in names}
    assert len(dirs) == len(names)
    assert all(d.parent.name == "profiles" and "/" not in d.name and d.name != ".." for d in dirs)
    assert profile_dir("staging").name == "staging"


# ── the command line ─────────────────────────────────────────────────────────


def test_cli_unknown_profile_exits_2_naming_the_known_ones(tmp_path):
    path = write(tmp_path)
    result = run_cli(["--config", str(path), "--profile", "nope"], cli_env(tmp_path), tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"batch-tui: error: --profile: no profile 'nope' in {path} (known: staging, production)"
    ]


def test_headless_status_uses_the_profile_from_flag_or_environment(tmp_path, demo):
    path = write(
        tmp_path, CONFIG + f'\n[profiles.local]\nbase_url = "{demo.url}"\nkey_env = "LOCAL_KEY"\n'
    )
    env = cli_env(tmp_path, LOCAL_KEY="vfy_local", CHECK_API_BASE_URL="https://unreachable.invalid")
    by_flag = run_cli(
        ["status", "--json", "--config", str(path), "--profile", "local"], env, tmp_path
    )
    assert by_flag.returncode == 0, by_flag.stderr
    assert len(json.loads(by_flag.stdout)) == 12
    env["BATCH_TUI_PROFILE"] = "local"
    by_env = run_cli(["status", "--config", str(path)], env, tmp_path)
    assert by_env.returncode == 0, by_env.stderr
    assert by_env.stdout.splitlines()[0].split()[:2] == ["ID", "STATUS"]


def test_headless_watch_takes_profile_and_its_errors(tmp_path):
    path = write(tmp_path)
    result = run_cli(
        ["watch", "batch_x", "--config", str(path), "--profile", "production"],
        cli_env(tmp_path),
        tmp_path,
    )
    assert result.returncode == 2
    assert "reads its key from $PROD_KEY, which is not set" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
