"""Messages the dashboard's parts send each other and the app."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from batch_tui.monitor.monitor import Change
from batch_tui.settings.config import Settings


@dataclass
class MonitorChanged(Message):
    """The monitor applied a poll result; ``change`` names the batches it touched."""

    change: Change
    handled: bool = False
    """Set once the dashboard has read it (later news with nothing in it can wait)."""


@dataclass
class ProfileChosen(Message):
    """The user chose another profile (``P``): the app reconnects to it."""

    settings: Settings
