"""The batches a user asked to watch, remembered between runs.

A small JSON file in the platform's user state directory. Losing it loses only a
convenience, so a file that cannot be used never stops the dashboard: it is
ignored, and ``problem`` says why. A corrupt file is not overwritten either: it
is renamed to ``watched.json.corrupt`` (or ``.corrupt-1`` …) and kept, and one
that is no regular file (a FIFO, a directory) is never read nor replaced.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from batch_tui.api.models import batch_id_problem
from batch_tui.core.files import FileTooLarge, NotAFile, read_regular_file
from batch_tui.core.paths import ENV_STATE_DIR, profile_dir, state_dir

__all__ = ["ENV_STATE_DIR", "WatchList", "default_path"]

#: A watch list larger than this is not ours (a thousand ids take 30 KB).
MAX_WATCHLIST_BYTES = 1024 * 1024
#: How many corrupt copies are kept side by side before giving up on renaming.
MAX_KEPT = 100


def default_path(profile: str | None = None) -> Path:
    """``watched.json`` in the user state directory (``$BATCH_TUI_STATE_DIR`` overrides);
    a profile's in ``profiles/NAME/`` there."""
    if profile is not None:
        return profile_dir(profile) / "watched.json"
    return state_dir() / "watched.json"


class WatchList:
    """Watched batch ids, in the order they were added."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.problem: str | None = None
        """Why the file could not be used, after ``load()``; None when it could (or is missing)."""
        self.remembered: list[str] = []
        """The ids remembered, as last loaded or saved."""
        self._may_write = True

    def load(self) -> list[str]:
        """The remembered ids (empty when there is no usable file); entries that
        are no batch id are dropped."""
        self.problem = None
        self._may_write = True
        try:
            raw = read_regular_file(self.path, MAX_WATCHLIST_BYTES)
        except FileNotFoundError:
            return []
        except NotAFile as exc:
            return self._leave_alone(str(exc))
        except FileTooLarge as exc:
            return self._set_aside(str(exc))
        except OSError as exc:
            return self._leave_alone(f"cannot be read ({exc.strerror or exc})")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):  # RecursionError: nested past the parser's stack
            return self._set_aside("is not valid JSON")
        ids = data.get("watched") if isinstance(data, dict) else None
        if not isinstance(ids, list):
            return self._set_aside("does not hold a list of watched ids")
        valid = [i for i in ids if isinstance(i, str) and batch_id_problem(i) is None]
        self.remembered = list(dict.fromkeys(valid))
        return list(self.remembered)

    def add(self, batch_id: str) -> None:
        """Remember one more id."""
        self.save([*self.remembered, batch_id])

    def discard(self, batch_id: str) -> None:
        """Forget this id, if it was remembered."""
        if batch_id in self.remembered:
            self.save([i for i in self.remembered if i != batch_id])

    def _leave_alone(self, reason: str) -> list[str]:
        # Not ours to replace: saving is off for this run.
        self._may_write = False
        self.problem = f"watch list {self.path} {reason}; ignored, and left as it is"
        return []

    def _set_aside(self, reason: str) -> list[str]:
        for n in range(MAX_KEPT):
            kept = self.path.with_name(f"{self.path.name}.corrupt" + (f"-{n}" if n else ""))
            if kept.exists():
                continue
            try:
                os.rename(self.path, kept)
            except OSError:
                break
            self.problem = f"watch list {self.path} {reason}; ignored, and kept as {kept}"
            return []
        return self._leave_alone(reason)

    def save(self, ids: list[str]) -> None:
        """Remember these ids (best effort: a read-only home is not worth a crash)."""
        self.remembered = list(dict.fromkeys(ids))
        if not self._may_write:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"watched": self.remembered}, indent=2), "utf-8")
            tmp.replace(self.path)
        except OSError:
            pass
