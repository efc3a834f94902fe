"""Fixtures of the unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_tui.settings import config


@pytest.fixture
def no_real_config(tmp_path, monkeypatch) -> Path:
    """Point the default config path into tmp_path so a developer's real config never leaks
    in; the path (which does not exist yet) is returned for tests that write one there."""
    path = tmp_path / "default-config" / "config.toml"
    monkeypatch.setattr(config, "default_config_path", lambda: path)
    return path
