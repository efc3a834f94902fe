"""Where batch-tui keeps files of its own: the platform's user directories.

A bottom-layer module (standard library and platformdirs only) so that every
module needing a path can import it without pulling in anything else.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "batch-tui"
#: Moves the user state directory (the watch list and the local stores).
ENV_STATE_DIR = "BATCH_TUI_STATE_DIR"


def state_dir() -> Path:
    """The user state directory (``~/.local/state/batch-tui`` on Linux)."""
    base = os.environ.get(ENV_STATE_DIR)
    return Path(base) if base else platformdirs.user_state_path(APP_NAME)


def config_dir() -> Path:
    """The user config directory (``~/.config/batch-tui`` on Linux)."""
    return platformdirs.user_config_path(APP_NAME)
