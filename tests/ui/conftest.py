"""Fixtures of the Pilot and snapshot tests: the real app against the demo server."""

from __future__ import annotations

import pytest

from batch_tui.demo.server import DemoServer


@pytest.fixture
def run_app(demo, clock):
    """Start the real app (built by ``session.make_app``) against the demo server with
    the frozen clock: ``async with run_app(size=..., **options) as pilot``. The pilot
    is handed over once the screen shows what the monitor holds. ``server=`` runs it
    against another demo server."""
    from apphelpers import running

    def run_app(*, server: DemoServer | None = None, **options):
        return running(server or demo, clock, **options)

    return run_app
