"""Hostile server text: markup, escape sequences, huge, wide and right-to-left strings.

The demo server's ``hostile`` fleet names its batches with the strings a broken
or malicious server might send. Everything must appear literally, nothing may be
interpreted as markup or reach the terminal as an escape sequence, and the app
must stay up.
"""

from __future__ import annotations

import pytest

from apphelpers import screen_strips, screen_text, settled
from batch_tui.core.format import count
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import Simulator
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.batch_rows import PADDING
from helpers import EPOCH, SEED

SIZE = (120, 36)
#: Bidi overrides and isolates: they would reorder what the user reads.
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


@pytest.fixture
def hostile(clock):
    """A demo server whose batches have hostile names and errors."""
    simulator = Simulator(seed=SEED, epoch=EPOCH, clock=clock, hostile=True)
    with DemoServer(DemoApi(simulator, rate_limit=0)) as server:
        yield server


def row_of(app, name_prefix: str) -> str:
    return next(
        batch_id
        for batch_id, snapshot in app.monitor.snapshots.items()
        if (snapshot.batch.name or "").startswith(name_prefix)
    )


async def highlight(pilot, batch_id: str) -> None:
    table = pilot.app.screen.query_one(BatchList)
    table.move_cursor(table.get_row_index(batch_id))
    await settled(pilot)


def drawn_cell(app, batch_id: str, column: str) -> str:
    """What one list cell shows on screen: the drawn line, cut at that column's cells."""
    table = app.screen.query_one(BatchList)
    line = screen_strips(app)[
        table.region.y + 1 + table.get_row_index(batch_id) - round(table.scroll_y)
    ]
    x = table.region.x - round(table.scroll_x)
    for key, _, width in table.columns:
        if key == column:
            return line.crop(x + PADDING, x + PADDING + width).text
        x += width + 2 * PADDING
    raise KeyError(column)


async def test_markup_in_names_is_shown_literally_and_never_crashes(run_app, hostile):
    async with run_app(server=hostile, size=SIZE) as pilot:
        app = pilot.app
        text = screen_text(app)
        assert "[bold red]Pwned[/] [@…" in text  # cut to the column, literally
        table = app.screen.query_one(BatchList)
        await highlight(pilot, row_of(app, "[bold red]Pwned[/]"))
        assert "Name       [bold red]Pwned[/] [@click=app.quit]click me[/]" in screen_text(app)
        # Walk the cursor over every row: each detail pane renders without error.
        for _ in range(table.row_count):
            await pilot.press("j")
            await settled(pilot)
        assert app.is_running
        bare = next(i for i, s in app.monitor.snapshots.items() if s.batch.name == "[/]")
        assert table.cell_text(bare, "name") == "[/]"
        await highlight(pilot, bare)
        assert "Name       [/]" in screen_text(app)


async def test_clicking_a_rendered_click_action_does_nothing(run_app, hostile):
    async with run_app(server=hostile, size=SIZE) as pilot:
        app = pilot.app
        table = app.screen.query_one(BatchList)
        target = row_of(app, "[bold red]Pwned[/]")
        row = table.get_row_index(target)
        # Click on the words "click me" in the name column.
        name_x = 1 + 18 + 2 + 1 + len("[bold red]Pwned[/] [@click=app.quit]c")
        await pilot.click(BatchList, offset=(name_x, row + 1))
        await pilot.pause()
        assert app.is_running
        assert app.return_code is None
        assert table.current_batch_id == target


async def test_no_escape_sequence_or_control_character_reaches_the_screen(run_app, hostile):
    async with run_app(server=hostile, size=SIZE) as pilot:
        app = pilot.app
        for prefix in ("title", "clip", "bell", "line one"):
            await highlight(pilot, row_of(app, prefix))
            text = screen_text(app)
            assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in text)
            assert "PWNED-TITLE" not in text
            svg = app.export_screenshot()
            assert "\x1b" not in svg and "\x07" not in svg


async def test_huge_wide_and_right_to_left_names_keep_the_layout(run_app, hostile):
    async with run_app(server=hostile, size=SIZE) as pilot:
        app = pilot.app
        table = app.screen.query_one(BatchList)
        for prefix in ("L" * 50, "宽字符", "مرحبا"):
            await highlight(pilot, row_of(app, prefix))
            lines = screen_text(app).splitlines()
            # The status line and footer are still where they belong.
            assert "batches" in lines[-2] and "Quit" in lines[-1]
            # Every row's columns start where the header's do: a name of wide
            # characters, or one that runs right to left, shifts nothing after it.
            top, rows = round(table.scroll_y), table.region.height - 1
            for batch_id in table.row_ids[top : top + rows]:
                batch = app.monitor.snapshots[batch_id].batch
                assert drawn_cell(app, batch_id, "status").strip() == batch.status
                assert drawn_cell(app, batch_id, "failed").strip() == count(batch.failure_count)
            assert not BIDI_CONTROLS & set(screen_text(app))
        # The 10,000-character name is cut to its column, with an ellipsis.
        assert drawn_cell(app, row_of(app, "L" * 50), "name") == "L" * 21 + "…"
