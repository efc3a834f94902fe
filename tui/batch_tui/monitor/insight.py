"""What a running batch's numbers mean: throughput, ETA, burn rate, projected cost.

``Progress`` keeps a sliding window of (time, processed, cost) samples for one
batch and derives rates from it. Every figure is None until there is enough to
say something honest (two samples some seconds apart, with progress between
them); nothing here ever divides by zero.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

#: Rates are measured over this much recent history.
WINDOW_SECONDS = 300.0
#: Fewer seconds than this between the first and last sample say nothing yet: a
#: pace measured over a few seconds swings wildly (12 items/min, then 7.4), and an
#: ETA from it is a guess dressed as a figure.
MIN_SPAN = 60.0


@dataclass(frozen=True)
class Sample:
    """One observation of a batch."""

    at: float
    processed: int
    cost_cents: float | None


class Progress:
    """A sliding window of one batch's progress, and the rates it implies."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self.samples: deque[Sample] = deque()

    def add(self, at: float, processed: int | None, cost_cents: float | None) -> None:
        """Record an observation (ignored when the count is unknown or went backwards)."""
        if processed is None or processed < 0:
            return
        if self.samples:
            last = self.samples[-1]
            if at <= last.at:
                return  # the same instant, or out of order
            if processed < last.processed:
                self.samples.clear()  # went backwards (a bad answer): start again
        self.samples.append(Sample(at, processed, cost_cents))
        while len(self.samples) > 2 and self.samples[0].at < at - self.window:
            self.samples.popleft()

    def _span(self) -> tuple[Sample, Sample] | None:
        if len(self.samples) < 2:
            return None
        first, last = self.samples[0], self.samples[-1]
        if last.at - first.at < MIN_SPAN or last.processed <= first.processed:
            return None
        return first, last

    def items_per_minute(self) -> float | None:
        """Items finished per minute over the window."""
        span = self._span()
        if span is None:
            return None
        first, last = span
        return (last.processed - first.processed) / (last.at - first.at) * 60

    def eta_seconds(self, total: int | None) -> float | None:
        """Seconds until ``total`` at the current pace."""
        rate = self.items_per_minute()
        if rate is None or rate <= 0 or total is None or not self.samples:
            return None
        left = max(0, total - self.samples[-1].processed)
        return left / rate * 60

    def cents_per_minute(self) -> float | None:
        """Cost burn rate over the window."""
        span = self._span()
        if span is None:
            return None
        first, last = span
        if first.cost_cents is None or last.cost_cents is None:
            return None
        return max(0.0, last.cost_cents - first.cost_cents) / (last.at - first.at) * 60

    def history_seconds(self) -> float:
        """How many seconds of samples there are."""
        return self.samples[-1].at - self.samples[0].at if len(self.samples) > 1 else 0.0

    def sparkline(self, buckets: int = 10) -> list[float]:
        """Items per minute in equal slices (a tenth of the window each), oldest
        first; only slices since the first sample, so the time before it (before
        the batch started, or before we looked) is not drawn as zero bars."""
        if len(self.samples) < 2:
            return []
        end = self.samples[-1].at
        width = self.window / buckets
        rates = [0.0] * buckets
        pairs = zip(self.samples, list(self.samples)[1:], strict=False)  # neighbours
        for before, after in pairs:
            slot = int((end - after.at) // width)
            if 0 <= slot < buckets and after.at > before.at:
                done = after.processed - before.processed
                rates[buckets - 1 - slot] += done / width * 60
        covered = min(buckets, max(1, math.ceil((end - self.samples[0].at) / width)))
        return rates[-covered:]


def projected_cost_cents(
    cost_cents: float | None, processed: int | None, total: int | None
) -> float | None:
    """Cost so far scaled to the whole batch: cost ÷ processed × total."""
    if cost_cents is None or not processed or total is None or processed <= 0:
        return None
    return cost_cents / processed * total


def cost_per_success_cents(cost_cents: float | None, successes: int | None) -> float | None:
    """Cost so far per successful item."""
    if cost_cents is None or not successes or successes <= 0:
        return None
    return cost_cents / successes


def failure_rate(failures: int | None, processed: int | None) -> float | None:
    """Failed items as a share of processed ones."""
    if failures is None or not processed or processed <= 0:
        return None
    return min(1.0, max(0.0, failures / processed))
