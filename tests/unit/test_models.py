"""Lenient parsing of the Check batch API's JSON into models, and the values derived from them."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from batch_tui.api.models import (
    Batch,
    BatchPage,
    CancelResult,
    ItemResult,
    Pagination,
    ResultsPage,
    ValidationIssue,
    parse_timestamp,
)

UTC = UTC

#: GET /v1/batch/:id exactly as the API reference shows it.
DOC_BATCH = {
    "id": "batch_abc123def456",
    "name": "Daily fact check",
    "inputFormat": "json",
    "originalFileName": None,
    "status": "completed",
    "totalItems": 50,
    "processedItems": 50,
    "successCount": 48,
    "failureCount": 2,
    "methodsConfig": {"reasoning": 1, "tool": 0.5},
    "context": {"source": "news-aggregator"},
    "totalCostCents": 250,
    "totalInputTokens": 12500,
    "totalOutputTokens": 8700,
    "errorMessage": None,
    "validationErrors": None,
    "createdAt": "2024-01-15T10:00:00Z",
    "startedAt": "2024-01-15T10:00:01Z",
    "completedAt": "2024-01-15T10:02:30Z",
    "expiresAt": "2024-02-14T10:00:00Z",
}


def doc_batch(**changes) -> dict:
    """A deep copy of the documented batch with some fields replaced."""
    data = copy.deepcopy(DOC_BATCH)
    data.update(changes)
    return data


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- Batch: the documented example -------------------------------------------------


def test_documented_batch_parses_every_field():
    batch = Batch.from_json(DOC_BATCH)

    assert batch.id == "batch_abc123def456"
    assert batch.name == "Daily fact check"
    assert batch.input_format == "json"
    assert batch.original_file_name is None
    assert batch.status == "completed"
    assert batch.total_items == 50
    assert batch.processed_items == 50
    assert batch.success_count == 48
    assert batch.failure_count == 2
    assert batch.methods_config == {"reasoning": 1, "tool": 0.5}
    assert batch.context == {"source": "news-aggregator"}
    assert batch.total_cost_cents == 250
    assert batch.total_input_tokens == 12500
    assert batch.total_output_tokens == 8700
    assert batch.error_message is None
    assert batch.validation_errors is None
    assert batch.created_at == at(2024, 1, 15, 10, 0, 0)
    assert batch.started_at == at(2024, 1, 15, 10, 0, 1)
    assert batch.completed_at == at(2024, 1, 15, 10, 2, 30)
    assert batch.expires_at == at(2024, 2, 14, 10, 0, 0)
    assert batch.bad_fields == ()


def test_documented_batch_derived_values():
    batch = Batch.from_json(DOC_BATCH)

    assert batch.progress == 1.0
    assert batch.is_terminal
    assert not batch.is_cancellable
    assert batch.cost_dollars == 2.5
    assert batch.cost_per_item_cents == 5.0
    # Completed: start 10:00:01 to completion 10:02:30, whatever "now" is.
    assert batch.run_time(at(2030, 1, 1)) == timedelta(minutes=2, seconds=29)


def test_documented_timestamps_are_aware_utc():
    batch = Batch.from_json(DOC_BATCH)
    assert batch.created_at.utcoffset() == timedelta(0)


def test_failed_batch_with_validation_errors():
    batch = Batch.from_json(
        doc_batch(
            status="failed",
            processedItems=0,
            errorMessage="3 validation error(s)",
            validationErrors=[
                {"row": 1, "error": "Content is required"},
                {"row": 5, "error": "Content exceeds maximum length"},
                "Row 9 is not an object",
            ],
            completedAt="2024-01-15T10:00:02Z",
        )
    )

    assert batch.status == "failed"
    assert batch.error_message == "3 validation error(s)"
    assert batch.validation_errors == (
        ValidationIssue(row=1, error="Content is required"),
        ValidationIssue(row=5, error="Content exceeds maximum length"),
        ValidationIssue(row=None, error="Row 9 is not an object"),
    )
    assert batch.is_terminal
    assert batch.cost_per_item_cents is None
    assert batch.bad_fields == ()


# --- Batch: leniency ----------------------------------------------------------------


def test_unknown_fields_are_ignored():
    batch = Batch.from_json(doc_batch(priority="high", nested={"x": [1, 2]}, organizationId=9))
    assert batch == Batch.from_json(DOC_BATCH)
    assert batch.bad_fields == ()


def test_missing_fields_become_none_without_being_reported():
    batch = Batch.from_json({"id": "batch_1"})

    assert batch.id == "batch_1"
    assert batch.status is None
    assert batch.total_items is None
    assert batch.total_cost_cents is None
    assert batch.created_at is None
    assert batch.validation_errors is None
    assert batch.bad_fields == ()


def test_null_fields_become_none_without_being_reported():
    data = {key: None for key in DOC_BATCH}
    batch = Batch.from_json(data)

    assert batch == Batch(id=None)
    assert batch.bad_fields == ()


def test_mistyped_fields_become_none_and_are_listed_while_the_rest_survives():
    batch = Batch.from_json(
        doc_batch(
            totalItems="lots",
            totalCostCents={"amount": 250},
            createdAt="yesterday-ish",
            methodsConfig=["reasoning"],
            validationErrors="none",
            name=["not", "a", "name"],
        )
    )

    assert batch.total_items is None
    assert batch.total_cost_cents is None
    assert batch.created_at is None
    assert batch.methods_config is None
    assert batch.validation_errors is None
    assert batch.name is None
    assert set(batch.bad_fields) == {
        "totalItems",
        "totalCostCents",
        "createdAt",
        "methodsConfig",
        "validationErrors",
        "name",
    }
    # Everything else is intact.
    assert batch.id == "batch_abc123def456"
    assert batch.status == "completed"
    assert batch.processed_items == 50
    assert batch.total_input_tokens == 12500
    assert batch.started_at == at(2024, 1, 15, 10, 0, 1)


def test_unknown_status_is_kept_as_is():
    batch = Batch.from_json(doc_batch(status="paused_by_admin"))

    assert batch.status == "paused_by_admin"
    assert batch.bad_fields == ()
    assert not batch.is_terminal
    assert not batch.is_cancellable


@pytest.mark.parametrize(
    "field", ["totalItems", "processedItems", "totalCostCents", "totalInputTokens"]
)
def test_booleans_are_not_numbers(field):
    batch = Batch.from_json(doc_batch(**{field: True}))
    assert field in batch.bad_fields
    attr = {
        "totalItems": "total_items",
        "processedItems": "processed_items",
        "totalCostCents": "total_cost_cents",
        "totalInputTokens": "total_input_tokens",
    }[field]
    assert getattr(batch, attr) is None


def test_boolean_id_is_rejected_but_a_numeric_id_is_kept_as_text():
    assert Batch.from_json({"id": True}).id is None
    assert Batch.from_json({"id": True}).bad_fields == ("id",)
    assert Batch.from_json({"id": 42}).id == "42"


def test_numbers_sent_as_strings_or_whole_floats_are_accepted():
    batch = Batch.from_json(doc_batch(totalItems="50", processedItems=25.0, totalCostCents="2.5"))

    assert batch.total_items == 50
    assert batch.processed_items == 25
    assert batch.total_cost_cents == 2.5
    assert batch.bad_fields == ()


def test_fractional_count_is_rejected():
    batch = Batch.from_json(doc_batch(processedItems=12.5))
    assert batch.processed_items is None
    assert batch.bad_fields == ("processedItems",)


@pytest.mark.parametrize("value", ["NaN", "Infinity", float("nan"), float("inf")])
def test_non_finite_cost_is_rejected(value):
    batch = Batch.from_json(doc_batch(totalCostCents=value))
    assert batch.total_cost_cents is None
    assert batch.bad_fields == ("totalCostCents",)


@pytest.mark.parametrize("data", [None, [], "batch", 42, True])
def test_non_object_batch_becomes_an_empty_batch(data):
    assert Batch.from_json(data) == Batch(id=None)


# --- timestamps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:00:00Z", at(2024, 1, 15, 10, 0, 0)),
        ("2024-01-15T10:00:00z", at(2024, 1, 15, 10, 0, 0)),
        ("2024-01-15T10:00:00.250Z", at(2024, 1, 15, 10, 0, 0, 250_000)),
        ("2024-01-15T12:00:00+02:00", at(2024, 1, 15, 10, 0, 0)),
        ("2024-01-15T05:00:00-05:00", at(2024, 1, 15, 10, 0, 0)),
        ("2024-01-15T10:00:00", at(2024, 1, 15, 10, 0, 0)),
        ("  2024-01-15T10:00:00Z  ", at(2024, 1, 15, 10, 0, 0)),
        (" " * 100 + "2024-01-15T10:00:00Z", at(2024, 1, 15, 10, 0, 0)),  # too long to keep
    ],
)
def test_timestamps_parse_to_utc(text, expected):
    for _ in range(2):  # the second time, a short one is remembered
        parsed = parse_timestamp(text)
        assert parsed == expected
        assert parsed.utcoffset() == timedelta(0)


def test_timestamp_without_offset_is_read_as_utc_not_local_time():
    parsed = parse_timestamp("2024-01-15T10:00:00")
    assert parsed.tzinfo is not None
    assert (parsed.hour, parsed.utcoffset()) == (10, timedelta(0))


@pytest.mark.parametrize(
    "value", ["garbage", "", "   ", "2024-13-45T99:00:00Z", 1705312800, None, {}, True]
)
def test_unusable_timestamps_become_none(value):
    assert parse_timestamp(value) is None


def test_garbage_timestamp_is_reported_as_a_bad_field():
    batch = Batch.from_json(doc_batch(startedAt="soon", completedAt=1705312800))
    assert batch.started_at is None
    assert batch.completed_at is None
    assert set(batch.bad_fields) == {"startedAt", "completedAt"}


# --- derived values -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("processed", "total", "expected"),
    [
        (0, 50, 0.0),
        (25, 50, 0.5),
        (50, 50, 1.0),
        (60, 50, 1.0),  # a server that over-counts never shows more than 100%
        (-5, 50, 0.0),
    ],
)
def test_progress_is_a_clamped_fraction(processed, total, expected):
    batch = Batch(id="b", status="processing", processed_items=processed, total_items=total)
    assert batch.progress == expected


@pytest.mark.parametrize(("processed", "total"), [(None, 50), (10, None), (None, None)])
def test_progress_is_none_when_unknown(processed, total):
    batch = Batch(id="b", status="processing", processed_items=processed, total_items=total)
    assert batch.progress is None


def test_progress_with_zero_total_is_unknown_while_running_and_full_when_done():
    assert Batch(id="b", status="processing", processed_items=0, total_items=0).progress is None
    assert Batch(id="b", status="pending", processed_items=0, total_items=0).progress is None
    assert Batch(id="b", status="completed", processed_items=0, total_items=0).progress == 1.0
    assert Batch(id="b", status="failed", processed_items=0, total_items=0).progress == 1.0


@pytest.mark.parametrize(
    ("status", "terminal", "cancellable"),
    [
        ("pending", False, True),
        ("validating", False, True),
        ("processing", False, True),
        ("completed", True, False),
        ("failed", True, False),
        ("cancelled", True, False),
        ("something_new", False, False),
        (None, False, False),
    ],
)
def test_terminal_and_cancellable_per_status(status, terminal, cancellable):
    batch = Batch(id="b", status=status)
    assert batch.is_terminal is terminal
    assert batch.is_cancellable is cancellable


def test_run_time_of_a_running_batch_is_measured_to_now():
    batch = Batch(id="b", status="processing", started_at=at(2024, 1, 15, 10, 0, 0))
    assert batch.run_time(at(2024, 1, 15, 10, 5, 30)) == timedelta(minutes=5, seconds=30)
    assert batch.run_time(at(2024, 1, 15, 11, 0, 0)) == timedelta(hours=1)


def test_run_time_of_a_finished_batch_ignores_now():
    batch = Batch(
        id="b",
        status="completed",
        started_at=at(2024, 1, 15, 10, 0, 0),
        completed_at=at(2024, 1, 15, 10, 2, 0),
    )
    assert batch.run_time(at(2024, 1, 15, 10, 3, 0)) == timedelta(minutes=2)
    assert batch.run_time(at(2025, 6, 1)) == timedelta(minutes=2)


def test_run_time_is_none_when_it_cannot_be_known():
    not_started = Batch(id="b", status="pending")
    assert not_started.run_time(at(2024, 1, 15)) is None
    finished_without_end = Batch(id="b", status="cancelled", started_at=at(2024, 1, 15, 10))
    assert finished_without_end.run_time(at(2024, 1, 15, 11)) is None
    # A clock behind the server would give a negative run time: unknown, not "-5m".
    running = Batch(id="b", status="processing", started_at=at(2024, 1, 15, 10, 5))
    assert running.run_time(at(2024, 1, 15, 10, 0)) is None


def test_cost_in_dollars():
    assert Batch(id="b", total_cost_cents=250).cost_dollars == 2.5
    assert Batch(id="b", total_cost_cents=0).cost_dollars == 0
    assert Batch(id="b").cost_dollars is None


def test_cost_per_item():
    batch = Batch(id="b", total_cost_cents=250, processed_items=50)
    assert batch.cost_per_item_cents == 5.0
    assert Batch(id="b", total_cost_cents=7, processed_items=2).cost_per_item_cents == 3.5


@pytest.mark.parametrize(
    ("cents", "processed"), [(0, 0), (250, 0), (250, None), (None, 50), (250, -3)]
)
def test_cost_per_item_is_none_before_the_first_item(cents, processed):
    assert (
        Batch(id="b", total_cost_cents=cents, processed_items=processed).cost_per_item_cents is None
    )


# --- with_summary -------------------------------------------------------------------


def test_with_summary_takes_counts_and_status_but_keeps_detail_only_fields():
    detail = Batch.from_json(
        doc_batch(
            status="processing",
            processedItems=10,
            successCount=9,
            failureCount=1,
            totalCostCents=50,
            completedAt=None,
            validationErrors=[{"row": 3, "error": "Content is required"}],
        )
    )
    summary = Batch.from_json(
        {
            "id": "batch_abc123def456",
            "name": "Daily fact check",
            "status": "completed",
            "totalItems": 50,
            "processedItems": 50,
            "successCount": 48,
            "failureCount": 2,
            "totalCostCents": 250,
            "createdAt": "2024-01-15T10:00:00Z",
            "startedAt": "2024-01-15T10:00:01Z",
            "completedAt": "2024-01-15T10:02:30Z",
        }
    )

    merged = detail.with_summary(summary)

    # From the summary:
    assert merged.status == "completed"
    assert merged.processed_items == 50
    assert merged.success_count == 48
    assert merged.failure_count == 2
    assert merged.total_cost_cents == 250
    assert merged.completed_at == at(2024, 1, 15, 10, 2, 30)
    assert merged.progress == 1.0
    # Kept from the detail, which the summary never carries:
    assert merged.total_input_tokens == 12500
    assert merged.total_output_tokens == 8700
    assert merged.methods_config == {"reasoning": 1, "tool": 0.5}
    assert merged.context == {"source": "news-aggregator"}
    assert merged.validation_errors == (ValidationIssue(row=3, error="Content is required"),)
    assert merged.input_format == "json"
    assert merged.expires_at == at(2024, 2, 14, 10, 0, 0)
    # The originals are untouched.
    assert detail.status == "processing"
    assert detail.processed_items == 10


# --- ValidationIssue ----------------------------------------------------------------


def test_validation_issue_variants():
    assert ValidationIssue.from_json({"row": 1, "error": "Content is required"}) == ValidationIssue(
        1, "Content is required"
    )
    assert ValidationIssue.from_json("Bad row") == ValidationIssue(None, "Bad row")
    assert ValidationIssue.from_json({"row": "7", "error": "x"}) == ValidationIssue(7, "x")
    assert ValidationIssue.from_json({"row": True, "error": "x"}) == ValidationIssue(None, "x")
    assert ValidationIssue.from_json({"error": "x", "column": "content"}) == ValidationIssue(
        None, "x"
    )
    assert ValidationIssue.from_json(None) == ValidationIssue(None, None)
    assert ValidationIssue.from_json(5) == ValidationIssue(None, None)


# --- BatchPage / Pagination ---------------------------------------------------------


def test_batch_page_parses_summaries_and_pagination():
    page = BatchPage.from_json(
        {
            "data": [
                {"id": "batch_1", "status": "processing", "totalItems": 10, "processedItems": 4},
                {"id": "batch_2", "status": "completed", "totalCostCents": 99},
            ],
            "pagination": {"total": 156, "limit": 10, "offset": 0, "hasMore": True},
        }
    )

    assert [b.id for b in page.batches] == ["batch_1", "batch_2"]
    assert page.batches[0].progress == 0.4
    assert page.batches[1].total_cost_cents == 99
    assert page.pagination == Pagination(total=156, limit=10, offset=0, has_more=True)


def test_batch_page_skips_entries_that_are_not_objects():
    page = BatchPage.from_json(
        {"data": [None, "batch_x", {"id": "batch_1"}, 7, ["batch_y"], {"id": "batch_2"}]}
    )
    assert [b.id for b in page.batches] == ["batch_1", "batch_2"]


@pytest.mark.parametrize("data", [None, {}, {"data": "nope"}, {"data": None}, [1, 2]])
def test_batch_page_without_a_usable_list_is_empty(data):
    page = BatchPage.from_json(data)
    assert page.batches == ()
    assert page.pagination == Pagination(total=None, limit=None, offset=None, has_more=False)


@pytest.mark.parametrize("has_more", ["true", 1, None, "yes"])
def test_has_more_is_true_only_for_json_true(has_more):
    assert Pagination.from_json({"hasMore": has_more}).has_more is False


def test_pagination_with_mistyped_numbers():
    pagination = Pagination.from_json(
        {"total": "156", "limit": False, "offset": "zero", "hasMore": True}
    )
    assert pagination == Pagination(total=156, limit=None, offset=None, has_more=True)


# --- ResultsPage / ItemResult -------------------------------------------------------

DOC_RESULTS = {
    "batch": {
        "id": "batch_abc123def456",
        "status": "completed",
        "totalItems": 50,
        "processedItems": 50,
        "successCount": 48,
        "failureCount": 2,
    },
    "items": [
        {
            "id": "item_001",
            "itemIndex": 0,
            "idempotencyKey": "fact-001",
            "content": "The Earth is approximately 4.5 billion years old.",
            "itemContext": {"source": "textbook"},
            "status": "completed",
            "verificationId": "ver_xyz789",
            "verdict": "true",
            "confidence": 0.95,
            "decision": "accept",
            "costCents": 5,
            "processingTimeMs": 1250,
            "errorMessage": None,
            "createdAt": "2024-01-15T10:00:00Z",
            "completedAt": "2024-01-15T10:00:02Z",
        },
        {
            "id": "item_003",
            "itemIndex": 2,
            "status": "failed",
            "verificationId": None,
            "verdict": None,
            "confidence": None,
            "errorMessage": "Verification timeout after 120 seconds",
            "retryCount": 3,
        },
    ],
    "pagination": {"total": 50, "limit": 20, "offset": 0, "hasMore": True},
}


def test_documented_results_page_parses():
    page = ResultsPage.from_json(DOC_RESULTS)

    assert page.batch.id == "batch_abc123def456"
    assert page.batch.status == "completed"
    assert page.batch.success_count == 48
    assert page.pagination == Pagination(total=50, limit=20, offset=0, has_more=True)
    first, failed = page.items
    assert first == ItemResult(
        id="item_001",
        item_index=0,
        idempotency_key="fact-001",
        content="The Earth is approximately 4.5 billion years old.",
        item_context={"source": "textbook"},
        status="completed",
        verification_id="ver_xyz789",
        verdict="true",
        confidence=0.95,
        decision="accept",
        cost_cents=5.0,
        processing_time_ms=1250,
        error_message=None,
        retry_count=None,
        created_at=at(2024, 1, 15, 10, 0, 0),
        completed_at=at(2024, 1, 15, 10, 0, 2),
    )
    assert first.bad_fields == ()
    assert failed.status == "failed"
    assert failed.verdict is None
    assert failed.confidence is None
    assert failed.error_message == "Verification timeout after 120 seconds"
    assert failed.retry_count == 3


def test_item_with_mistyped_fields_keeps_the_rest():
    item = ItemResult.from_json(
        {
            "id": "item_9",
            "status": "weird_new_state",
            "confidence": "high",
            "costCents": True,
            "processingTimeMs": "slow",
            "completedAt": "later",
            "verdict": "false",
        }
    )

    assert item.id == "item_9"
    assert item.status == "weird_new_state"
    assert item.verdict == "false"
    assert item.confidence is None
    assert item.cost_cents is None
    assert item.processing_time_ms is None
    assert item.completed_at is None
    assert set(item.bad_fields) == {"confidence", "costCents", "processingTimeMs", "completedAt"}


def test_results_page_skips_non_object_items_and_survives_a_missing_batch():
    page = ResultsPage.from_json({"items": [{"id": "item_1"}, "item_2", None, 3, {"id": "item_4"}]})

    assert [item.id for item in page.items] == ["item_1", "item_4"]
    assert page.batch == Batch(id=None)
    assert page.pagination.has_more is False


# --- CancelResult -------------------------------------------------------------------


def test_documented_cancel_result_parses():
    result = CancelResult.from_json(
        {
            "id": "batch_abc123def456",
            "status": "cancelled",
            "message": "Batch cancelled successfully",
        }
    )
    assert result == CancelResult(
        id="batch_abc123def456", status="cancelled", message="Batch cancelled successfully"
    )


def test_cancel_result_is_lenient():
    assert CancelResult.from_json({"status": "cancelled", "extra": 1}) == CancelResult(
        id=None, status="cancelled", message=None
    )
    assert CancelResult.from_json(None) == CancelResult(id=None, status=None, message=None)
    assert CancelResult.from_json({"id": 12, "message": ["x"]}) == CancelResult(
        id="12", status=None, message=None
    )
