"""Profiles: several services or organisations in one config file.

A ``[profiles.NAME]`` table holds any top-level setting (``base_url``, ``api_key``,
``interval``, ``read_only`` …) plus ``key_env``, the name of an environment
variable holding the key, and ``color``, how the name is shown. ``--profile
NAME`` (or ``$BATCH_TUI_PROFILE``) picks one; ``config.py`` merges it between the
command line and the environment. Each profile keeps its own watch list and
local store (``paths.profile_dir``, ``store.store_path``).

Profile names are the user's own text, but they reach the terminal and error
messages, so they are shown cleaned (``shown``) and never as markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from batch_tui.core.textsafe import clean
from batch_tui.settings.table import _FILE_SETTINGS, ConfigError

#: The config file's key that holds the profile tables.
PROFILES_KEY = "profiles"
#: Keys a profile table may hold besides the top-level settings.
PROFILE_ONLY_KEYS = ("key_env", "color")
#: An environment variable's name, as ``key_env`` must give it.
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def shown(name: str) -> str:
    """A profile name quoted for a message: cleaned of anything the terminal obeys."""
    return repr(clean(name, max_chars=60))


def parse_color(value: Any, where: str) -> str:
    """A colour Rich understands: a name (``red``, ``bright_green``, ``dark_orange``),
    ``#rrggbb``, ``rgb(r,g,b)`` or ``color(N)``."""
    from rich.color import Color, ColorParseError  # only when a profile has a colour

    text = value.strip() if isinstance(value, str) else ""
    try:
        Color.parse(text)
    except ColorParseError:
        text = ""
    if not text:
        raise ConfigError(
            f"{where}: color must be a colour name such as red, bright_green or "
            f"dark_orange, or #rrggbb; got {clean(str(value), max_chars=40)!r}"
        )
    return text


def check_profiles(value: Any, path: Path) -> dict[str, dict[str, Any]]:
    """The config file's ``profiles`` value checked: a table of tables, each holding
    only known keys of the right type, a valid colour and at most one key source."""
    if not isinstance(value, dict) or not all(isinstance(t, dict) for t in value.values()):
        raise ConfigError(f"config file {path}: profiles must be [profiles.NAME] tables")
    for name, table in value.items():
        where = f"config file {path}: profile {shown(name)}"
        if not name.strip():
            raise ConfigError(f"config file {path}: a profile needs a name")
        known = [*_FILE_SETTINGS, *PROFILE_ONLY_KEYS]
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise ConfigError(
                f"{where}: unknown setting {clean(unknown[0], max_chars=40)!r} "
                f"(known: {', '.join(known)})"
            )
        for key, item in table.items():
            expected = _FILE_SETTINGS[key].file_type if key in _FILE_SETTINGS else None
            if expected is not None and not expected.accepts(item):
                raise ConfigError(f"{where}: {key} must be {expected.must_be}")
        if "key_env" in table:
            if "api_key" in table:
                raise ConfigError(f"{where}: give api_key or key_env, not both")
            if not isinstance(table["key_env"], str) or not _ENV_NAME.fullmatch(table["key_env"]):
                raise ConfigError(f"{where}: key_env must name an environment variable")
        if "color" in table:
            table["color"] = parse_color(table["color"], where)
    return value


def profile_values(
    name: str, table: Mapping[str, Any], env: Mapping[str, str], path: Path
) -> dict[str, Any]:
    """The profile's settings as raw values, by config-file key: its ``key_env``
    read into ``api_key`` (an unset variable is an error: the profile names it, so
    falling back to another key would connect to the wrong organisation)."""
    values = {key: item for key, item in table.items() if key not in PROFILE_ONLY_KEYS}
    variable = table.get("key_env")
    if variable:
        key = (env.get(variable) or "").strip()
        if not key:
            raise ConfigError(
                f"profile {shown(name)} in {path} reads its key from ${variable}, which is not set"
            )
        values["api_key"] = key
    return values


def profile_secrets(profiles: Mapping[str, Mapping[str, Any]], env: Mapping[str, str]) -> list[str]:
    """Every key the profiles hold or name: taken out of every error message."""
    found = []
    for table in profiles.values():
        if isinstance(table.get("api_key"), str):
            found.append(table["api_key"])
        variable = table.get("key_env")
        if isinstance(variable, str) and env.get(variable):
            found.append(env[variable])
    return found


def key_variables(profiles: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every environment variable a profile reads its key from (``key_env``)."""
    return [
        table["key_env"]
        for table in profiles.values()
        if isinstance(table, Mapping) and isinstance(table.get("key_env"), str)
    ]


def key_holders(profiles: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The profiles whose table holds a key itself (not through ``key_env``)."""
    return [name for name, table in profiles.items() if table.get("api_key")]


def unknown_profile(name: str, source: str, profiles: Mapping[str, Any], path: Path) -> ConfigError:
    """The one-line error for a profile the file does not define."""
    if not profiles:
        return ConfigError(
            f"{source}: no profile {shown(name)}: {path} defines no [profiles.NAME] tables"
        )
    known = ", ".join(clean(n, max_chars=60) for n in profiles)
    return ConfigError(f"{source}: no profile {shown(name)} in {path} (known: {known})")
