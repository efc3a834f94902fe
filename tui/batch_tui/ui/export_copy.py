"""Getting batches out of the dashboard: copy an id (OSC 52), export the list to a file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from textual.widget import Widget

from batch_tui.api.models import Batch
from batch_tui.ui.text import plain
from batch_tui.ui.tmux_check import clipboard_problem, first_time


def copy_batch_id(node: Widget, batch: Batch | None) -> None:
    """Put the batch's id on the clipboard (OSC 52), and say so."""
    if batch is None or not batch.id:
        node.notify("No batch selected.", severity="warning")
        return
    batch_id = plain(batch.id)
    node.app.copy_to_clipboard(batch_id)
    # The terminal may ignore the write (tmux needs set-clipboard on): say what was done.
    node.notify(f"Sent {batch_id} to the terminal clipboard (OSC 52).", timeout=3, markup=False)
    problem = first_time(clipboard_problem())
    if problem is not None:
        node.notify(problem, title="tmux", severity="warning", timeout=10, markup=False)


def export_failed(exc: OSError) -> str:
    """``Export failed: cannot write /path/file.csv: Permission denied``: with the path."""
    where = exc.filename if exc.filename is not None else Path.cwd()
    return f"Export failed: cannot write {plain(where)}: {plain(exc.strerror or exc)}"


def export_list(node: Widget, batches: Sequence[Batch], fmt: str, now: datetime) -> None:
    """Write these batches (the list as shown) to a CSV or JSON file here, and say where."""
    from batch_tui.integrations.export import export_batches  # loaded when first needed

    try:
        path = export_batches(batches, fmt, now=now)
    except OSError as exc:
        node.notify(export_failed(exc), severity="error", markup=False)
        return
    node.notify(written_to(f"{len(batches):,} batches", path), title="Exported", markup=False)


def written_to(what: str, path: Path) -> str:
    """``Wrote 12 batches to`` / the file's name / ``in`` its folder: each on a line of
    its own, so a narrow notification never wraps inside the name."""
    return f"Wrote {what} to\n{plain(path.name)}\nin {plain(path.parent)}"
