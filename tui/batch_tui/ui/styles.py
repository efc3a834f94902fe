"""How batch states look: one colour per status, shared by every widget."""

from __future__ import annotations

from rich.text import Text

from batch_tui.format import MISSING, percent
from batch_tui.ui.text import inert

STATUS_STYLES: dict[str, str] = {
    "pending": "bright_black",
    "validating": "cyan",
    "processing": "bold yellow",
    "completed": "green",
    "failed": "bold red",
    "cancelled": "medium_purple1",
}
#: A status the API does not document is shown as sent, in italics.
UNKNOWN_STATUS_STYLE = "italic"


def status_text(status: str | None) -> Text:
    """The status, literally, in its colour."""
    if status is None:
        return Text(MISSING, style="dim")
    return inert(status, STATUS_STYLES.get(status, UNKNOWN_STATUS_STYLE), max_chars=40)


def progress_bar(fraction: float | None, width: int = 8) -> Text:
    """A bar of ``width`` cells and a percentage: ``█████░░░ 62%``."""
    if fraction is None:
        return Text(" " * width + f" {MISSING:>4}", style="dim")
    filled = round(fraction * width)
    bar = Text("█" * filled, style="green" if fraction >= 1 else "yellow")
    bar.append("░" * (width - filled), style="bright_black")
    bar.append(f" {percent(fraction):>4}")
    return bar
