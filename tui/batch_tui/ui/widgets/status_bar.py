"""The status line: connection, freshness, next poll, rate limit and the last error."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from batch_tui.clock import to_datetime
from batch_tui.format import clock_time, duration
from batch_tui.monitor.monitor import MonitorStatus
from batch_tui.ui.text import inert

STATE_STYLES = {
    "connecting": ("◌ connecting", "yellow"),
    "ok": ("● connected", "green"),
    "error": ("● error", "bold red"),
    "rate limited": ("● rate limited", "bold yellow"),
    "unauthorized": ("● unauthorized", "bold red"),
}


def _seconds(delta: float) -> str:
    seconds = max(0, round(delta))
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m"


def status_line(status: MonitorStatus, now: float, *, batches: int, active: int) -> Text:
    """One line of status text (server strings inert)."""
    label, style = STATE_STYLES.get(status.state, (status.state, ""))
    line = Text(label, style=style)
    if status.last_error:
        # First after the state: on a narrow terminal the end of the line is cut.
        line.append("  error: ", style="red")
        line.append_text(inert(status.last_error, "red", max_chars=120))
    if status.backing_off:
        line.append(f"  backing off ({status.backing_off})", style="yellow")
    line.append(f"  {batches} batches, {active} active", style="bold")
    if status.last_success is not None:
        line.append(
            f"  updated {clock_time(to_datetime(status.last_success))}"
            f" ({_seconds(now - status.last_success)} ago)"
        )
    if status.user_paused:
        line.append("  PAUSED (p resumes)", style="bold reverse yellow")
    elif status.state == "unauthorized":
        line.append("  polling stopped, r retries", style="bold")
    elif status.paused_until is not None and status.paused_until > now:
        line.append(f"  429: paused {_seconds(status.paused_until - now)}", style="bold yellow")
    elif status.next_poll is not None:
        line.append(f"  next poll in {_seconds(status.next_poll - now)}")
    line.append(f"  every {status.interval:g}s", style="dim")
    if abs(status.effective_interval - status.interval) > 0.05:
        allowed = status.effective_interval
        pace = f"{allowed:.3g}s" if allowed < 60 else duration(timedelta(seconds=allowed))
        line.append(f" (budget allows {pace})", style="yellow")
    line.append(f"  {status.requests_last_minute} req/min", style="dim")
    limits = status.rate_limit
    if limits.remaining is not None and limits.limit is not None:
        line.append(f"  rate {limits.remaining}/{limits.limit}")
        if limits.reset is not None and limits.reset > now:
            line.append(f" reset {_seconds(limits.reset - now)}", style="dim")
    return line


class StatusBar(Widget):
    """A one-line status bar between the panes and the footer.

    Drawn with the Line API from one cached strip: it changes every second (its
    clocks), so it should cost as little as a line can.
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: Text | None = None
        self._strip: Strip | None = None

    @property
    def text(self) -> str:
        """What the status line says."""
        return self._shown.plain if self._shown is not None else ""

    def show(self, status: MonitorStatus, now: float, *, batches: int, active: int) -> None:
        """Render the status line for ``now`` (nothing to do when it reads the same)."""
        line = status_line(status, now, batches=batches, active=active)
        if line != self._shown:
            self._shown, self._strip = line, None
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        if y or self._shown is None:
            return Strip.blank(width, self.rich_style)
        if self._strip is None:
            line = self._shown.copy()
            line.no_wrap = True
            self._strip = Strip(list(line.render(self.app.console)))
        return self._strip.crop_extend(0, width, self.rich_style).apply_style(self.rich_style)
