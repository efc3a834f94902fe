"""The watch list: ``a`` follows a batch id (remembered between runs), ``x`` stops.

Ids named on the command line are followed for that run only: only ``a`` adds
to what is remembered."""

from __future__ import annotations

from textual.widget import Widget

from batch_tui.integrations.watchlist import WatchList
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.ui.text import plain


class Watching:
    """Adds and removes watched ids on the monitor, and remembers them."""

    def __init__(
        self, node: Widget, monitor: BatchMonitor, watchlist: WatchList | None = None
    ) -> None:
        self.node = node
        self.monitor = monitor
        self.watchlist = watchlist
        """Where watched ids are remembered (None: not remembered)."""

    def ask(self) -> None:
        """Ask for a batch id, then follow it."""
        from batch_tui.ui.dialogs.add_watch import AddWatch  # loaded when first needed

        self.node.app.push_screen(AddWatch(), callback=self.watch)

    def watch(self, batch_id: str | None) -> None:
        """Follow this batch, now and in later runs."""
        if not batch_id:
            return
        self.monitor.watch(batch_id)
        problem = self.watchlist.add(batch_id) if self.watchlist is not None else None
        if problem:
            self.node.notify(
                f"Watching {plain(batch_id)} for this run only: {plain(problem)}",
                severity="warning",
                timeout=8,
                markup=False,
            )
            return
        self.node.notify(f"Watching {plain(batch_id)}.", timeout=3, markup=False)

    def unwatch(self, batch_id: str | None) -> None:
        """Stop following this batch by name (a batch the API lists stays listed)."""
        if batch_id is None or batch_id not in self.monitor.watched:
            self.node.notify(
                "This batch is shown because the API lists it; only added ids can be unwatched.",
                severity="warning",
            )
            return
        self.monitor.unwatch(batch_id)
        problem = self.watchlist.discard(batch_id) if self.watchlist is not None else None
        if problem:
            self.node.notify(
                f"Stopped watching {plain(batch_id)} for this run only: {plain(problem)}",
                severity="warning",
                timeout=8,
                markup=False,
            )
            return
        self.node.notify(f"Stopped watching {plain(batch_id)}.", timeout=3, markup=False)
