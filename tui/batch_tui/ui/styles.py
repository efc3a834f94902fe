"""How batch states look: one colour per status, shared by every widget."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.color import Color, ColorParseError
from textual.theme import Theme
from textual.widget import Widget

from batch_tui.core.format import MISSING, percent
from batch_tui.ui.text import inert

#: Colours for dark themes (mapped to the nearest of 256 colours, or dropped under
#: NO_COLOR, by the terminal layer). The bar colours go with them.
DARK_PALETTE: dict[str, str] = {
    "pending": "grey50",
    "validating": "dodger_blue1",
    "processing": "bold dark_orange",
    "completed": "green3",
    "failed": "bold indian_red1",
    "cancelled": "medium_purple",
    "bar-done": "green3",
    "bar-active": "dark_orange",
}
#: The failure-rate alarm's cell: explicit shades (the terminal's "white" and "red"
#: are remapped by themes to a 2.4:1 pair); white on a deep red is over 5:1.
ALARM_CELL_STYLE = "bold grey100 on red3"
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


#: The least contrast a colour that carries meaning may have (WCAG's minimum for
#: large text and interface parts; the README promises it).
MIN_CONTRAST = 3.0


def contrast(first: Color, second: Color) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""

    def luminance(color: Color) -> float:
        channels = [c / 255 for c in color.rgb]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable_footer(variables: dict[str, str]) -> dict[str, str]:
    """The theme's CSS variables, with the footer's key colour darkened (on a light
    footer) or lightened (on a dark one) until it stands out 3:1: several light
    themes draw the keys at 1.9 to 2.9:1."""
    try:
        key = Color.parse(variables["footer-key-foreground"])
        background = Color.parse(variables["footer-background"])
    except (KeyError, ColorParseError):
        return variables
    if key.a < 1 or background.a < 1:
        return variables  # blended with what lies beneath: not ours to judge
    step = (lambda c: c.darken(0.05)) if background.brightness > 0.5 else (
        lambda c: c.lighten(0.05)
    )
    for _ in range(20):
        if contrast(key, background) >= MIN_CONTRAST + 0.1:
            break
        key = step(key)
    return {**variables, "footer-key-foreground": key.hex}


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
