"""The scheduler's parts on their own: what each keeps that the whole plan's tests do not pin."""

from __future__ import annotations

import random

from batch_tui.core.defaults import MAX_INTERVAL
from batch_tui.monitor.outcomes import Streams
from batch_tui.monitor.pace import Pace
from batch_tui.monitor.paging import MAX_FULL_PAGES, MAX_SWEEP_PAGES, Walks
from batch_tui.monitor.planning import MAX_GONE, REFRESH_COALESCE, PollRequest
from batch_tui.monitor.tracking import Tracks

T0 = 1_000_000.0


def test_the_memory_of_missing_batches_is_bounded_and_forgets_the_oldest_first():
    tracks = Tracks()
    for n in range(MAX_GONE + 1):
        tracks.gone(f"b{n}")
    assert not tracks.is_gone("b0")  # asked for again if it comes back
    assert tracks.is_gone("b1") and tracks.is_gone(f"b{MAX_GONE}")


def test_a_refresh_pulls_in_every_stream_but_history_and_a_quick_second_press_joins_it():
    streams = Streams(T0, random.Random(1))
    streams.succeeded("sweep:processing", T0, 60)
    streams.succeeded("history", T0, 60)
    streams.failed("list", T0, 60)
    assert streams.refresh(T0 + 10)
    assert streams.due("sweep:processing", T0) == T0 + 10
    assert streams.failures("list") == 0 and streams.due("list", T0) <= T0 + 10
    # The user scrolled to no more history than before: a refresh does not fetch it.
    assert streams.due("history", T0) == T0 + 60
    streams.succeeded("sweep:processing", T0 + 11, 60)
    assert not streams.refresh(T0 + 10 + REFRESH_COALESCE - 0.01)
    assert streams.due("sweep:processing", T0) == T0 + 71
    assert streams.refresh(T0 + 10 + REFRESH_COALESCE)
    assert streams.due("sweep:processing", T0) == T0 + 10 + REFRESH_COALESCE


def test_backoff_is_never_sooner_than_the_cadence_and_the_same_seed_waits_the_same():
    first, second = Streams(T0, random.Random(7)), Streams(T0, random.Random(7))
    delays = [first.failed("sweep:pending", T0, 2.0) for _ in range(8)]
    assert delays == [second.failed("sweep:pending", T0, 2.0) for _ in range(8)]
    assert min(delays) >= 2.0 and max(delays) > 2.0
    assert first.failures("sweep:pending") == 8 and first.outage
    # The first success after an outage makes every stream that was waiting due now.
    first.failed("list", T0, 30.0)
    first.succeeded("scan", T0 + 1, 30.0)
    assert not first.outage
    assert first.due("sweep:pending", T0) == first.due("list", T0) == T0 + 1
    assert first.backing_off() == 0


def test_a_shorter_interval_pulls_in_what_was_planned_further_out():
    streams = Streams(T0, random.Random(1))
    streams.succeeded("list", T0, 300)
    streams.succeeded("sweep:processing", T0, 60)
    streams.succeeded("detail:b1", T0, 0.5)
    streams.pull_in(T0 + 1, interval=1, discovery_every=30)
    assert streams.due("list", T0) == T0 + 1 + 30
    assert streams.due("sweep:processing", T0) == T0 + 2
    assert streams.due("detail:b1", T0) == T0 + 0.5  # already sooner: left alone


def test_a_walk_asks_for_the_page_it_has_reached_and_is_capped_by_its_kind():
    walks = Walks()
    sweep = PollRequest("sweep", status="processing")
    assert walks.at(sweep) == sweep
    walk = walks.walk(sweep)
    assert walk.max_pages == MAX_SWEEP_PAGES
    assert walk.page([(f"b{n}", "processing") for n in range(100)], True, wanted=True)
    assert walks.at(sweep) == PollRequest("sweep", status="processing", offset=100)
    assert walks.started(sweep) and not walks.started(PollRequest("scan"))
    assert walks.walk(PollRequest("scan")).max_pages == MAX_FULL_PAGES


def test_a_starved_budget_stretches_no_cadence_past_the_longest_interval():
    pace = Pace()
    rates = {"sweep:processing": 1.0, "list": 0.1, "details": 0.0, "highlighted": 1.0}
    pace.fit(rates, allowed=1e-9, interval=1.0)
    assert pace.factor == pace.highlight_factor == MAX_INTERVAL
    # With room for the highlighted batch, only the rest is stretched.
    pace.fit(rates, allowed=1.55, interval=1.0)
    assert pace.highlight_factor == 1.0 and pace.factor > 1.0
    plan = pace.plan(rates, 1.0)
    assert plan.requests_per_minute <= 60 * 1.55 + 1e-9
    assert plan.highlighted_interval == 1.0
