"""The batch list with marks: Space marks a batch, ``*`` every batch shown, and ``c``
cancels the marked ones. A marked row shows ``✓`` in its first cell.

The mark is drawn over the row's cached rendering, never into it: marking (or
unmarking) a hundred thousand rows renders no row again, and repaints only the
rows on screen.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from batch_tui.ui.widgets.marks import Marks
from batch_tui.ui.widgets.batch_list import BatchList

#: Drawn in a marked row's first cell.
MARK_GLYPH = "✓"


class MarkedBatchList(BatchList):
    """``BatchList`` plus the marked batches (``marks``), drawn in their rows."""

    COMPONENT_CLASSES = {"batch-list--mark"}

    DEFAULT_CSS = """
    MarkedBatchList > .batch-list--mark {
        color: $accent;
        text-style: bold;
    }
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.marks = Marks()
        """The batches marked to cancel together (``repaint_marks`` after a change)."""

    def repaint_marks(self, batch_ids: Iterable[str] | None = None) -> None:
        """The marks of these batches changed (None: of any number): repaint their rows."""
        if batch_ids is None:
            self.refresh()
        else:
            self._refresh_rows(batch_ids)

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        row = round(self.scroll_y) + y - 1
        if y == 0 or not self.marks or not 0 <= row < self.row_count:
            return strip
        if self._rows.order[row] not in self.marks:
            return strip
        # Over the row's leading pad, keeping its background (the cursor's, say).
        first = next(iter(strip), None)
        style = (first.style if first is not None and first.style else Style()) + (
            self.get_component_rich_style("batch-list--mark", partial=True)
        )
        return Strip.join([Strip([Segment(MARK_GLYPH, style)], 1), strip.crop(1)])
