"""Throughput, ETA, burn rate and projections: honest numbers or none at all."""

from __future__ import annotations

import pytest

from batch_tui.monitor.insight import (
    Progress,
    cost_per_success_cents,
    failure_rate,
    projected_cost_cents,
)


def test_nothing_is_claimed_before_there_is_history():
    progress = Progress()
    assert progress.items_per_minute() is None
    progress.add(0, 10, 50)
    assert progress.items_per_minute() is None and progress.eta_seconds(100) is None
    progress.add(2, 12, 60)  # too short a span to say anything
    assert progress.items_per_minute() is None


def test_rates_over_the_window():
    progress = Progress()
    progress.add(0, 0, 0)
    progress.add(60, 30, 150)
    assert progress.items_per_minute() == pytest.approx(30)
    assert progress.cents_per_minute() == pytest.approx(150)
    assert progress.eta_seconds(90) == pytest.approx(120)


def test_no_progress_means_no_rate_and_no_division_by_zero():
    progress = Progress()
    progress.add(0, 5, 10)
    progress.add(60, 5, 10)
    assert progress.items_per_minute() is None
    assert progress.eta_seconds(100) is None
    assert progress.cents_per_minute() is None


def test_old_samples_leave_the_window_and_a_count_going_back_restarts_it():
    progress = Progress(window=100)
    for t in range(0, 400, 10):
        progress.add(t, t, None)
    assert progress.samples[0].at >= 390 - 100 - 10
    progress.add(400, 3, None)  # a bad answer: counts went backwards
    assert len(progress.samples) == 1


def test_sparkline_buckets_recent_throughput():
    progress = Progress(window=100)
    for t in range(0, 101, 10):
        progress.add(t, t * 2, None)
    line = progress.sparkline(buckets=5)
    assert len(line) == 5 and all(v > 0 for v in line)


def test_projections_and_ratios_guard_against_zero():
    assert projected_cost_cents(250, 50, 100) == 500
    assert projected_cost_cents(250, 0, 100) is None
    assert cost_per_success_cents(250, 50) == 5
    assert cost_per_success_cents(250, 0) is None
    assert failure_rate(5, 20) == 0.25
    assert failure_rate(5, 0) is None
    assert failure_rate(50, 20) == 1.0


def test_pace_and_eta_wait_for_a_minute_of_history():
    progress = Progress()
    progress.add(0, 0, 0)
    progress.add(6, 2, 10)  # six seconds in: 20 items/min would be a wild guess
    assert progress.items_per_minute() is None and progress.eta_seconds(1000) is None
    progress.add(60, 10, 50)
    assert progress.items_per_minute() == 10


def test_the_sparkline_draws_no_bars_for_the_time_before_the_first_sample():
    progress = Progress()
    progress.add(0, 0, None)
    progress.add(30, 15, None)
    progress.add(60, 30, None)
    assert len(progress.sparkline(buckets=10)) == 2  # one minute of a five-minute window
    assert all(rate > 0 for rate in progress.sparkline(buckets=10))
