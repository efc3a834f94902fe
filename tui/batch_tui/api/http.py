"""httpx, loaded without its command-line client; and its network backend, on demand.

``import httpx`` also loads ``httpx._main`` (the ``httpx`` command) whenever click
is installed, and the demo server's uvicorn always brings click: that is click,
pygments and half of rich's renderables on every start of the dashboard, a tenth
of its start-up, for a command batch-tui never runs. The CLI lives in a module of
its own that httpx imports inside ``try: ... except ImportError``, exactly so that
it can be missing; while httpx itself is first imported here, that module is
marked missing (a ``None`` in ``sys.modules`` makes its import fail at once), and
the mark is taken away again afterwards, so nothing else in the process is
affected. The ``httpx`` command runs in its own process and is untouched.

The other way round, anyio's asyncio backend (what httpx's own transport connects
with, through httpcore) is loaded up front when that transport is used, rather than
by the first request: a request cannot go out before it is loaded, and loaded then,
the first request of a dashboard waited for it while the screen was being drawn;
the first rows came 0.1 s later. ``CheckClient`` calls ``load_network_backend`` when
it chooses httpx's transport (a proxy is configured). Its own transport, used
otherwise, needs no anyio: loading the backend regardless would cost every start
some 30 ms for nothing.
"""

from __future__ import annotations

import sys

#: httpx's command-line client: never used by batch-tui (see the module docstring).
_CLI = "httpx._main"


def _load_without_cli() -> None:
    if "httpx" in sys.modules or _CLI in sys.modules:
        return  # already loaded (by a test, a script): nothing left to save
    sys.modules[_CLI] = None  # type: ignore[assignment]
    try:
        import httpx  # noqa: F401
    except ImportError:
        # An httpx that cannot do without its CLI module: loaded whole below.
        pass
    finally:
        if sys.modules.get(_CLI, _CLI) is None:
            del sys.modules[_CLI]


def load_network_backend() -> None:
    """Load what httpx's own transport connects with, before its first request."""
    try:
        import anyio._backends._asyncio  # noqa: F401
    except ImportError:
        pass  # another anyio: it is loaded by the first request, as it would be anyway


_load_without_cli()

import httpx  # noqa: E402

__all__ = ["httpx", "load_network_backend"]
