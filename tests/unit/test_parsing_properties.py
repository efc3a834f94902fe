"""Property tests: any JSON the server might send parses, formats and renders without raising."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from batch_tui.api.models import Batch, BatchPage, ResultsPage
from batch_tui.monitor.monitor import Snapshot
from batch_tui.ui.dialogs.confirm_cancel import cancel_summary
from batch_tui.ui.widgets.batch_detail import detail_renderable
from batch_tui.ui.widgets.batch_list import row_cells

NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
FIELDS = [
    "id",
    "name",
    "status",
    "inputFormat",
    "originalFileName",
    "totalItems",
    "processedItems",
    "successCount",
    "failureCount",
    "methodsConfig",
    "context",
    "totalCostCents",
    "totalInputTokens",
    "totalOutputTokens",
    "errorMessage",
    "validationErrors",
    "createdAt",
    "startedAt",
    "completedAt",
    "expiresAt",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["2024-01-15T10:00:00Z", "2024-01-15T10:00:00+02:00", "not a date", "[/]"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
batch_json = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=len(FIELDS))


@given(batch_json)
def test_any_batch_payload_parses_and_renders(payload):
    batch = Batch.from_json(payload)
    batch.progress, batch.cost_per_item_cents, batch.run_time(NOW), batch.is_terminal
    snapshot = Snapshot(batch, updated_at=0.0, detail_at=0.0, error="x")
    console = Console(width=80, file=io.StringIO(), color_system=None)
    for cell in row_cells(snapshot, NOW):
        console.print(cell)
    console.print(detail_renderable(snapshot, NOW))
    console.print(cancel_summary(batch))
    assert "\x1b" not in console.file.getvalue()


@given(json_values)
def test_any_page_payload_parses(payload):
    BatchPage.from_json(payload)
    ResultsPage.from_json(payload)
    BatchPage.from_json({"data": [payload], "pagination": payload})


ITEM_FIELDS = [
    "id",
    "itemIndex",
    "idempotencyKey",
    "content",
    "itemContext",
    "status",
    "verificationId",
    "verdict",
    "confidence",
    "decision",
    "costCents",
    "processingTimeMs",
    "errorMessage",
    "retryCount",
    "createdAt",
    "completedAt",
]
item_json = st.dictionaries(st.sampled_from(ITEM_FIELDS), json_values, max_size=len(ITEM_FIELDS))


@given(st.lists(item_json, max_size=5), json_values)
def test_any_results_payload_parses_and_renders(items, pagination):
    from batch_tui.ui.dialogs.item import item_detail
    from batch_tui.ui.screens.results import item_cells

    page = ResultsPage.from_json({"batch": {}, "items": items, "pagination": pagination})
    console = Console(width=80, file=io.StringIO(), color_system=None)
    for item in page.items:
        for cell in item_cells(item):
            console.print(cell)
        console.print(item_detail(item))
    assert "\x1b" not in console.file.getvalue()
