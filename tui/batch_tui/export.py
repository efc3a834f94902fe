"""Writing the batch list to CSV or JSON, for a spreadsheet or a script.

Server text is untrusted here too: a name starting with ``=``, ``+``, ``-`` or
``@`` would run as a formula when the CSV is opened in a spreadsheet, so such
cells are prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from batch_tui.api.models import Batch
from batch_tui.headless import batch_json

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
    batches: list[Batch], fmt: str, *, now: datetime, directory: Path | None = None
) -> Path:
    """Write the batches to ``batch-tui-batches-<UTC time>.<fmt>`` and return the path."""
    directory = directory or Path.cwd()
    path = directory / f"batch-tui-batches-{now.strftime('%Y%m%d-%H%M%S')}.{fmt}"
    text = to_csv(batches) if fmt == "csv" else to_json(batches)
    path.write_text(text, encoding="utf-8")
    return path
