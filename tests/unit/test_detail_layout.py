"""The detail pane keeps its layout as data goes stale and comes back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from batch_tui.api.models import Batch
from batch_tui.monitor.monitor import Snapshot
from batch_tui.ui.widgets.batch_detail import detail_rows

NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def labels(snapshot: Snapshot, now: float) -> list[str]:
    return [label.plain for label, _ in detail_rows(snapshot, datetime.fromtimestamp(now, UTC))]


def test_the_rows_stay_in_place_as_data_goes_stale_and_back():
    batch = Batch(id="batch_a", name="A", status="processing", total_items=10, processed_items=3)
    fresh = Snapshot(batch, updated_at=NOW.timestamp(), planned_interval=5)
    failed = replace(fresh, error="server error: 503")
    old = fresh
    layouts = {
        "fresh": labels(fresh, NOW.timestamp() + 1),
        "failed": labels(failed, NOW.timestamp() + 1),
        "old": labels(old, NOW.timestamp() + 60),
    }
    assert layouts["fresh"] == layouts["failed"] == layouts["old"]
    assert layouts["fresh"][3] == "Data"
