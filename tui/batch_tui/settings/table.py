"""The settings table: every setting as one row, and the parsers its rows use.

A row says everything about a setting (name, type, default, environment variable,
config-file key, command-line flag and help, secret or not, which commands take
it); ``config.py`` merges and validates from it, ``cli.py`` builds its options from
it, and docs/settings.md's configuration table is rendered from it.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from batch_tui.api.models import BATCH_STATUSES, batch_id_problem
from batch_tui.api.reading import is_header_safe
from batch_tui.core.defaults import (
    DEFAULT_ALARM_RATE,
    DEFAULT_BASE_URL,
    DEFAULT_COLUMNS,
    DEFAULT_HEADROOM,
    DEFAULT_INTERVAL,
    DEFAULT_STALL_AFTER,
    MAX_ALARM_PERCENT,
    MAX_HEADROOM_PERCENT,
    MAX_INTERVAL,
    MAX_STALL_AFTER,
    MIN_ALARM_PERCENT,
    MIN_HEADROOM_PERCENT,
    MIN_INTERVAL,
    MIN_STALL_AFTER,
)
from batch_tui.core.paths import config_dir
from batch_tui.settings.alerts import argv, notify_kind, stall_after
from batch_tui.settings.lists import parse_columns, parse_keys
from batch_tui.settings.model import (
    BOOLEAN,
    COMMANDS,
    DASHBOARD,
    NAMES,
    SECONDS,
    STRING,
    TABLE,
    ConfigError,
    FileType,
    Origin,
    Setting,
)

__all__ = ["COMMANDS", "ConfigError", "FileType", "Origin", "Setting"]

ENV_KEY = "CHECK_API_KEY"
ENV_BASE_URL = "CHECK_API_BASE_URL"
ENV_INTERVAL = "BATCH_TUI_INTERVAL"
ENV_PROFILE = "BATCH_TUI_PROFILE"
#: A config file larger than this is not a config file (and is not read).
MAX_CONFIG_BYTES = 1024 * 1024


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


#: What ``--status`` takes: a documented batch status, or ``active`` (every
#: unfinished one), as the dashboard's ``s`` offers.
STATUS_CHOICES: tuple[str, ...] = (*BATCH_STATUSES, "active")


def parse_status(value: str, source: str) -> str:
    """One of the documented batch statuses, or ``active``."""
    status = value.strip().lower()
    if status not in STATUS_CHOICES:
        raise ConfigError(
            f"{source}: unknown status {value!r} (one of: {', '.join(STATUS_CHOICES)})"
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


def _hub(value: Any, origin: Origin) -> str | None:
    text = str(value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError(
            f"{origin.source}: {origin.name} must be a redis:// or rediss:// URL with a host"
        )
    return text


def _status(value: str, origin: Origin) -> str:
    return parse_status(value, origin.source)


def _percent(low: float, high: float) -> Callable[[Any, Origin], float]:
    def parse(value: Any, origin: Origin) -> float:
        return parse_percent(value, origin.source, origin.name, low, high)

    return parse


def _batch_ids(value: Any, origin: Origin) -> tuple[str, ...]:
    return tuple(parse_batch_id(batch_id) for batch_id in value)


# ── the table ────────────────────────────────────────────────────────────────

#: Every setting, in the order they are resolved, listed in ``--help`` and in docs/settings.md.
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
        name="profile",
        label="profile: a `[profiles.NAME]` table of the config file",
        default=None,
        shown_default="none: the top-level settings",
        parse=None,
        env=ENV_PROFILE,
        flag="--profile",
        metavar="NAME",
        help="use the settings of the config file's [profiles.NAME] table",
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
        help="list only batches in this status (active: every unfinished one)",
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
        commands=frozenset({"dashboard", "watch"}),
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
        name="stall_after",
        label="stall alarm after (s)",
        default=DEFAULT_STALL_AFTER,
        shown_default=f"`{DEFAULT_STALL_AFTER:g}` ({MIN_STALL_AFTER:g} to {MAX_STALL_AFTER:g})",
        parse=stall_after,
        file_key="stall_after",
        flag="--stall-after",
        metavar="SECONDS",
        help="alarm when a batch that can still change has not moved for this long",
        commands=frozenset({"dashboard", "status"}),
    ),
    Setting(
        name="notify",
        label="desktop notifications (`none`, `desktop`: OSC 9, `osc777`)",
        default="none",
        shown_default="`none`",
        parse=notify_kind,
        file_key="notify",
        file_type=STRING,
        flag="--notify",
        metavar="KIND",
        help="send finishes, stalls and alarms to the desktop through the terminal",
        commands=DASHBOARD,
    ),
    Setting(
        name="on_event",
        label="hook: a program and its arguments, run once per event",
        default=(),
        shown_default="none",
        parse=argv,
        file_key="on_event",
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
        name="solo",
        label="poll alone instead of sharing one poller with the organisation's other dashboards",
        default=False,
        shown_default="`false`",
        parse=_boolean,
        env="BATCH_TUI_SOLO",
        file_key="solo",
        file_type=BOOLEAN,
        flag="--solo",
        switch=True,
        help="poll alone: do not share one poller with other dashboards of this organisation",
    ),
    Setting(
        name="hub",
        label="a Redis server where dashboards on several hosts share one poller",
        default=None,
        shown_default="none: share on this host only",
        parse=_hub,
        env="BATCH_TUI_HUB",
        file_key="hub",
        file_type=STRING,
        flag="--hub",
        metavar="URL",
        help="share one poller across hosts through this Redis (redis:// or rediss://)",
    ),
    Setting(
        name="direct",
        label="ask the server directly, even when a dashboard of the team polls",
        default=False,
        shown_default="`false`",
        parse=_boolean,
        flag="--direct",
        switch=True,
        help="ask the server directly instead of reading what the team's poller saw",
        commands=frozenset({"status", "watch"}),
    ),
    Setting(
        name="columns",
        label="the list's columns, in order",
        default=DEFAULT_COLUMNS,
        shown_default=f"`{', '.join(DEFAULT_COLUMNS)}`",
        parse=parse_columns,
        file_key="columns",
        file_type=NAMES,
        commands=DASHBOARD,
    ),
    Setting(
        name="keys",
        label="keys rebound (a `[keys]` table: command = key)",
        default=(),
        shown_default="the keys above",
        parse=parse_keys,
        file_key="keys",
        file_type=TABLE,
        commands=DASHBOARD,
    ),
    Setting(
        name="batch_ids",
        label="batches to watch (`status`: only these; `watch`: the ones to follow)",
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
