"""An idle dashboard spends nothing on what would draw the same (issue 19).

What each test guards is work a user never sees but pays for all day in CPU: the
status line's countdown redraws its own cells, not the line; a poll redraws the
detail lines whose words changed, not the pane; a step that only moved the status
behind news not yet read is not posted again. The CPU figure itself is benchmark 8
(tools/benchmark.py), never a timed test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from apphelpers import detail_row, highlight_named, screen_text, settled
from batch_tui.api.models import Batch, RateLimit
from batch_tui.monitor.monitor import BulkProgress, Change, MonitorStatus, Snapshot
from batch_tui.ui.messages import MonitorChanged
from batch_tui.ui.widgets.batch_detail import (
    GAP,
    LABEL_WIDTH,
    TIMES_EVERY,
    BatchDetail,
    detail_lines,
)
from batch_tui.ui.widgets.batch_rows import (
    COLUMN_INDEX,
    cells_strip,
    layout,
    row_cells,
)
from batch_tui.ui.widgets.key_bar import KeyBar
from batch_tui.ui.widgets.segments import cell_segments
from batch_tui.ui.widgets.status_bar import StatusBar, changed_span, status_line
from helpers import EPOCH, wait_until


def rendered(line: Text) -> Strip:
    return Strip(list(line.render(Console(width=300, color_system="truecolor"))))


def test_the_countdown_redraws_only_its_own_cells():
    status = MonitorStatus(
        state="ok", last_success=EPOCH, interval=30, effective_interval=30, next_poll=EPOCH + 29.3
    )
    # "updated ... (6s ago)" stays; the countdown moves from 24s to 23s.
    before = rendered(status_line(status, EPOCH + 5.7, batches=200, active=20))
    after = rendered(status_line(status, EPOCH + 5.9, batches=200, active=20))
    assert "(6s ago)" in before.text and "(6s ago)" in after.text
    start, end = changed_span(before, after)
    assert after.text[start:end] == "3"
    assert after.text[:end].endswith("next poll in 23")
    assert changed_span(after, after) == (0, 0)


def test_a_line_of_another_width_is_drawn_again_whole():
    status = MonitorStatus(state="ok", last_success=EPOCH, interval=5, effective_interval=5)
    short = rendered(status_line(status, EPOCH + 9, batches=1, active=1))
    longer = rendered(status_line(status, EPOCH + 10, batches=1, active=1))
    assert changed_span(short, longer) is None


async def test_a_poll_redraws_only_the_detail_lines_whose_words_changed(run_app, clock):
    async with run_app() as pilot:
        app = pilot.app
        await highlight_named(pilot, "Article verification")
        await settled(pilot)
        detail = app.screen.query_one(BatchDetail)

        def processed() -> str:
            return detail.lines[detail_row(detail, "Processed")].plain

        drawn = list(detail._strips)
        assert drawn and all(strip is not None for strip in drawn)  # the pane is on screen
        before = processed()
        clock.advance(20)
        await pilot.press("r")
        await wait_until(lambda: processed() != before, pilot=pilot)
        await settled(pilot)
        assert processed().split()[1] in screen_text(app)
        # The unchanged lines were not drawn again: the same strips, kept.
        now = list(detail._strips)
        assert len(now) == len(drawn)
        redrawn = [y for y, strip in enumerate(now) if strip is not drawn[y]]
        assert detail_row(detail, "Processed") in redrawn
        assert detail_row(detail, "Name") not in redrawn
        assert len(redrawn) < len(now) / 2


def _running(processed: int) -> Snapshot:
    batch = Batch(
        id="batch_0123456789ab",
        name="Article verification",
        status="processing",
        total_items=1000,
        processed_items=processed,
        success_count=processed,
        failure_count=0,
        total_cost_cents=processed * 2,
        created_at=datetime(2024, 1, 15, 10, 0, tzinfo=UTC),
        started_at=datetime(2024, 1, 15, 10, 0, 1, tzinfo=UTC),
        context={"source": "a context long enough to be wrapped over two lines " * 3},
    )
    return Snapshot(batch=batch, updated_at=EPOCH, detail_at=EPOCH, planned_interval=2.0)


def test_a_detail_row_is_laid_out_again_only_when_its_words_change():
    now = datetime(2024, 1, 15, 10, 5, tzinfo=UTC)
    memo: dict = {}
    before = detail_lines(_running(100), now, 60, memo=memo)
    after = detail_lines(_running(150), now, 60, memo=memo)
    # Exactly what a layout from nothing would say, at every poll.
    assert after == detail_lines(_running(150), now, 60)
    assert after != before
    reused = [line for line in after if any(line is old for old in before)]
    assert any(line.plain.startswith("Name") for line in reused)
    assert any(line.plain.startswith("Context") for line in reused)  # the wrapped one too
    assert not any(line.plain.startswith("Processed") for line in reused)
    # The memo holds the last layout's rows, never more.
    assert sum(len(lines) for lines in memo.values()) == len(after)
    detail_lines(_running(150), now, 90, memo=memo)  # another width: laid out anew
    assert all(key[-1] == 90 - LABEL_WIDTH - GAP for key in memo)


async def test_time_passing_lays_the_detail_out_again_only_once_its_times_are_old(run_app, clock):
    async with run_app() as pilot:
        app = pilot.app
        await highlight_named(pilot, "Article verification")
        await settled(pilot)
        detail = app.screen.query_one(BatchDetail)

        def run_time() -> str:
            return detail.lines[detail_row(detail, "Run time")].plain

        shown = run_time()
        start = max(detail.now, app.monitor.snapshots[detail.snapshot.batch.id].updated_at)
        detail.now = start + TIMES_EVERY - 1
        await pilot.pause()
        assert run_time() == shown  # times a moment old: not worth a layout
        detail.now = start + TIMES_EVERY
        await pilot.pause()
        assert run_time() != shown


async def test_a_status_only_step_behind_unread_news_is_not_posted_again(run_app, clock):
    async with run_app() as pilot:
        app = pilot.app
        posted: list[MonitorChanged] = []
        posted_behind_unread: list[MonitorChanged] = []
        behind_unread: list[Change] = []  # status-only steps that came before news was read
        post, step = app.dashboard.post_message, app.monitor.on_change

        def posting(message):
            if isinstance(message, MonitorChanged):
                if message.change == Change() and posted and not posted[-1].handled:
                    posted_behind_unread.append(message)
                posted.append(message)
            return post(message)

        def stepped(change: Change) -> None:
            if change == Change() and posted and not posted[-1].handled:
                behind_unread.append(change)
            step(change)

        app.dashboard.post_message = posting
        app.monitor.on_change = stepped
        clock.advance(20)
        await pilot.press("r")
        await wait_until(lambda: behind_unread, pilot=pilot)
        await settled(pilot)
        assert any(message.change.changed for message in posted)
        assert posted_behind_unread == []
        assert all(message.handled for message in posted)


def test_a_list_row_is_one_segment_per_run_of_one_style():
    """Every segment costs the compositor a step and the terminal a colour code on each
    redraw: a row's pads and plain cells go out as one run, not one per cell."""
    console = Console(width=300, color_system="truecolor")
    columns = layout(140)
    cells = tuple(Text(key) for key in COLUMN_INDEX)
    strip = cells_strip(cells, columns, console)
    assert len(list(strip)) == 1
    assert strip.text.split() == [key[:width] for key, _, width in columns]
    cells = tuple(Text(key, style="bold" if key == "status" else "") for key in COLUMN_INDEX)
    styles = [segment.style for segment in cells_strip(cells, columns, console)]
    assert len(styles) == 3 and styles[1].bold


def _drawn(segments) -> list[tuple[str, Style]]:
    """Each cell's character and the style it is drawn in (no style: the plain one)."""
    return [(char, segment.style or Style()) for segment in segments for char in segment.text]


def _as_rich_draws(text: Text, width: int, console: Console) -> list[tuple[str, Style]]:
    cell = text.copy()
    cell.no_wrap = True
    cell.truncate(width, overflow=text.overflow or "crop")
    cell.align("right" if text.justify == "right" else "left", width)
    (line,) = console.render_lines(cell, console.options.update_width(width), pad=False)
    return _drawn(line)


def test_a_row_drawn_without_rich_draws_each_cell_as_rich_would():
    """A row is drawn for each change of a running batch, all day: its cells are made
    into segments directly (Rich's render pass cost a row several times as much). Each
    character must come out in the style Rich would give it, for every column."""
    console = Console(width=300, color_system="truecolor")
    now = datetime(2026, 1, 15, 10, tzinfo=UTC)
    batches = [
        Batch(
            id="batch_a",
            name="Plain",
            status="processing",
            total_items=1000,
            processed_items=420,
            success_count=400,
            failure_count=20,
            total_cost_cents=1234,
            created_at=now - timedelta(minutes=5),
        ),
        Batch(
            id="batch_b",
            name="A name far too long for the name column, cut with an ellipsis",
            status="completed",
            total_items=10,
            processed_items=10,
            success_count=10,
            created_at=now - timedelta(days=3),
        ),
        Batch(
            id="batch_c",
            name="Ünïcödé 名前 ✓",
            status="something-new-from-the-server",
            total_items=5,
            processed_items=1,
            failure_count=1,
        ),
        Batch(id="batch_d", name=None, status=None),
    ]
    keys = tuple(COLUMN_INDEX)
    compared = 0
    for batch in batches:
        cells = row_cells(Snapshot(batch, updated_at=now.timestamp()), now, keys)
        for columns in (layout(140), layout(80), layout(200)):
            for key, _, width in columns:
                text = cells[COLUMN_INDEX[key]]
                assert _drawn(cell_segments(text, width, console)) == _as_rich_draws(
                    text, width, console
                ), (key, text)
                compared += 1
    assert compared > 50


def _styled(plain: str, style: str = "", *spans: tuple[int, int, str], **options) -> Text:
    text = Text(plain, style=style, **options)
    for start, end, span_style in spans:
        text.stylize(span_style, start, end)
    return text


def test_texts_of_every_shape_are_drawn_without_rich_as_rich_would():
    console = Console(width=300, color_system="truecolor")
    texts = [
        _styled("plain"),
        _styled("bold base", "bold"),
        _styled("base and spans", "bold", (0, 4, "red"), (9, 14, "italic blue")),
        _styled("right, with a span", "dim", (0, 5, "green"), justify="right"),
        _styled("名前 ✓ wide cells", "", (0, 2, "reverse")),
        _styled("cut with an ellipsis here", "yellow", (4, 8, "bold"), overflow="ellipsis"),
        _styled("spans on spans", "", (0, 10, "red"), (5, 14, "bold")),
    ]
    for text in texts:
        for width in (6, text.cell_len, text.cell_len + 5):
            drawn = _drawn(cell_segments(text, width, console))
            assert drawn == _as_rich_draws(text, width, console), (text.plain, width)


def test_the_status_line_drawn_without_rich_draws_each_cell_as_rich_would():
    console = Console(width=300, color_system="truecolor")
    ok = MonitorStatus(
        state="ok",
        last_success=EPOCH,
        next_poll=EPOCH + 7,
        interval=2,
        effective_interval=5,
        rate_limit=RateLimit(limit=200, remaining=17, reset=EPOCH + 40),
        team="following: another dashboard polls",
        history="history 3,000 of 9,000",
    )
    statuses = [
        MonitorStatus(),
        ok,
        replace(ok, state="error", last_error="server error: 名前 ✓ [bold]not markup[/]"),
        replace(ok, user_paused=True, notice="key file readable by others"),
        replace(ok, cancelling=BulkProgress(3, 12, waiting_until=EPOCH + 9)),
        replace(ok, last_success=EPOCH - 3600),  # stale
    ]
    profile = Text("prod", style="bold white on red")
    profile.stylize("underline", 0, 2)  # styles on styles: Rich's own pass draws it
    compared = 0
    for status in statuses:
        for name in (None, profile):
            line = status_line(status, EPOCH + 1, batches=1200, active=3, marked=2, profile=name)
            drawn = _drawn(cell_segments(line, line.cell_len, console))
            assert drawn == _as_rich_draws(line, line.cell_len, console), line.plain
            compared += 1
    assert compared == 12


async def test_news_that_moves_several_status_inputs_makes_the_line_once(run_app, clock):
    """News moves the status line's inputs together (the status, the counts, the time):
    the line is made once for them, not once for each."""
    async with run_app() as pilot:
        app = pilot.app
        bar = app.dashboard.query_one(StatusBar)
        await settled(pilot)
        made: list[str] = []
        watch_line = bar.watch_line
        bar.watch_line = lambda: (made.append(bar.line.plain), watch_line())
        monitor = app.monitor
        monitor.state.status = replace(monitor.status, requests_last_minute=97)
        clock.advance(3)
        app.dashboard.post_message(MonitorChanged(Change()))
        await wait_until(lambda: made, pilot=pilot)
        await settled(pilot)
        assert len(made) == 1
        assert "97 req/min" in made[0] and "97 req/min" in bar.text


async def test_a_tick_a_moment_from_a_poll_gives_way_to_it_once(run_app, clock):
    """The poll's frame moves the clocks too: a tick due a moment before or during a
    poll would draw a frame of its own for nothing. But if no news comes, the clocks
    must still move, a moment late."""
    async with run_app() as pilot:
        app = pilot.app
        await settled(pilot)
        dashboard, state = app.dashboard, app.monitor.state
        clock.advance(0.5)
        state.status = replace(state.status, next_poll=clock() + 0.1)
        before = dashboard.now
        app._tick()
        assert dashboard.now == before
        app._tick()  # no news came: this one does not give way
        assert dashboard.now == clock()
        clock.advance(0.5)
        state.status = replace(state.status, next_poll=clock() - 0.1)  # under way
        app._tick()
        assert dashboard.now != clock()
        app._monitor_changed(Change())  # the poll's news: the clocks are drawn with it
        app._tick()
        assert dashboard.now != clock()  # news makes the next tick give way again
        state.status = replace(state.status, next_poll=clock() + 5)
        app._tick()
        assert dashboard.now == clock()


async def test_the_key_bar_is_drawn_again_only_when_its_keys_change(run_app):
    async with run_app() as pilot:
        app = pilot.app
        bar = app.dashboard.query_one(KeyBar)
        keys = bar.keys
        assert [k.description for k in keys if k.key == "c"] == ["Cancel batch"]
        drawn = []
        refresh = bar.refresh

        def counted(*args, **kwargs):
            drawn.append(1)
            return refresh(*args, **kwargs)

        bar.refresh = counted
        # A burst of "the bindings may have changed" that changes nothing.
        for _ in range(5):
            app.dashboard.refresh_bindings()
        app.dashboard.batch_list.focus()
        await settled(pilot)
        assert drawn == [] and bar.keys is keys
        # Marking a batch turns c into "Cancel marked": drawn again, once.
        await pilot.press("space")
        await settled(pilot)
        assert drawn == [1]
        assert [k.description for k in bar.keys if k.key == "c"] == ["Cancel marked"]
        assert " c Cancel marked " in screen_text(app).splitlines()[-1]
