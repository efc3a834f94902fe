"""The command table: bindings, help and palette all come from it, and agree."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from batch_tui.ui import commands
from batch_tui.ui.dashboard import help as dashboard_help
from batch_tui.ui.dashboard.screen import Dashboard


@dataclass
class Screen:
    """What the table's conditions look at, answering ``check_action`` as the dashboard does."""

    read_only: bool = False
    narrow: bool = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return commands.applies(self, action)


def test_every_command_has_an_action_to_run():
    for command in commands.COMMANDS:
        if command.target:  # one of the screen's parts owns it
            assert callable(getattr(Dashboard.PARTS[command.target], command.action)), command
        elif not command.action.startswith("app."):
            assert hasattr(Dashboard, f"action_{command.action}"), command
        assert command.group in commands.GROUPS, command


def test_a_part_s_command_is_run_and_asked_about_through_the_route():
    mark = next(c for c in commands.COMMANDS if c.binding_id == "mark")
    assert mark.action_string == "route('batch_list', 'toggle_mark')"
    assert not commands.applies(Screen(read_only=True), *mark.call)
    assert commands.applies(Screen(read_only=False), *mark.call)


def test_the_dashboard_binds_exactly_the_table():
    bound = [(b.key, b.action, b.description, b.show) for b in Dashboard.BINDINGS]
    table = [(c.key, c.action_string, c.description, c.footer) for c in commands.COMMANDS]
    assert bound == table
    assert ("e", "export('csv')", "Export list as CSV", False) in bound


@pytest.mark.parametrize("read_only", [False, True])
def test_read_only_takes_cancel_out_of_the_help(read_only):
    sections = dict(dashboard_help.help_sections(Screen(read_only=read_only)))
    batches = [description for _, description in sections["Batches"]]
    assert ("Cancel batch" in batches) is not read_only
    assert ("Cancel dialog" in sections) is not read_only


def test_tab_applies_at_every_width():
    assert commands.applies(Screen(narrow=False), "switch_pane")
    assert commands.applies(Screen(narrow=True), "switch_pane")
    def keys(screen):
        return [keys for _, rows in dashboard_help.help_sections(screen) for keys, _ in rows]

    assert "tab" in keys(Screen(narrow=True)) and "tab" in keys(Screen(narrow=False))
