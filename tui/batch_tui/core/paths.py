"""Where batch-tui keeps files of its own: the platform's user directories.

A bottom-layer module (standard library and platformdirs only) so that every
module needing a path can import it without pulling in anything else.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import platformdirs

APP_NAME = "batch-tui"
#: Moves the user state directory (the watch list and the local stores).
ENV_STATE_DIR = "BATCH_TUI_STATE_DIR"
#: A profile name used as it is in a file name; any other is hashed.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def state_dir() -> Path:
    """The user state directory (``~/.local/state/batch-tui`` on Linux)."""
    base = os.environ.get(ENV_STATE_DIR)
    return Path(base) if base else platformdirs.user_state_path(APP_NAME)


def state_dir_chosen() -> bool:
    """True when the user chose the state directory (``$BATCH_TUI_STATE_DIR``): then
    it is theirs, checked but never changed; the platform's default one is ours."""
    return bool(os.environ.get(ENV_STATE_DIR))


def config_dir() -> Path:
    """The user config directory (``~/.config/batch-tui`` on Linux)."""
    return platformdirs.user_config_path(APP_NAME)


def profile_dir(profile: str) -> Path:
    """A profile's own directory in the user state directory: ``profiles/NAME``, the
    name as it is when plain, else hashed (``~`` first, which no plain name starts
    with, so two names never share a directory)."""
    if _SAFE_NAME.fullmatch(profile):
        name = profile
    else:
        name = "~" + hashlib.sha256(profile.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return state_dir() / "profiles" / name
