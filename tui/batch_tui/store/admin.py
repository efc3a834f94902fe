"""``batch-tui store --info / --clear``: what the local stores hold, and starting afresh."""

from __future__ import annotations

from pathlib import Path

from batch_tui.store.db import StoreUnavailable, describe
from batch_tui.store.location import SUFFIX, store_dir


def _stores(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{SUFFIX}")) if directory.is_dir() else []


def store_info(directory: Path | None = None) -> str:
    """A few lines per store: its file, the service it belongs to, and what it holds."""
    directory = directory or store_dir()
    paths = _stores(directory)
    if not paths:
        return f"No local stores in {directory}."
    lines = [f"Local stores in {directory} (the API key is never stored):"]
    for path in paths:
        try:
            info = describe(path)
        except StoreUnavailable as exc:
            lines.append(f"  {path.name}: {exc}")
            continue
        lines.append(
            f"  {path.name}: {info.base_url or 'unknown service'} · "
            f"{info.batches:,} batches ({info.finished:,} finished) · "
            f"{info.size_bytes / 1e6:.1f} MB · schema {info.schema}"
        )
    return "\n".join(lines)


def clear_stores(directory: Path | None = None) -> str:
    """Delete every store (and its WAL files); the next start fetches afresh."""
    directory = directory or store_dir()
    removed = 0
    problems = []
    for path in _stores(directory):
        for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            try:
                part.unlink(missing_ok=True)
            except OSError as exc:
                problems.append(f"{part}: {exc.strerror or exc}")
        removed += 1
    if problems:
        return "Could not remove: " + "; ".join(problems)
    return f"Removed {removed} local store(s) from {directory}."
