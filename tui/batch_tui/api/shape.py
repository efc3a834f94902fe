"""A batch as the API's JSON: the one place the model is turned back into the wire shape.

The local store keeps batches in this shape so that reading them back goes through
the same lenient ``Batch.from_json`` as a server answer; scripts and exports start
from it too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from batch_tui.api.models import STORED_ERROR_COUNT, Batch


def iso(moment: datetime | None) -> str | None:
    """An ISO 8601 UTC timestamp as the API writes it (``…Z``), or None."""
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def batch_to_json(batch: Batch) -> dict[str, Any]:
    """Every field of ``batch`` under the API's names; ``Batch.from_json`` reads it back."""
    errors = (
        [{"row": issue.row, "error": issue.error} for issue in batch.validation_errors]
        if batch.validation_errors is not None
        else None
    )
    return {
        "id": batch.id,
        "name": batch.name,
        "status": batch.status,
        "inputFormat": batch.input_format,
        "originalFileName": batch.original_file_name,
        "totalItems": batch.total_items,
        "processedItems": batch.processed_items,
        "successCount": batch.success_count,
        "failureCount": batch.failure_count,
        "methodsConfig": batch.methods_config,
        "context": batch.context,
        "totalCostCents": batch.total_cost_cents,
        "totalInputTokens": batch.total_input_tokens,
        "totalOutputTokens": batch.total_output_tokens,
        "errorMessage": batch.error_message,
        "validationErrors": errors,
        STORED_ERROR_COUNT: batch.validation_error_count,
        "createdAt": iso(batch.created_at),
        "startedAt": iso(batch.started_at),
        "completedAt": iso(batch.completed_at),
        "expiresAt": iso(batch.expires_at),
    }
