"""The batches a user asked to watch, remembered between runs.

A small JSON file in the platform's user state directory. Losing it loses only a
convenience, so a file that cannot be used never stops the dashboard: it is
ignored, and ``problem`` says why. A corrupt file is not overwritten either: it
is renamed to ``watched.json.corrupt`` (or ``.corrupt-1`` …) and kept, and one
that is no regular file (a FIFO, a directory, a symlink: never followed) is never
read nor replaced.

Written privately and atomically (``core/private.py``): the folder 0700, the file
0600 whatever the umask, written to a temporary file beside it and renamed over
it, so a full disk leaves the old list whole and no temporary file behind; the
failure is returned for the dashboard to say (``a`` never claims to remember an id
it could not write).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from batch_tui.api.models import batch_id_problem
from batch_tui.core.files import FileTooLarge, NotAFile, read_regular_file
from batch_tui.core.paths import ENV_STATE_DIR, profile_dir, state_dir, state_dir_chosen
from batch_tui.core.private import NotPrivate, private_dir, write_private_file

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
            raw = read_regular_file(self.path, MAX_WATCHLIST_BYTES, follow_symlinks=False)
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

    def add(self, batch_id: str) -> str | None:
        """Remember one more id; returns why it could not be written, if it could not."""
        return self.save([*self.remembered, batch_id])

    def discard(self, batch_id: str) -> str | None:
        """Forget this id, if it was remembered; returns why that could not be written."""
        if batch_id in self.remembered:
            return self.save([i for i in self.remembered if i != batch_id])
        return None

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

    def save(self, ids: list[str]) -> str | None:
        """Remember these ids; returns why the file could not be written (a full disk,
        a read-only home, a folder that is not private), None when it was. The list
        in memory is kept either way: a failed write is worth a warning, not a crash."""
        self.remembered = list(dict.fromkeys(ids))
        if not self._may_write:
            return self.problem
        data = json.dumps({"watched": self.remembered}, indent=2).encode("utf-8")
        try:
            # A profile's folder and the default state folder are ours (made 0700); a
            # state folder the user chose is checked but never changed.
            chosen = self.path.parent == state_dir() and state_dir_chosen()
            private_dir(self.path.parent, tighten=not chosen)
            write_private_file(self.path, data)
        except NotPrivate as exc:
            return f"cannot write the watch list: {exc}"
        except OSError as exc:
            return f"cannot write the watch list {self.path}: {exc.strerror or exc}"
        return None
