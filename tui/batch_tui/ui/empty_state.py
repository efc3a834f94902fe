"""What the dashboard says where there is nothing to show: in the list's place (the
reason, with the server's host and its full error) and in the panes beside it.

Pure functions of the monitor's status, the view and the counts: easy to test, and
the one place the words live.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from rich.text import Text

from batch_tui.monitor.monitor import MonitorStatus
from batch_tui.ui.state import Counts
from batch_tui.ui.text import inert, plain
from batch_tui.ui.view import ListView

#: The panes' words while the list shows a batch (the cursor is always on one then).
NO_BATCH = "No batch highlighted."


def host_of(base_url: str) -> str:
    """The server's host (and port) as the user typed it; never any user info. An IPv6
    address keeps its brackets, so its port stays readable: ``[::1]:8080``."""
    parts = urlsplit(base_url)
    host = parts.hostname or base_url
    if ":" in host and parts.hostname:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a port: the URL is shown as its host alone
        port = None
    return f"{host}:{port}" if port else host


@dataclass(frozen=True)
class Empty:
    """What to say in the list's place (None: the list has rows) and in the panes."""

    list: Text | None = None
    panes: str = NO_BATCH


def empty_state(
    status: MonitorStatus, counts: Counts, view: ListView, host: str, refresh_key: str = "r"
) -> Empty:
    """The words for an empty list, by why it is empty."""
    if counts.shown:
        return Empty()
    safe_host = plain(host)
    if counts.total and not view.is_default:
        what = inert(view.describe(), max_chars=200)
        text = Text.assemble(("No batch matches ", "bold"), what)
        text.append(
            f"\n{counts.total:,} batches are loaded; Escape clears the find, "
            "s steps the status filter."
        )
        return Empty(text, "No batch matches the filter.")
    if status.state == "unauthorized":
        return Empty(
            Text(f"{safe_host} rejected the API key.", style="bold"),
            f"No batch to show: {safe_host} rejected the API key.",
        )
    if status.last_success is None and status.state in ("error", "rate limited"):
        text = Text.assemble((f"Cannot reach {safe_host}", "bold"))
        if status.last_error:
            text.append("\n")
            text.append_text(inert(status.last_error, "red", max_chars=2000))
        text.append(
            f"\nRetrying on its own; {refresh_key} tries now. Check --base-url "
            "(or the profile's base_url) if this persists."
        )
        return Empty(text, f"No batch to show: {safe_host} cannot be reached.")
    if status.last_success is None:
        return Empty(Text(f"Connecting to {safe_host}…"), f"Waiting for {safe_host}…")
    return Empty(Text(f"No batches on {safe_host} yet."), f"No batches on {safe_host} yet.")
