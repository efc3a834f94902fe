"""The layers stay clean: client, models, monitor and demo never load Textual; the UI holds no HTTP."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tui" / "batch_tui"


@pytest.mark.parametrize(
    "module",
    [
        "batch_tui.api",
        "batch_tui.api.client",
        "batch_tui.api.models",
        "batch_tui.monitor.monitor",
        "batch_tui.monitor.scheduler",
        "batch_tui.demo.simulator",
        "batch_tui.demo.server",
        "batch_tui.config",
        "batch_tui.format",
    ],
)
def test_core_modules_load_no_textual(module):
    code = (
        f"import sys, {module}\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{module} loaded {result.stdout.strip()}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_ui_holds_no_http_code():
    offenders = {}
    for path in (PACKAGE / "ui").rglob("*.py"):
        bad = {
            name
            for name in _imports(path)
            if name.split(".")[0] in ("httpx", "starlette", "uvicorn")
            or name.startswith("batch_tui.api.client")
        }
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = sorted(bad)
    assert offenders == {}


#: Size limits that keep the UI readable: one look at a file tells what it does.
MAX_MODULE_LINES = 450
MAX_CLASS_LINES = 250
MAX_FUNCTION_LINES = 60


def test_the_ui_is_made_of_small_pieces():
    too_big = []
    for path in sorted((PACKAGE / "ui").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        name = str(path.relative_to(PACKAGE))
        if len(source.splitlines()) > MAX_MODULE_LINES:
            too_big.append(f"{name}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                limit = MAX_CLASS_LINES
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                limit = MAX_FUNCTION_LINES
            else:
                continue
            lines = node.end_lineno - node.lineno + 1
            if lines > limit:
                too_big.append(f"{name}:{node.lineno} {node.name}: {lines} lines")
    assert too_big == []
