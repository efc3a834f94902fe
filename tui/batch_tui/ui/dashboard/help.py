"""The dashboard's help (``?``): the commands that apply now, with the keys bound
now, then the list's own keys, the cancel dialog's and the results screen's, and
what the marks and colours mean."""

from __future__ import annotations

from collections.abc import Mapping

from textual.dom import DOMNode
from textual.screen import Screen

from batch_tui.ui.commands import COMMAND_BY_ID, GROUPS, available, binding_rows
from batch_tui.ui.dialogs.confirm_cancel import ConfirmCancel
from batch_tui.ui.dialogs.help import HelpScreen, results_sections
from batch_tui.ui.screens.results import ResultsScreen
from batch_tui.ui.widgets.batch_list import BatchList


def help_sections(
    screen: DOMNode, keymap: Mapping[str, str] | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """(section, [(keys, description)]) for the help screen: the commands that apply
    now, by group, with the keys bound now (``keymap``: the ones rebound), then the
    list's own keys and the cancel dialog's."""
    rows: dict[str, list[tuple[str, str]]] = {group: [] for group in GROUPS}
    for command in available(screen):
        rows[command.group].append((command.keys_in(keymap), command.description))
    sections = [(group, found) for group, found in rows.items() if found]
    sections.append(("Moving", binding_rows(BatchList.BINDINGS)))
    if any(command.action == "cancel_batch" for command in available(screen)):
        sections.append(("Cancel dialog", binding_rows(ConfirmCancel.BINDINGS)))
    here = COMMAND_BY_ID["help"].keys_in(keymap)
    everywhere = [(k, f"{d} (here: {here})" if k == "?" != here else d) for k, d in EVERYWHERE]
    sections.append(("Everywhere", everywhere))
    for title, entries in results_sections(ResultsScreen.BINDINGS):
        sections.append((title, entries))
    sections.append(("What you see", LEGEND))
    return sections


#: Keys that work on every screen.
EVERYWHERE = [
    ("ctrl+p", "Command palette: every action by name"),
    ("?", "Help for the screen you are on"),
    ("ctrl+q", "Quit"),
]

#: What the marks, colours and status-line fields mean.
LEGEND = [
    ("!", "Stale row: its last refresh failed, or it is 3 intervals old"),
    ("?", "The server sent values that could not be used"),
    ("✓", "Marked (space, *): c cancels the marked batches"),
    ("colours", "pending grey, validating blue, processing orange,"),
    ("", "completed green, failed red, cancelled purple"),
    ("red Failed", "Failures; white on red: the failure-rate alarm"),
    ("stalled", "Not moved for the stall threshold (--stall-after)"),
    ("incomplete", "Completed, but its counts do not add up"),
    ("status line", "State, last update (yellow and 'stale' when old),"),
    ("", "batches, next poll, retries, interval, requests a"),
    ("", "minute, rate limit left, notices, then ✗ last error"),
]


def show_help(screen: Screen) -> None:
    """Open the help (``?``) for the dashboard, with the keys bound now: the app's
    ``keymap`` holds the ones the config file rebound."""
    screen.app.push_screen(HelpScreen(help_sections(screen, getattr(screen.app, "keymap", None))))
