"""Settings: defaults < TOML config file < environment < command line.

Every setting is one row of ``SETTINGS``: its name and type (a parser), default,
environment variable, config-file key, command-line flag and help, whether it is
secret, and which commands take it. Everything else is derived from that table:
the merging and validation here, the command line's options and ``--help``
(``cli.py``), the set of known config-file keys, the redacting ``repr`` of
``Settings``, and the configuration table in the README
(``settings_table_markdown``, which a test keeps equal to the README's).

The API key comes only from the environment or the config file: a key typed on
the command line would land in shell history and in ``ps``. It is redacted from
the settings' repr and from every error. Every problem becomes a ``ConfigError``
with a one-line message naming what is wrong and where.
"""

from __future__ import annotations

import ipaddress
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from batch_tui.api.client import is_header_safe
from batch_tui.api.models import BATCH_STATUSES, batch_id_problem
from batch_tui.defaults import (
    DEFAULT_ALARM_RATE,
    DEFAULT_BASE_URL,
    DEFAULT_HEADROOM,
    DEFAULT_INTERVAL,
    MAX_ALARM_PERCENT,
    MAX_HEADROOM_PERCENT,
    MAX_INTERVAL,
    MIN_ALARM_PERCENT,
    MIN_HEADROOM_PERCENT,
    MIN_INTERVAL,
)
from batch_tui.files import FileTooLarge, NotAFile, read_regular_file, readable_by_others
from batch_tui.paths import config_dir

__all__ = [
    "COMMANDS",
    "CONFIG_KEYS",
    "DEFAULT_BASE_URL",
    "ENV_BASE_URL",
    "ENV_INTERVAL",
    "ENV_KEY",
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

ENV_KEY = "CHECK_API_KEY"
ENV_BASE_URL = "CHECK_API_BASE_URL"
ENV_INTERVAL = "BATCH_TUI_INTERVAL"
#: The commands that take settings: the dashboard, and the two scripts.
COMMANDS = ("dashboard", "status", "watch")
#: A config file larger than this is not a config file (and is not read).
MAX_CONFIG_BYTES = 1024 * 1024


class ConfigError(Exception):
    """Bad input from the command line, the environment or the config file."""


def default_config_path() -> Path:
    """``config.toml`` in the platform's user config directory."""
    return config_dir() / "config.toml"


# ── parsers: a raw value (a string from the command line or the environment, a
# TOML value from the file) into the setting's value, or a ConfigError ────────


def parse_interval(value: Any, source: str) -> float:
    """A poll interval in seconds, within sane bounds."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise ConfigError(
            f"{source}: interval must be a number of seconds from {MIN_INTERVAL:g} "
            f"to {MAX_INTERVAL:g}, got {str(value)!r}"
        )
    return seconds


def parse_percent(value: Any, source: str, name: str, low: float, high: float) -> float:
    """A percentage from ``low`` to ``high``, as a fraction."""
    try:
        percent = float(value)
    except (TypeError, ValueError):
        percent = math.nan
    if isinstance(value, bool) or not math.isfinite(percent) or not low <= percent <= high:
        raise ConfigError(
            f"{source}: {name} must be a percentage from {low:g} to {high:g}, got {str(value)!r}"
        )
    return percent / 100


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses, where plain HTTP never leaves the machine."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _shown_url(value: str) -> str:
    """A URL as an error message may quote it: whatever precedes an '@' after the
    scheme (a user name and password, perhaps the API key) is left out, even when
    the URL is too broken to parse."""
    text = value.strip()
    scheme, separator, rest = text.partition("://")
    if not separator:
        scheme, rest = "", text
    if "@" in rest:
        rest = "<credentials>@" + rest.rsplit("@", 1)[1]
    shown = scheme + separator + rest
    return ascii(shown if len(shown) <= 100 else shown[:99] + "…")


def parse_base_url(value: str, source: str, *, allow_insecure_http: bool = False) -> str:
    """An http(s) URL with a host; plain http only to loopback unless explicitly allowed."""
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises for a malformed port
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise ConfigError(
            f"{source}: base URL must look like https://api.check.ai, got {_shown_url(value)}"
        )
    if parts.username or parts.password:
        raise ConfigError(f"{source}: base URL must not contain credentials")
    if parts.scheme == "http" and not is_loopback(host) and not allow_insecure_http:
        raise ConfigError(
            f"{source}: refusing to send the API key over plain http to {host}; "
            "use https, or pass --allow-insecure-http"
        )
    return value.strip().rstrip("/")


def parse_status(value: str, source: str) -> str:
    """One of the documented batch statuses."""
    status = value.strip().lower()
    if status not in BATCH_STATUSES:
        raise ConfigError(
            f"{source}: unknown status {value!r} (one of: {', '.join(BATCH_STATUSES)})"
        )
    return status


def parse_batch_id(value: str) -> str:
    """A batch id as the user typed it, by the client's rule (``batch_id_problem``):
    1 to 200 printable ASCII characters, no space or '/', not '.' or '..'."""
    problem = batch_id_problem(value)
    if problem is not None:
        shown = ascii(value[:60]) + ("…" if len(value) > 60 else "")
        raise ConfigError(f"not a batch id: {shown} ({problem})")
    return value


@dataclass(frozen=True)
class Origin:
    """Where a raw value came from, handed to a setting's parser."""

    source: str
    """How messages name the source: ``--interval``, ``BATCH_TUI_INTERVAL`` or
    ``config file PATH``."""
    name: str
    """The setting's name in messages: its config-file key, else its field name."""
    resolved: Mapping[str, Any]
    """The settings resolved before this one (the table's order)."""


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _boolean(value: Any, origin: Origin) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ConfigError(f"{origin.source}: {origin.name} must be true or false, got {str(value)!r}")


def _api_key(value: str, origin: Origin) -> str | None:
    key = value.strip()
    if key and not is_header_safe(key):
        raise ConfigError(
            f"the API key in {origin.source} contains characters an HTTP header cannot carry "
            "(a stray newline, space or quote?)"
        )
    return key or None


def _base_url(value: str, origin: Origin) -> str:
    allow = bool(origin.resolved.get("allow_insecure_http"))
    return parse_base_url(value, origin.source, allow_insecure_http=allow)


def _interval(value: Any, origin: Origin) -> float:
    return parse_interval(value, origin.source)


def _status(value: str, origin: Origin) -> str:
    return parse_status(value, origin.source)


def _percent(low: float, high: float) -> Callable[[Any, Origin], float]:
    def parse(value: Any, origin: Origin) -> float:
        return parse_percent(value, origin.source, origin.name, low, high)

    return parse


def _batch_ids(value: Any, origin: Origin) -> tuple[str, ...]:
    return tuple(parse_batch_id(batch_id) for batch_id in value)


# ── the table ────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class FileType:
    """What a config-file value must be; checked when the file is read."""

    accepts: Callable[[Any], bool]
    must_be: str
    """How the refusal ends: ``interval must be <must_be>``."""


STRING = FileType(lambda value: isinstance(value, str), "a string")
BOOLEAN = FileType(lambda value: isinstance(value, bool), "true or false")
SECONDS = FileType(
    lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "a number of seconds",
)


@dataclass(frozen=True)
class Setting:
    """One setting: where it may come from, how it is checked, how it is documented."""

    name: str
    """Its field of ``Settings``."""
    label: str
    """What it is, in a few words (the README table's first column)."""
    default: Any
    """Its value when no source gives one."""
    shown_default: str
    """The default as the README shows it (Markdown)."""
    parse: Callable[[Any, Origin], Any] | None
    """Turns a raw value into the setting's value, or raises ConfigError. None only
    for the config path, which is resolved first: it says which file to read."""
    env: str | None = None
    """The environment variable that sets it."""
    file_key: str | None = None
    """Its key in the config file."""
    file_type: FileType | None = None
    """What its config-file value must be (None: the parser alone decides)."""
    flag: str | None = None
    """Its command-line option (None: never on the command line)."""
    metavar: str | None = None
    """The option's value in ``--help``; for ``operand`` settings the positional's name."""
    switch: bool | None = None
    """For an option that takes no value: the value it sets (``--no-bell``: False)."""
    help: str = ""
    """The option's help, without the default and sources (added from the table)."""
    secret: bool = False
    """Never shown: redacted from ``repr`` and from every error message."""
    commands: frozenset[str] = frozenset(COMMANDS)
    """The commands that take it; the others keep the default and never read it."""
    operand: bool = False
    """Given as the command's positional arguments, which each command declares."""
    cli_key: str | None = None
    """Its key among the parsed command-line values, when not ``name``."""

    @property
    def key(self) -> str:
        """Its key among the parsed command-line values (``resolve_settings(cli=…)``)."""
        return self.cli_key or self.name


DASHBOARD = frozenset({"dashboard"})

#: Every setting, in the order they are resolved, listed in ``--help`` and in the README.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        name="api_key",
        label="API key",
        default=None,
        shown_default="none: required unless `--demo`",
        parse=_api_key,
        env=ENV_KEY,
        file_key="api_key",
        file_type=STRING,
        secret=True,
    ),
    Setting(
        name="config_path",
        label="config file (TOML)",
        default=None,
        shown_default=(
            "`~/.config/batch-tui/config.toml` on Linux (the platform's user config "
            "directory elsewhere)"
        ),
        parse=None,
        flag="--config",
        metavar="PATH",
        help="config file (TOML) to read",
        cli_key="config",
    ),
    Setting(
        name="demo",
        label="the built-in demo server instead of the real service",
        default=False,
        shown_default="`false`",
        parse=_boolean,
        flag="--demo",
        switch=True,
        help="run against a built-in demo server; no account needed",
    ),
    Setting(
        name="allow_insecure_http",
        label="plain http to a host other than this machine",
        default=False,
        shown_default="`false`",
        parse=_boolean,
        flag="--allow-insecure-http",
        switch=True,
        help="allow sending the key over plain http to a non-loopback host",
    ),
    Setting(
        name="base_url",
        label="base URL",
        default=DEFAULT_BASE_URL,
        shown_default=f"`{DEFAULT_BASE_URL}`",
        parse=_base_url,
        env=ENV_BASE_URL,
        file_key="base_url",
        file_type=STRING,
        flag="--base-url",
        metavar="URL",
        help="API root",
    ),
    Setting(
        name="interval",
        label="poll interval (s)",
        default=DEFAULT_INTERVAL,
        shown_default=f"`{DEFAULT_INTERVAL:g}` ({MIN_INTERVAL:g} to {MAX_INTERVAL:g})",
        parse=_interval,
        env=ENV_INTERVAL,
        file_key="interval",
        file_type=SECONDS,
        flag="--interval",
        metavar="SECONDS",
        help="seconds between polls",
        commands=frozenset({"dashboard", "watch"}),
    ),
    Setting(
        name="status",
        label="status filter",
        default=None,
        shown_default="all",
        parse=_status,
        file_key="status",
        file_type=STRING,
        flag="--status",
        metavar="STATUS",
        help="list only batches in this status",
        commands=frozenset({"dashboard", "status"}),
    ),
    Setting(
        name="read_only",
        label="read-only (no cancel key at all)",
        default=False,
        shown_default="`false`",
        parse=_boolean,
        file_key="read_only",
        file_type=BOOLEAN,
        flag="--read-only",
        switch=True,
        help="no cancel key: look, never change anything",
        commands=DASHBOARD,
    ),
    Setting(
        name="headroom",
        label="headroom left to other clients (%)",
        default=DEFAULT_HEADROOM,
        shown_default=(
            f"`{DEFAULT_HEADROOM * 100:g}` ({MIN_HEADROOM_PERCENT:g} to {MAX_HEADROOM_PERCENT:g})"
        ),
        parse=_percent(MIN_HEADROOM_PERCENT, MAX_HEADROOM_PERCENT),
        file_key="headroom",
        flag="--headroom",
        metavar="PERCENT",
        help="share of the rate limit left to your organisation's other clients",
        commands=DASHBOARD,
    ),
    Setting(
        name="failure_alarm",
        label="failure-rate alarm (%)",
        default=DEFAULT_ALARM_RATE,
        shown_default=(
            f"`{DEFAULT_ALARM_RATE * 100:g}` ({MIN_ALARM_PERCENT:g} to {MAX_ALARM_PERCENT:g})"
        ),
        parse=_percent(MIN_ALARM_PERCENT, MAX_ALARM_PERCENT),
        file_key="failure_alarm",
        flag="--failure-alarm",
        metavar="PERCENT",
        help="alarm when this share of a running batch's processed items failed (from 10 items)",
        commands=DASHBOARD,
    ),
    Setting(
        name="bell",
        label="bell when a batch finishes",
        default=True,
        shown_default="`true`",
        parse=_boolean,
        file_key="bell",
        file_type=BOOLEAN,
        flag="--no-bell",
        switch=False,
        help="no terminal bell when a batch finishes",
        commands=DASHBOARD,
    ),
    Setting(
        name="store",
        label="local store",
        default=True,
        shown_default="`true`",
        parse=_boolean,
        file_key="store",
        file_type=BOOLEAN,
        flag="--no-store",
        switch=False,
        help="run without the local store (nothing is read from or written to disk)",
        commands=DASHBOARD,
    ),
    Setting(
        name="batch_ids",
        label="batches to watch (`status`: only these; `watch`: the one to follow)",
        default=(),
        shown_default="none",
        parse=_batch_ids,
        metavar="BATCH_ID",
        operand=True,
    ),
)

SETTING: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}
"""The settings by name."""
CONFIG_KEYS: tuple[str, ...] = tuple(s.file_key for s in SETTINGS if s.file_key)
"""Every key a config file may hold."""
_FILE_SETTINGS = {s.file_key: s for s in SETTINGS if s.file_key}


@dataclass(frozen=True, repr=False)
class Settings:
    """Everything the dashboard needs to start, resolved and validated.

    One field per row of ``SETTINGS`` (same names and defaults; a test holds them
    equal), plus the warnings found on the way.
    """

    api_key: str | None = None
    """The bearer key. Never shown, logged or printed."""
    config_path: Path | None = None
    """The config file that was read, if any."""
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
    store: bool = True
    """Keep what was seen in the local store, so a restart draws at once."""
    batch_ids: tuple[str, ...] = ()
    """Batches to watch even when the list does not show them."""
    warnings: tuple[str, ...] = ()
    """Problems worth telling the user about that do not stop the start."""

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
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown setting {unknown[0]!r} (known: {', '.join(CONFIG_KEYS)})"
        )
    for key, value in data.items():
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
    file: Mapping[str, Any],
    path: Path,
) -> tuple[Any, str]:
    """The raw value with the highest precedence, and its source; (None, "default")
    when no source gives one. Blank environment variables count as unset."""
    if (setting.flag or setting.operand) and cli.get(setting.key) is not None:
        return cli[setting.key], setting.flag or "the command line"
    if setting.env and (env.get(setting.env) or "").strip():
        return env[setting.env], setting.env
    if setting.file_key and setting.file_key in file:
        return file[setting.file_key], f"config file {path}"
    return None, "default"


def _resolve(
    cli: Mapping[str, Any], env: Mapping[str, str], command: str, secrets: list[str]
) -> Settings:
    demo, base_url = SETTING["demo"], SETTING["base_url"]
    if cli.get(demo.key) and cli.get(base_url.key) is not None:
        raise ConfigError(f"{demo.flag} runs its own server; drop {base_url.flag}")
    explicit_path = cli.get(SETTING["config_path"].key)
    path = Path(explicit_path).expanduser() if explicit_path else default_config_path()
    file = read_config_file(path, required=bool(explicit_path))
    secret_keys = [s.file_key for s in SETTINGS if s.secret and s.file_key in file]
    secrets.extend(value for key in secret_keys if isinstance(value := file[key], str))

    values: dict[str, Any] = {"config_path": path if file else None}
    for setting in SETTINGS:
        if setting.parse is None:
            continue  # the config path, resolved above
        raw, source = None, "default"
        if command in setting.commands:
            raw, source = _pick(setting, cli, env, file, path)
        origin = Origin(source, setting.file_key or setting.name, values)
        values[setting.name] = setting.default if raw is None else setting.parse(raw, origin)

    key = SETTING["api_key"]
    if not values[key.name] and not values[demo.name]:
        raise ConfigError(
            f"no API key: set {key.env} or {key.file_key} in {path} "
            f"(or try {demo.flag} to see the dashboard)"
        )
    warnings = [
        f"{path} holds the {_FILE_SETTINGS[name].label} and other users can read it; "
        f"fix with: chmod 600 {path}"
        for name in secret_keys
        if file[name] and readable_by_others(path)
    ]
    return Settings(**values, warnings=tuple(warnings))


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
    """The README's configuration table: one row per setting, from ``SETTINGS``."""
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
