"""``P``: switch to another profile of the config file without restarting.

The app owns the switch (it holds the monitor and the poll loop, ``BatchTUI.
switch_to``); the session supplies how a profile's settings are resolved and how a
monitor is built for them (``Switcher``), so the wiring stays in one place. This
module holds what a connection is, and the dashboard's side: the dialog and what
its answer does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

from batch_tui.settings.config import ConfigError, Settings
from batch_tui.core.defaults import DEFAULT_COLUMNS
from batch_tui.integrations.hooks import HookRunner
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.ui.styles import profile_text
from batch_tui.ui.text import plain
from batch_tui.integrations.watchlist import WatchList

if TYPE_CHECKING:
    from batch_tui.ui.app import BatchTUI


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


class ProfileSwitching:
    """Opens the switcher from the dashboard and acts on the answer."""

    def __init__(self, node: Widget) -> None:
        self.node = node

    @property
    def app(self) -> BatchTUI:
        """The app, which owns the switch."""
        return self.node.app  # type: ignore[return-value]

    def open(self) -> None:
        """Show the profiles; without any, say how to make some."""
        switcher = self.app.switcher
        if switcher is None or not switcher.names:
            self.node.notify(
                "No profiles: add [profiles.NAME] tables to the config file to switch services.",
                severity="warning",
                markup=False,
            )
            return
        from batch_tui.ui.dialogs.profiles import ProfilePicker  # loaded when first needed

        picker = ProfilePicker(choices(switcher, self.app.profile))
        self.node.app.push_screen(picker, callback=self.chosen)

    def chosen(self, choice: Choice | None) -> None:
        """Reconnect to the chosen profile, unless it is the one in use or unusable."""
        if choice is None:
            return
        if choice.settings is None:
            self.node.notify(plain(choice.problem or ""), severity="error", markup=False)
        elif choice.current:
            self.node.notify(f"Already on {plain(choice.name)}.", timeout=3, markup=False)
        else:
            self.app.run_worker(self.app.switch_to(choice.settings), group="switch", exclusive=True)
