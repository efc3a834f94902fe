"""The demo simulator on a frozen clock: the fleet, its story over time, pagination and cancel."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest

from batch_tui.core.clock import FakeClock
from batch_tui.demo.simulator import VALIDATION_ERRORS, Simulator, SimulatorError
from helpers import EPOCH, SEED

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CANNOT_CANCEL_MESSAGE = "Cannot cancel batch. Batch not found or already completed/cancelled."
PROGRESS_FIELDS = (
    "processedItems",
    "successCount",
    "failureCount",
    "totalCostCents",
    "totalInputTokens",
    "totalOutputTokens",
)


def batch_named(simulator: Simulator, name: str) -> dict:
    """The full JSON of the fleet batch with this name, at the simulator's current time."""
    rows = simulator.list_json(limit=100)["data"]
    (row,) = [row for row in rows if row["name"] == name]
    return simulator.get_json(row["id"])


def first_with_status(simulator: Simulator, status: str) -> dict:
    rows = simulator.list_json(limit=100, status=status)["data"]
    assert rows, f"no {status} batch in the fleet"
    return rows[0]


def all_items(simulator: Simulator, batch_id: str) -> list[dict]:
    items, offset = [], 0
    while True:
        page = simulator.results_json(batch_id, limit=100, offset=offset)
        items += page["items"]
        if not page["pagination"]["hasMore"]:
            return items
        offset += len(page["items"])


def parse_z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ── the fleet at the epoch ───────────────────────────────────────────────────


def test_fleet_at_epoch_is_about_a_dozen_batches_newest_first(simulator):
    page = simulator.list_json(limit=100)
    rows = page["data"]
    assert 10 <= len(rows) <= 15
    assert page["pagination"]["total"] == len(rows)
    created = [parse_z(row["createdAt"]) for row in rows]
    assert created == sorted(created, reverse=True)
    assert len({row["id"] for row in rows}) == len(rows)
    assert all(row["id"].startswith("batch_") for row in rows)


def test_fleet_at_epoch_shows_every_status_a_batch_can_reach_on_its_own(simulator):
    statuses = {row["status"] for row in simulator.list_json(limit=100)["data"]}
    assert {"pending", "validating", "processing", "completed", "failed"} <= statuses


def test_fleet_at_epoch_includes_a_cancelled_batch(simulator):
    statuses = {row["status"] for row in simulator.list_json(limit=100)["data"]}
    assert "cancelled" in statuses


def test_list_summaries_leave_out_detail_only_fields(simulator):
    row = simulator.list_json(limit=1)["data"][0]
    for detail_only in ("totalInputTokens", "methodsConfig", "context", "validationErrors"):
        assert detail_only not in row
    detail = simulator.get_json(row["id"])
    for key, value in row.items():
        assert detail[key] == value


# ── determinism ──────────────────────────────────────────────────────────────


def test_same_seed_and_time_give_identical_json():
    when = EPOCH + 1000  # after several arrivals
    one = Simulator(seed=SEED, epoch=EPOCH, clock=FakeClock(when))
    two = Simulator(seed=SEED, epoch=EPOCH, clock=FakeClock(when))
    dump = lambda sim: json.dumps(sim.list_json(limit=100), sort_keys=True)  # noqa: E731
    assert dump(one) == dump(two)
    some_id = one.list_json(limit=100)["data"][5]["id"]
    assert one.get_json(some_id) == two.get_json(some_id)
    assert one.results_json(some_id, limit=100) == two.results_json(some_id, limit=100)


def test_same_cancels_give_identical_json():
    sims = [Simulator(seed=SEED, epoch=EPOCH, clock=FakeClock(EPOCH)) for _ in range(2)]
    target = first_with_status(sims[0], "processing")["id"]
    for sim in sims:
        sim.cancel(target)
        sim.clock.advance(300)
    assert sims[0].list_json(limit=100) == sims[1].list_json(limit=100)
    assert sims[0].results_json(target, limit=100) == sims[1].results_json(target, limit=100)


def test_a_different_seed_gives_different_ids():
    ids = lambda seed: {  # noqa: E731
        row["id"]
        for row in Simulator(seed=seed, epoch=EPOCH, clock=FakeClock(EPOCH)).list_json(limit=100)[
            "data"
        ]
    }
    assert ids(SEED).isdisjoint(ids(SEED + 1))


# ── the story over time ──────────────────────────────────────────────────────


def test_pending_batch_goes_through_validating_and_processing_to_completed(simulator, clock):
    batch_id = batch_named(simulator, "Marketing copy check")["id"]
    seen: list[str] = []
    started_at_values: set[str] = set()
    for _ in range(600):
        batch = simulator.get_json(batch_id)
        if not seen or seen[-1] != batch["status"]:
            seen.append(batch["status"])
        if batch["status"] == "pending":
            assert batch["startedAt"] is None
        else:
            assert batch["startedAt"] is not None
            started_at_values.add(batch["startedAt"])
        if batch["status"] != "completed":
            assert batch["completedAt"] is None
        else:
            break
        clock.advance(1)
    assert seen == ["pending", "validating", "processing", "completed"]
    assert len(started_at_values) == 1, "startedAt must not move once set"
    assert batch["completedAt"] is not None
    assert parse_z(batch["completedAt"]) >= parse_z(batch["startedAt"])
    assert batch["processedItems"] == batch["totalItems"]
    assert batch["successCount"] + batch["failureCount"] == batch["totalItems"]
    assert batch["errorMessage"] is None


def test_completed_batch_never_changes_again(simulator, clock):
    batch_id = first_with_status(simulator, "completed")["id"]
    before = simulator.get_json(batch_id)
    clock.advance(3600)
    assert simulator.get_json(batch_id) == before


def test_progress_counts_cost_and_tokens_grow_while_processing(simulator, clock):
    batch = batch_named(simulator, "Article verification")
    assert batch["status"] == "processing"
    samples = []
    for _ in range(30):
        samples.append(simulator.get_json(batch["id"]))
        clock.advance(5)
    assert all(s["status"] == "processing" for s in samples)
    for earlier, later in zip(samples, samples[1:]):
        for key in PROGRESS_FIELDS:
            assert later[key] >= earlier[key], key
    for sample in samples:
        assert sample["successCount"] + sample["failureCount"] == sample["processedItems"]
        assert sample["completedAt"] is None
    first, last = samples[0], samples[-1]
    for key in ("processedItems", "totalCostCents", "totalInputTokens", "totalOutputTokens"):
        assert last[key] > first[key], key


def test_processing_batch_shows_items_in_flight_queued_and_pending(simulator):
    batch = batch_named(simulator, "Article verification")
    done = batch["processedItems"]
    page = simulator.results_json(batch["id"], limit=20, offset=done)
    statuses = [item["status"] for item in page["items"]]
    assert statuses[0] == "processing"
    assert set(statuses[1:10]) == {"queued"}
    assert set(statuses[10:]) == {"pending"}
    assert all(item["verdict"] is None and item["completedAt"] is None for item in page["items"])


def test_failed_batch_reports_its_validation_errors(simulator):
    failed = first_with_status(simulator, "failed")
    batch = simulator.get_json(failed["id"])
    errors = batch["validationErrors"]
    assert errors, "a failed batch lists its validation errors"
    assert batch["errorMessage"] == f"{len(errors)} validation error(s)"
    assert batch["processedItems"] == 0
    assert batch["totalCostCents"] == 0
    assert batch["completedAt"] is not None
    for row in errors:
        assert set(row) == {"row", "error"}
        assert isinstance(row["row"], int) and 1 <= row["row"] <= batch["totalItems"]
        assert row["error"] in VALIDATION_ERRORS
    # It never created items.
    results = simulator.results_json(failed["id"])
    assert results["items"] == []
    assert results["pagination"]["total"] == 0


def test_batch_that_fails_validation_is_not_failed_until_validation_ends(simulator, clock):
    batch = batch_named(simulator, "Social posts triage")
    assert batch["status"] == "pending"
    assert batch["errorMessage"] is None and batch["validationErrors"] is None
    clock.advance(120)
    batch = simulator.get_json(batch["id"])
    assert batch["status"] == "failed"
    assert batch["errorMessage"] == "4 validation error(s)"
    assert len(batch["validationErrors"]) == 4


def test_batches_that_did_not_fail_have_no_error_fields(simulator):
    for row in simulator.list_json(limit=100)["data"]:
        if row["status"] == "failed":
            continue
        batch = simulator.get_json(row["id"])
        assert batch["errorMessage"] is None
        assert batch["validationErrors"] is None


def test_a_new_batch_arrives_every_arrival_every_seconds(clock):
    sim = Simulator(seed=SEED, epoch=EPOCH, clock=clock, arrival_every=150.0)
    at_epoch = sim.list_json(limit=100)["pagination"]["total"]
    clock.set(EPOCH + 149)
    assert sim.list_json(limit=100)["pagination"]["total"] == at_epoch
    clock.set(EPOCH + 150)
    page = sim.list_json(limit=100)
    assert page["pagination"]["total"] == at_epoch + 1
    newest = page["data"][0]
    assert newest["createdAt"] == "2026-01-15T10:02:30Z"
    assert newest["status"] == "pending"
    clock.set(EPOCH + 450)
    assert sim.list_json(limit=100)["pagination"]["total"] == at_epoch + 3


def test_arrival_interval_is_configurable(clock):
    sim = Simulator(seed=SEED, epoch=EPOCH, clock=clock, arrival_every=30.0)
    at_epoch = sim.list_json(limit=100)["pagination"]["total"]
    clock.advance(90)
    assert sim.list_json(limit=100)["pagination"]["total"] == at_epoch + 3


# ── list pagination and filter ───────────────────────────────────────────────


def test_list_pages_walk_the_whole_fleet_once(simulator):
    everything = simulator.list_json(limit=100)["data"]
    total = len(everything)
    seen, offset = [], 0
    while True:
        page = simulator.list_json(limit=5, offset=offset)
        p = page["pagination"]
        assert (p["total"], p["limit"], p["offset"]) == (total, 5, offset)
        assert len(page["data"]) <= 5
        seen += page["data"]
        assert p["hasMore"] == (len(seen) < total)
        if not p["hasMore"]:
            break
        offset += 5
    assert seen == everything


def test_list_page_past_the_end_is_empty(simulator):
    total = simulator.list_json()["pagination"]["total"]
    page = simulator.list_json(limit=5, offset=total)
    assert page["data"] == []
    assert page["pagination"]["hasMore"] is False
    assert page["pagination"]["total"] == total


@pytest.mark.parametrize("status", ["pending", "validating", "processing", "completed", "failed"])
def test_list_status_filter_returns_only_that_status(simulator, status):
    everything = simulator.list_json(limit=100)["data"]
    expected = [row for row in everything if row["status"] == status]
    page = simulator.list_json(limit=100, status=status)
    assert page["data"] == expected
    assert page["pagination"]["total"] == len(expected)


def test_cancelled_filter_lists_a_batch_once_it_is_cancelled(simulator):
    page = simulator.list_json(status="cancelled")
    ids_before = {row["id"] for row in page["data"]}
    target = first_with_status(simulator, "processing")["id"]
    simulator.cancel(target)
    page = simulator.list_json(status="cancelled")
    assert {row["id"] for row in page["data"]} == ids_before | {target}
    assert all(row["status"] == "cancelled" for row in page["data"])


# ── results ──────────────────────────────────────────────────────────────────


def test_results_pagination(simulator):
    batch = batch_named(simulator, "Product descriptions QA")
    first = simulator.results_json(batch["id"], limit=50)
    assert first["pagination"] == {
        "total": batch["totalItems"],
        "limit": 50,
        "offset": 0,
        "hasMore": True,
    }
    assert [item["itemIndex"] for item in first["items"]] == list(range(50))
    last = simulator.results_json(batch["id"], limit=50, offset=100)
    assert [item["itemIndex"] for item in last["items"]] == list(range(100, batch["totalItems"]))
    assert last["pagination"]["hasMore"] is False
    assert first["batch"]["id"] == batch["id"]
    assert first["batch"]["processedItems"] == batch["processedItems"]


def test_completed_and_failed_items_carry_their_outcome(simulator):
    batch = batch_named(simulator, "Newsroom claims: morning desk")
    items = all_items(simulator, batch["id"])
    done = items[: batch["processedItems"]]
    completed = [item for item in done if item["status"] == "completed"]
    failed = [item for item in done if item["status"] == "failed"]
    assert len(completed) + len(failed) == len(done)
    assert len(completed) == batch["successCount"]
    assert len(failed) == batch["failureCount"] > 0
    for item in completed:
        assert item["verificationId"]
        assert item["verdict"] in ("true", "false")
        assert 0 <= item["confidence"] <= 1
        expected = (
            "accept"
            if item["confidence"] >= 0.95
            else "escalate"
            if item["confidence"] >= 0.5
            else "reject"
        )
        assert item["decision"] == expected
        assert item["costCents"] > 0
        assert item["completedAt"].endswith("Z")
        assert item["errorMessage"] is None
    for item in failed:
        assert item["errorMessage"]
        assert item["verdict"] is None and item["confidence"] is None and item["costCents"] is None
        assert item["completedAt"] is not None
    # Only completed items are charged.
    assert sum(item["costCents"] for item in completed) == batch["totalCostCents"]


# ── cancel ───────────────────────────────────────────────────────────────────


def test_cancelling_a_processing_batch_freezes_it(simulator, clock):
    batch = batch_named(simulator, "Newsroom claims: morning desk")
    assert batch["status"] == "processing"
    answer = simulator.cancel(batch["id"])
    assert answer == {
        "id": batch["id"],
        "status": "cancelled",
        "message": "Batch cancelled successfully",
    }
    cancelled = simulator.get_json(batch["id"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["completedAt"] is not None
    for key in PROGRESS_FIELDS:
        assert cancelled[key] == batch[key], key
    clock.advance(3600)
    later = simulator.get_json(batch["id"])
    assert later == cancelled


def test_after_cancel_unfinished_items_are_skipped_and_finished_ones_keep_results(simulator, clock):
    batch = batch_named(simulator, "Newsroom claims: morning desk")
    before = all_items(simulator, batch["id"])
    simulator.cancel(batch["id"])
    clock.advance(600)
    after = all_items(simulator, batch["id"])
    done = batch["processedItems"]
    assert after[:done] == before[:done]
    assert {item["status"] for item in after[:done]} <= {"completed", "failed"}
    assert {item["status"] for item in after[done:]} == {"skipped"}
    assert all(item["verdict"] is None and item["costCents"] is None for item in after[done:])


def test_cancelling_a_pending_batch_stops_it_ever_starting(simulator, clock):
    batch = first_with_status(simulator, "pending")
    simulator.cancel(batch["id"])
    clock.advance(3600)
    later = simulator.get_json(batch["id"])
    assert later["status"] == "cancelled"
    assert later["processedItems"] == 0
    assert later["startedAt"] is None
    assert later["totalCostCents"] == 0


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_cancelling_a_finished_batch_is_refused(simulator, status):
    batch = first_with_status(simulator, status)
    with pytest.raises(SimulatorError) as refused:
        simulator.cancel(batch["id"])
    assert refused.value.status == 400
    assert refused.value.code == "CANNOT_CANCEL"
    assert refused.value.message == CANNOT_CANCEL_MESSAGE
    assert simulator.get_json(batch["id"])["status"] == status


def test_cancelling_twice_is_refused(simulator, clock):
    batch_id = first_with_status(simulator, "processing")["id"]
    simulator.cancel(batch_id)
    clock.advance(1)
    with pytest.raises(SimulatorError) as refused:
        simulator.cancel(batch_id)
    assert (refused.value.status, refused.value.code) == (400, "CANNOT_CANCEL")
    assert refused.value.message == CANNOT_CANCEL_MESSAGE


def test_a_batch_that_finishes_before_the_cancel_cannot_be_cancelled(simulator, clock):
    batch = batch_named(simulator, "Product descriptions QA")
    assert batch["status"] == "processing"
    clock.advance(60)  # 6 items left at 0.5/s: done in 12 s
    assert simulator.get_json(batch["id"])["status"] == "completed"
    with pytest.raises(SimulatorError) as refused:
        simulator.cancel(batch["id"])
    assert refused.value.code == "CANNOT_CANCEL"


@pytest.mark.parametrize(
    "call",
    [
        lambda sim: sim.get_json("batch_doesnotexist"),
        lambda sim: sim.results_json("batch_doesnotexist"),
        lambda sim: sim.cancel("batch_doesnotexist"),
    ],
    ids=["get", "results", "cancel"],
)
def test_unknown_batch_id_is_not_found(simulator, call):
    with pytest.raises(SimulatorError) as missing:
        call(simulator)
    assert (missing.value.status, missing.value.code, missing.value.message) == (
        404,
        "not_found",
        "Batch not found",
    )


def test_a_batch_that_has_not_arrived_yet_is_not_found(simulator, clock):
    clock.advance(150)
    newest = simulator.list_json(limit=1)["data"][0]["id"]
    clock.advance(-1)
    with pytest.raises(SimulatorError) as missing:
        simulator.get_json(newest)
    assert missing.value.status == 404


# ── timestamps ───────────────────────────────────────────────────────────────


def test_every_timestamp_is_iso_utc_with_z(simulator, clock):
    clock.advance(400)  # some arrivals too
    for row in simulator.list_json(limit=100)["data"]:
        batch = simulator.get_json(row["id"])
        for key in ("createdAt", "startedAt", "completedAt", "expiresAt"):
            value = batch[key]
            assert value is None or ISO_Z.match(value), (key, value)
        assert batch["createdAt"] is not None and batch["expiresAt"] is not None
        for item in simulator.results_json(row["id"], limit=5)["items"]:
            for key in ("createdAt", "completedAt"):
                assert item[key] is None or ISO_Z.match(item[key]), (key, item[key])


def test_results_expire_thirty_days_after_creation(simulator):
    batch = batch_named(simulator, "Daily fact check")
    assert parse_z(batch["expiresAt"]) - parse_z(batch["createdAt"]) == timedelta(days=30)
