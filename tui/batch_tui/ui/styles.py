"""How batch states look: one colour per status, shared by every widget."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.theme import Theme
from textual.widget import Widget

from batch_tui.core.format import MISSING, percent
from batch_tui.ui.text import inert

#: Colours for dark themes (mapped to the nearest of 256 colours, or dropped under
#: NO_COLOR, by the terminal layer). The bar colours go with them.
DARK_PALETTE: dict[str, str] = {
    "pending": "grey50",
    "validating": "dodger_blue2",
    "processing": "bold dark_orange",
    "completed": "green3",
    "failed": "bold red3",
    "cancelled": "medium_purple",
    "bar-done": "green3",
    "bar-active": "dark_orange",
}
#: The marks that take a status's place in the list: no movement for the stall
#: threshold, and a completed batch whose counts do not add up.
STALLED_STYLE = "bold black on yellow"
INCOMPLETE_STYLE = "bold black on dark_orange"
#: Darker shades of the same hues for light themes, where the dark palette's
#: greens and oranges fall under a 3:1 contrast with the background.
LIGHT_PALETTE: dict[str, str] = {
    "pending": "grey35",
    "validating": "blue3",
    "processing": "bold orange4",
    "completed": "dark_green",
    "failed": "bold red3",
    "cancelled": "dark_violet",
    "bar-done": "green4",
    "bar-active": "orange4",
}
#: The palette in use; it follows the theme (``use_palette``).
STATUS_STYLES: dict[str, str] = dict(DARK_PALETTE)


def use_palette(*, light: bool) -> None:
    """Colour statuses for a light or a dark theme from now on."""
    STATUS_STYLES.clear()
    STATUS_STYLES.update(LIGHT_PALETTE if light else DARK_PALETTE)


def follow_theme(widget: Widget, restyle: Callable[[], None]) -> None:
    """Call ``restyle`` now and whenever the theme changes, once the palette that
    suits the theme is in use (each widget switching it makes the order moot)."""

    def changed(theme: Theme) -> None:
        use_palette(light=not theme.dark)
        restyle()

    changed(widget.app.current_theme)
    widget.app.theme_changed_signal.subscribe(widget, changed)


def unfollow_theme(widget: Widget) -> None:
    """Stop following the theme (call on unmount): the app's signal holds its
    subscribers' callbacks, and through them the widget, its screen and every row,
    for the app's life otherwise (a profile switch would leak a whole dashboard)."""
    widget.app.theme_changed_signal.unsubscribe(widget)


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
    active = status in (None, "processing")
    colour = STATUS_STYLES["bar-done" if fraction >= 1 else "bar-active" if active else "pending"]
    bar = Text()
    bar.append("█" * filled, style=colour)
    bar.append("░" * (width - filled), style="grey50")
    bar.append(f" {percent(fraction):>4}")
    return bar


def profile_text(name: str, color: str | None) -> Text:
    """A profile's name (the user's own text, shown literally) in its colour, bold."""
    return inert(name, f"bold {color}" if color else "bold", max_chars=40)
