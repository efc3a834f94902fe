"""``h`` on the dashboard: the history screen, and the list filtered to the day chosen.

When the store is off there is no history: one line says why, in the words the
status line uses.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget

from batch_tui.core.clock import Clock
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.ui.view import FinishedOn


class HistoryBrowsing:
    """The dashboard's ``h``: opens the last 30 days, and hands on the day chosen."""

    def __init__(
        self,
        node: Widget,
        monitor: BatchMonitor,
        clock: Clock,
        show_day: Callable[[FinishedOn], None],
        partial: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.node = node
        """Where the history screen is shown from."""
        self.monitor = monitor
        self.clock = clock
        self.show_day = show_day
        """Shows only the batches that finished on a day (the dashboard's filter)."""
        self.partial = partial
        """How much of the history is loaded, while not all of it is (None: all)."""

    def open(self) -> None:
        """The last 30 days from the local store, or why there are none."""
        link = self.monitor.store
        reader = link.history()
        if reader is None:
            self.node.notify(
                f"No history: {link.off_reason}", severity="warning", timeout=6, markup=False
            )
            return
        from batch_tui.ui.screens.history import HistoryScreen  # loaded when first needed

        partial = self.partial()
        self.node.app.push_screen(HistoryScreen(reader, self.clock, partial), self.chosen)

    def chosen(self, day: FinishedOn | None) -> None:
        """Show only the batches that finished on the day chosen (Escape clears it)."""
        if day is not None:
            self.show_day(day)
