"""What one dashboard runs on (``Connection``), and how to reach the config file's
other profiles (``Switcher``, ``Choice``).

The session builds connections (client, store, watch list, hook); the app runs one
at a time and swaps it for another on ``P`` (``BatchTUI.switch_to``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from batch_tui.core.defaults import DEFAULT_COLUMNS
from batch_tui.integrations.watchlist import WatchList
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.settings.config import ConfigError, Settings
from batch_tui.ui.styles import profile_text

if TYPE_CHECKING:
    # Hooks are loaded only when the config file names one (``session._hooks``).
    from batch_tui.integrations.hooks import HookRunner


@dataclass(frozen=True)
class Connection:
    """What one dashboard runs on: its monitor, and how the dashboard behaves."""

    monitor: BatchMonitor
    read_only: bool = False
    bell: bool = True
    watchlist: WatchList | None = None
    """Where watched ids are remembered (the profile's own; None: not remembered)."""
    status: str | None = None
    """The status filter the list starts with."""
    warnings: tuple[str, ...] = ()
    """Told in notifications once the dashboard is up."""
    profile: str | None = None
    """The profile's name (None: the config file's top-level settings)."""
    profile_color: str | None = None
    """The colour its name is shown in."""
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    """The list's columns, in order (``columns`` in the config file)."""
    notify: str = "none"
    """Desktop notifications: none, desktop (OSC 9) or osc777."""
    hooks: HookRunner | None = None
    """The ``on_event`` hook's runner (None: no hook)."""

    @property
    def label(self) -> Text | None:
        """The profile's name in its colour (None: no profile)."""
        return None if self.profile is None else profile_text(self.profile, self.profile_color)


@dataclass(frozen=True)
class Switcher:
    """How to reach the other profiles: their names, and the session's builders."""

    names: tuple[str, ...]
    """Every profile of the config file, in its order."""
    resolve: Callable[[str], Settings]
    """A profile's settings, as ``--profile NAME`` would give them (ConfigError if unusable)."""
    connect: Callable[[Settings], Connection]
    """A new monitor (client, store, watch list) for those settings."""


@dataclass(frozen=True)
class Choice:
    """One line of the switcher: a profile, and its settings or why it cannot be used."""

    name: str
    settings: Settings | None
    problem: str | None
    current: bool


def choices(switcher: Switcher, current: str | None) -> list[Choice]:
    """Every profile, resolved now (so an edited config file is read afresh)."""
    found = []
    for name in switcher.names:
        try:
            settings, problem = switcher.resolve(name), None
        except ConfigError as exc:
            settings, problem = None, str(exc)
        found.append(Choice(name, settings, problem, name == current))
    return found
