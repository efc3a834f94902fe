"""The batch list fits its pane: columns drop by priority, never a horizontal scroll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from apphelpers import screen_text
from batch_tui.api.models import Batch
from batch_tui.monitor.monitor import Snapshot
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.batch_rows import COLUMN_INDEX, cells_strip, layout, row_cells, row_width


@pytest.mark.parametrize(
    ("size", "headers"),
    [
        ((80, 24), ["ID", "Name", "Status", "Progress", "Failed", "Cost"]),
        ((100, 30), ["ID", "Name", "Status", "Progress", "OK", "Failed", "Cost", "Age"]),
        ((120, 36), ["ID", "Name", "Status", "Progress", "OK", "Failed", "Cost", "Age"]),
    ],
)
async def test_the_list_drops_columns_by_priority_and_never_scrolls_sideways(
    run_app, size, headers
):
    async with run_app(size=size) as pilot:
        app = pilot.app
        table = app.dashboard.query_one(BatchList)
        assert screen_text(app).splitlines()[0].split() == headers
        assert not table.show_horizontal_scrollbar
        assert row_width(table.columns) <= table.scrollable_content_region.width
        # Two batches of one name are told apart by their (short) id.
        batch_id = table.row_ids[0]
        assert batch_id.endswith(table.cell_text(batch_id, "short_id"))


def test_spare_width_goes_to_the_name():
    narrow, wide = dict((k, w) for k, _, w in layout(78)), dict((k, w) for k, _, w in layout(98))
    assert wide["name"] > narrow["name"]
    for width in range(40, 220):
        assert row_width(layout(width)) <= max(width, row_width(layout(0)))


def test_an_age_keeps_its_unit():
    now = datetime(2026, 1, 15, tzinfo=UTC)
    batch = Batch(id="batch_old", name="Old", created_at=now - timedelta(days=1049))
    cells = row_cells(Snapshot(batch, updated_at=now.timestamp()), now)
    columns = layout(98)
    strip = cells_strip(cells, columns, Console(width=200))
    assert cells[COLUMN_INDEX["age"]].plain == "1049d"
    assert "1049d" in strip.text
