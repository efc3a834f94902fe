"""The demo's large steady fleet: fast list pages that say exactly what evaluating every batch says.

The list endpoint answers from an index of finished batches. These tests hold it
to the slow, obvious answer (every batch's state worked out at that instant,
newest first, filtered, sliced) on fleets small enough to evaluate, across
arrivals, finishes, cancels and a clock moved backwards; and check the 100,000
batch fleet's first and last pages for order, totals and filters.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from batch_tui.core.clock import FakeClock
from batch_tui.demo.catalog import FIRST_FINISH, SLOT_PERIOD
from batch_tui.demo.simulator import Simulator, SimulatorError
from helpers import EPOCH, SEED

DAY = 86_400
STATUSES = (None, "pending", "validating", "processing", "completed", "failed", "cancelled")
UNFINISHED = ("pending", "validating", "processing")


def evaluate_every_batch(sim: Simulator, now: float) -> list[dict]:
    """The slow path: every batch that exists at ``now``, its summary worked out from scratch."""
    return [sim.summary_json(spec, now) for spec in sim.specs(now)]


def assert_pages_match(sim: Simulator, now: float) -> None:
    everything = evaluate_every_batch(sim, now)
    for status in STATUSES:
        rows = [row for row in everything if status is None or row["status"] == status]
        for offset in sorted({0, len(rows) // 2, max(0, len(rows) - 5), len(rows)}):
            page = sim.list_json(limit=37, offset=offset, status=status, now=now)
            expected = rows[offset : offset + 37]
            assert page["data"] == expected, (now - EPOCH, status, offset)
            assert page["pagination"]["total"] == len(rows)
            assert page["pagination"]["hasMore"] == (offset + len(expected) < len(rows))


def created(row: dict) -> datetime:
    return datetime.fromisoformat(row["createdAt"].replace("Z", "+00:00"))


def totals_by_status(sim: Simulator, now: float | None = None) -> dict[str, int]:
    return {
        status: sim.list_json(limit=1, status=status, now=now)["pagination"]["total"]
        for status in STATUSES[1:]
    }


# ── fast path == slow path ───────────────────────────────────────────────────

#: Instants (seconds from the epoch) to compare at, in this order: the fleet's past
#: being created, its last past batch still running, the epoch, the first running
#: batch finishing and its slot's next arriving, hours on, then back in time.
WALK = (-DAY - 60_000, -DAY + 10, -DAY + 200, 0, FIRST_FINISH + 30, 5_000, 20_000, 4_000, 30_000)


@pytest.mark.parametrize(
    "make",
    [
        lambda clock: Simulator(seed=SEED, epoch=EPOCH, clock=clock, fleet=2_000, active=20),
        lambda clock: Simulator(seed=SEED + 1, epoch=EPOCH, clock=clock, fleet=2_000, active=3),
        lambda clock: Simulator(seed=SEED, epoch=EPOCH, clock=clock, arrival_every=40.0),
    ],
    ids=["2000 batches, 20 active", "2000 batches, 3 active", "the story, fast arrivals"],
)
def test_list_pages_equal_evaluating_every_batch_at_every_instant(make):
    clock = FakeClock(EPOCH)
    sim = make(clock)
    for seconds in WALK:
        clock.set(EPOCH + seconds)
        assert_pages_match(sim, clock())
        if seconds == 5_000:
            # Cancels change the index: one running batch, and one just arrived.
            running = sim.list_json(limit=100, status="processing")["data"]
            sim.cancel(running[0]["id"])
            sim.cancel(running[-1]["id"])
            clock.advance(1)
            assert_pages_match(sim, clock())


def test_a_cancel_in_the_past_of_what_was_already_listed_is_honoured():
    clock = FakeClock(EPOCH + 3_000)
    sim = Simulator(seed=SEED, epoch=EPOCH, clock=clock, fleet=500, active=10)
    running = sim.list_json(limit=100, status="processing")["data"]
    sim.list_json(now=EPOCH + 9_000)  # the index moves ahead of the clock
    sim.cancel(running[0]["id"], now=EPOCH + 3_000)
    assert_pages_match(sim, EPOCH + 9_000)
    assert sim.get_json(running[0]["id"], now=EPOCH + 9_000)["status"] == "cancelled"


# ── 100,000 batches ──────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def big():
    return Simulator(seed=SEED, epoch=EPOCH, clock=FakeClock(EPOCH), fleet=100_000, active=20)


def test_a_hundred_thousand_batches_list_newest_first_from_the_first_page_to_the_last(big):
    first = big.list_json(limit=100, offset=0)
    last = big.list_json(limit=100, offset=99_900)
    for page in (first, last):
        assert page["pagination"]["total"] == 100_000
        assert len(page["data"]) == 100
        stamps = [created(row) for row in page["data"]]
        assert stamps == sorted(stamps, reverse=True)
    assert first["pagination"]["hasMore"] and not last["pagination"]["hasMore"]
    assert created(first["data"][-1]) >= created(last["data"][0])
    # The running batches are the newest; the oldest was created about 69 days back.
    assert {row["status"] for row in first["data"][:20]} == {"processing"}
    oldest = created(last["data"][-1]).timestamp()
    assert oldest == EPOCH - DAY - 60 * (100_000 - 20 - 1)
    ids = [row["id"] for row in first["data"] + last["data"]]
    assert len(set(ids)) == 200


def test_a_hundred_thousand_batches_filter_by_status_at_any_offset(big):
    totals = totals_by_status(big)
    assert sum(totals.values()) == 100_000
    assert totals["processing"] == 20
    assert totals["failed"] > 1_000 and totals["cancelled"] > 1_000
    for status, offset in (("processing", 0), ("completed", 90_000), ("failed", 2_000)):
        page = big.list_json(limit=100, offset=offset, status=status)
        assert page["data"], status
        assert {row["status"] for row in page["data"]} == {status}
        stamps = [created(row) for row in page["data"]]
        assert stamps == sorted(stamps, reverse=True)


def test_any_batch_of_a_hundred_thousand_can_be_fetched_by_id(big):
    for offset in (0, 50_000, 99_999):
        row = big.list_json(limit=1, offset=offset)["data"][0]
        detail = big.get_json(row["id"])
        assert {key: detail[key] for key in row} == row
    for unknown in ("batch_doesnotexist", "batch_000000000000", "batch_ABCDEF012345"):
        with pytest.raises(SimulatorError) as missing:
            big.get_json(unknown)
        assert missing.value.status == 404


# ── the steady fleet over time ───────────────────────────────────────────────


def test_the_steady_fleet_keeps_its_active_batches_running_as_new_ones_arrive():
    clock = FakeClock(EPOCH)
    sim = Simulator(seed=SEED, epoch=EPOCH, clock=clock, fleet=200, active=20)
    ids_at_epoch = {row["id"] for row in sim.list_json(limit=100)["data"]}
    clock.advance(FIRST_FINISH - 1)
    assert sim.list_json()["pagination"]["total"] == 200, "none finishes in the first minutes"
    for _ in range(12):
        clock.advance(300)
        totals = totals_by_status(sim)
        assert sum(totals[status] for status in UNFINISHED) == 20
    page = sim.list_json(limit=100)
    assert page["pagination"]["total"] > 200 + 15
    newest = page["data"][0]
    assert newest["id"] not in ids_at_epoch
    assert created(newest).timestamp() > EPOCH


def test_a_running_slot_of_the_steady_fleet_refills_when_its_cancelled_batch_would_have_ended():
    clock = FakeClock(EPOCH)
    sim = Simulator(seed=SEED, epoch=EPOCH, clock=clock, fleet=50, active=5)
    target = sim.list_json(status="processing")["data"][0]
    sim.cancel(target["id"])
    assert totals_by_status(sim)["processing"] == 4
    assert totals_by_status(sim)["cancelled"] >= 1
    clock.advance(SLOT_PERIOD)
    assert sum(totals_by_status(sim)[status] for status in UNFINISHED) == 5


# ── churn: a stream of short batches ─────────────────────────────────────────

#: Seconds from the epoch: before the stream began, its first seconds, the epoch,
#: arrivals and finishes a fraction of a second apart, minutes on, then back.
CHURN_WALK = (-70, -59.5, -50, -1.3, 0, 0.1, 0.2, 4.9, 10.05, 61, 300, 120, 600)


def churning(clock: FakeClock, rate: float = 5.0, seed: int = SEED) -> Simulator:
    return Simulator(seed=seed, epoch=EPOCH, clock=clock, churn=rate)


@pytest.mark.parametrize("rate", [5.0, 0.7, 11.0])
def test_churn_list_pages_equal_evaluating_every_batch_at_every_instant(rate):
    clock = FakeClock(EPOCH)
    sim = churning(clock, rate)
    for seconds in CHURN_WALK:
        clock.set(EPOCH + seconds)
        assert_pages_match(sim, clock())
        if seconds == 300:
            running = sim.list_json(limit=100, status="processing")["data"]
            pending = sim.list_json(limit=100, status="pending")["data"]
            sim.cancel(running[-1]["id"])
            if pending:
                sim.cancel(pending[0]["id"])
            clock.advance(0.5)
            assert_pages_match(sim, clock())


def test_churn_creates_batches_at_the_rate_newest_first():
    clock = FakeClock(EPOCH)
    sim = churning(clock)
    before = sim.list_json(limit=100)
    for _ in range(10):
        clock.advance(1)
        sim.list_json()
    after = sim.list_json(limit=100)
    assert after["pagination"]["total"] - before["pagination"]["total"] == 50
    new = [row for row in after["data"] if row["id"] not in {r["id"] for r in before["data"]}]
    assert len(new) == 50 and new == after["data"][:50], "the newcomers lead the list"
    stamps = [created(row) for row in after["data"]]
    assert stamps == sorted(stamps, reverse=True)
    per_second = Counter(row["createdAt"] for row in new)
    assert per_second["2026-01-15T10:00:05Z"] == 5 and max(per_second.values()) == 5
    assert len({row["id"] for row in after["data"]}) == 100


def test_each_churning_batch_goes_pending_validating_processing_and_finishes_ten_seconds_in():
    clock = FakeClock(EPOCH + 0.01)
    sim = churning(clock)
    watched = sim.list_json(limit=5)["data"]  # created in the last second
    seen: dict[str, list[str]] = {row["id"]: [] for row in watched}
    for _ in range(130):
        for batch_id, statuses in seen.items():
            status = sim.get_json(batch_id)["status"]
            if not statuses or statuses[-1] != status:
                statuses.append(status)
        clock.advance(0.1)
    for batch_id, statuses in seen.items():
        detail = sim.get_json(batch_id)
        assert statuses in (
            ["pending", "validating", "processing", "completed"],
            ["pending", "validating", "failed"],
        ), statuses
        if detail["status"] == "completed":
            took = created(detail).timestamp()
            finished = datetime.fromisoformat(detail["completedAt"].replace("Z", "+00:00"))
            assert 9 <= finished.timestamp() - took <= 11
            assert detail["processedItems"] == detail["totalItems"] <= 16


def test_churn_status_filters_agree_with_the_unfiltered_list():
    clock = FakeClock(EPOCH)
    sim = churning(clock)
    for _ in range(40):
        clock.advance(7.3)
        totals = totals_by_status(sim)
        total = sim.list_json(limit=1)["pagination"]["total"]
        assert sum(totals.values()) == total
        # The last ten seconds' arrivals are unfinished, less those that failed validation.
        assert 40 <= sum(totals[status] for status in UNFINISHED) <= 51
        for status in ("processing", "failed", "completed"):
            rows = sim.list_json(limit=100, status=status)["data"]
            assert {row["status"] for row in rows} <= {status}
    assert totals["failed"] > 0.04 * total and totals["completed"] > 0.8 * total
    failures = [row["failureCount"] for row in sim.list_json(limit=100, status="completed")["data"]]
    assert any(failures) and not all(failures)


def test_churn_keeps_only_a_bounded_number_of_batches_in_memory():
    clock = FakeClock(EPOCH)
    sim = churning(clock, rate=50.0)
    for _ in range(120):
        clock.advance(5)
        sim.list_json(limit=100)
        sim.list_json(limit=100, status="processing")
    total = sim.list_json(limit=1)["pagination"]["total"]
    assert total > 30_000
    assert len(sim._catalog._cache) <= sim._catalog.CACHE < total / 10
    oldest = sim.list_json(limit=1, offset=total - 1)["data"][0]
    assert sim.get_json(oldest["id"])["createdAt"] == "2026-01-15T09:59:00Z"


def test_churn_ids_differ_by_seed_and_are_the_same_for_the_same_seed():
    pages = [
        churning(FakeClock(EPOCH + 42), seed=seed).list_json(limit=100)["data"]
        for seed in (SEED, SEED, SEED + 1)
    ]
    assert pages[0] == pages[1]
    assert not {row["id"] for row in pages[0]} & {row["id"] for row in pages[2]}
