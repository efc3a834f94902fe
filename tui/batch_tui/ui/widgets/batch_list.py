"""The batch list: one row per batch, updated in place by row key.

A Line API widget rather than a ``DataTable``: every row is rendered once into a
cached ``Strip`` and re-rendered only when one of its cells changes, and a poll
that changes a few rows repaints just those rows (if they are on screen). The
stock table renders every visible cell again after any update, which costs tens
of milliseconds a frame on a large list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive, var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from batch_tui.core.defaults import DEFAULT_COLUMNS
from batch_tui.monitor.insight import Progress
from batch_tui.monitor.monitor import Change, Snapshot
from batch_tui.ui.styles import follow_theme, unfollow_theme
from batch_tui.ui.view import ListView
from batch_tui.ui.widgets.batch_rows import Rows, header_strip
from batch_tui.ui.widgets.columns import cell_keys, layout, row_cells, row_width

__all__ = ["BatchList", "row_cells"]


#: The list's own look: the header and the cursor row, focused or not.
LIST_CSS = """
BatchList {
    height: 1fr;
    scrollbar-gutter: stable;
    overflow-x: hidden;
    background: $surface;
    color: $foreground;
    & > .batch-list--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    & > .batch-list--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    &:focus {
        background-tint: $foreground 5%;
        & > .batch-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
}
"""


@dataclass
class Highlighted(Message, namespace="batch_list"):
    """The cursor now rests on a different batch (or on none): ``BatchList.Highlighted``."""

    batch_list: BatchList
    batch_id: str | None

    @property
    def control(self) -> BatchList:
        return self.batch_list


@dataclass
class NewAbove(Message, namespace="batch_list"):
    """How many new batches arrived above the first row on screen since the list was
    last at its top (0: none, or the user has seen them): ``BatchList.NewAbove``."""

    batch_list: BatchList
    count: int

    @property
    def control(self) -> BatchList:
        return self.batch_list


class BatchList(ScrollView, can_focus=True):
    """The list of batches. ``apply()`` diffs snapshots against what is shown.

    Rows are keyed by batch id, so the cursor and the scroll position follow the
    highlighted batch when rows are added, removed or reordered.
    """

    BINDINGS = [
        Binding("up,k", "move('up')", "Up", show=False),
        Binding("down,j", "move('down')", "Down", show=False),
        Binding("pageup", "move('page_up')", "Page up", show=False),
        Binding("pagedown", "move('page_down')", "Page down", show=False),
        Binding("home", "move('first')", "First", show=False),
        Binding("end", "move('last')", "Last", show=False),
    ]

    COMPONENT_CLASSES = {"batch-list--header", "batch-list--cursor"}

    DEFAULT_CSS = LIST_CSS

    Highlighted: TypeAlias = Highlighted
    NewAbove: TypeAlias = NewAbove

    cursor_row: reactive[int] = reactive(0, repaint=False)
    """The index of the highlighted row."""
    view: var[ListView] = var(ListView, init=False)
    """Which batches are shown, and in what order (bound from the screen)."""
    profile: var[str] = var("", init=False)
    """The active profile's name, for the ``profile`` column (bound from the screen)."""
    empty: var[Text | None] = var(None, init=False)
    """What to say in the rows' place while there are none (bound from the screen):
    why the list is empty, never a blank."""
    new_above: var[int] = var(0, init=False)
    """New batches that arrived above the first row on screen, unseen (the list
    scrolled elsewhere keeps its place, so they are counted rather than shown)."""

    def __init__(
        self,
        chosen: tuple[str, ...] = DEFAULT_COLUMNS,
        progress: Mapping[str, Progress] | None = None,
        profile: str = "",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.chosen = chosen
        """The columns the user chose (``columns`` in the config file), in order."""
        self._rows = Rows(cell_keys(chosen), progress)
        self._rows.extras.profile = profile
        self.set_reactive(BatchList.profile, profile)
        self._announced: str | None = None
        self._header: Strip | None = None
        self._empty_lines: tuple[tuple[Text | None, int], list[Strip]] | None = None
        self._paint_style: Style | None = None
        self.columns = layout(120, chosen)
        """The columns shown: as many of the chosen as fit the list's width (``fit``)."""

    def fit(self, width: int) -> None:
        """Choose the columns for a list this wide (``layout``)."""
        columns = layout(width, self.chosen)
        if columns == self.columns:
            return
        self.columns = columns
        self._rows.forget_strips()
        self._header = None
        self.virtual_size = Size(row_width(columns), len(self._rows) + 1)
        self.refresh()

    # ── reading ──────────────────────────────────────────────────────────────

    @property
    def row_count(self) -> int:
        """How many batches the list shows."""
        return len(self._rows)

    @property
    def row_ids(self) -> list[str]:
        """Batch ids in the order shown."""
        return list(self._rows.order)

    @property
    def current_batch_id(self) -> str | None:
        """The id of the highlighted batch, if any."""
        if 0 <= self.cursor_row < len(self._rows):
            return self._rows.order[self.cursor_row]
        return None

    def get_row_index(self, batch_id: str) -> int:
        """Where this batch's row is (KeyError when it is not shown)."""
        return self._rows.index[batch_id]

    def cell_text(self, batch_id: str, column: str) -> str:
        """The text one cell shows."""
        return self._rows.cells(batch_id)[self._rows.slot[column]].plain

    # ── updating ─────────────────────────────────────────────────────────────

    def apply(
        self, snapshots: Mapping[str, Snapshot], now: datetime, change: Change | None = None
    ) -> None:
        """Make the list show ``snapshots`` in their order, touching only what changed.

        With a ``change``, only the rows it names are looked at (a poll that changed
        a few rows costs a few row renders, and only for rows on screen); without
        one, every row is redrawn.
        """
        keep_id, keep_offset = self.current_batch_id, self.cursor_row - round(self.scroll_y)
        at_top, shown_before = round(self.scroll_y) == 0, self._rows.index
        reorder, dirty = self._rows.update(snapshots, now, change, self.view)
        if reorder:
            self._reorder(keep_id, keep_offset, stay_at_top=at_top)
            if shown_before:
                self._count_new_above(shown_before)
        else:
            self._refresh_rows(dirty)
        self._announce()

    def watch_view(self) -> None:
        """Filter and sort differently; the cursor stays on its batch if it is still shown."""
        self._reorder(self.current_batch_id, self.cursor_row - round(self.scroll_y))
        self._announce()

    def watch_profile(self, profile: str) -> None:
        """Another profile: the ``profile`` column reads differently on every row."""
        self._rows.extras.profile = profile
        if "profile" in self.chosen:
            self._rows.forget()
            self.refresh()

    def _reorder(self, keep_id: str | None, keep_offset: int, stay_at_top: bool = False) -> None:
        self._rows.reorder(self.view)
        self.virtual_size = Size(row_width(self.columns), len(self._rows) + 1)
        if stay_at_top and keep_id in self._rows.index:
            # A list at its top stays there: new rows push the cursor's batch down
            # rather than arrive out of sight above it.
            keep_offset = self._rows.index[keep_id]
        self._restore_cursor(keep_id, keep_offset)
        self.refresh()

    def _count_new_above(self, shown_before: Mapping[str, int]) -> None:
        """Count the rows new to the list that are now above the first row on screen."""
        top = round(self.scroll_y)
        if top == 0:
            return
        order = self._rows.order
        arrived = sum(1 for batch_id in order[:top] if batch_id not in shown_before)
        self.new_above += arrived

    def watch_empty(self) -> None:
        if not self._rows:
            self.refresh()

    def _empty_line(self, line: int, width: int) -> Strip | None:
        """Line ``line`` of the words shown instead of rows, wrapped to ``width``."""
        key = (self.empty, width)
        if self._empty_lines is None or self._empty_lines[0] != key:
            strips: list[Strip] = []
            if self.empty is not None:
                console = self.app.console
                text = self.empty.copy()
                text.overflow = "fold"
                for part in text.wrap(console, max(10, width - 2)):
                    segments = [Segment(" "), *part.render(console)]
                    strips.append(Strip(segments).adjust_cell_length(width))
            self._empty_lines = (key, strips)
        strips = self._empty_lines[1]
        return strips[line] if 0 <= line < len(strips) else None

    def watch_new_above(self, count: int) -> None:
        self.post_message(self.NewAbove(self, count))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(new_value) == 0:
            self.new_above = 0  # at the top, every new row is in sight

    def on_mount(self) -> None:
        follow_theme(self, self.restyle)

    def on_unmount(self) -> None:
        unfollow_theme(self)

    def restyle(self) -> None:
        """Draw every row again in the palette now in use."""
        self._rows.forget()
        self.refresh()

    def refresh_times(self, snapshots: Mapping[str, Snapshot], now: datetime) -> None:
        """Bring the time-dependent cells (stale mark, age, pace, ETA) of drawn rows up
        to ``now``."""
        dirty = self._rows.refresh_times(snapshots, now)
        self._refresh_rows(dirty)

    def _refresh_rows(self, batch_ids: Iterable[str]) -> None:
        """Repaint just these rows, where they are on screen."""
        top = round(self.scroll_y)
        height = self.scrollable_content_region.height
        width = self.scrollable_content_region.width
        for batch_id in batch_ids:
            y = self._rows.index.get(batch_id, -1) - top + 1
            if 1 <= y < height:
                self.refresh(Region(0, y, width, 1))

    def _restore_cursor(self, batch_id: str | None, offset: int) -> None:
        if not self._rows:
            self.cursor_row = 0
            return
        if batch_id is not None and batch_id in self._rows.index:
            target = self._rows.index[batch_id]
        else:
            target = min(max(self.cursor_row, 0), len(self._rows) - 1)
        self.cursor_row = target
        # Keep the highlighted batch on the same screen line it was on. (``force``: the
        # scroll bar only appears at the next layout, and until then Textual refuses
        # to scroll a widget that has none, even where rows are already off screen.)
        self.scroll_to(y=max(0, target - max(offset, 0)), animate=False, immediate=True, force=True)
        self._scroll_cursor_into_view()

    def _announce(self) -> None:
        batch_id = self.current_batch_id
        if batch_id != self._announced:
            self._announced = batch_id
            self.post_message(self.Highlighted(self, batch_id))

    # ── the cursor ───────────────────────────────────────────────────────────

    def move_cursor(self, row: int) -> None:
        """Highlight row ``row`` (clamped) and bring it into view."""
        if not self._rows:
            return
        order = self._rows.order
        row = min(max(row, 0), len(order) - 1)
        if row != self.cursor_row:
            old = self.cursor_row
            self.cursor_row = row
            self._refresh_rows([order[i] for i in (old, row) if 0 <= i < len(order)])
        self._scroll_cursor_into_view()
        self._announce()

    def _scroll_cursor_into_view(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True, force=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(
                y=self.cursor_row - visible + 1, animate=False, immediate=True, force=True
            )

    def action_move(self, where: str) -> None:
        """Up, down, a page up or down, to the first row or the last."""
        page = max(1, self.scrollable_content_region.height - 2)
        steps = {"up": -1, "down": 1, "page_up": -page, "page_down": page}
        if where in steps:
            self.move_cursor(self.cursor_row + steps[where])
        else:
            self.move_cursor(0 if where == "first" else len(self._rows) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(round(self.scroll_y) + event.y - 1)

    def on_resize(self) -> None:
        self.fit(self.scrollable_content_region.width)
        self._scroll_cursor_into_view()

    # ── rendering ────────────────────────────────────────────────────────────

    def render_lines(self, crop: Region) -> list[Strip]:
        # The list's own style, worked out once per paint rather than for each line:
        # it walks the styles of every ancestor, and costs as much as a row's render.
        self._paint_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._paint_style = None

    def render_line(self, y: int) -> Strip:
        scroll_x = round(self.scroll_x)
        width = self.scrollable_content_region.width
        base = self._paint_style or self.rich_style
        if y == 0:
            if self._header is None:
                self._header = header_strip(self.columns, self.app.console)
            style = base + self.get_component_rich_style("batch-list--header")
            return self._header.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)
        row = round(self.scroll_y) + y - 1
        if not self._rows:
            # A blank line between the header and the words, as a paragraph.
            words = self._empty_line(y - 2, width)
            if words is not None:
                return words.apply_style(base)
        if not 0 <= row < len(self._rows):
            return Strip.blank(width, base)
        strip = self._rows.strip(self._rows.order[row], self.columns, self.app.console)
        if row == self.cursor_row:
            style = base + self.get_component_rich_style("batch-list--cursor")
            # The cursor's colours replace the cells' own, as a selection should.
            return Strip(
                Segment.apply_style(
                    strip.crop_extend(scroll_x, scroll_x + width, None), post_style=style
                ),
                width,
            )
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base)
