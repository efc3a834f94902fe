"""Rich text made into a line's segments directly, without Rich's render pass.

The list's rows and the status line are drawn again all day (a running batch's row
at each of its changes, the status line every second); Rich's render pass costs
several times what their simple texts need. Each character comes out in the style
Rich would give it (a test keeps it so).
"""

from __future__ import annotations

from operator import attrgetter

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.text import Span, Text
from textual.strip import Strip


def cell_segments(text: Text, width: int, console: Console) -> list[Segment]:
    """``text``'s segments, exactly ``width`` cells wide: cut (Rich's way, by its
    overflow) when longer, padded when shorter (on the left when it is justified
    right)."""
    length = cell_len(text.plain)
    if length > width:
        text = text.copy()
        text.truncate(width, overflow="ellipsis" if text.overflow == "ellipsis" else "crop")
        length = cell_len(text.plain)
    spans = sorted(text.spans, key=attrgetter("start"))
    if not _side_by_side(spans, len(text.plain)):
        # Styles layered on styles (a profile's own colours in the status line): Rich
        # works them out.
        cell = text.copy()
        cell.no_wrap = True
        cell.align("right" if text.justify == "right" else "left", width)
        return console.render_lines(cell, console.options.update_width(width), pad=False)[0]
    plain = text.plain
    base = console.get_style(text.style) if text.style else None
    gap = " " * (width - length)
    right = text.justify == "right"
    if not spans:
        return [Segment(gap + plain if right else plain + gap, base)]
    segments = [Segment(gap, base)] if right and gap else []
    at = 0
    for span in spans:
        if span.start > at:
            segments.append(Segment(plain[at : span.start], base))
        style = console.get_style(span.style)
        segments.append(Segment(plain[span.start : span.end], base + style if base else style))
        at = span.end
    if at < len(plain):
        segments.append(Segment(plain[at:], base))
    if gap and not right:
        segments.append(Segment(gap, base))
    return segments


def text_strip(text: Text, console: Console) -> Strip:
    """``text`` as one line at its own width (``cell_segments``): a line drawn once
    and kept until its words change."""
    width = text.cell_len
    return Strip(cell_segments(text, width, console), width)


def _side_by_side(spans: list[Span], length: int) -> bool:
    """True when no two of these spans (in order of their start) overlap and each
    covers some of the text: each run then has the cell's style and at most one
    span's."""
    end = 0
    for span in spans:
        if span.start < end or span.end <= span.start or span.end > length:
            return False
        end = span.end
    return True
