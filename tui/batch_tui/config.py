"""Settings: defaults < TOML config file < environment < command line.

The API key comes only from the environment or the config file: a key typed on
the command line would land in shell history and in ``ps``. It is redacted from
the settings' repr. Every problem becomes a ``ConfigError`` with a one-line
message naming what is wrong and where.
"""

from __future__ import annotations

import ipaddress
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    MAX_INTERVAL,
    MIN_INTERVAL,
)
from batch_tui.files import FileTooLarge, NotAFile, read_regular_file, readable_by_others
from batch_tui.paths import config_dir

ENV_KEY = "CHECK_API_KEY"
ENV_BASE_URL = "CHECK_API_BASE_URL"
ENV_INTERVAL = "BATCH_TUI_INTERVAL"
CONFIG_KEYS = (
    "api_key",
    "base_url",
    "interval",
    "status",
    "read_only",
    "headroom",
    "bell",
    "failure_alarm",
    "store",
)


#: A config file larger than this is not a config file (and is not read).
MAX_CONFIG_BYTES = 1024 * 1024


class ConfigError(Exception):
    """Bad input from the command line, the environment or the config file."""


def default_config_path() -> Path:
    """``config.toml`` in the platform's user config directory."""
    return config_dir() / "config.toml"


@dataclass(frozen=True)
class Settings:
    """Everything the dashboard needs to start, resolved and validated."""

    api_key: str | None = field(default=None, repr=False)
    """The bearer key. Never shown, logged or printed."""
    base_url: str = DEFAULT_BASE_URL
    interval: float = DEFAULT_INTERVAL
    """Seconds between polls of a batch that can still change."""
    status: str | None = None
    """Only list batches in this status."""
    batch_ids: tuple[str, ...] = ()
    """Batches to watch even when the list does not show them."""
    demo: bool = False
    """Run against the built-in demo server instead of the real service."""
    config_path: Path | None = None
    """The config file that was read, if any."""
    allow_insecure_http: bool = False
    read_only: bool = False
    """No cancel key: the dashboard can only look, like k9s's read-only mode."""
    headroom: float = DEFAULT_HEADROOM
    """Share of the rate limit left to the organisation's other clients."""
    bell: bool = True
    """Ring the terminal bell when a batch finishes."""
    failure_alarm: float = DEFAULT_ALARM_RATE
    """Failed ÷ processed share that raises the failure-rate alarm."""
    store: bool = True
    """Keep what was seen in the local store, so a restart draws at once."""
    warnings: tuple[str, ...] = ()
    """Problems worth telling the user about that do not stop the start."""

    def __repr__(self) -> str:
        key = "<redacted>" if self.api_key else None
        return (
            f"Settings(api_key={key}, base_url={self.base_url!r}, interval={self.interval!r}, "
            f"status={self.status!r}, batch_ids={self.batch_ids!r}, demo={self.demo!r}, "
            f"read_only={self.read_only!r}, config_path={self.config_path!r})"
        )

    __str__ = __repr__


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
    for key in ("api_key", "base_url", "status"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"config file {path}: {key} must be a string")
    for key in ("read_only", "bell", "store"):
        if key in data and not isinstance(data[key], bool):
            raise ConfigError(f"config file {path}: {key} must be true or false")
    if "interval" in data and (
        isinstance(data["interval"], bool) or not isinstance(data["interval"], (int, float))
    ):
        raise ConfigError(f"config file {path}: interval must be a number of seconds")
    return data


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


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses, where plain HTTP never leaves the machine."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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


def resolve_settings(
    *,
    cli: Mapping[str, Any],
    env: Mapping[str, str] = os.environ,
) -> Settings:
    """Merge the sources in order of precedence and validate the result.

    ``cli`` holds the parsed command-line values (None where not given):
    base_url, interval, status, config, batch_ids, demo, allow_insecure_http;
    ``no_interval`` is true for commands that never poll (``status``), so a bad
    interval in the environment or the file does not stop them.
    """
    # Any message may quote a value that turns out to hold the key (a URL with
    # ``?key=…``, a key pasted as the interval): the key is taken out of all of them.
    secrets = [env.get(ENV_KEY) or ""]
    try:
        return _resolve(cli, env, secrets)
    except ConfigError as exc:
        message = str(exc)
        for secret in secrets:
            if secret.strip():
                message = message.replace(secret.strip(), "<redacted>")
        raise ConfigError(message) from None


def _resolve(cli: Mapping[str, Any], env: Mapping[str, str], secrets: list[str]) -> Settings:
    explicit_path = cli.get("config")
    path = Path(explicit_path).expanduser() if explicit_path else default_config_path()
    file = read_config_file(path, required=bool(explicit_path))
    if isinstance(file.get("api_key"), str):
        secrets.append(file["api_key"])
    allow_http = bool(cli.get("allow_insecure_http"))

    def pick(name: str, env_name: str | None) -> tuple[Any, str]:
        if cli.get(name) is not None:
            return cli[name], f"--{name.replace('_', '-')}"
        if env_name and env.get(env_name):
            return env[env_name], env_name
        if name in file:
            return file[name], f"config file {path}"
        return None, "default"

    base_url, source = pick("base_url", ENV_BASE_URL)
    base_url = (
        parse_base_url(base_url, source, allow_insecure_http=allow_http)
        if base_url is not None
        else DEFAULT_BASE_URL
    )
    interval, source = (
        (None, "default") if cli.get("no_interval") else pick("interval", ENV_INTERVAL)
    )
    interval = parse_interval(interval, source) if interval is not None else DEFAULT_INTERVAL
    headroom, source = pick("headroom", None)
    headroom = (
        parse_percent(headroom, source, "headroom", 0, 90)
        if headroom is not None
        else DEFAULT_HEADROOM
    )
    alarm, source = pick("failure_alarm", None)
    alarm = (
        parse_percent(alarm, source, "failure_alarm", 1, 100)
        if alarm is not None
        else DEFAULT_ALARM_RATE
    )
    status, source = pick("status", None)
    status = parse_status(status, source) if status is not None else None
    api_key = (env.get(ENV_KEY) or "").strip() or (file.get("api_key") or "").strip() or None
    demo = bool(cli.get("demo"))
    if api_key and not is_header_safe(api_key):
        where = ENV_KEY if (env.get(ENV_KEY) or "").strip() else f"api_key in {path}"
        raise ConfigError(
            f"the API key in {where} contains characters an HTTP header cannot carry "
            "(a stray newline, space or quote?)"
        )
    if not api_key and not demo:
        raise ConfigError(
            f"no API key: set {ENV_KEY} or api_key in {path} (or try --demo to see the dashboard)"
        )
    warnings = []
    if file.get("api_key") and readable_by_others(path):
        warnings.append(
            f"{path} holds an API key and other users can read it; fix with: chmod 600 {path}"
        )
    return Settings(
        api_key=api_key,
        base_url=base_url,
        interval=interval,
        status=status,
        batch_ids=tuple(parse_batch_id(i) for i in cli.get("batch_ids") or ()),
        demo=demo,
        config_path=path if file else None,
        allow_insecure_http=allow_http,
        read_only=bool(cli.get("read_only")) or bool(file.get("read_only")),
        headroom=headroom,
        bell=not cli.get("no_bell") and file.get("bell", True),
        failure_alarm=alarm,
        store=not cli.get("no_store") and file.get("store", True),
        warnings=tuple(warnings),
    )
