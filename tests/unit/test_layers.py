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
    # Where the dashboards of one organisation meet (files beside the store, or Redis).
    "hub": BOTTOM | {"api"},
    "monitor": BOTTOM | {"api", "store", "hub"},
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
    "headless": BOTTOM | {"api", "store", "hub", "monitor", "settings", "integrations"},
    "session": BOTTOM | {"api", "store", "hub", "monitor", "ui", "settings", "integrations"},
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
        "batch_tui.hub",
        "batch_tui.hub.redis",
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


# ── no circles, and the ui package's own order ──────────────────────────────


def _module_name(path: Path) -> str:
    """``batch_tui.ui.app`` for ui/app.py; a package's ``__init__.py`` is the package."""
    parts = ["batch_tui", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_graph() -> dict[str, dict[str, str]]:
    """Module → {module of ours it imports → where}. Every import counts: at the top,
    inside functions and under ``if TYPE_CHECKING:`` too, since an import kept out of
    the running program only to break a circle still ties the two modules together
    (and is how circles hide). ``from a import b`` is an edge to ``a.b`` when that is a
    module of ours, else to ``a``."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, dict[str, str]] = {}
    for name, path in sorted(modules.items()):
        targets = graph.setdefault(name, {})
        for imported, line in _imported_names(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.setdefault(imported, f"{path.relative_to(PACKAGE)}:{line}")
    return graph


def _cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The import circles: every strongly connected group of two or more modules
    (Tarjan's algorithm), each as one path round it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def _describe(group: list[str], graph: dict[str, dict[str, str]]) -> str:
    """One circle through a group, with where each import is: a -> b (file:line) -> …"""
    members = set(group)
    path, seen = [group[0]], {group[0]}
    while True:
        step = next(t for t in sorted(graph[path[-1]]) if t in members)
        if step in seen:
            loop = path[path.index(step) :] + [step]
            return (
                " -> ".join(f"{a} ({graph[a][b]})" for a, b in zip(loop, loop[1:], strict=False))
                + f" -> {step}"
            )
        path.append(step)
        seen.add(step)


#: Circles another branch removes (the monitor as collaborating objects, issue 17
#: item 1; the demo's batches and items): allowed here until that lands, and
#: ``test_no_import_circles`` fails once one of them is gone and still listed, so
#: the list only shrinks. Nothing may be added to it.
KNOWN_CIRCLES: list[list[str]] = []


def test_no_import_circles():
    graph = _module_graph()
    assert len(graph) > 50, "too few modules found: the finder is broken"
    found = _cycles(graph)
    circles = [group for group in found if group not in KNOWN_CIRCLES]
    assert circles == [], "import circles:\n" + "\n".join(_describe(g, graph) for g in circles)
    assert [g for g in KNOWN_CIRCLES if g not in found] == [], "a known circle is gone: unlist it"


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b": "a.py:1"}, "b": {"c": "b.py:1"}, "c": {"a": "c.py:1"}, "d": {"a": "d:1"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _describe(["a", "b", "c"], graph) == "a (a.py:1) -> b (b.py:1) -> c (c.py:1) -> a"


#: The ui package's layers, bottom first: a module imports only from its own layer
#: or those below. ``base`` is ui's loose modules (text, styles, the command table,
#: the view, textual_compat…), which every other layer may use; dialogs ask one
#: question each and use only the base; widgets may open a dialog (Enter on an error
#: shows it in full); full screens (history, results) are made of widgets and
#: dialogs; alerts tell of batch events; the dashboard screen and its collaborators
#: use all of those; the app (``ui/app.py``) wires a dashboard to a monitor.
UI_LAYERS = ("base", "dialogs", "widgets", "screens", "alerts", "dashboard", "app")


def _ui_layer(module: str) -> str:
    parts = module.split(".")[2:]  # after batch_tui.ui
    if parts == ["app"]:
        return "app"
    if len(parts) > 1 or (parts and (PACKAGE / "ui" / parts[0]).is_dir()):
        assert parts[0] in UI_LAYERS, f"place ui/{parts[0]}/ in UI_LAYERS"
        return parts[0]
    return "base"


def test_imports_inside_ui_run_downward():
    upward = [
        f"{source} ({_ui_layer(source)}) -> {target} ({_ui_layer(target)}) at {where}"
        for source, targets in _module_graph().items()
        if source.startswith("batch_tui.ui")
        for target, where in targets.items()
        if target.startswith("batch_tui.ui")
        and UI_LAYERS.index(_ui_layer(target)) > UI_LAYERS.index(_ui_layer(source))
    ]
    assert upward == [], "upward imports inside ui/:\n" + "\n".join(upward)


# ── one module for Textual's private parts; classes not assembled from mixins ──


def _textual_private_names() -> set[str]:
    """Every private (single-underscore) name Textual's app, screens and widgets have."""
    from textual.app import App
    from textual.screen import Screen
    from textual.scroll_view import ScrollView
    from textual.widget import Widget

    # Instances too: much of Textual's state (``_driver``, ``_notifications``) is
    # set in ``__init__``, not on the class.
    objects = (App, Screen, Widget, ScrollView, App(), Screen(), Widget(), ScrollView())
    return {
        name
        for thing in objects
        for name in dir(thing)
        if name.startswith("_") and not name.startswith("__")
    }


def _own_private_names() -> set[str]:
    """Private names our own code defines (methods, and attributes it assigns)."""
    names: set[str] = set()
    for path in (PACKAGE / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
    return names


def test_textual_s_private_parts_are_used_in_one_module():
    """An upgrade of Textual is checked against ui/textual_compat.py alone: no other
    module imports a private module or name of Textual's, or reaches for a private
    attribute of Textual's objects (one our own code does not define)."""
    theirs = _textual_private_names() - _own_private_names()
    offenders = []
    for path in sorted((PACKAGE / "ui").rglob("*.py")):
        if path.name == "textual_compat.py":
            continue
        where = path.relative_to(PACKAGE)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("textual"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                if "._" in f".{node.module}" or private:
                    offenders.append(f"{where}:{node.lineno} from {node.module} import")
            elif isinstance(node, ast.Attribute) and node.attr in theirs:
                offenders.append(f"{where}:{node.lineno} .{node.attr}")
    assert offenders == []


#: Classes still assembled from mixins, for another branch to take apart (the
#: monitor as collaborating objects, issue 17 item 1). The list only shrinks.
KNOWN_ASSEMBLED: set[str] = set()


def test_no_class_is_assembled_from_three_of_our_own_bases():
    import importlib
    import inspect

    assembled = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        module = importlib.import_module(_module_name(path))
        for cls in vars(module).values():
            if inspect.isclass(cls) and cls.__module__ == module.__name__:
                ours = [b for b in cls.__bases__ if b.__module__.startswith("batch_tui")]
                if len(ours) >= 3:
                    assembled.add(f"{cls.__module__}.{cls.__qualname__}")
    assert assembled - KNOWN_ASSEMBLED == set()
    assert KNOWN_ASSEMBLED - assembled == set(), "a known class is taken apart: unlist it"
