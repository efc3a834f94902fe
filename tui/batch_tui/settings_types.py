"""The settings table's building blocks: the error every bad value becomes, where a
value came from, what a config-file value must be, and the parsers of the two
settings that hold a list or a table (the list's ``columns`` and the ``[keys]``).

Which command ids a ``[keys]`` table may name, and which key names Textual knows,
are the dashboard's to say (``ui/keymap.py`` checks them when the app is built);
here the table's shape is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from batch_tui.defaults import COLUMN_CHOICES


class ConfigError(Exception):
    """Bad input from the command line, the environment or the config file."""


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
NAMES = FileType(
    lambda value: isinstance(value, list) and all(isinstance(v, str) for v in value),
    'a list of names, like ["name", "status", "progress"]',
)
TABLE = FileType(lambda value: isinstance(value, dict), 'a table, like [keys] cancel = "k"')


def parse_columns(value: Any, origin: Origin) -> tuple[str, ...]:
    """The list's columns, in the order given: known names, each once, at least one."""
    choices = ", ".join(COLUMN_CHOICES)
    names = [str(name).strip().lower() for name in value]
    for name in names:
        if name not in COLUMN_CHOICES:
            raise ConfigError(
                f"{origin.source}: {origin.name}: unknown column {name!r} (one of: {choices})"
            )
    if len(set(names)) != len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise ConfigError(f"{origin.source}: {origin.name}: column {twice!r} is named twice")
    if not names:
        raise ConfigError(f"{origin.source}: {origin.name}: name at least one column ({choices})")
    return tuple(names)


def parse_keys(value: Any, origin: Origin) -> tuple[tuple[str, str], ...]:
    """``[keys]``: (command id, its keys comma-separated) pairs; each key one word,
    like ``k``, ``f5`` or ``ctrl+r`` (a string ``"f5,r"`` or a list ``["f5", "r"]``)."""
    pairs = []
    for command, keys in value.items():
        parts = keys.split(",") if isinstance(keys, str) else keys
        if not isinstance(parts, list) or not all(isinstance(part, str) for part in parts):
            raise ConfigError(
                f'{origin.source}: [{origin.name}] {command}: give its keys as "k" or "f5,r"'
            )
        words = [part.strip() for part in parts]
        if not words or any(not word or len(word.split()) > 1 for word in words):
            raise ConfigError(
                f"{origin.source}: [{origin.name}] {command}: {keys!r} is not a list of keys "
                '(like "k" or "f5,r"; "space" for the space bar, "comma" for a comma)'
            )
        pairs.append((command, ",".join(words)))
    return tuple(pairs)
