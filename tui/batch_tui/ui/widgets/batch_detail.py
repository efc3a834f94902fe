"""The detail pane: everything ``GET /v1/batch/:id`` says about the highlighted batch."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from functools import lru_cache

from rich.console import Console
from rich.text import Text
from textual.geometry import Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from batch_tui.core.clock import to_datetime
from batch_tui.core.format import (
    MISSING,
    clock_time,
    compact,
    count,
    duration,
    mapping,
    money,
    percent,
    relative,
    utc,
    weights,
)
from batch_tui.monitor.alarms import unaccounted
from batch_tui.monitor.insight import (
    MIN_SPAN,
    Progress,
    cost_per_success_cents,
    failure_rate,
    projected_cost_cents,
)
from batch_tui.monitor.monitor import Snapshot
from batch_tui.ui.empty_state import NO_BATCH
from batch_tui.ui.styles import (
    INCOMPLETE_STYLE,
    STALLED_STYLE,
    follow_theme,
    status_text,
    unfollow_theme,
)
from batch_tui.ui.text import inert
from batch_tui.ui.widgets.segments import text_strip


def _when(moment: datetime | None, now: datetime) -> Text:
    if moment is None:
        return Text(MISSING, style="dim")
    text = Text(utc(moment))
    text.append(f"  ({relative(moment, now)})", style="dim")
    return text


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """Tiny bars for a series: ``▁▃▇█``."""
    top = max(values, default=0)
    if top <= 0:
        return ""
    return "".join(
        SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1) + 0.5))] for v in values
    )


def rough_duration(seconds: float) -> str:
    """An estimate, as precise as it deserves: ``about 40s``, ``about 7m``, ``about 1h 05m``."""
    if seconds < 60:
        return f"about {max(10, round(seconds / 10) * 10):.0f}s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes}m"
    return f"about {minutes // 60}h {minutes % 60:02d}m"


def insight_rows(batch, progress: Progress | None) -> list[tuple[Text, Text]]:
    """Throughput, ETA, burn rate and projections for a batch still running."""
    rate = progress.items_per_minute() if progress else None
    eta = progress.eta_seconds(batch.total_items) if progress else None
    burn = progress.cents_per_minute() if progress else None
    # Rounded, so the pane redraws when the pace really moves, not on every poll.
    pace = Text(
        MISSING
        if rate is None
        else f"{rate:,.0f} items/min"
        if rate >= 10
        else f"{rate:.1f} items/min"
    )
    spark = sparkline(progress.sparkline()) if progress is not None else ""
    if spark:
        pace.append(f"  {spark}", style="dodger_blue2")
    pace.append("  ETA ")
    pace.append(MISSING if eta is None else rough_duration(eta))
    if rate is None:
        pace.append(f"  (after {MIN_SPAN / 60:g} min of history)", style="dim")
    spend = Text(MISSING if burn is None else f"{money(burn)}/min")
    projected = projected_cost_cents(
        batch.total_cost_cents, batch.processed_items, batch.total_items
    )
    spend.append(f"  projected {money(projected)}")
    per_success = cost_per_success_cents(batch.total_cost_cents, batch.success_count)
    spend.append(f"  {money(per_success)} per success", style="dim")
    return [(Text("Pace"), pace), (Text("Burn"), spend)]


Rows = list[tuple[Text, Text]]


def _warning_rows(snapshot: Snapshot, now: datetime) -> Rows:
    """Stale data and unusable fields, said plainly."""
    batch = snapshot.batch
    rows: Rows = []
    if snapshot.not_found:
        gone = Text("not found", style="bold red")
        gone.append(" · the server has no batch with this id (for this key) · ")
        gone.append_text(inert(snapshot.error or "", max_chars=300))
        rows.append((Text("Data", style="bold red"), gone))
    elif snapshot.is_stale(now.timestamp()):
        warning = Text("stale", style="bold yellow")
        warning.append(f" · last good data {clock_time(to_datetime(snapshot.updated_at))} · ")
        if snapshot.error:
            warning.append_text(inert(snapshot.error, max_chars=300))
        else:
            warning.append(
                f"not refreshed for {duration(timedelta(seconds=snapshot.age(now.timestamp())))}"
            )
        rows.append((Text("Data", style="bold yellow"), warning))
    else:
        # Always a Data row, so the rows below never move as data goes stale and back.
        every = snapshot.planned_interval
        rows.append(
            (
                Text("Data"),
                Text(
                    "final: it will not change"
                    if batch.is_terminal
                    else f"current · refreshed every {every:g}s"
                    if every
                    else "current",
                    style="dim",
                ),
            )
        )
    if batch.bad_fields:
        bad = Text("bad data", style="bold magenta")
        bad.append(" · the server sent unusable values for: ")
        bad.append_text(inert(", ".join(dict.fromkeys(batch.bad_fields)), max_chars=300))
        rows.append((Text("Data", style="bold magenta"), bad))
    return rows


def _alarm_rows(snapshot: Snapshot, now: datetime) -> Rows:
    """A stall, or a completed batch whose counts do not add up."""
    rows: Rows = []
    since = snapshot.stalled_since
    if since is not None:
        stalled = Text()
        stalled.append("stalled", style=STALLED_STYLE)
        stalled.append(
            f" · no progress since {clock_time(to_datetime(since))} "
            f"({duration(timedelta(seconds=max(0.0, now.timestamp() - since)))})"
        )
        rows.append((Text("Alarm", style="bold yellow"), stalled))
    batch = snapshot.batch
    missing = unaccounted(batch)
    if missing:
        incomplete = Text()
        incomplete.append("incomplete", style=INCOMPLETE_STYLE)
        incomplete.append(f": {count(missing)} items unaccounted for")
        incomplete.append(
            f" ({count(batch.success_count)} succeeded + {count(batch.failure_count)} failed"
            f" of {count(batch.total_items)})",
            style="dim",
        )
        rows.append((Text("Check", style="bold dark_orange"), incomplete))
    return rows


def _progress_rows(snapshot: Snapshot, progress: Progress | None) -> Rows:
    """Counts, cost, pace while running, and the failure-rate alarm."""
    batch = snapshot.batch
    processed = Text(f"{count(batch.processed_items)} / {count(batch.total_items)}")
    processed.append(f"  ({percent(batch.progress)})", style="dim")
    processed.append("  ✓ ", style="green")
    processed.append(count(batch.success_count))
    processed.append("  ✗ ", style="red")
    processed.append(count(batch.failure_count))
    rows: Rows = [(Text("Processed"), processed)]
    cost = Text(money(batch.total_cost_cents))
    per_item = batch.cost_per_item_cents
    if per_item is not None:
        cost.append(f"  ({money(per_item)} per item)", style="dim")
    rows.append((Text("Cost"), cost))
    if not batch.is_terminal:
        rows.extend(insight_rows(batch, progress))
    if snapshot.alarm:
        alarm = Text("failure rate ", style="bold red")
        alarm.append(
            percent(failure_rate(batch.failure_count, batch.processed_items)), style="bold red"
        )
        alarm.append(": consider cancelling it (c)")
        rows.append((Text("Alarm", style="bold red"), alarm))
    return rows


def _config_rows(snapshot: Snapshot, now: datetime) -> Rows:
    """Tokens, times, input, methods, context and the error message."""
    batch = snapshot.batch
    if snapshot.has_detail:
        tokens = Text(
            f"in {compact(batch.total_input_tokens)} · out {compact(batch.total_output_tokens)}"
        )
        methods = inert(weights(batch.methods_config), max_chars=300)
        context = inert(mapping(batch.context), max_chars=300)
    elif snapshot.not_found:
        tokens = methods = context = Text(MISSING, style="dim")
    else:
        tokens = methods = context = Text("loading…", style="dim")
    source = inert(batch.input_format or MISSING)
    if batch.original_file_name:
        source.append(" · ")
        source.append_text(inert(batch.original_file_name, max_chars=200))
    rows: Rows = [
        (Text("Tokens"), tokens),
        (Text("Run time"), Text(duration(batch.run_time(now)))),
        (Text("Created"), _when(batch.created_at, now)),
        (Text("Started"), _when(batch.started_at, now)),
        (Text("Completed"), _when(batch.completed_at, now)),
        (Text("Expires"), _when(batch.expires_at, now)),
        (Text("Input"), source),
        (Text("Methods"), methods),
        (Text("Context"), context),
    ]
    if batch.error_message:
        rows.append(
            (Text("Error", style="bold red"), inert(batch.error_message, "red", max_chars=1000))
        )
    return rows


def detail_rows(snapshot: Snapshot, now: datetime, progress: Progress | None = None) -> Rows:
    """The (label, value) pairs the pane shows for one snapshot."""
    batch = snapshot.batch
    rows: Rows = [
        (Text("Name"), inert(batch.name or "(unnamed batch)", "bold", max_chars=200)),
        (Text("ID"), inert(batch.id or MISSING, max_chars=200)),
        (
            Text("Status"),
            Text("not found", "bold red") if snapshot.not_found else status_text(batch.status),
        ),
    ]
    rows.extend(_warning_rows(snapshot, now))
    rows.extend(_alarm_rows(snapshot, now))
    rows.extend(_progress_rows(snapshot, progress))
    rows.extend(_config_rows(snapshot, now))
    return rows


#: What ``detail_lines`` laid out last, by row: (label, value, width) → its lines.
RowMemo = dict[tuple[object, ...], list[Text]]


def _row_key(label: Text, value: Text, value_width: int) -> tuple[object, ...]:
    """Everything a row's lines are made from (the words, their styles, the width)."""
    return (
        label.plain,
        label.style,
        tuple(label.spans),
        value.plain,
        value.style,
        tuple(value.spans),
        value_width,
    )


def _row_lines(label: Text, value: Text, value_width: int) -> list[Text]:
    """One row laid out: the label, then the value wrapped beside it."""
    value.overflow = "fold"
    console = _measuring_console()
    lines = value.wrap(console, value_width) if value.cell_len > value_width else [value]
    out = []
    for number, line in enumerate(lines):
        if number == 0:
            head = label.copy()
            head.stylize("bold")
            head.truncate(LABEL_WIDTH, pad=True)
        else:
            head = Text(" " * LABEL_WIDTH)
        row = Text(end="")
        row.append_text(head)
        row.append(" " * GAP)
        row.append_text(line)
        out.append(row)
    return out


def detail_lines(
    snapshot: Snapshot | None,
    now: datetime,
    width: int = 80,
    progress: Progress | None = None,
    placeholder: str = NO_BATCH,
    memo: RowMemo | None = None,
) -> tuple[Text, ...]:
    """The pane's lines, laid out for ``width`` cells: labels left, values wrapped beside them.

    Laid out by hand rather than with a Rich table: this is redrawn on every poll of
    the highlighted batch, and a table measures and renders each cell separately.
    Given the ``memo`` of the last layout, a row whose words did not change (most of
    them, at a poll) is taken from it, not laid out again; the memo is refilled with
    this layout's rows only, so it never grows.
    """
    if snapshot is None:
        return (Text(placeholder, style="dim"),)
    value_width = max(10, width - LABEL_WIDTH - GAP)
    last = dict(memo) if memo is not None else {}
    if memo is not None:
        memo.clear()
    out: list[Text] = []
    for label, value in detail_rows(snapshot, now, progress):
        key = _row_key(label, value, value_width)
        lines = last.get(key)
        if lines is None:
            lines = _row_lines(label, value, value_width)
        if memo is not None:
            memo[key] = lines
        out.extend(lines)
    if out and out[-1].plain != out[-1].plain.rstrip():
        out[-1] = out[-1].copy()  # the memo's line is kept as it was
        out[-1].rstrip()
    return tuple(out)


def detail_renderable(
    snapshot: Snapshot | None, now: datetime, width: int = 80, progress: Progress | None = None
) -> Text:
    """The pane's content as one text (``detail_lines`` joined)."""
    return Text("\n", end="").join(detail_lines(snapshot, now, width, progress))


LABEL_WIDTH = 9
GAP = 2
#: Seconds the pane's relative times may lag behind the clock: time passing alone
#: lays the pane out again only once its times are this old.
TIMES_EVERY = 5.0


@lru_cache(maxsize=1)
def _measuring_console() -> Console:
    """A console used only to wrap text (never printed to)."""
    return Console(width=1000, file=io.StringIO(), color_system=None, legacy_windows=False)


class BatchDetail(ScrollView):
    """A scrollable pane showing one batch's detail.

    Its inputs are bound from the screen. The pane is one widget that draws its own
    lines (Textual's line API), each made into a strip once and kept until its words
    change: a poll of a running batch moves a few numbers (processed, cost, pace, run
    time) and repaints those lines, not the pane. A layout pass happens only when the
    number of lines changes. One widget, not a widget per line: each widget costs
    styling, layout and messages at start-up and at every poll.

    Text in it can be selected and copied, across its lines, as in any Textual widget.
    """

    ALLOW_SELECT = True

    DEFAULT_CSS = """
    BatchDetail {
        border: round $primary-darken-2;
        border-title-color: $text-muted;
        padding: 0 1;
        overflow-x: hidden;
    }
    """

    snapshot: var[Snapshot | None] = var(None, init=False)
    """The batch shown (None: the empty state)."""
    progress: var[Progress | None] = var(None, init=False)
    """Its recent progress, for pace, ETA and burn."""
    now: var[float] = var(0.0, init=False)
    """The time relative times are shown against (never earlier than the data)."""
    placeholder: var[str] = var(NO_BATCH, init=False)
    """What the pane says while no batch is highlighted (why the list is empty)."""
    lines: var[tuple[Text, ...]] = var(tuple, init=False)
    """What the pane says, laid out for its width, line by line."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._strips: list[Strip | None] = []
        """Each line drawn (None: not drawn since its words changed)."""
        self._memo: RowMemo = {}
        """The last layout's rows (``detail_lines``)."""
        self._laid_out_at = float("-inf")
        """The time the shown relative times were worked out against."""

    def on_mount(self) -> None:
        self.border_title = "Detail"
        follow_theme(self, self._lay_out)

    def on_unmount(self) -> None:
        unfollow_theme(self)

    def _lay_out(self) -> None:
        snapshot = self.snapshot
        # New data is news as of its arrival, even between the clock's slower ticks.
        now = max(self.now, snapshot.updated_at) if snapshot is not None else self.now
        width = self.scrollable_content_region.width
        self._laid_out_at = now
        self.lines = detail_lines(
            snapshot, to_datetime(now), width, self.progress, self.placeholder, self._memo
        )
        size = Size(width, len(self.lines))
        if self.virtual_size != size:
            self.virtual_size = size  # a layout pass: only when the lines' count or width moved

    # In step with the inputs, so the new words are drawn in the same frame as the
    # poll's rows and status line (one frame per poll, not two). A scroll bar that
    # comes or goes changes the width the lines have.
    watch_snapshot = watch_progress = watch_placeholder = on_resize = _lay_out
    watch_show_vertical_scrollbar = _lay_out

    def watch_now(self, now: float) -> None:
        # Time passing moves only the relative times; a layout for new data a moment
        # ago (a poll of a running batch, every interval) moved them already.
        if now - self._laid_out_at >= TIMES_EVERY:
            self._lay_out()

    def watch_lines(self, old: tuple[Text, ...], lines: tuple[Text, ...]) -> None:
        strips = self._strips
        if len(lines) != len(old) or len(strips) != len(lines):
            self._strips = [None] * len(lines)
            self.refresh()
            return
        for y, (was, line) in enumerate(zip(old, lines, strict=True)):
            if line is not was and (line != was or line.style != was.style):
                strips[y] = None
                self.refresh_line(y)

    def _strip(self, y: int) -> Strip:
        """Line ``y`` drawn, made once per new words."""
        strip = self._strips[y]
        if strip is None:
            strip = self._strips[y] = text_strip(self.lines[y], self.app.console)
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        y += scroll_y
        width = self.scrollable_content_region.width
        style = self.rich_style  # worked out from every ancestor's styles: once
        if y >= len(self.lines):
            return Strip.blank(width, style)
        strip = self._strip(y)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            strip = self._selected(y, *span)
        strip = strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)
        return strip.apply_offsets(scroll_x, y)

    def _selected(self, y: int, start: int, end: int) -> Strip:
        """Line ``y`` with its characters ``start`` to ``end`` (-1: the line's end)
        shown selected; made afresh while a selection lasts."""
        line = self.lines[y].copy()
        line.stylize(
            self.screen.get_component_rich_style("screen--selection"),
            start,
            len(line) if end == -1 else end,
        )
        return text_strip(line, self.app.console)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected part of the pane's words (what a copy takes)."""
        return selection.extract("\n".join(line.plain for line in self.lines)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()
