"""How batch states look: one colour per status, shared by every widget."""

from __future__ import annotations

from rich.text import Text

from batch_tui.format import MISSING, percent
from batch_tui.ui.text import inert

#: Mid-tone colours, readable on dark and light themes alike (and mapped to the
#: nearest of 256 colours, or dropped under NO_COLOR, by the terminal layer).
STATUS_STYLES: dict[str, str] = {
    "pending": "grey50",
    "validating": "dodger_blue2",
    "processing": "bold dark_orange",
    "completed": "green3",
    "failed": "bold red3",
    "cancelled": "medium_purple",
}
#: The marks that take a status's place in the list: no movement for the stall
#: threshold, and a completed batch whose counts do not add up.
STALLED_STYLE = "bold black on yellow"
INCOMPLETE_STYLE = "bold black on dark_orange"
#: A status the API does not document is shown as sent, in italics.
UNKNOWN_STATUS_STYLE = "italic"


def status_text(status: str | None) -> Text:
    """The status, literally, in its colour."""
    if status is None:
        return Text(MISSING, style="dim")
    return inert(status, STATUS_STYLES.get(status, UNKNOWN_STATUS_STYLE), max_chars=40)


def progress_bar(fraction: float | None, width: int = 8, status: str | None = None) -> Text:
    """A bar of ``width`` cells and a percentage: ``█████░░░ 62%``. The bar is green
    when done, in the processing colour only while processing, grey otherwise (a
    pending batch's empty bar is not 'in progress'); the figures keep the text colour."""
    if fraction is None:
        return Text(" " * width + f" {MISSING:>4}", style="dim")
    filled = round(fraction * width)
    colour = (
        "green3" if fraction >= 1 else "dark_orange" if status in (None, "processing") else "grey50"
    )
    bar = Text()
    bar.append("█" * filled, style=colour)
    bar.append("░" * (width - filled), style="grey50")
    bar.append(f" {percent(fraction):>4}")
    return bar
