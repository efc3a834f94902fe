"""Every dashboard command in one table: its key, action, owner, words, when it
applies and group.

The dashboard's ``BINDINGS``, the help screen (``?``) and the command palette
(ctrl+p) are all read from ``COMMANDS``, so a command added here has a key, a
line in the help and a palette entry at once. Each names the part of the
dashboard that owns it (``target``: the list that owns the marks, watching,
history, profile switching, polling; none for the screen's own), and the screen's
``route`` action hands the key to it. Whether a command applies right now (no
cancel in read-only mode) is the table's ``when``, asked through Textual's own
``check_action``; the palette runs a command with ``run_action``, as a key press
would. Each command's ``id`` is its binding id, by which the config file's
``[keys]`` rebinds it (``ui/dashboard/keymap.py``, through Textual's keymap); the
help and the palette show the keys bound now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from textual.app import SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import format_key
from textual.screen import Screen


class Situation(Protocol):
    """What ``when`` conditions look at: the dashboard's mode and shape."""

    read_only: bool
    narrow: bool


def always(screen: Situation) -> bool:
    """Applies in every situation."""
    return True


def writable(screen: Situation) -> bool:
    """Applies unless the dashboard is read-only."""
    return not screen.read_only


def marked(screen: Situation) -> int:
    """How many batches are marked (read from the screen's counts)."""
    counts = getattr(screen, "counts", None)
    return getattr(counts, "marked", 0)


def read_only(screen: Situation) -> bool:
    """Applies only when the dashboard is read-only (the keys that would change
    something say why they do not)."""
    return screen.read_only


def cancel_one(screen: Situation) -> bool:
    """``c`` cancels the highlighted batch: writable, and nothing is marked."""
    return writable(screen) and not marked(screen)


def cancel_marked(screen: Situation) -> bool:
    """``c`` cancels the marked batches: writable, and some are marked."""
    return writable(screen) and bool(marked(screen))


def paused(screen: Situation) -> bool:
    """Applies while the user has paused polling (asked of the screen's monitor)."""
    monitor = getattr(screen, "monitor", None)
    return bool(monitor is not None and monitor.paused)


def running(screen: Situation) -> bool:
    """Applies while polling runs."""
    return not paused(screen)


def on_errors(screen: Situation) -> bool:
    """Applies while the errors pane is what the user looks at (Tab goes back)."""
    return bool(getattr(screen, "errors_in_front", False))


def on_list(screen: Situation) -> bool:
    """Applies while the list is what the user looks at (Tab goes to the errors)."""
    return not on_errors(screen)


def narrow(screen: Situation) -> bool:
    """Applies only when detail and errors share one pane."""
    return screen.narrow


@dataclass(frozen=True)
class Command:
    """One thing the user can do on the dashboard."""

    key: str
    """Textual key names, comma-separated: ``"plus,equals_sign"``."""
    action: str
    """The action's name (``action_<name>`` on the dashboard, or the method of the
    ``target`` that owns it), or ``app.<name>``."""
    description: str
    """What it does, in the footer, the help and the palette."""
    group: str
    """The help section it is listed in."""
    footer: bool = False
    """Shown in the footer (every command is in the help and the palette)."""
    when: Callable[[Situation], bool] = always
    """When it applies; when not, it is hidden everywhere and its key does nothing."""
    parameters: tuple[str | int, ...] = ()
    """Arguments of the action: ``export('csv')``."""
    key_display: str | None = None
    """How the key is written, when its name would read badly (``?`` for question_mark)."""
    id: str = ""
    """Its name in the config file's ``[keys]`` table and its Textual binding id
    (commands sharing a key share it); the action's name when not given."""
    target: str = ""
    """The part of the dashboard that owns it (``batch_list``, ``watching``,
    ``history``…), whose method ``action`` is: the screen's ``route`` action hands
    the key over. Empty: the screen's own ``action_<action>``."""

    @property
    def binding_id(self) -> str:
        """The id ``[keys]`` rebinds it by: ``id``, else the action's name."""
        return self.id or self.action.removeprefix("app.")

    @property
    def call(self) -> tuple[str, tuple[str | int, ...]]:
        """(action, arguments) as Textual runs it and asks ``check_action`` about it:
        ``route('watching', 'ask')`` for a command a part of the screen owns."""
        if self.target:
            return "route", (self.target, self.action, *self.parameters)
        return self.action, self.parameters

    @property
    def action_string(self) -> str:
        """The action as Textual binds and runs it: ``export('csv')``."""
        action, parameters = self.call
        if not parameters:
            return action
        return f"{action}({', '.join(repr(p) for p in parameters)})"

    @property
    def keys(self) -> str:
        """The default keys as the user reads them: ``+``, ``up / k``."""
        return self.key_display or self.key.replace(",", " / ")

    def keys_in(self, keymap: Mapping[str, str] | None) -> str:
        """The keys bound now, as the user reads them: ``keymap``'s, else the defaults."""
        bound = (keymap or {}).get(self.binding_id)
        if bound is None:
            return self.keys
        return " / ".join(key if "+" in key else format_key(key) for key in bound.split(","))

    @property
    def in_palette(self) -> bool:
        """App-wide actions (quit) are already in the palette's own list."""
        return not self.action.startswith("app.")


#: The help sections, in the order they are listed.
GROUPS = ("Batches", "Find and sort", "Polling", "Export", "Watch list", "Screen")

#: The one table. Its order is the footer's order.
COMMANDS: tuple[Command, ...] = (
    Command("r", "refresh", "Refresh", "Polling", footer=True, id="refresh", target="polling"),
    Command("question_mark", "help", "Help", "Screen", footer=True, key_display="?", id="help"),
    # One key, two words: with batches marked, c cancels those instead.
    Command(
        "c", "cancel_batch", "Cancel batch", "Batches", footer=True, when=cancel_one, id="cancel"
    ),
    Command(
        "c",
        "cancel_batch",
        "Cancel marked",
        "Batches",
        footer=True,
        when=cancel_marked,
        parameters=("marked",),
        id="cancel",
    ),
    Command(
        "space",
        "toggle_mark",
        "Mark / unmark",
        "Batches",
        when=writable,
        id="mark",
        target="batch_list",
    ),
    # Read-only, the cancel and mark keys say so rather than do nothing.
    Command(
        "c", "read_only", "Cancel (off: read-only)", "Batches", when=read_only, id="cancel"
    ),
    Command(
        "space",
        "read_only",
        "Mark (off: read-only)",
        "Batches",
        when=read_only,
        parameters=("mark",),
        id="mark",
    ),
    Command(
        "asterisk",
        "mark_shown",
        "Mark / unmark all shown",
        "Batches",
        when=writable,
        key_display="*",
        id="mark_shown",
        target="batch_list",
    ),
    Command(
        "u",
        "clear_marks",
        "Unmark all",
        "Batches",
        when=writable,
        id="unmark_all",
        target="batch_list",
    ),
    Command("slash", "find", "Find", "Find and sort", footer=True, key_display="/", id="find"),
    Command(
        "s",
        "step_view",
        "Status filter",
        "Find and sort",
        footer=True,
        parameters=("status",),
        id="status_filter",
    ),
    Command(
        "o", "step_view", "Sort", "Find and sort", footer=True, parameters=("sort",), id="sort"
    ),
    Command(
        "O", "step_view", "Reverse sort", "Find and sort", parameters=("flip",), id="reverse_sort"
    ),
    Command("enter", "open_results", "Results", "Batches", footer=True, id="results"),
    # One key, two words: the footer says where Tab goes from here.
    Command(
        "tab", "switch_pane", "Errors", "Screen", footer=True, when=on_list, id="switch_pane"
    ),
    Command(
        "tab",
        "switch_pane",
        "List",
        "Screen",
        footer=True,
        when=on_errors,
        parameters=("list",),
        id="switch_pane",
    ),
    # One key, two words: the footer says what p would do now.
    Command("p", "toggle_pause", "Pause", "Polling", footer=True, when=running, id="pause"),
    Command(
        "p",
        "toggle_pause",
        "Resume",
        "Polling",
        footer=True,
        when=paused,
        parameters=("resume",),
        id="pause",
    ),
    Command(
        "plus,equals_sign",
        "step_interval",
        "Poll less often",
        "Polling",
        parameters=(1,),
        key_display="+",
        id="poll_less_often",
    ),
    Command(
        "minus",
        "step_interval",
        "Poll more often",
        "Polling",
        parameters=(-1,),
        key_display="-",
        id="poll_more_often",
    ),
    Command("y", "copy_id", "Copy batch id", "Batches", id="copy_id"),
    Command("h", "open", "History by day", "Batches", id="history", target="history"),
    Command("e", "export", "Export list as CSV", "Export", parameters=("csv",), id="export_csv"),
    Command("E", "export", "Export list as JSON", "Export", parameters=("json",), id="export_json"),
    Command("a", "ask", "Watch a batch id", "Watch list", id="watch", target="watching"),
    Command("x", "unwatch", "Stop watching", "Watch list", id="unwatch"),
    Command("escape", "clear_find", "Clear the filter", "Find and sort", id="clear_find"),
    Command("P", "open", "Switch profile", "Screen", id="switch_profile", target="profiles"),
    Command("q", "app.quit", "Quit", "Screen", footer=True, id="quit"),
)

# Commands that share an action (export as CSV or JSON) share when it applies,
# unless their arguments tell them apart (pause and resume).
_BY_ACTION = {command.action: command for command in COMMANDS}
_BY_CALL = {command.call: command for command in COMMANDS}
COMMAND_BY_ID = {command.binding_id: command for command in COMMANDS}
"""Each command by the id ``[keys]`` rebinds it by."""


def bindings(
    commands: Iterable[Command] = COMMANDS,
) -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    """The screen's ``BINDINGS``."""
    return [
        Binding(
            command.key,
            command.action_string,
            command.description,
            show=command.footer,
            key_display=command.key_display,
            id=command.binding_id,
        )
        for command in commands
    ]


def applies(screen: Situation, action: str, parameters: tuple[Any, ...] = ()) -> bool:
    """Whether ``action`` applies now: the answer ``check_action`` gives for it."""
    command = _BY_CALL.get((action, tuple(parameters))) or _BY_ACTION.get(action)
    return command is None or command.when(screen)


def available(screen: DOMNode) -> Iterator[Command]:
    """The commands that apply now, asked the way Textual asks: ``check_action``."""
    for command in COMMANDS:
        if screen.check_action(*command.call) is not False:
            yield command


def key_of(node: DOMNode, command_id: str) -> str:
    """The first key bound now to a command, as the user reads it: for advice such
    as "press c" (the app's ``keymap`` holds the keys the config file rebound)."""
    return COMMAND_BY_ID[command_id].keys_in(getattr(node.app, "keymap", None)).split(" / ")[0]


def binding_rows(bindings: Iterable[Binding | tuple[str, ...]]) -> list[tuple[str, str]]:
    """(keys, description) for another widget's bindings, once per description."""
    rows: dict[str, str] = {}
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue  # every binding here is a Binding; a bare tuple has no help text
        if binding.description and binding.description not in rows:
            rows[binding.description] = binding.key_display or binding.key.replace(",", " / ")
    return [(keys, description) for description, keys in rows.items()]


def palette(screen: Screen, keymap: Mapping[str, str] | None = None) -> Iterator[SystemCommand]:
    """The palette's entries for the commands that apply now; each runs its action."""
    for command in available(screen):
        if command.in_palette:
            yield SystemCommand(
                command.description,
                f"key: {command.keys_in(keymap)}",
                partial(screen.run_action, command.action_string),
            )
