"""Lines above the list that appear only when they have something to say: the
key-rejected banner and the filter line."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static

from batch_tui.monitor.monitor import MonitorStatus
from batch_tui.ui.state import Counts
from batch_tui.ui.text import inert
from batch_tui.ui.view import ListView


def banner_text(status: MonitorStatus, refresh_key: str = "r") -> Text | None:
    """What the banner says (None: no banner): only when the key was rejected."""
    if status.state != "unauthorized":
        return None
    text = Text("API key rejected: ", style="bold")
    text.append_text(inert(status.last_error_message or "no reason given", max_chars=300))
    text.append(f"  Polling stopped; press {refresh_key} to try again.")
    return text


def view_text(view: ListView, counts: Counts) -> Text | None:
    """What the filter line says (None: no line): only when the list is filtered or sorted."""
    if view.is_default:
        return None
    if counts.not_loaded:
        # A find looks through what is loaded: say how much that is, and what is not.
        text = Text(
            f"showing {counts.shown:,} of {counts.loaded:,} loaded · "
            f"{counts.not_loaded:,} not loaded yet · "
        )
    else:
        text = Text(f"showing {counts.shown:,} of {counts.total:,} · ")
    text.append_text(inert(view.describe(), max_chars=200))
    return text


def new_above_text(count: int) -> Text | None:
    """What the line above the list says of new batches out of sight above it."""
    if count <= 0:
        return None
    noun, them = ("batch", "it") if count == 1 else ("batches", "them")
    return Text(f"↑ {count:,} new {noun} above — Home to see {them}", style="bold")


class Notice(Static):
    """A line shown only while ``message`` is set."""

    message: var[Text | None] = var(None)
    """What the line says; None hides it."""

    def watch_message(self, message: Text | None) -> None:
        if message is not None:
            self.update(message)
        self.display = message is not None


class Banner(Notice):
    """The key-rejected banner (bound to the monitor's status)."""

    status: var[MonitorStatus] = var(MonitorStatus, init=False)
    """What the monitor says about polling."""

    def watch_status(self, status: MonitorStatus) -> None:
        from batch_tui.ui.commands import key_of  # the commands table holds this widget's screen

        self.message = banner_text(status, key_of(self, "refresh"))


class ViewLine(Notice):
    """ "showing 3 of 12 · status: failed · sort: cost ↓" (bound to the view and counts)."""

    view: var[ListView] = var(ListView, init=False)
    """The list's filter and order."""
    counts: var[Counts] = var(Counts, init=False)
    """How many batches there are and how many the list shows."""

    def _describe(self) -> None:
        self.message = view_text(self.view, self.counts)

    watch_view = watch_counts = _describe


class NewAboveLine(Notice):
    """ "↑ 3 new batches above — Home to see them" (bound to the dashboard's count)."""

    new_above: var[int] = var(0, init=False)
    """New batches out of sight above the list's first row on screen."""

    def watch_new_above(self, count: int) -> None:
        self.message = new_above_text(count)
