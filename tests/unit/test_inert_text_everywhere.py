"""Every place the UI shows text goes through the one safe helper, or is a constant.

A guard for the future: a new ``notify()`` with a server string, or a widget fed an
f-string, would parse that string as markup. This reads the UI's source and fails
on any such call.
"""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "tui" / "batch_tui" / "ui"
SHOWN_BY = {"notify", "update", "Static", "Label", "Button"}


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in SHOWN_BY:
                yield name, node


def test_notifications_with_built_strings_turn_markup_off():
    offenders = []
    for path in UI.rglob("*.py"):
        for name, call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            if name != "notify" or not call.args:
                continue
            message = call.args[0]
            literal = isinstance(message, ast.Constant) and isinstance(message.value, str)
            markup_off = any(
                k.arg == "markup" and isinstance(k.value, ast.Constant) and k.value.value is False
                for k in call.keywords
            )
            if not literal and not markup_off:
                offenders.append(f"{path.name}:{call.lineno}")
    assert offenders == []


def test_widgets_are_never_given_formatted_strings():
    offenders = []
    for path in UI.rglob("*.py"):
        for name, call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            if name == "notify" or not call.args:
                continue
            if isinstance(call.args[0], (ast.JoinedStr, ast.BinOp)):
                offenders.append(f"{path.name}:{call.lineno}")
    assert offenders == []
