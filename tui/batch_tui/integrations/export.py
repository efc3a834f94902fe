"""Writing the batch list, or a batch's results, to CSV or JSON.

Server text is untrusted here too: a name starting with ``=``, ``+``, ``-`` or
``@`` would run as a formula when the CSV is opened in a spreadsheet, so such
cells are prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from batch_tui.api.models import Batch, ItemResult
from batch_tui.api.shape import batch_to_json

#: Values worked out from a batch rather than sent by the API, under their own names.
DERIVED: dict[str, Callable[[Batch], object]] = {
    "progress": lambda batch: batch.progress,
    "costDollars": lambda batch: batch.cost_dollars,
}
#: The columns of a batch in exports and ``status --json``, in order: the API's own
#: names (as ``batch_to_json`` writes them) and the derived values.
FIELDS = (
    "id",
    "name",
    "status",
    "totalItems",
    "processedItems",
    "successCount",
    "failureCount",
    "totalCostCents",
    "progress",
    "costDollars",
    "createdAt",
    "startedAt",
    "completedAt",
)


def batch_json(batch: Batch) -> dict[str, Any]:
    """A batch as plain JSON for scripts and exports: the summary fields of the
    API's own shape (``batch_to_json``), plus the derived values."""
    wire = batch_to_json(batch)
    return {key: DERIVED[key](batch) if key in DERIVED else wire[key] for key in FIELDS}


def _spreadsheet_safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(batches: Iterable[Batch]) -> str:
    """The batches as CSV, one row each, with a header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for batch in batches:
        row = batch_json(batch)
        writer.writerow({key: _spreadsheet_safe(row[key]) for key in FIELDS})
    return out.getvalue()


def to_json(batches: Iterable[Batch]) -> str:
    """The batches as a JSON array."""
    return json.dumps([batch_json(b) for b in batches], indent=2) + "\n"


def export_batches(
    batches: Sequence[Batch], fmt: str, *, now: datetime, directory: Path | None = None
) -> Path:
    """Write the batches to ``batch-tui-batches-<UTC time>.<fmt>`` and return the path."""
    directory = directory or Path.cwd()
    path = directory / f"batch-tui-batches-{now.strftime('%Y%m%d-%H%M%S')}.{fmt}"
    text = to_csv(batches) if fmt == "csv" else to_json(batches)
    path.write_text(text, encoding="utf-8")
    return path


RESULT_FIELDS = (
    "source",
    "index",
    "status",
    "verdict",
    "confidence",
    "decision",
    "costCents",
    "processingTimeMs",
    "error",
    "content",
)


def result_rows(batch: Batch, items: Iterable[ItemResult]) -> list[dict[str, object]]:
    """A batch's validation errors and loaded items as flat rows, each with its source."""
    rows: list[dict[str, object]] = [
        {"source": "validation", "index": issue.row, "error": issue.error}
        for issue in batch.validation_errors or ()
    ]
    for item in items:
        rows.append(
            {
                "source": "item",
                "index": item.item_index,
                "status": item.status,
                "verdict": item.verdict,
                "confidence": item.confidence,
                "decision": item.decision,
                "costCents": item.cost_cents,
                "processingTimeMs": item.processing_time_ms,
                "error": item.error_message,
                "content": item.content,
            }
        )
    return rows


def export_results(
    batch: Batch,
    items: list[ItemResult],
    fmt: str,
    *,
    now: datetime,
    directory: Path | None = None,
) -> Path:
    """Write a batch's results and errors to ``batch-tui-results-<id>-<UTC time>.<fmt>``."""
    directory = directory or Path.cwd()
    safe_id = "".join(c for c in (batch.id or "batch") if c.isalnum() or c in "-_")[:64]
    path = directory / f"batch-tui-results-{safe_id}-{now.strftime('%Y%m%d-%H%M%S')}.{fmt}"
    rows = result_rows(batch, items)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=RESULT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _spreadsheet_safe(row.get(key)) for key in RESULT_FIELDS})
        text = out.getvalue()
    else:
        text = json.dumps({"batch": batch_json(batch), "rows": rows}, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
    return path
