"""What the dashboard's start loads, and what it leaves for later.

Every module loaded before the first rows is start-up a user waits for. A fresh
interpreter takes the dashboard's path (the command line, then the session that
builds the app) and must not have loaded what the first frame does without: the
demo server, the history screen's charts, the Redis hub, the dialogs, the hooks,
the exports, or httpx's own command-line client (click, pygments). Each of these
is loaded when first used; an import added at the top of a module brings it back
here, and this test says which. What the first request needs is loaded before the
app starts, not by that request: httpx's network backend only when httpx's own
transport is used (a proxy), since the client's own transport needs none.
"""

from __future__ import annotations

import json
import os
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


#: Environment variables that configure a proxy (what ``urllib.request.getproxies`` reads).
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _loaded_after(code: str, **env: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``code``, with no proxy
    configured but for ``env``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    clean = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=clean | env
    )
    return json.loads(done.stdout.splitlines()[-1])


def _early(loaded: list[str]) -> list[str]:
    return [m for m in loaded if any(m == p or m.startswith(f"{p}.") for p in LATER)]


def test_the_dashboard_s_start_loads_nothing_it_can_load_later():
    loaded = _loaded_after("import batch_tui.cli, batch_tui.session")
    assert "batch_tui.ui.app" in loaded and "httpx" in loaded  # the path was taken
    assert _early(loaded) == []


CLIENT = "from batch_tui.api.client import CheckClient\nCheckClient('https://api.example.test', 'k' * 20)"


def test_httpx_s_network_backend_is_loaded_with_the_client_only_for_a_proxy():
    """Loaded before the first request when httpx's own transport will send it (the
    first rows waited for it otherwise); never for the client's own transport."""
    assert "anyio._backends._asyncio" not in _loaded_after(CLIENT)
    proxied = _loaded_after(CLIENT, HTTPS_PROXY="http://proxy.example.test:3128")
    assert "anyio._backends._asyncio" in proxied


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
