"""The parsers of the two settings that hold a list or a table: the batch list's
``columns`` and the ``[keys]`` (rows of ``settings_table``).

Which command ids a ``[keys]`` table may name, and which key names Textual knows,
are the dashboard's to say (``ui/keymap.py`` checks them when the app is built);
here the table's shape is checked.
"""

from __future__ import annotations

from typing import Any

from batch_tui.core.defaults import COLUMN_CHOICES
from batch_tui.settings.model import ConfigError, Origin


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
