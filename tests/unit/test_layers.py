"""The layers stay clean.

Every import between the top-level modules and packages of ``batch_tui`` follows
an explicit table of allowed edges (imports inside functions count too), so data
flows one way: the bottom layer (`core`: clock, paths, defaults, files, textsafe, format)
← api ← store ← monitor ← ui, with session and cli on top. The core packages never
load Textual, and the UI holds no HTTP code.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tui" / "batch_tui"

#: The bottom layer: everyone may import these.
BOTTOM = frozenset({"__init__", "core"})

#: Which top-level packages (and the few loose modules) of batch_tui each one may
#: import. ``__init__`` is the package itself (its ``__version__``). A new package
#: must be placed here, and an import not listed here fails
#: ``test_imports_follow_the_layers``.
ALLOWED: dict[str, frozenset[str]] = {
    # The bottom: clock, defaults, paths, files, text safety, formatting.
    "__init__": frozenset(),
    "core": frozenset(),
    # The API client and its models, and what keeps their data.
    "api": BOTTOM,
    "store": BOTTOM | {"api"},
    "monitor": BOTTOM | {"api", "store"},
    # The demo service answers as the API does: its models and a clock, nothing more.
    "demo": BOTTOM | {"api"},
    # The settings use the API's key and id rules.
    "settings": BOTTOM | {"api"},
    # Hooks, exports and the watch list: what goes out of the dashboard, with no
    # Textual and no HTTP.
    "integrations": BOTTOM | {"api", "monitor"},
    # The dashboard talks to the service only through the monitor, and never
    # touches the store (the monitor reads and writes it).
    "ui": BOTTOM | {"api", "monitor", "settings", "integrations"},
    # The top: the scripts, the wiring, the command line.
    "headless": BOTTOM | {"api", "monitor", "settings", "integrations"},
    "session": BOTTOM | {"api", "store", "monitor", "ui", "settings", "integrations"},
    "cli": BOTTOM | {"settings", "demo", "headless", "session", "store"},
    "__main__": frozenset({"cli"}),
}

CORE_MODULES = sorted(p.stem for p in (PACKAGE / "core").glob("*.py") if p.stem != "__init__")


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
        "batch_tui.store",
        "batch_tui.settings.config",
        "batch_tui.settings.lists",
        "batch_tui.cli",
        "batch_tui.headless.status",
        "batch_tui.headless.watch",
        "batch_tui.integrations.export",
        "batch_tui.integrations.watchlist",
        "batch_tui.core.format",
        "batch_tui.core.defaults",
        "batch_tui.core.textsafe",
        "batch_tui.core.files",
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


@pytest.mark.parametrize("module", CORE_MODULES)
def test_a_bottom_module_loads_nothing_else_of_ours_and_no_http(module):
    code = (
        f"import sys, batch_tui.core.{module}\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(('batch_tui', 'httpx')))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"batch_tui,batch_tui.core,batch_tui.core.{module}"


def _units() -> set[str]:
    """The top-level modules and packages of batch_tui (``__init__``: the package itself)."""
    units = {path.stem for path in PACKAGE.glob("*.py")}
    units |= {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    return units


def _unit_of(path: Path) -> str:
    first = path.relative_to(PACKAGE).parts[0]
    return first.removesuffix(".py")


def _imported_names(path: Path, source: str | None = None) -> list[tuple[str, int]]:
    """Every absolute name the module at ``path`` imports (``from a import b`` gives
    ``a.b``), with its line; relative imports are resolved, and imports inside
    functions count. ``source`` stands in for the file's text."""
    parts = ["batch_tui", *path.relative_to(PACKAGE).with_suffix("").parts]
    package = parts[:-1]  # an __init__.py's own package, or a module's package
    text = path.read_text(encoding="utf-8") if source is None else source
    names = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return names


def _edges() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) between different units, with where each import is."""
    units = _units()
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _unit_of(path)
        for name, line in _imported_names(path):
            parts = name.split(".")
            if parts[0] != "batch_tui":
                continue
            target = parts[1] if len(parts) > 1 and parts[1] in units else "__init__"
            if target != source:
                where = f"{path.relative_to(PACKAGE)}:{line}"
                edges.setdefault((source, target), []).append(where)
    return edges


def test_every_module_is_placed_in_the_table():
    units = _units()
    assert sorted(units - set(ALLOWED)) == [], "place the new module in ALLOWED"
    assert sorted(set(ALLOWED) - units) == [], "ALLOWED names a module that is gone"
    for unit, targets in ALLOWED.items():
        assert unit not in targets and targets <= units, unit


def test_the_allowed_edges_form_layers():
    try:
        tuple(TopologicalSorter(ALLOWED).static_order())
    except CycleError as exc:
        pytest.fail(f"the allowed edges form a cycle: {' -> '.join(exc.args[1])}")


def test_imports_follow_the_layers():
    edges = _edges()
    assert edges, "no imports found: the parser is broken"
    forbidden = [
        f"{source} -> {target} ({', '.join(dict.fromkeys(places))})"
        for (source, target), places in sorted(edges.items())
        if target not in ALLOWED.get(source, frozenset())
    ]
    assert forbidden == [], "imports not allowed by ALLOWED:\n" + "\n".join(forbidden)


def test_the_import_finder_sees_every_kind_of_import():
    code = (
        "import batch_tui.api.client\n"
        "from batch_tui import __version__, format\n"
        "from . import clock\n"
        "def later():\n"
        "    from .store import Store\n"
        "    from ..textsafe import clean\n"
    )
    top = {name for name, _ in _imported_names(PACKAGE / "cli.py", code)}
    assert {"batch_tui.api.client", "batch_tui.__version__", "batch_tui.format"} <= top
    assert {"batch_tui.clock", "batch_tui.store.Store"} <= top
    inner = {name for name, _ in _imported_names(PACKAGE / "ui" / "screens" / "x.py", code)}
    assert {
        "batch_tui.ui.screens.clock",
        "batch_tui.ui.screens.store.Store",
        "batch_tui.ui.textsafe.clean",
    } <= inner
    package = {name for name, _ in _imported_names(PACKAGE / "ui" / "__init__.py", code)}
    assert {"batch_tui.ui.clock", "batch_tui.textsafe.clean"} <= package


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


def test_no_widget_of_ours_overwrites_a_textual_reactive_by_accident():
    """``self.loading = True`` on a screen is Textual's loading indicator, not a flag of
    ours: it once blanked the results screen's title and footer. Every attribute a
    widget or screen of ours assigns must not be a reactive its Textual base declares,
    but for those that are meant to be set (a scroll view sets its virtual size)."""
    import importlib
    import inspect

    from textual.dom import DOMNode

    offenders = []
    for path in sorted((PACKAGE / "ui").rglob("*.py")):
        module_name = "batch_tui." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        module = importlib.import_module(module_name)
        for cls in vars(module).values():
            if not (inspect.isclass(cls) and issubclass(cls, DOMNode)):
                continue
            if cls.__module__ != module_name:
                continue
            inherited = {
                name
                for base in cls.__mro__[1:]
                if not base.__module__.startswith("batch_tui")
                for name in getattr(base, "_reactives", {})
            }
            assigned = {
                node.attr
                for node in ast.walk(ast.parse(inspect.getsource(cls)))
                if isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            }
            meant = {"virtual_size", "display", "border_title"}
            offenders += [
                f"{module_name}.{cls.__name__}.{name}" for name in (assigned & inherited) - meant
            ]
    assert offenders == []
