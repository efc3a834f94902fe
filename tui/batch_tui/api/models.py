"""Typed, lenient views of the Check batch API's JSON.

Every model is a frozen dataclass built by ``from_json``. Parsing never raises on
odd data: an unknown field is ignored, a missing, null or mistyped field becomes
``None`` (and its name is recorded in ``bad_fields`` when it was present but
unusable), and an unknown status string is kept as it is. One odd field never
loses the rest of the object.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from batch_tui.api.reading import (
    ABSURD,
    MAX_BATCH_ID_CHARS,
    _Reader,
    batch_id_problem,
    parse_timestamp,
)

__all__ = [
    "ABSURD",
    "BATCH_STATUSES",
    "MAX_BATCH_ID_CHARS",
    "TERMINAL_STATUSES",
    "Batch",
    "batch_id_problem",
    "parse_timestamp",
]

#: Batch statuses the API documents, in lifecycle order.
BATCH_STATUSES: tuple[str, ...] = (
    "pending",
    "validating",
    "processing",
    "completed",
    "failed",
    "cancelled",
)
#: A batch in one of these states never changes again.
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
#: The states in which ``POST /v1/batch/:id/cancel`` can succeed.
CANCELLABLE_STATUSES: frozenset[str] = frozenset({"pending", "validating", "processing"})
#: Item statuses in a results page.
ITEM_STATUSES: tuple[str, ...] = (
    "pending",
    "queued",
    "processing",
    "completed",
    "failed",
    "skipped",
)


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One row of a failed batch's ``validationErrors``: which input row, and why."""

    row: int | None
    """The input row the error refers to, as the server numbers it."""
    error: str | None
    """The server's description of the problem."""

    @classmethod
    def from_json(cls, data: Any) -> ValidationIssue:
        """Build from one ``validationErrors`` entry (a plain string is accepted as the error)."""
        if isinstance(data, str):
            return cls(row=None, error=data)
        read = _Reader(data)
        return cls(row=read.integer("row"), error=read.text("error"))


#: A failed batch's validation errors kept (and shown); the rest are only counted,
#: so a server listing 600,000 of them costs no more than one listing a thousand.
MAX_VALIDATION_ERRORS = 1000
#: Where the local store keeps the whole count next to the rows kept (not an API field).
STORED_ERROR_COUNT = "validationErrorCount"

#: Strings up to this long are shared between rows (``sys.intern``).
SHARED_MAX_CHARS = 80


def _shared(value: str | None) -> str | None:
    """One copy of a short, often repeated string (a status, a recurring batch name)
    for every row that holds it: a long history costs less memory."""
    if value is None or len(value) > SHARED_MAX_CHARS:
        return value
    return sys.intern(value)


#: The fields a list-endpoint summary carries; the rest need ``GET /v1/batch/:id``.
SUMMARY_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "status",
    "total_items",
    "processed_items",
    "success_count",
    "failure_count",
    "total_cost_cents",
    "created_at",
    "started_at",
    "completed_at",
)


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch job as the API describes it, from either a summary or the full detail."""

    id: str | None
    name: str | None = None
    status: str | None = None
    input_format: str | None = None
    original_file_name: str | None = None
    total_items: int | None = None
    processed_items: int | None = None
    success_count: int | None = None
    failure_count: int | None = None
    methods_config: dict[str, Any] | None = None
    context: Any = None
    total_cost_cents: float | None = None
    total_input_tokens: int | None = None
    total_output_tokens: int | None = None
    error_message: str | None = None
    validation_errors: tuple[ValidationIssue, ...] | None = None
    """The first ``MAX_VALIDATION_ERRORS`` rows of the server's ``validationErrors``."""
    validation_error_count: int | None = None
    """How many validation errors the server listed (all of them, not only those kept)."""
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    expires_at: datetime | None = None
    bad_fields: tuple[str, ...] = field(default=(), compare=False)
    """Fields the server sent in a form that could not be used."""

    @classmethod
    def from_json(cls, data: Any) -> Batch:
        """Build a batch from a detail or summary object, leniently."""
        read = _Reader(data)
        raw_errors = read.array("validationErrors")
        errors = (
            tuple(ValidationIssue.from_json(row) for row in raw_errors[:MAX_VALIDATION_ERRORS])
            if raw_errors is not None
            else None
        )
        # The whole count, though only the first rows are kept: what can be shown.
        error_count = read.integer(STORED_ERROR_COUNT)
        if error_count is None and raw_errors is not None:
            error_count = len(raw_errors)
        # Read in field order (the order ``bad_fields`` names them in), then built once.
        fields: dict[str, Any] = {
            "id": read.text("id"),
            "name": _shared(read.text("name")),
            "status": _shared(read.text("status")),
            "input_format": read.text("inputFormat"),
            "original_file_name": read.text("originalFileName"),
            "total_items": read.integer("totalItems"),
            "processed_items": read.integer("processedItems"),
            "success_count": read.integer("successCount"),
            "failure_count": read.integer("failureCount"),
            "methods_config": read.mapping("methodsConfig"),
            "context": read.raw("context"),
            "total_cost_cents": read.number("totalCostCents"),
            "total_input_tokens": read.integer("totalInputTokens"),
            "total_output_tokens": read.integer("totalOutputTokens"),
            "error_message": read.text("errorMessage"),
            "validation_errors": errors,
            "validation_error_count": error_count,
            "created_at": read.time("createdAt"),
            "started_at": read.time("startedAt"),
            "completed_at": read.time("completedAt"),
            "expires_at": read.time("expiresAt"),
        }
        processed, total = fields["processed_items"], fields["total_items"]
        if processed is not None and total is not None and processed > total:
            read.bad.append("processedItems")  # more done than exist: shown, but flagged
        return cls(**fields, bad_fields=tuple(read.bad))

    def with_summary(self, summary: Batch) -> Batch:
        """This batch updated with a newer list summary, keeping detail-only fields."""
        changes = {name: getattr(summary, name) for name in SUMMARY_FIELDS}
        return replace(self, **changes)

    @property
    def is_terminal(self) -> bool:
        """True once the batch is completed, failed or cancelled: it never changes again."""
        return self.status in TERMINAL_STATUSES

    @property
    def is_cancellable(self) -> bool:
        """True while a cancel request can still succeed."""
        return self.status in CANCELLABLE_STATUSES

    @property
    def progress(self) -> float | None:
        """Processed items as a fraction of the total, clamped to 0..1; None if unknown."""
        if self.total_items is None or self.processed_items is None:
            return None
        if self.total_items <= 0:
            return 1.0 if self.is_terminal else None
        return min(1.0, max(0.0, self.processed_items / self.total_items))

    def run_time(self, now: datetime) -> timedelta | None:
        """How long the batch has run: start to completion, or start to ``now`` if still going."""
        if self.started_at is None:
            return None
        end = self.completed_at
        if end is None:
            if self.is_terminal:
                return None
            end = now
        delta = end - self.started_at
        return delta if delta >= timedelta(0) else None

    @property
    def cost_dollars(self) -> float | None:
        """The cost so far in US dollars."""
        if self.total_cost_cents is None:
            return None
        return self.total_cost_cents / 100

    @property
    def cost_per_item_cents(self) -> float | None:
        """Cost so far divided by processed items, in cents; None before the first item."""
        if self.total_cost_cents is None or not self.processed_items:
            return None
        if self.processed_items < 0:
            return None
        return self.total_cost_cents / self.processed_items


@dataclass(frozen=True, slots=True)
class Pagination:
    """Where a page sits in a paginated listing."""

    total: int | None
    limit: int | None
    offset: int | None
    has_more: bool

    @classmethod
    def from_json(cls, data: Any) -> Pagination:
        """Build from a ``pagination`` object; ``hasMore`` defaults to False when unusable."""
        read = _Reader(data)
        has_more = read.raw("hasMore")
        return cls(
            total=read.integer("total"),
            limit=read.integer("limit"),
            offset=read.integer("offset"),
            has_more=has_more is True,
        )


@dataclass(frozen=True, slots=True)
class BatchPage:
    """One page of ``GET /v1/batch``."""

    batches: tuple[Batch, ...]
    pagination: Pagination

    @classmethod
    def from_json(cls, data: Any) -> BatchPage:
        """Build from the list response; entries that are not objects are skipped."""
        read = _Reader(data)
        rows = read.array("data") or []
        return cls(
            batches=tuple(Batch.from_json(row) for row in rows if isinstance(row, Mapping)),
            pagination=Pagination.from_json(read.raw("pagination")),
        )


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One item of a batch's results: its content, verdict, cost and any error."""

    id: str | None
    item_index: int | None = None
    idempotency_key: str | None = None
    content: str | None = None
    item_context: Any = None
    status: str | None = None
    verification_id: str | None = None
    verdict: str | None = None
    confidence: float | None = None
    decision: str | None = None
    cost_cents: float | None = None
    processing_time_ms: int | None = None
    error_message: str | None = None
    retry_count: int | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    bad_fields: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_json(cls, data: Any) -> ItemResult:
        """Build one item from a results page entry, leniently."""
        read = _Reader(data)
        item = cls(
            id=read.text("id"),
            item_index=read.integer("itemIndex"),
            idempotency_key=read.text("idempotencyKey"),
            content=read.text("content"),
            item_context=read.raw("itemContext"),
            status=read.text("status"),
            verification_id=read.text("verificationId"),
            verdict=read.text("verdict"),
            confidence=read.number("confidence", high=1.0),
            decision=read.text("decision"),
            cost_cents=read.number("costCents"),
            processing_time_ms=read.integer("processingTimeMs"),
            error_message=read.text("errorMessage"),
            retry_count=read.integer("retryCount"),
            created_at=read.time("createdAt"),
            completed_at=read.time("completedAt"),
        )
        return replace(item, bad_fields=tuple(read.bad))


@dataclass(frozen=True, slots=True)
class ResultsPage:
    """One page of ``GET /v1/batch/:id/results``: a batch summary and its items."""

    batch: Batch
    items: tuple[ItemResult, ...]
    pagination: Pagination

    @classmethod
    def from_json(cls, data: Any) -> ResultsPage:
        """Build from the results response; entries that are not objects are skipped."""
        read = _Reader(data)
        rows = read.array("items") or []
        return cls(
            batch=Batch.from_json(read.raw("batch")),
            items=tuple(ItemResult.from_json(row) for row in rows if isinstance(row, Mapping)),
            pagination=Pagination.from_json(read.raw("pagination")),
        )


@dataclass(frozen=True, slots=True)
class CancelResult:
    """The server's answer to a successful cancel."""

    id: str | None
    status: str | None
    message: str | None
    confirmed: bool = True
    """False when the server accepted the cancel (2xx) but said nothing readable
    about it (204, or a body that is not a JSON object): re-read the batch to know."""

    @classmethod
    def from_json(cls, data: Any) -> CancelResult:
        """Build from the cancel response body."""
        read = _Reader(data)
        return cls(id=read.text("id"), status=read.text("status"), message=read.text("message"))


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The latest ``X-RateLimit-*`` values the server sent; any may be unknown."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    """When the window resets, as unix seconds."""
