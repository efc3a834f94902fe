"""Hostile server text: markup, escape sequences, huge, wide and right-to-left strings.

The demo server's ``hostile`` fleet names its batches with the strings a broken
or malicious server might send. Everything must appear literally, nothing may be
interpreted as markup or reach the terminal as an escape sequence, and the app
must stay up.
"""

from __future__ import annotations

from apphelpers import idle, make_app, screen_text
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import HOSTILE_NAMES, Simulator
from batch_tui.ui.widgets.batch_list import BatchList
from conftest import EPOCH, SEED, wait_until

SIZE = (120, 36)


def hostile_server(clock) -> DemoServer:
    return DemoServer(
        DemoApi(Simulator(seed=SEED, epoch=EPOCH, clock=clock, hostile=True), rate_limit=0)
    )


def row_of(app, name_prefix: str) -> str:
    return next(
        batch_id
        for batch_id, snapshot in app.monitor.snapshots.items()
        if (snapshot.batch.name or "").startswith(name_prefix)
    )


async def test_markup_in_names_is_shown_literally_and_never_crashes(clock):
    with hostile_server(clock) as server:
        app = make_app(server, clock)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(lambda: idle(app), pilot=pilot)
            await pilot.pause()
            text = screen_text(app)
            assert "[bold red]Pwned[/] [@…" in text  # cut to the column, literally
            table = app.screen.query_one(BatchList)
            pwned = row_of(app, "[bold red]Pwned[/]")
            table.move_cursor(table.get_row_index(pwned))
            await wait_until(lambda: idle(app), pilot=pilot)
            await pilot.pause()
            assert "Name       [bold red]Pwned[/] [@click=app.quit]click me[/]" in screen_text(app)
            # Walk the cursor over every row: each detail pane renders without error.
            for _ in range(table.row_count):
                await pilot.press("j")
                await wait_until(lambda: idle(app), pilot=pilot)
            await pilot.pause()
            assert app.is_running
            bare = next(i for i, s in app.monitor.snapshots.items() if s.batch.name == "[/]")
            assert table.cell_text(bare, "name") == "[/]"
            table.move_cursor(table.get_row_index(bare))
            await wait_until(lambda: idle(app), pilot=pilot)
            await pilot.pause()
            assert "Name       [/]" in screen_text(app)


async def test_clicking_a_rendered_click_action_does_nothing(clock):
    with hostile_server(clock) as server:
        app = make_app(server, clock)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(lambda: idle(app), pilot=pilot)
            await pilot.pause()
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


async def test_no_escape_sequence_or_control_character_reaches_the_screen(clock):
    with hostile_server(clock) as server:
        app = make_app(server, clock)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(lambda: idle(app), pilot=pilot)
            for prefix in ("title", "clip", "bell", "line one"):
                table = app.screen.query_one(BatchList)
                target = row_of(app, prefix)
                table.move_cursor(table.get_row_index(target))
                await wait_until(lambda: idle(app), pilot=pilot)
                await pilot.pause()
                text = screen_text(app)
                assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in text)
                assert "PWNED-TITLE" not in text
                svg = app.export_screenshot()
                assert "\x1b" not in svg and "\x07" not in svg


async def test_huge_wide_and_right_to_left_names_keep_the_layout(clock):
    with hostile_server(clock) as server:
        app = make_app(server, clock)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(lambda: idle(app), pilot=pilot)
            table = app.screen.query_one(BatchList)
            for prefix in ("L" * 50, "宽字符", "مرحبا"):
                table.move_cursor(table.get_row_index(row_of(app, prefix)))
                await wait_until(lambda: idle(app), pilot=pilot)
                await pilot.pause()
                lines = screen_text(app).splitlines()
                assert len(lines) == SIZE[1]
                # The status line and footer are still where they belong.
                assert "batches" in lines[-2] and "Quit" in lines[-1]
            assert len(HOSTILE_NAMES[-1]) == 10_000
