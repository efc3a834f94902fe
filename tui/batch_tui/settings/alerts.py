"""The parsers of the alert settings: the stall threshold, desktop notifications
and the ``on_event`` hook (rows of ``settings_table``)."""

from __future__ import annotations

import math
from typing import Any

from batch_tui.core.defaults import MAX_STALL_AFTER, MIN_STALL_AFTER
from batch_tui.settings.model import ConfigError, Origin


def stall_after(value: Any, origin: Origin) -> float:
    """Seconds without movement before a batch is stalled, within sane bounds."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not MIN_STALL_AFTER <= seconds <= MAX_STALL_AFTER:
        raise ConfigError(
            f"{origin.source}: {origin.name} must be a number of seconds from "
            f"{MIN_STALL_AFTER:g} to {MAX_STALL_AFTER:g}, got {str(value)!r}"
        )
    return seconds


#: ``--notify``: what each value sends (none; OSC 9; OSC 777).
NOTIFY_KINDS = ("none", "desktop", "osc777")


def notify_kind(value: Any, origin: Origin) -> str:
    """One of ``NOTIFY_KINDS``."""
    kind = str(value).strip().lower()
    if kind not in NOTIFY_KINDS:
        shown = ascii(str(value)[:40])
        raise ConfigError(
            f"{origin.source}: {origin.name} must be one of {', '.join(NOTIFY_KINDS)}, got {shown}"
        )
    return kind


def argv(value: Any, origin: Origin) -> tuple[str, ...]:
    """A program and its arguments as a list of strings: never a shell string."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(arg, str) for arg in value)
        or not value[0].strip()
        or any("\0" in arg for arg in value)
    ):
        raise ConfigError(
            f"{origin.source}: {origin.name} must be a list of strings, a program and its "
            'arguments, such as ["notify-send", "batch-tui"] (never one shell string)'
        )
    return tuple(value)
