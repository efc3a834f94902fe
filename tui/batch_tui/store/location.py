"""Where the local stores live: one SQLite file per API base URL and key.

The file name is a hash of the base URL and the key (and the profile's name, when
one is in use), so two organisations (or a staging and a production service, or
two profiles) never share a store, and the key itself is never written anywhere:
a hash cannot be turned back into it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from batch_tui.core.paths import state_dir

SUFFIX = ".sqlite3"


def store_dir() -> Path:
    """``store/`` in the user state directory (``$BATCH_TUI_STATE_DIR`` moves it)."""
    return state_dir() / "store"


def store_path(
    base_url: str, api_key: str, directory: Path | None = None, *, profile: str | None = None
) -> Path:
    """The store for this service and organisation (its key, hashed), and profile.
    Without a profile the path is what it always was, so no store is lost."""
    text = f"{base_url.rstrip('/')}\0{api_key}"
    if profile is not None:
        text += f"\0profile\0{profile}"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return (directory or store_dir()) / f"{digest[:24]}{SUFFIX}"
