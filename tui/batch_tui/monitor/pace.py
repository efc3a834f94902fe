"""The scheduler's pace: one stretch that fits the plan into the rate budget.

The scheduler adds up what each recurring stream would send at the asked interval
(its *base rates*); when that is more than the budget allows, every cadence is
stretched by one factor, and the highlighted batch only when the rest cannot
make room for it. No cadence is ever stretched past ``MAX_INTERVAL``.
"""

from __future__ import annotations

from dataclasses import dataclass

from batch_tui.core.defaults import MAX_INTERVAL

#: The key of the highlighted batch's own rate among the base rates.
HIGHLIGHTED = "highlighted"


@dataclass
class Plan:
    """The scheduler's view of its own pace, for the status line."""

    interval: float
    effective_interval: float
    highlighted_interval: float
    requests_per_minute: float
    """What the plan would send in a minute at the effective pace."""
    planned_gap: float = 0.0
    """Seconds between requests of the plan's most frequent stream: data younger
    than a few of these is as fresh as planned (the discovery period, when nothing
    can change but the arrival of a new batch)."""


class Pace:
    """The stretch factors in force: one for every stream, one for the highlighted batch."""

    def __init__(self) -> None:
        self.factor = 1.0
        self.highlight_factor = 1.0

    def fit(self, rates: dict[str, float], allowed: float | None, interval: float) -> None:
        """Stretch so that ``rates`` (requests per second, by stream) fit in ``allowed``."""
        total = sum(rates.values())
        highlighted = rates.get(HIGHLIGHTED, 0.0)
        if allowed is None or total <= allowed or total == 0:
            self.factor = self.highlight_factor = 1.0
        elif allowed > highlighted and total > highlighted:
            self.highlight_factor = 1.0
            self.factor = (total - highlighted) / (allowed - highlighted)
        else:
            self.factor = self.highlight_factor = total / max(allowed, 1e-6)
        cap = MAX_INTERVAL / interval
        self.factor = min(self.factor, cap)
        self.highlight_factor = min(self.highlight_factor, cap)

    def plan(self, rates: dict[str, float], interval: float) -> Plan:
        """What ``rates`` come to at the stretch in force."""
        rates = dict(rates)
        highlighted = rates.pop(HIGHLIGHTED)
        per_second = sum(rates.values()) / self.factor + highlighted / self.highlight_factor
        gaps = [self.factor / rate for rate in rates.values() if rate > 0]
        if highlighted > 0:
            gaps.append(self.highlight_factor / highlighted)
        return Plan(
            interval=interval,
            effective_interval=interval * self.factor,
            highlighted_interval=interval * self.highlight_factor,
            requests_per_minute=60 * per_second,
            planned_gap=min(gaps, default=interval * self.factor),
        )
