"""The key bar at the foot of a screen: Textual's footer, rebuilt only when its keys change.

Textual's footer is a widget per key, and it builds them all again at every signal
that the screen's bindings may have changed: the focus moving, a screen pushed, the
keymap set, a class toggled. Each signal schedules a rebuild of its own. A dashboard
starting up sends five of them in a moment, and the dozen keys were built five times
over before the first rows could be drawn: a tenth of a second of start-up. Here a
burst of signals makes one look after the next refresh, and the keys are built again
only when what they would show changed.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """Textual's ``Footer``, rebuilt at most once per burst of binding changes, and only
    when the keys it shows (their key, words, action, enabled state, tooltip) changed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._looking = False
        """A look at the bindings is scheduled (more signals add nothing to it)."""
        self._shown: tuple[object, ...] | None = None
        """What the keys were last built from."""

    def bindings_changed(self, screen: Screen) -> None:
        self.set_reactive(Footer._bindings_ready, True)  # what Textual's footer sets
        if not screen.app.app_focus:
            return  # as Textual's footer: an unfocused app's keys wait for its focus
        if self.is_attached and screen is self.screen and not self._looking:
            self._looking = True
            self.call_after_refresh(self._look)

    async def _look(self) -> None:
        self._looking = False
        if not self.is_attached:
            return
        shown = self._keys()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()

    def _keys(self) -> tuple[object, ...]:
        """Everything the footer's keys are built from (``Footer.compose``)."""
        bindings = tuple(
            (binding, self.app.get_key_display(binding), enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
        )
        return (bindings, self.show_command_palette, self.app.ENABLE_COMMAND_PALETTE)
