"""The key bar at the foot of a screen: what Textual's footer shows, drawn by one widget.

Textual's ``Footer`` is a container of a widget per key, and it builds them all again
at every signal that the screen's bindings may have changed: the focus moving, a
screen pushed, the keymap set, a class toggled. Each signal schedules a rebuild of
its own, and a dashboard starting up sends five of them: the keys were built five
times before the first rows could be drawn, and the footer's widgets were two fifths of
the first frame's work. ``KeyBar`` is one line drawn by one widget. It looks at the
bindings once per burst of signals, draws again only when the keys it shows changed,
and looks and behaves as Textual's footer does: the same words, colours and order,
the command palette's key on the right, a key under the mouse lit, a click runs it
(a bell for one that does not apply now), its tooltip on hover, and keys too many
for the width scrolled sideways by the mouse wheel.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

#: Cells the keys move by at each step of the mouse wheel, when they overflow.
SCROLL_STEP = 4


@dataclass(frozen=True, slots=True)
class Key:
    """One key as the bar shows it."""

    key: str
    """The key pressed to run it (what a click simulates)."""
    display: str
    """How the key is written (``⏎``, ``?``, a rebound key)."""
    description: str
    enabled: bool
    tooltip: str


class KeyBar(Widget, can_focus=False):
    """The screen's keys in one line, as Textual's ``Footer`` shows them (see the module
    docstring); drawn again only when the keys or the key under the mouse change."""

    ALLOW_SELECT = False

    COMPONENT_CLASSES = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--hover",
        "key-bar--edge",
    }

    # The colours of Textual's footer and its keys (``FooterKey``), by the same variables.
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        &:hover {
            pointer: pointer;
        }
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-bar--hover {
            background: $block-hover-background;
        }
        & > .key-bar--edge {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keys: tuple[Key, ...] = ()
        """The keys shown, left to right (the command palette's not among them)."""
        self.palette: Key | None = None
        """The command palette's key, shown on the right (None: not offered)."""
        self._looking = False
        """A look at the bindings is scheduled (more signals add nothing to it)."""
        self._hover: int | None = None
        """The index of the key under the mouse (``len(keys)``: the palette's)."""
        self._spans: list[tuple[int, int]] = []
        """Where each key was drawn: (first cell, end) by index, as ``_hover``."""
        self._shift = 0
        """Cells of keys scrolled out on the left (the mouse wheel, when they overflow)."""
        self._overflow = 0
        """Cells of keys that did not fit, at the last drawing."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        """The screen's bindings may have changed: look once, after the next refresh."""
        if self.is_attached and screen is self.screen and not self._looking:
            self._looking = True
            self.call_after_refresh(self._look)

    def _look(self) -> None:
        self._looking = False
        if not self.is_attached:
            return
        keys, palette = self._read_keys()
        if (keys, palette) != (self.keys, self.palette):
            self.keys, self.palette = keys, palette
            self._set_hover(None)
            self.refresh()

    def _read_keys(self) -> tuple[tuple[Key, ...], Key | None]:
        """The keys Textual's footer would show now (``Footer.compose``): the first
        binding of each action shown, in order; and the command palette's."""
        app = self.app
        active = self.screen.active_bindings
        keys: dict[str, Key] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in keys:
                keys[binding.action] = Key(
                    binding.key,
                    app.get_key_display(binding),
                    binding.description,
                    enabled,
                    tooltip or "",
                )
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = Key(
                binding.key,
                app.get_key_display(binding),
                binding.description,
                enabled,
                binding.tooltip or binding.description,
            )
        return tuple(keys.values()), palette

    # ── drawing ──────────────────────────────────────────────────────────────

    def _key_segments(self, key: Key, hovered: bool, *, compact: bool) -> list[Segment]:
        """A key as ``FooterKey`` draws it: the key padded (not in the compact form the
        palette's key has), then its words; dim when it does not apply now."""
        key_style = self.get_component_rich_style("key-bar--key")
        words_style = self.get_component_rich_style("key-bar--description")
        if hovered:
            lit = Style(bgcolor=self.get_component_rich_style("key-bar--hover").bgcolor)
            key_style, words_style = key_style + lit, words_style + lit
        if not key.enabled:
            key_style, words_style = key_style + Style(dim=True), words_style + Style(dim=True)
        if not key.description:
            return [Segment(key.display, key_style)]
        if compact:
            return [Segment(key.display, key_style), Segment(f" {key.description}", words_style)]
        return [Segment(f" {key.display} ", key_style), Segment(f"{key.description} ", words_style)]

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        base = self.rich_style
        if y:
            return Strip.blank(width, base)
        spans: list[tuple[int, int]] = []
        segments: list[Segment] = []
        at = 0
        for index, key in enumerate(self.keys):
            drawn = self._key_segments(key, self._hover == index, compact=False)
            length = sum(segment.cell_length for segment in drawn)
            spans.append((at, at + length))
            segments.extend(drawn)
            at += length
        line = Strip(segments, at)
        right: Strip | None = None
        room = width
        if self.palette is not None:
            hovered = self._hover == len(self.keys)
            edge = Segment("▏", self.get_component_rich_style("key-bar--edge"))
            drawn = [edge, *self._key_segments(self.palette, hovered, compact=True)]
            drawn.append(Segment(" ", Style(bgcolor=base.bgcolor)))  # the footer's padding
            right = Strip(drawn)
            room = max(0, width - right.cell_length)
        self._overflow = max(0, at - room)
        shift = self._shift = min(self._shift, self._overflow)
        line = line.crop_extend(shift, shift + room, base)
        spans = [(max(0, a - shift), min(b - shift, room)) for a, b in spans]
        if right is not None:
            spans.append((room, width))
            line = Strip.join([line, right])
        self._spans = spans
        return line.crop_extend(0, width, base).apply_style(base)

    # ── the mouse ────────────────────────────────────────────────────────────

    def _key_at(self, x: int) -> int | None:
        return next((i for i, (a, b) in enumerate(self._spans) if a <= x < b), None)

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            key = self._key(index)
            self.tooltip = None if key is None else (key.tooltip or key.description)
            self.refresh()

    def _key(self, index: int | None) -> Key | None:
        if index is None:
            return None
        if index < len(self.keys):
            return self.keys[index]
        return self.palette

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._key_at(event.x))

    def on_leave(self) -> None:
        self._set_hover(None)

    def _scroll(self, event: events.MouseEvent, cells: int) -> None:
        shift = max(0, min(self._overflow, self._shift + cells))
        if shift != self._shift:
            self._shift = shift
            self._set_hover(None)
            self.refresh()
            event.stop()  # the wheel moved the keys, not the screen

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scroll(event, SCROLL_STEP)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scroll(event, -SCROLL_STEP)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self._key(self._key_at(event.x))
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
