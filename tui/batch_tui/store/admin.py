"""``batch-tui store --info / --clear``: what the local stores hold, and starting afresh.

Only what is provably ours is ever touched. A file is a store when its name is
ours (24 hex digits and ``.sqlite3``, see ``location.py``), it is a regular file of
this user (no symlink), and SQLite reads it as one of our schema (a ``meta`` and a
``batches`` table, a known ``user_version``). Beside a store, and only with its
stem, its companions are ours too: SQLite's ``-wal``/``-shm``. A team file
(``team-`` and 24 hex digits and ``.db``, with the team tables: what the
organisation's leader published, see ``hub/local.py``) is ours the same way, with
its ``-wal``/``-shm`` and its ``team-….lock``. Any other file
in the folder (another program's SQLite file, a note) is left alone and never
named. A store a running dashboard has open is reported, not removed.

Everything printed is cleaned of escape sequences: a planted store's URL or a
folder's name cannot drive the terminal.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from batch_tui.core.textsafe import clean
from batch_tui.store.db import COMPANIONS, SCHEMA_VERSION, StoreUnavailable, describe
from batch_tui.store.db import probe_open_elsewhere as _in_use
from batch_tui.store.location import SUFFIX, store_dir

#: A store's file name: a hash (``location.store_path``) and the suffix.
STORE_NAME = re.compile(r"[0-9a-f]{24}" + re.escape(SUFFIX))
#: A team file's name (``hub/local.py``), and the tables that make it one.
TEAM_NAME = re.compile(r"team-[0-9a-f]{24}\.db")
TEAM_TABLES = frozenset({"meta", "members", "records", "ledger"})


@dataclass(frozen=True)
class Found:
    """One store found in the folder, with the files that go with it."""

    path: Path
    files: tuple[Path, ...]
    """The store and every companion that exists, in removal order."""
    in_use: bool
    """A running dashboard has it open."""


def _text(value: object) -> str:
    return clean(str(value), max_chars=300)


def _is_ours(path: Path) -> bool:
    """Name, owner, kind and schema say it is one of our stores (or team files)."""
    team = TEAM_NAME.fullmatch(path.name) is not None
    if not (team or STORE_NAME.fullmatch(path.name)):
        return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
        return False
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        finally:
            db.close()
    except sqlite3.Error:
        return False
    if team:
        return TEAM_TABLES <= tables
    # A newer batch-tui's store is still ours; version 0 is an empty file of ours
    # only when it has our tables (it never has: migrations set the version at once).
    return {"meta", "batches"} <= tables and 1 <= version <= SCHEMA_VERSION + 100


def companions(path: Path) -> list[Path]:
    """The files that belong with the store at ``path`` (existing or not)."""
    if TEAM_NAME.fullmatch(path.name):
        return [
            *(path.with_name(path.name + c) for c in COMPANIONS),
            path.with_name(path.name.removesuffix(".db") + ".lock"),
        ]
    stem = path.name[: -len(SUFFIX)]
    team = [path.with_name(f"{stem}.team.db"), path.with_name(f"{path.name}.team.db")]
    lock = [path.with_name(f"{stem}.lock"), path.with_name(f"{path.name}.lock")]
    out = [path.with_name(path.name + c) for c in COMPANIONS]
    for db in team:
        out += [db, *(db.with_name(db.name + c) for c in COMPANIONS)]
    return out + lock


def _regular_of_ours(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    # A symlink is removed as a link (never followed); anything else not ours stays.
    return (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)) and (
        info.st_uid == os.geteuid()
    )


def find_stores(directory: Path) -> list[Found]:
    """The stores in ``directory`` (ours only, see the module docstring)."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        if not _is_ours(path):
            continue
        files = [path, *(p for p in companions(path) if _regular_of_ours(p))]
        found.append(Found(path, tuple(files), _in_use(path)))
    return found


def _owners(labels: Mapping[Path, str] | None, path: Path) -> str:
    if labels is None:
        return ""
    owner = labels.get(path)
    return f" · {_text(owner)}" if owner else " · no profile of this config"


def store_info(directory: Path | None = None, owners: Mapping[Path, str] | None = None) -> str:
    """A few lines per store: its file, who owns it (``owners``: path → "profile
    NAME" / "no profile"), the service it belongs to, and what it holds."""
    directory = directory or store_dir()
    where = _text(directory)
    stores = find_stores(directory)
    if not stores:
        return f"No local stores in {where}."
    lines = [f"Local stores in {where} (the API key is never stored):"]
    for found in stores:
        name = _text(found.path.name)
        busy = " · in use by a running dashboard" if found.in_use else ""
        try:
            info = describe(found.path)
        except StoreUnavailable as exc:
            lines.append(f"  {name}: {_text(exc)}")
            continue
        service = _text(info.base_url or "unknown service")
        lines.append(
            f"  {name}{_owners(owners, found.path)}: {service} · "
            f"{info.batches:,} batches ({info.finished:,} finished) · "
            f"{info.size_bytes / 1e6:.1f} MB · schema {info.schema}{busy}"
        )
    return "\n".join(lines)


def clear_stores(
    directory: Path | None = None,
    *,
    confirm: Callable[[str], bool] | None = None,
) -> str:
    """Delete the stores in ``directory`` (and their companions), none in use.

    ``confirm`` is shown the list of what would go and says whether to go on (None:
    go on, as ``--yes``). Returns what happened, cleaned, in a few lines."""
    directory = directory or store_dir()
    where = _text(directory)
    stores = find_stores(directory)
    free = [found for found in stores if not found.in_use]
    busy = [found for found in stores if found.in_use]
    notes = [
        f"  {_text(found.path.name)}: in use by a running dashboard; not removed (quit it first)"
        for found in busy
    ]
    if not free:
        return "\n".join([f"No local stores to remove in {where}.", *notes])
    listing = "\n".join(
        f"  {_text(path.name)}" for found in free for path in found.files
    )
    if confirm is not None and not confirm(
        "\n".join([f"This removes {len(free)} local store(s) from {where}:", listing, *notes])
    ):
        return "Nothing removed."
    problems = []
    removed: list[str] = []
    for found in free:
        if _in_use(found.path):  # opened since the list was shown
            notes.append(f"  {_text(found.path.name)}: in use by a running dashboard; not removed")
            continue
        for part in found.files:
            try:
                part.unlink(missing_ok=True)
            except OSError as exc:
                problems.append(f"{_text(part.name)}: {_text(exc.strerror or exc)}")
            else:
                removed.append(f"  {_text(part.name)}")
    count = len(free) - sum(1 for note in notes if note.endswith("not removed"))
    lines = [f"Removed {count} local store(s) from {where}:", *removed, *notes]
    if problems:
        lines.append("Could not remove: " + "; ".join(problems))
    return "\n".join(lines)
