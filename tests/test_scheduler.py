"""The poll planner on a fake clock: what is asked for, when, and what never is."""

from __future__ import annotations

from batch_tui.monitor.scheduler import DEFAULT_INTERVAL, PollRequest, Scheduler

T0 = 1_000_000.0


def drain(scheduler: Scheduler, now: float, status_of) -> list[PollRequest]:
    """Answer every due request as a healthy server would; return what was asked."""
    asked = []
    while due := scheduler.due(now):
        request = due[0]
        asked.append(request)
        if request.kind == "list":
            scheduler.listed(now)
        else:
            scheduler.saw_detail(request.batch_id, status_of(request.batch_id), now)
    return asked


def test_start_asks_for_the_list_first():
    scheduler = Scheduler(5, now=T0)
    assert scheduler.due(T0) == [PollRequest("list")]


def test_active_batches_are_polled_each_interval_and_finished_ones_only_on_demand():
    scheduler = Scheduler(5, now=T0)
    scheduler.listed(T0)
    scheduler.saw_summary("run", "processing", T0)
    scheduler.saw_summary("done", "completed", T0)
    assert drain(scheduler, T0, lambda _: "processing") == [PollRequest("detail", "run")]
    assert scheduler.due(T0 + 4.9) == []
    assert scheduler.due(T0 + 5) == [PollRequest("detail", "run")]
    assert not scheduler.is_polled("done")


def test_a_batch_seen_terminal_gets_one_final_fetch_then_never_again():
    scheduler = Scheduler(5, now=T0)
    scheduler.listed(T0)
    scheduler.saw_summary("b", "processing", T0)
    drain(scheduler, T0, lambda _: "processing")
    # The list sees it finish before its next detail poll is due.
    scheduler.saw_summary("b", "completed", T0 + 1)
    assert scheduler.due(T0 + 1) == [PollRequest("detail", "b")]
    drain(scheduler, T0 + 1, lambda _: "completed")
    for later in (T0 + 10, T0 + 100, T0 + 10_000):
        assert PollRequest("detail", "b") not in drain(scheduler, later, lambda _: "completed")
    assert not scheduler.is_polled("b")


def test_highlighting_a_finished_batch_fetches_its_detail_once():
    scheduler = Scheduler(5, now=T0)
    scheduler.listed(T0)
    scheduler.saw_summary("old", "failed", T0)
    assert scheduler.due(T0) == []
    scheduler.highlight("old", T0)
    assert drain(scheduler, T0, lambda _: "failed") == [PollRequest("detail", "old")]
    scheduler.highlight(None, T0 + 1)
    scheduler.highlight("old", T0 + 2)
    assert scheduler.due(T0 + 2) == []


def test_the_highlighted_batch_is_served_first():
    scheduler = Scheduler(5, now=T0)
    scheduler.listed(T0)
    for name in ("a", "b", "c"):
        scheduler.saw_summary(name, "processing", T0)
    scheduler.highlight("c", T0)
    assert scheduler.due(T0)[0] == PollRequest("detail", "c")


def test_a_429_pauses_everything_until_retry_after():
    scheduler = Scheduler(5, now=T0)
    scheduler.rate_limited(30, T0)
    assert scheduler.due(T0 + 29.9) == []
    assert scheduler.next_wakeup(T0) == T0 + 30
    assert scheduler.due(T0 + 30) == [PollRequest("list")]


def test_unauthorized_stops_polling_until_refresh():
    scheduler = Scheduler(5, now=T0)
    scheduler.saw_summary("a", "processing", T0)
    scheduler.unauthorized()
    assert scheduler.due(T0 + 3600) == []
    assert scheduler.next_wakeup(T0) is None
    scheduler.refresh(T0 + 3600)
    assert {r.kind for r in scheduler.due(T0 + 3600)} == {"list", "detail"}


def test_a_missing_batch_is_not_asked_for_again():
    scheduler = Scheduler(5, now=T0)
    scheduler.listed(T0)
    scheduler.watch("gone", T0)
    scheduler.detail_failed("gone", T0, gone=True)
    assert scheduler.due(T0 + 3600) == [PollRequest("list")]


def test_refresh_makes_active_batches_due_but_not_finished_ones():
    scheduler = Scheduler(5, now=T0)
    scheduler.listed(T0)
    scheduler.saw_summary("run", "processing", T0)
    scheduler.saw_summary("done", "completed", T0)
    drain(scheduler, T0, lambda name: "processing" if name == "run" else "completed")
    scheduler.refresh(T0 + 1)
    asked = scheduler.due(T0 + 1)
    assert PollRequest("detail", "run") in asked
    assert PollRequest("list") in asked
    assert PollRequest("detail", "done") not in asked


def test_default_interval_keeps_ten_active_batches_inside_a_pro_key():
    """Ten processing batches for a minute on the default interval: under 200 requests."""
    scheduler = Scheduler(DEFAULT_INTERVAL, now=T0)
    requests = 0
    t = T0
    while t < T0 + 60:
        for request in drain(scheduler, t, lambda _: "processing"):
            requests += 1
            if request.kind == "list":
                for n in range(10):
                    scheduler.saw_summary(f"batch{n}", "processing", t)
        t += 0.25
    assert requests < 200
    # And each batch really is polled about once per interval.
    assert requests >= 10 * (60 / DEFAULT_INTERVAL) - 10
