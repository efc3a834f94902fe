"""Columns and keys the config file chooses: ``columns = [...]`` picks and orders the
list's columns, ``[keys]`` rebinds commands; bad names are one clear line."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apphelpers import screen_text, settled
from batch_tui.api.models import Batch
from batch_tui.core.defaults import COLUMN_CHOICES, DEFAULT_COLUMNS
from batch_tui.monitor.insight import Progress
from batch_tui.monitor.monitor import Snapshot
from batch_tui.settings.config import ConfigError, resolve_settings
from batch_tui.ui import commands
from batch_tui.ui.commands import COMMANDS
from batch_tui.ui.dashboard.keymap import command_ids, resolve_keymap
from batch_tui.ui.dashboard.screen import Dashboard
from batch_tui.ui.dialogs.confirm_cancel import ConfirmCancel
from batch_tui.ui.dialogs.help import HelpScreen
from batch_tui.ui.widgets.batch_list import BatchList
from batch_tui.ui.widgets.batch_rows import Rows
from batch_tui.ui.widgets.columns import (
    NAME_MIN,
    REGISTRY,
    cell_keys,
    layout,
    rough,
    row_width,
)
from helpers import cli_env, run_cli

NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
CHOSEN = ("name", "status", "progress", "failed", "cost", "eta", "age")


def settings_from(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return resolve_settings(cli={"config": str(path)}, env={"CHECK_API_KEY": "vfy_x"})


# ── the config file ─────────────────────────────────────────────────────────


def test_columns_and_keys_come_from_the_config_file(tmp_path):
    settings = settings_from(
        tmp_path,
        'columns = ["Name", "eta", "id"]\n[keys]\ncancel = "z"\nrefresh = "f5, r"\n'
        'quit = ["ctrl+x", "q"]\n',
    )
    assert settings.columns == ("name", "eta", "id")
    assert settings.keys == (("cancel", "z"), ("refresh", "f5,r"), ("quit", "ctrl+x,q"))


def test_without_them_the_columns_and_keys_are_the_defaults(tmp_path):
    settings = settings_from(tmp_path, "interval = 5\n")
    assert settings.columns == DEFAULT_COLUMNS and settings.keys == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('columns = ["name", "colour"]', "unknown column 'colour' (one of: id, name, status"),
        ('columns = ["name", "cost", "name"]', "column 'name' is named twice"),
        ("columns = []", "name at least one column"),
        ('columns = "name"', "columns must be a list of names"),
        ("columns = [1, 2]", "columns must be a list of names"),
        ('keys = "z"', "keys must be a table"),
        ("[keys]\ncancel = 3", 'cancel: give its keys as "k" or "f5,r"'),
        ('[keys]\ncancel = "ctrl x"', "cancel: 'ctrl x' is not a list of keys"),
        ('[keys]\ncancel = "z,"', "cancel: 'z,' is not a list of keys"),
    ],
)
def test_a_bad_columns_or_keys_value_is_one_line_naming_the_file(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        settings_from(tmp_path, text + "\n")
    message = str(info.value)
    assert expected in message and str(tmp_path) in message and "\n" not in message


def test_every_column_name_has_a_column_and_every_column_a_name():
    assert set(cell_keys(COLUMN_CHOICES)) == {column.key for column in REGISTRY}


# ── keys: checked against the command table ─────────────────────────────────


def test_every_command_has_a_stable_id_shared_only_by_one_key():
    by_id: dict[str, set[str]] = {}
    for command in COMMANDS:
        by_id.setdefault(command.binding_id, set()).add(command.key)
    assert all(len(keys) == 1 for keys in by_id.values()), by_id
    assert {"cancel", "refresh", "help", "quit", "pause"} <= set(command_ids())
    assert all(b.id for b in Dashboard.BINDINGS if not isinstance(b, tuple))


def test_keys_are_named_as_textual_names_them():
    keymap = resolve_keymap([("cancel", "Z"), ("refresh", "F5,r"), ("help", "?,f1")])
    assert keymap == {"cancel": "Z", "refresh": "f5,r", "help": "question_mark,f1"}


def test_two_commands_can_swap_keys():
    assert resolve_keymap([("cancel", "x"), ("unwatch", "c")]) == {"cancel": "x", "unwatch": "c"}


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("cancle", "z")], "[keys] unknown command 'cancle' (one of: refresh, help, cancel"),
        ([("cancel", "shift+notakey")], "[keys] cancel: 'shift+notakey' is not a key"),
        ([("cancel", "hyperr+z")], "[keys] cancel: 'hyperr+z' is not a key"),
        ([("cancel", "x")], "[keys] x would be both cancel and unwatch"),
        ([("refresh", "k")], "[keys] k would be both the list's Up and refresh"),
        ([("find", "ctrl+p")], "[keys] ctrl+p would be both the command palette and find"),
        ([("cancel", "z"), ("refresh", "z")], "[keys] z would be both refresh and cancel"),
    ],
)
def test_a_key_that_cannot_be_used_is_one_clear_line(pairs, expected):
    with pytest.raises(ConfigError) as info:
        resolve_keymap(pairs)
    assert str(info.value).startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('columns = ["name", "colour"]', "unknown column 'colour'"),
        ('[keys]\ncancle = "z"', "unknown command 'cancle'"),
        ('[keys]\ncancel = "x"', "x would be both cancel and unwatch"),
    ],
)
def test_the_command_line_stops_with_exit_2_and_one_line(tmp_path, text, expected):
    path = tmp_path / "config.toml"
    path.write_text(text + "\n", encoding="utf-8")
    env = cli_env(tmp_path, CHECK_API_KEY="vfy_x", NO_COLOR="1")
    result = run_cli(["--config", str(path)], env, tmp_path)
    assert result.returncode == 2, result
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and expected in lines[0] and str(path) in lines[0], lines


# ── columns: laid out, and what their cells say ─────────────────────────────


def test_the_default_columns_are_todays_layout_at_every_width():
    for width in range(40, 220):
        assert layout(width) == layout(width, DEFAULT_COLUMNS)
    assert [key for key, _, _ in layout(78)] == [
        "mark",
        "short_id",
        "name",
        "status",
        "progress",
        "failed",
        "cost",
    ]


def test_chosen_columns_keep_their_order_and_never_overflow():
    everything = COLUMN_CHOICES[::-1]
    for width in range(40, 260):
        shown = [key for key, _, _ in layout(width, everything)]
        assert shown[0] == "mark"
        order = [key for key in cell_keys(everything) if key in shown]
        assert shown == order
        assert row_width(layout(width, everything)) <= max(width, row_width(layout(0, everything)))
    assert {key for key, _, _ in layout(400, everything)} == set(cell_keys(everything)) - {
        "short_id"
    }


def running(processed: int = 300, **fields) -> Snapshot:
    batch = Batch(
        id="batch_run",
        name="Run",
        status="processing",
        processed_items=processed,
        total_items=1000,
        created_at=NOW - timedelta(hours=2),
        **fields,
    )
    return Snapshot(batch, updated_at=NOW.timestamp())


def test_eta_and_pace_come_from_the_batchs_progress_and_move_with_it():
    progress = Progress()
    at = NOW.timestamp()
    progress.add(at - 120, 100, None)
    progress.add(at, 300, None)  # 100 items a minute; 700 left: 7 minutes
    rows = Rows(cell_keys(("eta", "pace")), {"batch_run": progress})
    rows.snapshots, rows.now = {"batch_run": running()}, NOW
    assert [cell.plain for cell in rows.cells("batch_run")] == ["", "7m", "100"]
    # A sample arrives without a change to show: the slow tick brings the cells up to date.
    progress.add(at + 60, 900, None)
    assert rows.refresh_times({"batch_run": running(900)}, NOW) == ["batch_run"]
    assert [cell.plain for cell in rows.cells("batch_run")][1:] == ["<1m", "267"]
    finished = Snapshot(Batch(id="batch_run", status="completed"), updated_at=0.0)
    assert rows.refresh_times({"batch_run": finished}, NOW) == ["batch_run"]
    assert [cell.plain for cell in rows.cells("batch_run")][1:] == ["", ""]


def test_an_eta_is_rough_and_short():
    assert [rough(s) for s in (20, 420, 3900, 90_000, 1e12)] == [
        "<1m",
        "7m",
        "1h05m",
        "1d1h",
        "999d",
    ]


def test_tokens_created_and_profile_cells(local_utc):
    rows = Rows(cell_keys(("tokens", "created", "profile")))
    snapshot = running(total_input_tokens=1_200_000, total_output_tokens=34_000)
    old = Snapshot(Batch(id="batch_old", created_at=datetime(2024, 3, 1, tzinfo=UTC)), 0.0)
    rows.snapshots, rows.now = {"batch_run": snapshot, "batch_old": old}, NOW
    assert [c.plain for c in rows.cells("batch_run")][1:] == ["1.2M", "01-15 08:00", "default"]
    assert [c.plain for c in rows.cells("batch_old")][1:] == ["—", "2024-03-01", "default"]


# ── on screen ───────────────────────────────────────────────────────────────


def headers(app) -> list[str]:
    return screen_text(app).splitlines()[0].split()


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((140, 40), ["Name", "Status", "Progress", "Failed", "Cost", "ETA", "Age"]),
        ((80, 24), ["Name", "Status", "Progress", "Failed", "Cost", "ETA"]),
    ],
)
async def test_the_list_shows_the_chosen_columns_in_their_order(run_app, size, expected):
    async with run_app(size=size, columns=CHOSEN) as pilot:
        table = pilot.app.dashboard.query_one(BatchList)
        assert headers(pilot.app) == expected
        assert row_width(table.columns) <= table.scrollable_content_region.width
        # The name takes the width the dropped columns leave.
        assert dict((k, w) for k, _, w in table.columns)["name"] > NAME_MIN


async def test_the_profile_column_follows_the_profile_name(run_app):
    async with run_app(size=(120, 36), columns=("name", "profile")) as pilot:
        table = pilot.app.dashboard.query_one(BatchList)
        assert headers(pilot.app) == ["Name", "Profile"]
        first = table.row_ids[0]
        assert table.cell_text(first, "profile") == "default"
        table.profile = "staging"
        await pilot.pause()
        assert table.cell_text(first, "profile") == "staging"
        assert "staging" in screen_text(pilot.app).splitlines()[1]


async def test_a_rebound_key_runs_its_command_and_help_and_footer_show_it(run_app):
    async with run_app(size=(120, 36), keys=(("cancel", "z"), ("help", "f1"))) as pilot:
        app = pilot.app
        table = app.dashboard.query_one(BatchList)
        target = next(i for i, s in app.monitor.snapshots.items() if s.batch.status == "processing")
        table.move_cursor(table.get_row_index(target))
        await settled(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "z Cancel batch" in footer and "c Cancel batch" not in footer
        # Where c stood, not at the end: a narrow footer still shows it.
        assert footer.index("f1 Help") < footer.index("z Cancel batch") < footer.index("/ Find")
        await pilot.press("c")  # the old key does nothing now
        assert app.screen is app.dashboard
        await pilot.press("question_mark")
        assert app.screen is app.dashboard
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        sections = dict(app.screen.sections)
        shown = {words: keys for keys, words in sections["Batches"] + sections["Screen"]}
        assert shown["Cancel batch"] == "z" and shown["Help"] == "f1"
        assert ("r", "Refresh") in sections["Polling"]  # not rebound: its default
        assert ("?", "Help for the screen you are on (here: f1)") in sections["Everywhere"]
        palette = {c.title: c.help for c in commands.palette(app.dashboard, app.keymap)}
        assert palette["Cancel batch"] == "key: z" and palette["Refresh"] == "key: r"
        await pilot.press("escape")
        await pilot.press("z")
        assert isinstance(app.screen, ConfirmCancel)


def test_the_settings_page_names_every_command_id_and_column():
    page = Path(__file__).resolve().parents[2] / "docs" / "settings.md"
    section = page.read_text(encoding="utf-8").split("## Columns and keys", 1)[1].split("\n#", 1)[0]
    missing = [name for name in (*command_ids(), *COLUMN_CHOICES) if f"`{name}`" not in section]
    assert missing == [], f"docs/settings.md's Columns and keys section does not name {missing}"


@pytest.mark.parametrize("zone", ["XXX+5", "YYY-14"])
def test_a_created_time_at_the_ends_of_the_calendar_never_breaks_the_row(monkeypatch, zone):
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        for sent in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
            batch = Batch.from_json({"id": "batch_x", "createdAt": sent})
            rows = Rows(cell_keys(("created",)))
            rows.snapshots, rows.now = {"batch_x": Snapshot(batch, 0.0)}, NOW
            assert rows.cells("batch_x")[1].plain.endswith(("01-01", "12-31"))
    finally:
        monkeypatch.undo()
        time.tzset()
