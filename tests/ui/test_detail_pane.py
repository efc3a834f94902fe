"""The detail pane as a user handles it: words selected with the mouse are the words
copied, and its lines fit beside its scroll bar when it has one."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult

from apphelpers import detail_row, highlight_named, screen_text, settled
from batch_tui.api.models import Batch
from batch_tui.monitor.monitor import Snapshot
from batch_tui.ui.widgets.batch_detail import GAP, LABEL_WIDTH, BatchDetail
from helpers import EPOCH


async def test_words_dragged_over_in_the_detail_pane_are_the_words_copied(run_app):
    async with run_app() as pilot:
        app = pilot.app
        batch_id = await highlight_named(pilot, "Article verification")
        detail = app.screen.query_one(BatchDetail)
        name, ident = detail_row(detail, "Name"), detail_row(detail, "ID")
        # From the start of the Name row to the end of the ID row, across the lines.
        await pilot.mouse_down(detail, offset=(2, 1 + name))
        await pilot.hover(detail, offset=(2 + len(detail.lines[ident].plain), 1 + ident))
        await pilot.mouse_up(detail, offset=(2 + len(detail.lines[ident].plain), 1 + ident))
        await settled(pilot)
        selected = app.screen.get_selected_text()
        assert selected is not None
        lines = selected.splitlines()
        assert lines[0].split() == ["Name", "Article", "verification"]
        assert lines[-1].split() == ["ID", batch_id]
        # The selection is drawn: the selected words stand out from the rest.
        style = app.screen.get_component_rich_style("screen--selection")
        drawn = detail.render_line(name)
        assert any(segment.style and segment.style.bgcolor == style.bgcolor for segment in drawn)
        assert "Article verification" in screen_text(app)


class _Pane(App):
    def compose(self) -> ComposeResult:
        yield BatchDetail()


async def test_detail_lines_fit_beside_the_scroll_bar_of_a_short_pane():
    batch = Batch(
        id="batch_0123456789ab",
        name="Article verification",
        status="processing",
        total_items=1000,
        processed_items=100,
        created_at=datetime(2024, 1, 15, 10, 0, tzinfo=UTC),
        context={"source": "a context long enough to be wrapped over lines " * 6},
    )
    snapshot = Snapshot(batch=batch, updated_at=EPOCH, detail_at=EPOCH, planned_interval=2.0)
    # Eight rows: the pane, border included, is far shorter than the batch's detail.
    async with _Pane().run_test(size=(60, 8)) as pilot:
        detail = pilot.app.query_one(BatchDetail)
        detail.now = EPOCH
        detail.snapshot = snapshot
        await pilot.pause()
        assert detail.show_vertical_scrollbar
        width = detail.scrollable_content_region.width
        assert all(line.cell_len <= width for line in detail.lines)
        # The context is wrapped to the width there is, every word of it kept.
        shown = " ".join(line.plain[LABEL_WIDTH + GAP :].strip() for line in detail.lines)
        assert ("a context long enough to be wrapped over lines " * 6).strip() in shown
