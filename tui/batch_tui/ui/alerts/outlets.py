"""Where the monitor's batch events go besides the on-screen alerts: the desktop
(through the terminal) and the ``on_event`` hook. One stream, read once per change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import App

from batch_tui.monitor.alarms import BatchEvent
from batch_tui.ui.alerts.desktop import DesktopNotifier
from batch_tui.ui.text import plain

if TYPE_CHECKING:
    # Hooks are loaded only when the config file names one (``session._hooks``).
    from batch_tui.integrations.hooks import HookRunner

#: A hook's problems stay on screen this many seconds.
HOOK_PROBLEM_TIMEOUT = 15


class Outlets:
    """Hands each change's events to the desktop notifier and the hook runner."""

    def __init__(
        self,
        app: App,
        *,
        notify: str = "none",
        hooks: HookRunner | None = None,
        read_only: bool = False,
    ) -> None:
        self.app = app
        self.desktop = DesktopNotifier(app, notify, read_only=read_only)
        self.hooks = hooks
        if hooks is not None:
            hooks.report = self._hook_problem

    def tell(self, events: Sequence[BatchEvent]) -> None:
        """Pass these events on (call on the app's event loop)."""
        if not events:
            return
        self.desktop.tell(events)
        if self.hooks is not None:
            self.hooks.submit(events)

    def _hook_problem(self, message: str) -> None:
        self.app.notify(
            plain(message),
            title="Hook",
            severity="warning",
            timeout=HOOK_PROBLEM_TIMEOUT,
            markup=False,
        )

    def close(self) -> None:
        """Stop the hook runner (a running hook is killed)."""
        if self.hooks is not None:
            self.hooks.close()
