"""The config file's ``[keys]`` table, checked against the command table and made
into the keymap Textual applies (``App.set_keymap``, by each binding's ``id``).

A rebound command loses its default keys; the footer, the help (``?``) and the
palette show the keys bound now. Every problem is one line: a command id that is
not in the table, a key Textual does not know, or one key for two things (two
commands, or a command and one of the list's own moving keys or ctrl+q / ctrl+p).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App
from textual.binding import ActiveBinding, Binding
from textual.keys import Keys, key_to_character
from textual.screen import Screen

from batch_tui.settings.config import ConfigError
from batch_tui.ui.commands import COMMANDS
from batch_tui.ui.textual_compat import character_to_key, declared_bindings
from batch_tui.ui.widgets.batch_list import BatchList


class KeymappedScreen(Screen):
    """A screen whose footer keeps its bindings' order when keys are rebound: Textual
    moves a rebound binding to the end (off a narrow footer); here it stays where
    its default key stood, as the command table orders them."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        active = super().active_bindings
        if not getattr(self.app, "keymap", None):
            return active  # nothing rebound: Textual's order is the table's
        place: dict[str, int] = {}
        # The screen's own bindings as declared, before the keymap (Textual keeps them).
        for index, bindings in enumerate(declared_bindings(self)):
            for binding in bindings:
                place.setdefault(binding.id or binding.action, index)

        def rank(item: tuple[str, ActiveBinding]) -> int:
            node, binding = item[1].node, item[1].binding
            return place.get(binding.id or binding.action, -1) if node is self else -1

        return dict(sorted(active.items(), key=rank))


#: Every key name Textual has (``f5``, ``escape``, ``ctrl+a``…).
KNOWN = frozenset(key.value for key in Keys)
MODIFIERS = ("ctrl", "alt", "shift", "meta", "super", "hyper")


def command_ids() -> list[str]:
    """The ids ``[keys]`` may name, in the table's order."""
    return list(dict.fromkeys(command.binding_id for command in COMMANDS))


def normalize(key: str) -> str | None:
    """A key as Textual names it (``?`` → ``question_mark``, ``F5`` → ``f5``), or
    None when it names no key."""
    if len(key) == 1:
        # Textual's own rule for a single character.
        return character_to_key(key) if key.isprintable() and not key.isspace() else None
    *modifiers, base = key.split("+")
    modifiers = [modifier.lower() for modifier in modifiers]
    if len(base) > 1:
        base = base.lower()
    elif base:
        base = character_to_key(base.lower() if modifiers else base)
    name = "+".join([*modifiers, base])
    if name in KNOWN:
        return name
    if not base or any(modifier not in MODIFIERS for modifier in modifiers):
        return None
    return name if base in KNOWN or key_to_character(base) is not None else None


def _reserved() -> dict[str, str]:
    """Keys that stay what they are: the list's moving keys, quit and the palette."""
    owners = {"ctrl+q": "quit (ctrl+q)", App.COMMAND_PALETTE_BINDING: "the command palette"}
    for binding in BatchList.BINDINGS:
        if isinstance(binding, Binding):
            for key in binding.key.split(","):
                owners[key] = f"the list's {binding.description}"
    return owners


def resolve_keymap(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``[keys]`` pairs (command id, keys) as a keymap (binding id → Textual key
    names, comma-separated), or a ConfigError naming the first problem."""
    ids = command_ids()
    keymap: dict[str, str] = {}
    for command_id, keys in pairs:
        if command_id not in ids:
            raise ConfigError(f"[keys] unknown command {command_id!r} (one of: {', '.join(ids)})")
        names = []
        for key in keys.split(","):
            name = normalize(key)
            if name is None:
                raise ConfigError(
                    f"[keys] {command_id}: {key!r} is not a key (like k, K, f5, ctrl+r, "
                    "question_mark, space)"
                )
            names.append(name)
        keymap[command_id] = ",".join(dict.fromkeys(names))
    _check_clashes(keymap)
    return keymap


def _check_clashes(keymap: dict[str, str]) -> None:
    owners = _reserved()
    for command in COMMANDS:
        command_id = command.binding_id
        for key in keymap.get(command_id, command.key).split(","):
            owner = owners.setdefault(key, command_id)
            if owner != command_id:
                raise ConfigError(
                    f"[keys] {key} would be both {owner} and {command_id}; rebind one of them"
                )
