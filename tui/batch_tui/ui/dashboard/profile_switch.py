"""``P``: switch to another profile of the config file without restarting.

The app owns the switch (it holds the monitor and the poll loop, ``BatchTUI.
switch_to``); the session supplies how a profile's settings are resolved and how a
monitor is built for them (``ui/connection.py``'s ``Switcher``). This is the
dashboard's side: the dialog, and what its answer does. A chosen profile is posted
up to the app as ``ProfileChosen``.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget

from batch_tui.ui.connection import Choice, Switcher, choices
from batch_tui.ui.messages import ProfileChosen
from batch_tui.ui.text import plain


class ProfileSwitching:
    """Opens the switcher from the dashboard and acts on the answer."""

    def __init__(
        self,
        node: Widget,
        switcher: Switcher | None,
        current: str | None,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self.node = node
        """Where the dialog is shown from and the choice is posted."""
        self.switcher = switcher
        """The config file's profiles (None: ``P`` has none)."""
        self.current = current
        """The profile in use."""
        self.busy = busy
        """True (having said why) when a switch now would cut work short."""

    def open(self) -> None:
        """Show the profiles; without any, say how to make some."""
        if self.busy():
            return
        if self.switcher is None or not self.switcher.names:
            self.node.notify(
                "No profiles: add [profiles.NAME] tables to the config file to switch services.",
                severity="warning",
                markup=False,
            )
            return
        from batch_tui.ui.dialogs.profiles import ProfilePicker  # loaded when first needed

        picker = ProfilePicker(choices(self.switcher, self.current))
        self.node.app.push_screen(picker, callback=self.chosen)

    def chosen(self, choice: Choice | None) -> None:
        """Reconnect to the chosen profile, unless it is the one in use or unusable."""
        if choice is None:
            return
        if choice.settings is None:
            self.node.notify(plain(choice.problem or ""), severity="error", markup=False)
        elif choice.current:
            self.node.notify(f"Already on {plain(choice.name)}.", timeout=3, markup=False)
        else:
            self.node.post_message(ProfileChosen(choice.settings))
