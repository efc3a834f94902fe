"""What the dashboard's start loads, and what it leaves for later.

Every module loaded before the first rows is start-up a user waits for. A fresh
interpreter takes the dashboard's path (the command line, then the session that
builds the app) and must not have loaded what the first frame does without: the
demo server, the history screen's charts, the Redis hub, the dialogs, the hooks,
the exports, or httpx's own command-line client (click, pygments). Each of these
is loaded when first used; an import added at the top of a module brings it back
here, and this test says which. What the first request needs (the network
backend) is loaded before the app starts, not by that request.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: Loaded when first used, never by the dashboard's start (prefixes of module names).
LATER = (
    # httpx's command line (``api/http.py``), and what it alone brings.
    "httpx._main",
    "click",
    "pygments",
    "rich.progress",
    "rich.syntax",
    # The demo server (``--demo``, ``demo-server``) and its web stack.
    "batch_tui.demo",
    "starlette",
    "uvicorn",
    # The history screen (``h``) and its charts.
    "batch_tui.ui.screens",
    "batch_tui.ui.widgets.day_charts",
    "batch_tui.monitor.history",
    "batch_tui.store.history",
    "plotext",
    "textual_plotext",
    # A team across hosts (``hub = "redis://…"``).
    "batch_tui.hub.redis",
    "redis",
    # Dialogs, hooks, exports, the store's administration, the scripts.
    "batch_tui.ui.dialogs",
    "batch_tui.integrations.hooks",
    "batch_tui.integrations.export",
    "batch_tui.store.admin",
    "batch_tui.headless",
)


def _loaded_after(code: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def _early(loaded: list[str]) -> list[str]:
    return [m for m in loaded if any(m == p or m.startswith(f"{p}.") for p in LATER)]


def test_the_dashboard_s_start_loads_nothing_it_can_load_later():
    loaded = _loaded_after("import batch_tui.cli, batch_tui.session")
    assert "batch_tui.ui.app" in loaded and "httpx" in loaded  # the path was taken
    assert _early(loaded) == []
    # And what the first request needs is there before it (``api/http.py``).
    assert "anyio._backends._asyncio" in loaded


def test_the_command_line_alone_loads_no_http_and_no_textual():
    """``--help``, ``--version`` and a bad option answer without either."""
    loaded = _loaded_after("import batch_tui.cli")
    heavy = [m for m in loaded if m.split(".")[0] in ("httpx", "httpcore", "textual", "asyncio")]
    assert heavy == []


def test_httpx_s_command_line_can_still_be_loaded_after_ours():
    """Only httpx's own first import goes without its CLI: nothing stays blocked."""
    loaded = _loaded_after("import batch_tui.api.client\nimport httpx._main")
    assert "httpx._main" in loaded and "click" in loaded


def test_the_guard_sees_a_module_loaded_early():
    assert _early(["batch_tui.cli", "click.core", "batch_tui.ui.dialogs.base", "clickhouse"]) == [
        "click.core",
        "batch_tui.ui.dialogs.base",
    ]
