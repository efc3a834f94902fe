"""Small values the dashboard binds into its widgets (frozen, so they compare by value
and a bound widget hears of them only when they really change)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Counts:
    """How many batches there are, how many still run, and how many the list shows."""

    total: int = 0
    active: int = 0
    shown: int = 0
