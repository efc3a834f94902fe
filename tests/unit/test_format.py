"""Display helpers: money, token counts, percentages, times, durations and free-form JSON as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from batch_tui.core import format as fmt

UTC = UTC
NOW = datetime(2024, 1, 15, 10, 0, 0, tzinfo=UTC)


# --- money --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "expected"),
    [
        (250, "$2.50"),
        (0, "$0.00"),
        (10, "$0.10"),
        (100, "$1.00"),
        (1999, "$19.99"),
        (123456789, "$1,234,567.89"),
        (100_000, "$1,000.00"),
        (2.5, "$0.03"),
        (5, "$0.05"),
        (9, "$0.09"),
        (30, "$0.30"),
        (0.4, "<$0.01"),
        (-250, "-$2.50"),
        (-5, "-$0.05"),
    ],
)
def test_money(cents, expected):
    assert fmt.money(cents) == expected


def test_unknown_money_is_a_dash_not_zero():
    assert fmt.money(None) == "—"


# --- compact ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (12500, "12.5k"),
        (8700, "8.7k"),
        (999, "999"),
        (0, "0"),
        (1000, "1k"),
        (1234567, "1.2M"),
        (2_000_000, "2M"),
        (3_400_000_000, "3.4B"),
        (5e12, "5T"),
        (-12500, "-12.5k"),
    ],
)
def test_compact(n, expected):
    assert fmt.compact(n) == expected


def test_compact_unknown():
    assert fmt.compact(None) == "—"


def test_compact_rounds_up_into_the_next_unit():
    assert fmt.compact(999_999) == "1M"


# --- count / percent ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "0"), (999, "999"), (1234, "1,234"), (1234567, "1,234,567"), (None, "—")],
)
def test_count(n, expected):
    assert fmt.count(n) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.0, "0%"), (0.589, "58%"), (0.5, "50%"), (0.999, "99%"), (1.0, "100%"), (None, "—")],
)
def test_percent_rounds_down_so_only_finished_work_shows_100(fraction, expected):
    assert fmt.percent(fraction) == expected


# --- utc / clock_time ---------------------------------------------------------------


def test_utc():
    assert fmt.utc(datetime(2024, 1, 15, 10, 0, 0, tzinfo=UTC)) == "2024-01-15 10:00:00 UTC"
    assert fmt.utc(datetime(2024, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)) == "2024-02-03 04:05:06 UTC"
    assert fmt.utc(None) == "—"


def test_clock_time():
    assert fmt.clock_time(datetime(2024, 1, 15, 10, 0, 1, tzinfo=UTC)) == "10:00:01 UTC"
    # One convention everywhere: a time from another zone is shown in UTC, labelled.
    later = datetime(2024, 1, 15, 5, 0, 1, tzinfo=timezone(timedelta(hours=-5)))
    assert fmt.clock_time(later) == "10:00:01 UTC"
    assert fmt.clock_time(None) == "—"


# --- relative -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(minutes=-3), "3 minutes ago"),
        (timedelta(seconds=-45), "45 seconds ago"),
        (timedelta(hours=-1), "an hour ago"),
        (timedelta(days=-2), "2 days ago"),
        (timedelta(days=30), "in a month"),
        (timedelta(minutes=5), "in 5 minutes"),
        (timedelta(0), "just now"),
        (timedelta(milliseconds=-400), "just now"),
        (timedelta(milliseconds=900), "just now"),
    ],
)
def test_relative(offset, expected):
    assert fmt.relative(NOW + offset, NOW) == expected


def test_relative_unknown():
    assert fmt.relative(None, NOW) == "—"


# --- duration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=59.9), "59s"),
        (timedelta(minutes=1), "1m 00s"),
        (timedelta(minutes=2, seconds=29), "2m 29s"),
        (timedelta(hours=1, minutes=2), "1h 02m"),
        (timedelta(hours=1, minutes=2, seconds=59), "1h 02m"),
        (timedelta(hours=23, minutes=59), "23h 59m"),
        (timedelta(days=1), "1d 0h"),
        (timedelta(days=3, hours=4, minutes=30), "3d 4h"),
    ],
)
def test_duration(delta, expected):
    assert fmt.duration(delta) == expected


def test_duration_unknown_or_negative_is_a_dash():
    assert fmt.duration(None) == "—"
    assert fmt.duration(timedelta(seconds=-5)) == "—"


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (90, "1m 30s"),
        (1e15, "> 9999d"),  # past what timedelta can hold
        (float("inf"), "> 9999d"),
        (float("nan"), "—"),
        (-1, "—"),
        (None, "—"),
    ],
)
def test_duration_of_any_number_of_seconds_never_raises(seconds, expected):
    assert fmt.duration_of(seconds) == expected


def test_a_duration_longer_than_anyone_waits_is_capped():
    assert fmt.duration(timedelta.max) == "> 9999d"
    assert fmt.duration(timedelta(days=9999)) == "9999d 0h"


# --- age ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=59), "59s"),
        (timedelta(minutes=5, seconds=59), "5m"),
        (timedelta(hours=2, minutes=30), "2h"),
        (timedelta(days=3, hours=23), "3d"),
    ],
)
def test_age(ago, expected):
    assert fmt.age(NOW - ago, NOW) == expected


def test_age_in_the_future_is_zero_and_unknown_is_a_dash():
    assert fmt.age(NOW + timedelta(minutes=2), NOW) == "0s"
    assert fmt.age(None, NOW) == "—"


# --- weights / mapping --------------------------------------------------------------


def test_weights_of_documented_methods_config():
    assert fmt.weights({"reasoning": 1, "tool": 0.5}) == "reasoning 1, tool 0.5"


def test_weights_odd_values():
    assert fmt.weights({"semantic": 1.0, "formal": True, "entropy": None}) == (
        "semantic 1, formal true, entropy null"
    )
    assert fmt.weights({}) == "—"
    assert fmt.weights(None) == "—"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"source": "news-aggregator"}, "source=news-aggregator"),
        ({"source": "api", "priority": 2, "urgent": False}, "source=api, priority=2, urgent=false"),
        ({"tags": ["a", "b"], "meta": {"x": 1}}, 'tags=["a","b"], meta={"x":1}'),
        ({"note": "café"}, "note=café"),
        ("just text", "just text"),
        ([1, "two"], '[1,"two"]'),
        (3.5, "3.5"),
        (0, "0"),
        (False, "false"),
        ({}, "—"),
        (None, "—"),
    ],
)
def test_mapping(value, expected):
    assert fmt.mapping(value) == expected


def test_helpers_return_plain_text_not_markup():
    # Free-form text from the server is shown as is; nothing turns it into markup.
    assert fmt.mapping({"tag": "[bold]x[/bold]"}) == "tag=[bold]x[/bold]"
    assert fmt.weights({"[red]": 1}) == "[red] 1"
