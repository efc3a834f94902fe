"""The batch list with marks: Space marks a batch, ``*`` every batch shown, ``u``
unmarks all, and ``c`` cancels the marked ones. A marked row shows ``✓`` in its
first cell. The list owns the marks; after every change it posts ``MarksChanged``
so the screen recounts them and the footer's ``c`` says what it would cancel.

The mark is drawn over the row's cached rendering, never into it: marking (or
unmarking) a hundred thousand rows renders no row again, and repaints only the
rows on screen.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from textual.message import Message
from textual.strip import Strip

from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.marks import Marks

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

    class MarksChanged(Message):
        """The marks changed (a key, or a cancel of the marked batches)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.marks = Marks()
        """The batches marked to cancel together (``marks_changed`` after a change)."""

    def toggle_mark(self) -> None:
        """Space: mark the highlighted batch, or unmark it, and move on to the next
        (marking a run of batches is Space, Space, Space)."""
        batch_id = self.current_batch_id
        if batch_id is not None:
            self.marks.toggle(batch_id)
            self.marks_changed([batch_id])
            self.action_move("down")

    def mark_shown(self) -> None:
        """``*``: mark every batch the list shows; when all are marked, unmark them."""
        self.marks.toggle_all(self.row_ids)
        self.marks_changed()

    def clear_marks(self) -> None:
        """``u``: unmark every batch."""
        self.marks.clear()
        self.marks_changed()

    def marks_changed(self, batch_ids: Iterable[str] | None = None) -> None:
        """The marks of these batches changed (None: of any number): repaint their
        rows and tell the screen."""
        self.repaint_marks(batch_ids)
        self.post_message(self.MarksChanged())

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
