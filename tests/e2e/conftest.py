"""Fixtures of the end-to-end tests: a tmux server of their own and demo-server processes.

Every test here drives the real terminal, so each is marked ``tmux`` and skipped where
tmux is not installed (in CI its absence is an error: .ci/run installs it)."""

from __future__ import annotations

import os
import shutil

import pytest

from terminal import DemoProcesses, Tmux

if shutil.which("tmux") is None and os.environ.get("CI"):
    raise RuntimeError("tmux is required in CI (.ci/run installs it)")


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    missing = shutil.which("tmux") is None
    for item in items:
        if str(item.path).startswith(here + os.sep):
            item.add_marker(pytest.mark.tmux)
            if missing:
                item.add_marker(pytest.mark.skip(reason="tmux is not installed"))


@pytest.fixture
def demo_process():
    processes = DemoProcesses()
    yield processes
    processes.stop_all()


@pytest.fixture
def tmux(tmp_path):
    session = Tmux(tmp_path)
    yield session
    session.kill()
