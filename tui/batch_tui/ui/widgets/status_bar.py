"""The status line: connection, freshness, next poll, rate limit and the last error."""

from __future__ import annotations

from datetime import timedelta

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.geometry import Region
from textual.reactive import reactive, var
from textual.strip import Strip
from textual.widget import Widget

from batch_tui.core.clock import to_datetime
from batch_tui.core.format import clock_time, duration
from batch_tui.monitor.monitor import BulkProgress, MonitorStatus
from batch_tui.monitor.snapshot import STALE_AFTER
from batch_tui.ui.state import Counts
from batch_tui.ui.text import inert
from batch_tui.ui.widgets.segments import text_strip

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


def is_stale(status: MonitorStatus, now: float) -> bool:
    """The data on screen is old: nothing has succeeded for three intervals (as the
    budget allows them, or three discovery periods while no batch can change), or,
    once connected, nothing ever has."""
    if status.last_success is None:
        return status.state != "connecting"
    planned = max(status.interval, status.effective_interval, status.planned_gap)
    return now - status.last_success > STALE_AFTER * planned


def _state(status: MonitorStatus, now: float, stopped: str | None) -> Text:
    """The state, then how fresh the data is: first, so no width ever cuts them. The
    state turns yellow (red stays red) when the data is stale."""
    stale = is_stale(status, now)
    if stopped:
        # The loop is down: whatever the last poll said is no longer news.
        line = Text("● ", style="bold red")
        line.append_text(inert(stopped, "bold red", max_chars=200))
    else:
        label, style = STATE_STYLES.get(status.state, (status.state, ""))
        if stale and "red" not in style:
            style = "bold yellow"
        line = Text()
        line.append(label, style=style)
    if status.last_success is not None:
        updated = to_datetime(status.last_success)
        line.append(
            f"  updated {clock_time(updated)} ({_seconds(now - status.last_success)} ago)",
            style="bold yellow" if stale else "",
        )
        if stale:
            line.append(" stale", style="bold yellow")
    elif stale:
        line.append("  no data yet", style="bold yellow")
    return line


def _cancelling(progress: BulkProgress, now: float) -> Text:
    """ "cancelling 4 of 12", and why the next one waits, while a cancel of many runs."""
    text = Text("  ")
    text.append(f"cancelling {progress.current} of {progress.total}", style="bold reverse")
    if progress.waiting_until is not None and progress.waiting_until > now:
        wait = _seconds(progress.waiting_until - now)
        text.append(f" (next in {wait}, within the rate limit)", style="yellow")
    return text


def pace_text(seconds: float) -> str:
    """A poll interval as read at a glance: ``0.6s``, ``12s``, ``2m 30s``."""
    if seconds < 10:
        return f"{max(seconds, 0.1):.1f}s".replace(".0s", "s")
    if seconds < 60:
        return f"{seconds:.0f}s"
    return duration(timedelta(seconds=seconds))


def status_line(
    status: MonitorStatus,
    now: float,
    *,
    batches: int,
    active: int,
    stopped: str | None = None,
    marked: int = 0,
    profile: Text | None = None,
) -> Text:
    """One line of status text (server strings inert); ``stopped`` says the poll loop
    is down. The profile's name (in its colour) comes first, then state and
    freshness, and error text last, so a narrow terminal cuts the error, never
    which service this is or whether the data can be trusted."""
    line = Text()
    if profile is not None:
        line.append_text(profile)
        line.append("  ")
    line.append_text(_state(status, now, stopped))
    line.append(f"  {batches:,} batches, {active:,} active", style="bold")
    if status.team:
        # Which part this dashboard plays in its team: the one polling, or a follower.
        line.append("  ⇄ ", style="dim")
        line.append_text(inert(status.team, "dim", max_chars=120))
    if status.history:
        line.append(f" ({status.history})", style="dim")
    if marked:
        line.append(f"  ✓ {marked:,} marked", style="bold")
    if status.cancelling is not None:
        line.append_text(_cancelling(status.cancelling, now))
    if status.user_paused:
        line.append("  PAUSED (p resumes)", style="bold reverse yellow")
    elif status.state == "unauthorized":
        line.append("  polling stopped, r retries", style="bold")
    elif status.paused_until is not None and status.paused_until > now:
        line.append(f"  429: paused {_seconds(status.paused_until - now)}", style="bold yellow")
    elif status.next_poll is not None and not stopped:
        line.append(f"  next poll in {_seconds(status.next_poll - now)}")
    if status.failures_in_a_row:
        line.append(f"  retrying: {status.failures_in_a_row} failed in a row", style="yellow")
    line.append(f"  every {status.interval:g}s", style="dim")
    if abs(status.effective_interval - status.interval) > 0.05:
        allowed = status.effective_interval
        pace = pace_text(allowed)
        line.append(f" (budget allows {pace})", style="yellow")
    line.append(f"  {status.requests_last_minute} req/min", style="dim")
    limits = status.rate_limit
    if limits.remaining is not None and limits.limit is not None:
        line.append(f"  rate {limits.remaining}/{limits.limit}")
        if limits.reset is not None and limits.reset > now:
            line.append(f" reset {_seconds(limits.reset - now)}", style="dim")
    if status.notice:
        line.append("  ⚠ ", style="bold yellow")
        line.append_text(inert(status.notice, "yellow", max_chars=200))
    if status.last_error and not stopped:
        line.append("  ✗ ", style="red")
        line.append_text(inert(status.last_error, "red", max_chars=200))
    return line


def changed_span(old: Strip, new: Strip) -> tuple[int, int] | None:
    """The cells from the first segment to the last that differ between two renderings
    of the line, as (start, end); (0, 0) when none does; None when the whole line must
    be drawn again (its width changed)."""
    if old.cell_length != new.cell_length:
        return None
    before, after = list(old), list(new)
    if before == after:
        return (0, 0)
    shorter = min(len(before), len(after))
    head = 0
    while head < shorter and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < shorter - head and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    start = sum(cell_len(segment.text) for segment in before[:head])
    end = old.cell_length - sum(cell_len(segment.text) for segment in before[len(before) - tail :])
    if head < len(before) - tail and head < len(after) - tail:
        # Within the first and last segments that differ, the words they share.
        first, again = before[head], after[head]
        if first.style == again.style:
            start += cell_len(_shared(first.text, again.text))
        last, again = before[-1 - tail], after[-1 - tail]
        if last.style == again.style:
            end -= cell_len(_shared(last.text[::-1], again.text[::-1]))
    return (start, max(start, end))


def _shared(a: str, b: str) -> str:
    """The longest start two strings share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


class StatusBar(Widget):
    """A one-line status bar between the panes and the footer.

    Its inputs are bound from the screen; the line is rebuilt when one of them
    changes, and of the line only the cells that read differently are redrawn: once a
    second that is the "next poll in" countdown and the "ago", a few cells, with no
    layout pass. Drawn with the Line API from one cached strip: the clocks move every
    second, so the line should cost as little as a line can.
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    status: var[MonitorStatus] = var(MonitorStatus, init=False)
    """What the monitor says about polling."""
    now: var[float] = var(0.0, init=False)
    """The time the clocks on the line are shown against."""
    counts: var[Counts] = var(Counts, init=False)
    """How many batches there are, and how many are still running."""
    stopped: var[str | None] = var(None, init=False)
    """Why the poll loop is down, while it is."""
    line: reactive[Text] = reactive(Text, init=False, repaint=False)
    """What the status line says (``watch_line`` repaints what changed)."""

    def __init__(self, *, profile: Text | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        """The profile's name in its colour, first on the line (None: no profile)."""
        self._strip: Strip | None = None
        self._fitted: tuple[int, Strip] | None = None
        self._stale = False

    @property
    def text(self) -> str:
        """What the status line says, as plain text."""
        self._write_line()
        return self.line.plain

    def _inputs_changed(self) -> None:
        # A poll moves several inputs in one handler (the status, the counts, the
        # time): the line is made once, after it, not once for each.
        if not self._stale:
            self._stale = True
            self.call_later(self._write_line)

    watch_status = watch_now = watch_counts = watch_stopped = _inputs_changed

    def _write_line(self) -> None:
        if not self._stale:
            return
        self._stale = False
        self.line = status_line(
            self.status,
            self.now,
            batches=self.counts.total,
            active=self.counts.active,
            stopped=self.stopped,
            marked=self.counts.marked,
            profile=self.profile,
        )

    def watch_line(self) -> None:
        old = self._strip
        self._strip = self._fitted = None
        if old is None or not self.is_mounted:
            self.refresh()
            return
        span = changed_span(old, self._line_strip())
        if span is None:
            self.refresh()
        elif span[1] > span[0]:
            left = self.styles.gutter.left
            self.refresh(Region(left + span[0], 0, span[1] - span[0], 1))

    def _line_strip(self) -> Strip:
        """The line rendered, made once per new line."""
        if self._strip is None:
            self._strip = text_strip(self.line, self.app.console)
        return self._strip

    def _fit(self, width: int) -> Strip:
        """The line as it fits ``width``; a line cut short ends in an ellipsis, so a
        cut figure ("rate 190/200" shown as "rate 190/20") never passes for a whole one."""
        strip = self._line_strip()
        if strip.cell_length <= width:
            return strip
        if self._fitted is None or self._fitted[0] != width:
            kept = strip.crop(0, max(0, width - 1))
            self._fitted = (width, Strip([*kept, Segment("…")], width))
        return self._fitted[1]

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        style = self.rich_style  # worked out from every ancestor's styles: once
        if y or not self.line:
            return Strip.blank(width, style)
        strip = self._fit(width)
        return strip.crop_extend(0, width, style).apply_style(style)
