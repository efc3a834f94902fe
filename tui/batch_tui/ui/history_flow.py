"""``h`` on the dashboard: the history screen, and the list filtered to the day chosen.

A mixin of the dashboard's, so its action is found where Textual looks for it.
When the store is off there is no history: one line says why, in the words the
status line uses.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, cast

from batch_tui.ui.view import FinishedOn

if TYPE_CHECKING:
    from batch_tui.ui.screens.dashboard import Dashboard


class HistoryActions:
    """The dashboard's ``h``."""

    def action_history(self) -> None:
        """The last 30 days from the local store, or why there are none."""
        dashboard = cast("Dashboard", self)
        link = dashboard.monitor.store
        reader = link.history()
        if reader is None:
            dashboard.notify(
                f"No history: {link.off_reason}", severity="warning", timeout=6, markup=False
            )
            return
        from batch_tui.ui.screens.history import HistoryScreen  # loaded when first needed

        counts = dashboard.counts
        partial = None
        if dashboard.monitor.status.history:
            partial = f"{counts.loaded:,} of {counts.total:,} batches loaded"
        screen = HistoryScreen(reader, dashboard.clock, partial)
        dashboard.app.push_screen(screen, self._day_chosen)

    def _day_chosen(self, day: FinishedOn | None) -> None:
        """Show only the batches that finished on the day chosen (Escape clears it)."""
        if day is not None:
            dashboard = cast("Dashboard", self)
            dashboard._set_view(replace(dashboard.view, day=day))
            dashboard.batch_list.focus()
