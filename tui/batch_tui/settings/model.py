"""The shape of a setting: the ``Setting`` row, where a raw value came from
(``Origin``), what a config-file value must be (``FileType``), and ``ConfigError``.
``settings_table`` holds the rows themselves and their parsers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: The commands that take settings: the dashboard, and the two scripts.
COMMANDS = ("dashboard", "status", "watch")


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


@dataclass(frozen=True)
class Setting:
    """One setting: where it may come from, how it is checked, how it is documented."""

    name: str
    """Its field of ``Settings``."""
    label: str
    """What it is, in a few words (the settings table's first column, docs/settings.md)."""
    default: Any
    """Its value when no source gives one."""
    shown_default: str
    """The default as docs/settings.md shows it (Markdown)."""
    parse: Callable[[Any, Origin], Any] | None
    """Turns a raw value into the setting's value, or raises ConfigError. None only
    for the config path and the profile, which are resolved first: they say which
    file, and which of its tables, to read."""
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
