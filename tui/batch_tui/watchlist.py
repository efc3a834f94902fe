"""The batches a user asked to watch, remembered between runs.

A small JSON file in the platform's user state directory. Losing it loses only a
convenience, so an unreadable file is treated as empty, never as an error.
"""

from __future__ import annotations

import json
from pathlib import Path

from batch_tui.paths import ENV_STATE_DIR, state_dir

__all__ = ["ENV_STATE_DIR", "WatchList", "default_path"]


def default_path() -> Path:
    """``watched.json`` in the user state directory (``$BATCH_TUI_STATE_DIR`` overrides)."""
    return state_dir() / "watched.json"


class WatchList:
    """Watched batch ids, in the order they were added."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def load(self) -> list[str]:
        """The remembered ids (empty when there is no usable file)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        ids = data.get("watched") if isinstance(data, dict) else None
        return [i for i in ids if isinstance(i, str) and i] if isinstance(ids, list) else []

    def save(self, ids: list[str]) -> None:
        """Remember these ids (best effort: a read-only home is not worth a crash)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"watched": list(dict.fromkeys(ids))}, indent=2), "utf-8")
            tmp.replace(self.path)
        except OSError:
            pass
