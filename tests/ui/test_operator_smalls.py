"""The operator's smaller items, each seen: read-only feedback, the budget's pace
rounded, status sorted by lifecycle, Space moving on, the empty watch prompt, the
errors pane's title agreeing with its body, counts grouped."""

from __future__ import annotations

from apphelpers import notifications, screen_text, settled
from batch_tui.api.models import Batch
from batch_tui.monitor.monitor import ItemErrors, MonitorStatus, Snapshot
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.errors_table import ErrorRows
from batch_tui.ui.widgets.status_bar import status_line
from helpers import EPOCH


async def test_read_only_says_cancelling_is_off_for_c_and_space(run_app):
    async with run_app(read_only=True, notifications=True) as pilot:
        app = pilot.app
        for key in ("c", "space"):
            app.clear_notifications()
            await pilot.press(key)
            await pilot.pause()
            said = [n.message for n in notifications(app)]
            assert any("read-only: cancelling is off" in m for m in said), (key, said)


def test_the_budget_pace_is_rounded_sensibly():
    status = MonitorStatus(state="ok", last_success=EPOCH, interval=0.5, effective_interval=0.569)
    line = status_line(status, EPOCH + 1, batches=18_780, active=1_234).plain
    assert "(budget allows 0.6s)" in line
    assert "18,780 batches, 1,234 active" in line


async def test_sorting_by_status_puts_running_batches_first(run_app):
    async with run_app() as pilot:
        app = pilot.app
        await pilot.press("o")  # created → status
        await settled(pilot)
        table = app.screen.query_one(BatchList)
        statuses = [app.monitor.snapshots[i].batch.status for i in table.row_ids]
        assert app.dashboard.view.sort == "status"
        assert statuses[0] == "processing"
        assert statuses.index("cancelled") > statuses.index("completed")


async def test_space_marks_and_moves_down(run_app):
    async with run_app() as pilot:
        app = pilot.app
        table = app.screen.query_one(BatchList)
        first = table.current_batch_id
        await pilot.press("space")
        await settled(pilot)
        assert first in table.marks and table.cursor_row == 1
        await pilot.press("space")
        await settled(pilot)
        assert len(table.marks) == 2 and table.cursor_row == 2


async def test_an_empty_watch_prompt_asks_for_an_id(run_app):
    async with run_app() as pilot:
        app = pilot.app
        await pilot.press("a", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "type a batch id" in text.lower()
        assert "it is empty" not in text


def test_the_errors_title_agrees_with_an_empty_body():
    batch = Batch(id="batch_1", status="processing", failure_count=4)
    rows = ErrorRows.of(Snapshot(batch, updated_at=EPOCH, detail_at=EPOCH), ItemErrors(4, EPOCH, (), 100))
    assert "0 of 4" not in rows.title
    assert rows.title == "Errors: 4 failed, none in the first 100 items"
    assert rows.empty_message.startswith("None of the first 100 items failed")


async def test_at_140_columns_the_errors_get_the_room_the_detail_does_not_need(run_app):
    from apphelpers import highlight_status
    from batch_tui.ui.widgets.batch_detail import BatchDetail
    from batch_tui.ui.widgets.errors_table import ErrorsTable

    async with run_app(size=(140, 36)) as pilot:
        app = pilot.app
        await highlight_status("processing")(pilot)
        detail = app.dashboard.query_one(BatchDetail)
        errors = app.dashboard.query_one(ErrorsTable)
        content = [line.plain for line in detail.lines]
        assert all(line.strip() for line in content)
        created = next(line for line in content if line.startswith("Created"))
        assert created.rstrip().endswith("ago)")  # its longest line fits: nothing wraps
        assert errors.table.columns[errors.table.ordered_columns[2].key].width >= 40
        # Error text too long for its column is cut with an ellipsis, never mid-word bare.
        text = screen_text(app)
        lines = [line for line in text.splitlines() if "item #" in line]
        assert lines
        for line in lines:
            cell = line.split("item #", 1)[1].split(None, 1)[1].rstrip(" │▏▕▌▐█")
            assert not cell.endswith(("unavai", "lengt", "not be")), line


async def test_the_footer_offers_the_list_back_while_the_errors_have_focus(run_app):
    from apphelpers import highlight_status

    async with run_app(size=(120, 36)) as pilot:
        app = pilot.app
        await highlight_status("failed")(pilot)
        footer = lambda: screen_text(app).splitlines()[-1]  # noqa: E731
        assert "tab Errors" in footer()
        await pilot.press("tab")
        await pilot.pause()
        assert "tab List" in footer() and "tab Errors" not in footer()
        await pilot.press("tab")
        await pilot.pause()
        assert "tab Errors" in footer()


async def test_at_200_columns_the_list_grows_and_shows_names_whole(run_app):
    async with run_app(size=(200, 50)) as pilot:
        app = pilot.app
        table = app.screen.query_one(BatchList)
        assert table.region.width >= 136
        text = screen_text(app)
        for snapshot in app.monitor.snapshots.values():
            assert snapshot.batch.name in text


def words_split(table, width: int, sections) -> list[str]:
    """Description words that do not appear whole on any line of the table drawn at ``width``."""
    import re

    from rich.console import Console

    console = Console(width=width, record=True, color_system=None)
    console.print(table)
    tokens = set(re.findall(r"[\w'-]+", console.export_text()))
    words = {w for _, rows in sections for _, d in rows for w in re.findall(r"[\w'-]+", d)}
    return sorted(w for w in words if w not in tokens)


def test_help_never_splits_words_in_a_small_terminal():
    from batch_tui.ui.commands import COMMANDS, binding_rows
    from batch_tui.ui.dialogs.help import keys_table

    sections = [("Batches", [(c.keys, c.description) for c in COMMANDS])]
    sections.append(("Moving", binding_rows(BatchList.BINDINGS)))
    sections.append(("Everywhere", [("ctrl+p", "Command palette: every action by name")]))
    assert words_split(keys_table(sections, width=52), 52, sections) == []
    history = [("History (h)", [("enter", "Back to the list, showing only the batches finished that day")])]
    table = keys_table(history, width=100)
    assert words_split(table, 100, history) == []
    from rich.console import Console

    console = Console(width=100, record=True, color_system=None)
    console.print(table)
    assert "Back to the list, showing only the batches finished that day" in console.export_text()


async def test_the_export_notification_keeps_the_file_name_whole(run_app, tmp_path, monkeypatch):
    deep = tmp_path / "a-rather-long-folder-name-for-exports" / "and-another-level"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    async with run_app(size=(120, 36), notifications=True) as pilot:
        app = pilot.app
        await pilot.press("e")
        await pilot.pause()
        (path,) = deep.glob("batch-tui-*.csv")
        (toast,) = [n for n in notifications(app) if n.title == "Exported"]
        assert path.name in toast.message.splitlines()  # a line of its own: never wrapped
        await pilot.pause()
        assert path.name in screen_text(app)


def test_demo_warns_about_no_profile_it_does_not_use(tmp_path):
    from helpers import CONFIG, resolve, write

    path = write(tmp_path, CONFIG, mode=0o644)
    real = resolve(path)
    assert any("profile 'staging'" in w for w in real.warnings)  # the file is in use: said
    demo = resolve(path, demo=True)
    assert demo.profiles == ()
    # The demo reads no key from the file, and offers no profile: it names none.
    assert not any("profile" in w for w in demo.warnings), demo.warnings


def test_text_cut_to_a_table_column_ends_in_an_ellipsis():
    from batch_tui.api.models import ItemResult
    from batch_tui.store.history import FinishedBatch
    from batch_tui.ui.screens.history import BATCH_COLUMNS, batch_cells
    from batch_tui.ui.screens.results import COLUMNS, item_cells

    item = ItemResult("i1", 3, status="failed", error_message="Content exceeds maximum length " * 3)
    error = item_cells(item)[-1]
    assert error.cell_len == COLUMNS[-1][2] and error.plain.endswith("…")
    assert error.plain.startswith("Content exceeds maximum length")
    row = FinishedBatch(Batch(id="batch_1", name="Encyclopedia diff sample, second run"), EPOCH)
    name = batch_cells(row)[0]
    assert name.cell_len == BATCH_COLUMNS[0][1] and name.plain.endswith("…")
