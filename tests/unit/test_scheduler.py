"""The poll planner on a fake clock: what is asked for, when, and what never is."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from batch_tui.api.models import RateLimit
from batch_tui.monitor.budget import Budget
from batch_tui.monitor.scheduler import (
    BACKOFF_CAP,
    DEFAULT_INTERVAL,
    PollRequest,
    Scheduler,
)

T0 = 1_000_000.0
LIST = PollRequest("list")
SWEEP = PollRequest("sweep", status="processing")


def detail(batch_id: str) -> PollRequest:
    return PollRequest("detail", batch_id)


class FakeServer:
    """Answers the scheduler's requests from a table of batch statuses, like the real API."""

    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = statuses
        self.asked: list[PollRequest] = []

    def answer(self, scheduler: Scheduler, request: PollRequest, now: float) -> None:
        self.asked.append(request)
        if request.kind == "detail":
            scheduler.saw_detail(request.batch_id, self.statuses[request.batch_id], now)
            return
        shown = {
            batch_id
            for batch_id, status in self.statuses.items()
            if request.kind == "list" or status == request.status
        }
        for batch_id in shown:
            scheduler.saw_summary(batch_id, self.statuses[batch_id], now)
        if request.kind == "list":
            scheduler.discovery_done(now, whole_list=True)
        else:
            scheduler.sweep_done(request.status, shown, now)

    def run(
        self, scheduler: Scheduler, start: float, end: float, step: float = 0.1
    ) -> list[PollRequest]:
        """Answer everything that falls due between ``start`` and ``end``; return what was asked."""
        first = len(self.asked)
        for tick in range(round((end - start) / step) + 1):
            t = start + tick * step
            while (request := scheduler.next_request(t)) is not None:
                self.answer(scheduler, request, t)
        return self.asked[first:]


def fleet(active: int, finished: int = 0) -> dict[str, str]:
    statuses = {f"run{n}": "processing" for n in range(active)}
    statuses.update({f"done{n}": "completed" for n in range(finished)})
    return statuses


def test_start_is_one_discovery_and_nothing_else():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=5, finished=5))
    assert server.run(scheduler, T0, T0 + 1) == [LIST]


def test_processing_batches_are_swept_once_per_interval_in_one_request():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=20, finished=50))
    asked = server.run(scheduler, T0, T0 + 29.9)
    assert asked.count(SWEEP) == 5  # at 5, 10, 15, 20, 25 s
    assert not any(r.kind == "detail" for r in asked)


def test_the_highlighted_batch_gets_its_detail_every_interval_and_is_served_first():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=3))
    server.run(scheduler, T0, T0)
    scheduler.highlight("run2", T0, fetch=True)
    assert scheduler.next_request(T0) == detail("run2")
    asked = server.run(scheduler, T0, T0 + 20)
    assert asked.count(detail("run2")) == 5
    # When the sweep and the detail fall due together, the highlighted batch goes first.
    both = [i for i, r in enumerate(asked) if r in (SWEEP, detail("run2"))]
    assert asked[both[0]] == detail("run2")


def test_a_batch_that_leaves_its_sweep_gets_one_final_fetch_then_never_again():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=2))
    server.run(scheduler, T0, T0 + 1)
    server.statuses["run0"] = "completed"
    asked = server.run(scheduler, T0 + 1, T0 + 6)
    assert asked.count(detail("run0")) == 1
    later = server.run(scheduler, T0 + 6, T0 + 300)
    assert detail("run0") not in later
    assert not scheduler.is_polled("run0")
    # Nothing is kept for it: the scheduler's state is the activity, not the history.
    assert "run0" not in scheduler.tracked()


def test_finished_batches_cost_the_scheduler_nothing():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=2, finished=5000))
    server.run(scheduler, T0, T0 + 1)
    assert sorted(scheduler.tracked()) == ["run0", "run1"]


def test_a_finished_batch_is_fetched_once_when_highlighted_and_the_highlight_moves_on_free():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=0, finished=3))
    server.run(scheduler, T0, T0 + 1)
    scheduler.highlight("done1", T0 + 1, fetch=True)
    details = [r for r in server.run(scheduler, T0 + 1, T0 + 60) if r.kind == "detail"]
    assert details == [detail("done1")]
    # Walking past rows before their fetch went out leaves nothing behind to send.
    for n in range(3):
        scheduler.highlight(f"done{n}", T0 + 60, fetch=True)
    scheduler.highlight("done1", T0 + 60, fetch=False)
    assert [r for r in server.run(scheduler, T0 + 60, T0 + 120) if r.kind == "detail"] == []


def test_pending_and_validating_batches_are_swept_more_slowly():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer({"a": "pending", "b": "validating", "c": "processing"})
    asked = server.run(scheduler, T0, T0 + 29.9)
    assert asked.count(SWEEP) == 5
    assert asked.count(PollRequest("sweep", status="pending")) == 2
    assert asked.count(PollRequest("sweep", status="validating")) == 2


def test_discovery_repeats_at_its_slower_cadence():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=1))
    asked = server.run(scheduler, T0, T0 + 120)
    assert asked.count(LIST) == 1 + int(120 // scheduler.discovery_every)


def test_a_named_batch_no_list_shows_is_polled_by_its_own_detail():
    scheduler = Scheduler(5, now=T0)
    scheduler.watch("mine", T0)
    server = FakeServer({"mine": "processing"})
    server.statuses_listed = False
    # A list that never shows it (e.g. filtered): only its own detail keeps it fresh.
    original = server.answer

    def answer(sched, request, now):
        if request.kind == "detail":
            return original(sched, request, now)
        server.asked.append(request)
        if request.kind == "list":
            sched.discovery_done(now)
        else:
            sched.sweep_done(request.status, set(), now)

    server.answer = answer
    asked = server.run(scheduler, T0, T0 + 20)
    assert asked.count(detail("mine")) == 5


def test_a_missing_batch_is_not_asked_for_again():
    scheduler = Scheduler(5, now=T0)
    scheduler.watch("gone", T0)
    scheduler.detail_gone("gone")
    server = FakeServer({})
    assert detail("gone") not in server.run(scheduler, T0, T0 + 60)


def test_a_429_pauses_everything_until_retry_after():
    scheduler = Scheduler(5, now=T0)
    scheduler.rate_limited(30, T0)
    assert scheduler.next_request(T0 + 29.9) is None
    assert scheduler.next_wakeup(T0) == T0 + 30
    assert scheduler.next_request(T0 + 30) == LIST


def test_unauthorized_stops_polling_until_refresh():
    scheduler = Scheduler(5, now=T0)
    scheduler.unauthorized()
    assert scheduler.next_request(T0 + 3600) is None
    assert scheduler.next_wakeup(T0) is None
    scheduler.refresh(T0 + 3600)
    assert scheduler.next_request(T0 + 3600) == LIST


def test_backoff_grows_with_full_jitter_up_to_the_cap_and_resets_on_success():
    scheduler = Scheduler(1, now=T0, rng=random.Random(1))
    delays = [scheduler.failed(SWEEP, T0) for _ in range(10)]
    ceilings = [min(BACKOFF_CAP, 2**n) for n in range(10)]
    for delay, ceiling in zip(delays, ceilings):
        assert 1 <= delay <= max(1, ceiling)  # never sooner than the 1 s interval
    assert max(delays[6:]) > 8  # later failures wait much longer (seeded jitter)
    assert scheduler.backoff(SWEEP) == 10
    scheduler.sweep_done("processing", set(), T0 + 100)
    assert scheduler.backoff(SWEEP) == 0
    assert scheduler.failed(SWEEP, T0 + 100) <= max(1, 1)


def test_backoff_is_per_endpoint():
    scheduler = Scheduler(5, now=T0)
    for _ in range(5):
        scheduler.failed(SWEEP, T0)
    assert scheduler.backoff(SWEEP) == 5
    assert scheduler.backoff(LIST) == 0
    assert scheduler.backing_off() == 1


def test_refresh_makes_every_stream_due_now():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=2, finished=2))
    server.run(scheduler, T0, T0 + 1)
    scheduler.refresh(T0 + 2)
    asked = server.run(scheduler, T0 + 2, T0 + 2)
    assert LIST in asked and SWEEP in asked
    assert not any(r.kind == "detail" for r in asked)


def test_ten_refreshes_in_a_row_cost_one():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=2, finished=2))
    server.run(scheduler, T0, T0 + 7)
    asked = []
    for press in range(10):
        t = T0 + 12 + press * 0.2
        scheduler.refresh(t)
        asked += server.run(scheduler, t, t)
    assert asked.count(LIST) == 1 and asked.count(SWEEP) == 1


def test_a_refresh_during_a_429_hold_sends_one_probe_that_ends_it():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=1))
    server.run(scheduler, T0, T0 + 1)
    scheduler.rate_limited(10**9, T0 + 2)
    assert scheduler.paused_until == T0 + 2 + 300  # a server's absurd wait is capped
    assert scheduler.next_request(T0 + 3) is None
    scheduler.refresh(T0 + 3)
    probe = scheduler.next_request(T0 + 3)
    assert probe is not None
    assert scheduler.next_request(T0 + 3) == probe  # one probe, not a burst
    server.answer(scheduler, probe, T0 + 3)
    assert scheduler.paused_until is None
    assert scheduler.next_request(T0 + 20) is not None


def test_a_rate_limit_reset_far_in_the_future_holds_for_one_window_at_most():
    budget = Budget()
    scheduler = Scheduler(5, now=T0, budget=budget)
    FakeServer(fleet(active=1)).run(scheduler, T0, T0 + 1)
    # Remaining 0 with a reset given in milliseconds: some 50,000 years away.
    budget.observe(RateLimit(limit=200, remaining=0, reset=(T0 + 30) * 1000), T0 + 1)
    assert scheduler.next_request(T0 + 2) is None
    assert scheduler.next_wakeup(T0 + 2) <= T0 + 1 + 60
    assert scheduler.next_request(T0 + 62) is not None


def test_default_interval_keeps_ten_active_batches_far_inside_a_pro_key():
    scheduler = Scheduler(DEFAULT_INTERVAL, now=T0)
    server = FakeServer(fleet(active=10, finished=100))
    server.run(scheduler, T0, T0 + 1)
    scheduler.highlight("run3", T0 + 1, fetch=True)
    asked = server.run(scheduler, T0 + 1, T0 + 61)
    assert len(asked) < 200 * 0.8
    assert asked.count(SWEEP) >= 60 / DEFAULT_INTERVAL - 1


def test_headroom_leaves_a_share_of_the_window_to_other_clients():
    budget = Budget(headroom=0.2)
    scheduler = Scheduler(1, now=T0, budget=budget)
    server = FakeServer(fleet(active=5))
    reset = T0 + 60
    sent = 0
    t = T0
    while t < reset:
        request = scheduler.next_request(t)
        if request is not None:
            budget.sent(t)
            sent += 1
            budget.observe(RateLimit(limit=20, remaining=20 - sent, reset=reset), t)
            server.answer(scheduler, request, t)
        t += 0.1
    assert sent <= 16
    assert sent >= 12  # and the budget is used, not wasted


def test_a_short_budget_stretches_the_interval_highlighted_batch_last():
    budget = Budget(headroom=0.2)
    scheduler = Scheduler(1, now=T0, budget=budget)
    server = FakeServer(fleet(active=5))
    server.run(scheduler, T0, T0)
    scheduler.highlight("run1", T0, fetch=True)
    budget.observe(RateLimit(limit=200, remaining=200, reset=T0 + 60), T0)
    roomy = scheduler.plan(T0)
    assert roomy.effective_interval == 1
    # Other clients spend a request a second: 160 a minute is ours less their 60.
    budget.observe(RateLimit(limit=200, remaining=170, reset=T0 + 60), T0 + 30)
    tight = scheduler.plan(T0 + 30)
    assert tight.effective_interval > 1.2
    assert tight.highlighted_interval == 1
    assert tight.requests_per_minute <= 160 - 60 + 1e-6
    # When even the highlighted batch does not fit, everything stretches.
    budget.observe(RateLimit(limit=200, remaining=80, reset=T0 + 60), T0 + 40)
    starved = scheduler.plan(T0 + 40)
    assert starved.highlighted_interval > 1
    assert starved.effective_interval > tight.effective_interval


@given(
    limit=st.integers(min_value=5, max_value=300),
    foreign=st.lists(st.integers(min_value=0, max_value=300), min_size=4, max_size=4),
    active=st.integers(min_value=0, max_value=30),
    interval=st.sampled_from([0.5, 1, 2, 5]),
)
def test_never_plans_past_the_budget_whatever_the_headers_say(limit, foreign, active, interval):
    """Over four one-minute windows, with the organisation's other clients spending
    at random, every request the scheduler sends was covered by the last reported
    Remaining, less what it sent since and less the 20% headroom."""
    budget = Budget(headroom=0.2)
    scheduler = Scheduler(interval, now=T0, budget=budget)
    server = FakeServer(fleet(active=active, finished=3))
    scheduler.highlight("run0" if active else None, T0, fetch=True)
    t = T0
    for window, others in enumerate(foreign):
        reset = T0 + 60 * (window + 1)
        used = 0
        others_per_tick = others / 240
        reported: int | None = None  # Remaining in the last response of this window
        since = 0
        while t < reset:
            used = min(limit, used + others_per_tick)
            request = scheduler.next_request(t)
            if request is not None:
                if reported is not None:
                    assert reported - since >= 0.2 * limit + 1 - 1e-9, "planned past the budget"
                budget.sent(t)
                since += 1
                used = min(limit, used + 1)
                reported, since = int(limit - used), 0
                budget.observe(RateLimit(limit=limit, remaining=reported, reset=reset), t)
                server.answer(scheduler, request, t)
            t = round(t + 0.25, 6)


def test_a_batch_past_its_expiry_is_not_polled():
    scheduler = Scheduler(5, now=T0)
    scheduler.watch("old", T0)
    server = FakeServer({"old": "processing"})
    server.run(scheduler, T0, T0 + 1)
    scheduler.expired("old")
    scheduler.highlight("old", T0 + 2, fetch=True)
    assert detail("old") not in server.run(scheduler, T0 + 2, T0 + 60)
    assert not scheduler.is_polled("old")


def test_while_the_server_is_down_only_one_probe_goes_out_every_two_intervals():
    scheduler = Scheduler(5, now=T0)
    server = FakeServer(fleet(active=3))
    server.run(scheduler, T0, T0 + 1)
    sent = []
    t = T0 + 1
    for _ in range(600):  # a minute in 0.1 s steps, every request failing
        request = scheduler.next_request(t)
        if request is not None:
            scheduler.sending(t)
            sent.append(t)
            scheduler.failed(request, t)
        t += 0.1
    gaps = [b - a for a, b in zip(sent[1:], sent[2:])]
    assert len(sent) <= 60 / (2 * 5) + 2
    assert all(gap >= 2 * 5 - 1e-6 for gap in gaps)
    # The first success ends it: everything that waited is due at once.
    probe = scheduler.next_request(t + 10)
    assert probe == SWEEP  # the most wanted request goes first
    server.answer(scheduler, probe, t + 10)
    assert not scheduler.outage
    assert LIST in server.run(scheduler, t + 10, t + 10)
