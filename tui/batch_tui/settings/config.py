"""Settings: defaults < TOML config file < environment < profile < command line.

Every setting is one row of ``SETTINGS``: its name and type (a parser), default,
environment variable, config-file key, command-line flag and help, whether it is
secret, and which commands take it. Everything else is derived from that table:
the merging and validation here, the command line's options and ``--help``
(``cli.py``), the set of known config-file keys, the redacting ``repr`` of
``Settings``, and the configuration table in docs/settings.md
(``settings_table_markdown``, which a test keeps equal to that page's).

The API key comes only from the environment or the config file: a key typed on
the command line would land in shell history and in ``ps``. It is redacted from
the settings' repr and from every error. Every problem becomes a ``ConfigError``
with a one-line message naming what is wrong and where.

A profile (``--profile NAME``, a ``[profiles.NAME]`` table, ``profiles.py``) beats
the environment: it is chosen for this run, while ``CHECK_API_KEY`` and friends
may be left over in the shell from another organisation, and a dashboard that
says "production" must be talking to production. The command line still wins.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from batch_tui.core.defaults import (
    DEFAULT_ALARM_RATE,
    DEFAULT_BASE_URL,
    DEFAULT_COLUMNS,
    DEFAULT_HEADROOM,
    DEFAULT_INTERVAL,
    DEFAULT_STALL_AFTER,
)
from batch_tui.core.files import FileTooLarge, NotAFile, read_regular_file, readable_by_others
from batch_tui.settings.profiles import (
    PROFILES_KEY,
    check_profiles,
    key_holders,
    key_variables,
    profile_secrets,
    profile_values,
    shown,
    unknown_profile,
)
from batch_tui.settings.table import (
    _FILE_SETTINGS,
    COMMANDS,
    CONFIG_KEYS,
    ENV_BASE_URL,
    ENV_INTERVAL,
    ENV_KEY,
    ENV_PROFILE,
    MAX_CONFIG_BYTES,
    SETTING,
    SETTINGS,
    ConfigError,
    Origin,
    Setting,
    default_config_path,
    parse_batch_id,
)

__all__ = [
    "COMMANDS",
    "CONFIG_KEYS",
    "DEFAULT_BASE_URL",
    "ENV_BASE_URL",
    "ENV_INTERVAL",
    "ENV_KEY",
    "ENV_PROFILE",
    "SETTINGS",
    "ConfigError",
    "Setting",
    "Settings",
    "default_config_path",
    "parse_batch_id",
    "read_config_file",
    "resolve_settings",
    "settings_table_markdown",
]


#: The fields of ``Settings`` that are no setting of their own.
DERIVED = ("warnings", "profile_color", "profiles")


@dataclass(frozen=True, repr=False)
class Settings:
    """Everything the dashboard needs to start, resolved and validated.

    One field per row of ``SETTINGS`` (same names and defaults; a test holds them
    equal), plus what is found on the way (``DERIVED``): warnings, and the profile's
    colour and the other profiles.
    """

    api_key: str | None = None
    """The bearer key. Never shown, logged or printed."""
    config_path: Path | None = None
    """The config file that was read, if any."""
    profile: str | None = None
    """The config file's profile in use (None: its top-level settings)."""
    demo: bool = False
    """Run against the built-in demo server instead of the real service."""
    allow_insecure_http: bool = False
    """Send the key over plain http even to a host that is not this machine."""
    base_url: str = DEFAULT_BASE_URL
    """The API root, without a trailing slash."""
    interval: float = DEFAULT_INTERVAL
    """Seconds between polls of a batch that can still change."""
    status: str | None = None
    """Only list batches in this status."""
    read_only: bool = False
    """No cancel key: the dashboard can only look, like k9s's read-only mode."""
    headroom: float = DEFAULT_HEADROOM
    """Share of the rate limit left to the organisation's other clients."""
    failure_alarm: float = DEFAULT_ALARM_RATE
    """Failed ÷ processed share that raises the failure-rate alarm."""
    bell: bool = True
    """Ring the terminal bell when a batch finishes."""
    stall_after: float = DEFAULT_STALL_AFTER
    """Seconds without movement after which a changing batch is stalled."""
    notify: str = "none"
    """Desktop notifications through the terminal: none, desktop (OSC 9) or osc777."""
    on_event: tuple[str, ...] = ()
    """The hook: a program and its arguments, run once per event."""
    store: bool = True
    """Keep what was seen in the local store, so a restart draws at once."""
    solo: bool = False
    """Poll alone rather than share one poller with the organisation's other dashboards."""
    hub: str | None = None
    """A Redis URL where dashboards on several hosts share one poller (None: this host)."""
    direct: bool = False
    """``status``/``watch`` ask the server themselves even when the team has a poller."""
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    """The list's columns, in the order shown (``COLUMN_CHOICES``)."""
    keys: tuple[tuple[str, str], ...] = ()
    """Keys rebound by the config file: (command id, keys comma-separated)."""
    batch_ids: tuple[str, ...] = ()
    """Batches to watch even when the list does not show them."""
    warnings: tuple[str, ...] = ()
    """Problems worth telling the user about that do not stop the start."""
    profile_color: str | None = None
    """The profile's ``color``, a colour Rich understands (None: none given)."""
    profiles: tuple[str, ...] = ()
    """Every profile the config file defines, in its order (the switcher's list)."""

    def __repr__(self) -> str:
        shown = []
        for item in fields(self):
            value = getattr(self, item.name)
            setting = SETTING.get(item.name)
            secret = setting is not None and setting.secret and value is not None
            shown.append(f"{item.name}={'<redacted>' if secret else repr(value)}")
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__


# ── reading and merging ──────────────────────────────────────────────────────


def read_config_file(path: Path, *, required: bool = False) -> dict[str, Any]:
    """Read and check the TOML config file; a missing file is an empty config,
    unless it was named explicitly (``required``)."""
    try:
        raw = read_regular_file(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        if required:
            raise ConfigError(f"config file {path} does not exist") from None
        return {}
    except (NotAFile, FileTooLarge) as exc:
        raise ConfigError(f"config file {path} {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or table
        raise ConfigError(f"config file {path} is nested too deeply to read") from None
    unknown = sorted(set(data) - {*CONFIG_KEYS, PROFILES_KEY})
    if unknown:
        known = ", ".join([*CONFIG_KEYS, PROFILES_KEY])
        raise ConfigError(f"config file {path}: unknown setting {unknown[0]!r} (known: {known})")
    if PROFILES_KEY in data:
        check_profiles(data[PROFILES_KEY], path)
    for key, value in data.items():
        if key == PROFILES_KEY:
            continue
        expected = _FILE_SETTINGS[key].file_type
        if expected is not None and not expected.accepts(value):
            raise ConfigError(f"config file {path}: {key} must be {expected.must_be}")
    return data


def resolve_settings(
    *,
    cli: Mapping[str, Any],
    env: Mapping[str, str] = os.environ,
    command: str = "dashboard",
) -> Settings:
    """Merge the sources in order of precedence and validate the result.

    ``cli`` holds the parsed command-line values under each setting's ``key``
    (None where not given); ``command`` is the command being run: a setting it
    does not take keeps its default, and a bad value for it in the environment or
    the file does not stop the command (``status`` never polls, so a broken
    ``BATCH_TUI_INTERVAL`` is none of its business).
    """
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}")
    # Any message may quote a value that turns out to hold a secret (a URL with
    # ``?key=…``, a key pasted as the interval): secrets are taken out of all of them.
    secrets = [env.get(s.env) or "" for s in SETTINGS if s.secret and s.env]
    try:
        return _resolve(cli, env, command, secrets)
    except ConfigError as exc:
        message = str(exc)
        for secret in secrets:
            if secret.strip():
                message = message.replace(secret.strip(), "<redacted>")
        raise ConfigError(message) from None


def _pick(
    setting: Setting,
    cli: Mapping[str, Any],
    env: Mapping[str, str],
    layers: Sequence[tuple[Mapping[str, Any], str]],
) -> tuple[Any, str]:
    """The raw value with the highest precedence, and its source; (None, "default")
    when no source gives one. Blank environment variables count as unset.
    ``layers`` are the file's tables, highest first: (values by file key, source)."""
    if (setting.flag or setting.operand) and cli.get(setting.key) is not None:
        return cli[setting.key], setting.flag or "the command line"
    profile, top = layers
    if setting.file_key and setting.file_key in profile[0]:
        return profile[0][setting.file_key], profile[1]
    if setting.env and (env.get(setting.env) or "").strip():
        return env[setting.env], setting.env
    if setting.file_key and setting.file_key in top[0]:
        return top[0][setting.file_key], top[1]
    return None, "default"


def _chosen_profile(
    cli: Mapping[str, Any], env: Mapping[str, str], file: Mapping[str, Any], path: Path
) -> tuple[str | None, dict[str, Any], str]:
    """The profile asked for (by ``--profile`` or the environment), its raw values
    and how messages name it; (None, {}, "") for the top-level settings."""
    setting, demo = SETTING["profile"], SETTING["demo"]
    name, source = cli.get(setting.key), setting.flag or ""
    if name is not None and cli.get(demo.key):
        raise ConfigError(f"{demo.flag} runs its own server; drop {setting.flag}")
    if name is not None and cli.get(SETTING["base_url"].key) is not None:
        raise ConfigError(f"{setting.flag} names the server; drop {SETTING['base_url'].flag}")
    if name is None and not cli.get(demo.key) and (env.get(ENV_PROFILE) or "").strip():
        name, source = env[ENV_PROFILE].strip(), ENV_PROFILE
    if name is None:
        return None, {}, ""
    profiles = file.get(PROFILES_KEY, {})
    if name not in profiles:
        raise unknown_profile(name, source, profiles, path)
    values = profile_values(name, profiles[name], env, path)
    return name, values, f"profile {shown(name)} in config file {path}"


def _resolve(
    cli: Mapping[str, Any], env: Mapping[str, str], command: str, secrets: list[str]
) -> Settings:
    demo, base_url = SETTING["demo"], SETTING["base_url"]
    if cli.get(demo.key) and cli.get(base_url.key) is not None:
        raise ConfigError(f"{demo.flag} runs its own server; drop {base_url.flag}")
    explicit_path = cli.get(SETTING["config_path"].key)
    path = Path(explicit_path).expanduser() if explicit_path else default_config_path()
    file = read_config_file(path, required=bool(explicit_path))
    profiles: dict[str, dict[str, Any]] = file.get(PROFILES_KEY, {})
    secret_keys = [s.file_key for s in SETTINGS if s.secret and s.file_key in file]
    secrets.extend(value for key in secret_keys if isinstance(value := file[key], str))
    secrets.extend(profile_secrets(profiles, env))
    name, chosen, chosen_source = _chosen_profile(cli, env, file, path)
    layers = [(chosen, chosen_source), (file, f"config file {path}")]

    values: dict[str, Any] = {"config_path": path if file else None, "profile": name}
    for setting in SETTINGS:
        if setting.parse is None:
            continue  # the config path and the profile, resolved above
        raw, source = None, "default"
        if command in setting.commands:
            raw, source = _pick(setting, cli, env, layers)
        if source == chosen_source and setting.name == "api_key" and name is not None:
            variable = profiles[name].get("key_env")
            source = f"${variable} ({chosen_source})" if variable else source
        origin = Origin(source, setting.file_key or setting.name, values)
        values[setting.name] = setting.default if raw is None else setting.parse(raw, origin)

    key = SETTING["api_key"]
    if not values[key.name] and not values[demo.name]:
        where = f" (or api_key or key_env in profile {shown(name)})" if name is not None else ""
        raise ConfigError(
            f"no API key: set {key.env} or {key.file_key} in {path}{where} "
            f"(or try {demo.flag} to see the dashboard)"
        )
    return Settings(
        **values,
        # The demo offers no profile (``P`` says so): its warnings name none either.
        warnings=_warnings(path, file, secret_keys, {} if values[demo.name] else profiles),
        profile_color=profiles[name].get("color") if name is not None else None,
        profiles=() if values[demo.name] else tuple(profiles),
    )


def _warnings(
    path: Path, file: Mapping[str, Any], secret_keys: list[str], profiles: Mapping[str, Any]
) -> tuple[str, ...]:
    """A key in a file other users can read, at the top or in any profile (a key
    named by ``key_env`` is not in the file, so it is no reason)."""
    held = [f"the {_FILE_SETTINGS[name].label}" for name in secret_keys if file[name]]
    held += [f"the API key of profile {shown(name)}" for name in key_holders(profiles)]
    if not held or not readable_by_others(path):
        return ()
    return (
        f"{path} holds {', '.join(held)} and other users can read it; fix with: chmod 600 {path}",
    )


# ── documentation ────────────────────────────────────────────────────────────


def _commands_text(setting: Setting) -> str:
    if setting.commands == frozenset(COMMANDS):
        return "all"
    return ", ".join(c for c in COMMANDS if c in setting.commands)


def _command_line_text(setting: Setting) -> str:
    if setting.flag:
        return f"`{setting.flag}`"
    if setting.operand:
        return f"`{setting.metavar} …`"
    return "— (never)" if setting.secret else "—"


def settings_table_markdown() -> str:
    """docs/settings.md's configuration table: one row per setting, from ``SETTINGS``."""
    rows = [
        "| setting | command line | environment | config file key | commands | default |",
        "|---|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        env = f"`{s.env}`" if s.env else "—"
        key = f"`{s.file_key}`" if s.file_key else "—"
        rows.append(
            f"| {s.label} | {_command_line_text(s)} | {env} | {key} | "
            f"{_commands_text(s)} | {s.shown_default} |"
        )
    return "\n".join(rows) + "\n"


def option_help(setting: Setting) -> str:
    """An option's ``--help`` text: its help, then its default and other sources."""
    notes = []
    if setting.switch is None:
        notes.append(f"default {setting.shown_default.replace('`', '')}")
    if setting.env:
        notes.append(f"env {setting.env}")
    if setting.file_key:
        if setting.switch is None:
            notes.append(f"config file: {setting.file_key}")
        else:
            notes.append(f"config file: {setting.file_key} = {str(setting.switch).lower()}")
    return "; ".join([setting.help, *notes])


def hook_secrets(settings: Settings, env: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """What a hook must never see: every key configured (the one in use, the config
    file's, every profile's) and every variable a profile reads a key from. A config
    file that cannot be read any more gives only the key in use."""
    try:
        file = read_config_file(settings.config_path) if settings.config_path else {}
    except ConfigError:
        file = {}
    profiles = file.get(PROFILES_KEY, {})
    keys = [settings.api_key or "", *profile_secrets(profiles, env)]
    if isinstance(file.get("api_key"), str):
        keys.append(file["api_key"])
    return [key for key in keys if key.strip()], key_variables(profiles)
