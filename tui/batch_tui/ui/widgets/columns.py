"""The batch list's columns: one registry entry each (key, title, width, how a cell
is made from a row), and the layout that picks which fit a width.

Adding a column is one ``ColumnDef`` here (plus its name in ``COLUMN_CHOICES``,
which the config file checks against, and a place in ``PRIORITIES``). A user's
``columns = [...]`` chooses among them and orders them; the stale mark always
comes first, and ``id`` is the full id where it fits, else its last six characters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from rich.text import Text

from batch_tui.core.defaults import DEFAULT_COLUMNS
from batch_tui.core.format import MISSING, age, compact, count, money
from batch_tui.monitor.alarms import status_word
from batch_tui.monitor.insight import Progress
from batch_tui.monitor.monitor import Snapshot
from batch_tui.ui.styles import (
    ALARM_CELL_STYLE,
    INCOMPLETE_STYLE,
    STALLED_STYLE,
    progress_bar,
    status_text,
)
from batch_tui.ui.text import inert

Cells = tuple[Text, ...]
Column = tuple[str, str, int]


@dataclass
class Extras:
    """What a row's cells may need beyond its snapshot and the time."""

    progress: Mapping[str, Progress] = field(default_factory=dict)
    """Running batches' recent progress (pace and ETA), by batch id."""
    profile: str = ""
    """The active profile's name ("" when none is chosen: shown as ``default``)."""


NO_EXTRAS = Extras()
CellMaker = Callable[[Snapshot, datetime, Extras], Text]


@dataclass(frozen=True)
class ColumnDef:
    """One column the list can show."""

    key: str
    title: str
    width: int
    """Its full width; the layout may narrow some (name, progress) or drop it."""
    cell: CellMaker
    timely: bool = False
    """Reads differently as time passes alone: remade on the slow tick."""


def mark_cell(snapshot: Snapshot, now: datetime, extras: Extras = NO_EXTRAS) -> Text:
    """``!`` when the row's data is stale (its refresh failed, or it is too old);
    ``?`` when the server sent fields that could not be used."""
    if snapshot.is_stale(now.timestamp()):
        return Text("!", style="bold yellow")
    if snapshot.batch.bad_fields:
        return Text("?", style="bold magenta")
    return Text("")


def age_cell(snapshot: Snapshot, now: datetime, extras: Extras = NO_EXTRAS) -> Text:
    """How long ago the batch was created."""
    return Text(age(snapshot.batch.created_at, now), justify="right")


def _name(snapshot: Snapshot, now: datetime, extras: Extras) -> Text:
    name = inert(snapshot.batch.name or "", max_chars=60)
    name.overflow = "ellipsis"
    return name


def _status(snapshot: Snapshot, now: datetime, extras: Extras) -> Text:
    """The status, or what matters more: not found, stalled, incomplete."""
    word = status_word(
        snapshot.batch, stalled=snapshot.stalled_since is not None, not_found=snapshot.not_found
    )
    if word == (snapshot.batch.status or "—"):
        return status_text(snapshot.batch.status)
    styles = {"not found": "bold red", "stalled": STALLED_STYLE, "incomplete": INCOMPLETE_STYLE}
    return Text(word, style=styles[word])


def _progress(snapshot: Snapshot, now: datetime, extras: Extras) -> Text:
    batch = snapshot.batch
    bar = progress_bar(batch.progress, status=batch.status)
    bar.append(f" {count(batch.processed_items)}/{count(batch.total_items)}")
    return bar


def _failed(snapshot: Snapshot, now: datetime, extras: Extras) -> Text:
    failures = snapshot.batch.failure_count
    # The failure-rate alarm: hard to miss from across the room.
    style = ALARM_CELL_STYLE if snapshot.alarm else "red" if failures else ""
    return Text(count(failures), style=style, justify="right")


def _running_only(snapshot: Snapshot, text: str | None) -> Text:
    """A figure only a running batch has: blank once it finished, "—" until known."""
    if snapshot.batch.is_terminal:
        return Text("")
    return Text(MISSING if text is None else text, justify="right")


def _eta(snapshot: Snapshot, now: datetime, extras: Extras) -> Text:
    progress = extras.progress.get(snapshot.batch.id or "")
    seconds = progress.eta_seconds(snapshot.batch.total_items) if progress else None
    return _running_only(snapshot, None if seconds is None else rough(seconds))


def rough(seconds: float) -> str:
    """An estimate in few characters, to the minute: ``<1m``, ``7m``, ``1h05m``, ``3d4h``."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "<1m"
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 24 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}m"
    days = min(minutes // (24 * 60), 999)
    return f"{days}d{minutes // 60 % 24}h" if days < 100 else f"{days}d"


def _pace(snapshot: Snapshot, now: datetime, extras: Extras) -> Text:
    progress = extras.progress.get(snapshot.batch.id or "")
    rate = progress.items_per_minute() if progress else None
    shown = None if rate is None else compact(round(rate)) if rate >= 10 else f"{rate:.1f}"
    return _running_only(snapshot, shown)


def _tokens(snapshot: Snapshot, now: datetime, extras: Extras) -> Text:
    batch = snapshot.batch
    known = [n for n in (batch.total_input_tokens, batch.total_output_tokens) if n is not None]
    return Text(compact(sum(known)) if known else MISSING, justify="right")


def _created(snapshot: Snapshot, now: datetime, extras: Extras) -> Text:
    """Local time: the date only when it is not this year."""
    created = snapshot.batch.created_at
    if created is None:
        return Text(MISSING)
    try:
        local = created.astimezone()
    except (OverflowError, ValueError, OSError):  # year 1 or 9999 from a server, west or east
        local = created
    return Text(local.strftime("%m-%d %H:%M" if local.year == now.year else "%Y-%m-%d"))


def _profile(snapshot: Snapshot, now: datetime, extras: Extras) -> Text:
    return inert(extras.profile or "default", max_chars=40)


#: Every column the list can show, in the order of the default layout.
REGISTRY: tuple[ColumnDef, ...] = (
    ColumnDef("mark", "", 1, mark_cell, timely=True),
    ColumnDef("id", "ID", 18, lambda s, n, e: inert(s.batch.id or "", max_chars=60)),
    ColumnDef("short_id", "ID", 6, lambda s, n, e: inert((s.batch.id or "")[-6:])),
    ColumnDef("name", "Name", 22, _name),
    ColumnDef("status", "Status", 10, _status),
    ColumnDef("progress", "Progress", 25, _progress),
    ColumnDef("ok", "OK", 5, lambda s, n, e: Text(count(s.batch.success_count), justify="right")),
    ColumnDef("failed", "Failed", 6, _failed),
    ColumnDef(
        "cost", "Cost", 8, lambda s, n, e: Text(money(s.batch.total_cost_cents), justify="right")
    ),
    ColumnDef("age", "Age", 5, age_cell, timely=True),
    ColumnDef("eta", "ETA", 6, _eta, timely=True),
    ColumnDef("pace", "Pace/min", 8, _pace, timely=True),
    ColumnDef("tokens", "Tokens", 6, _tokens),
    ColumnDef("created", "Created", 11, _created),
    ColumnDef("profile", "Profile", 12, _profile),
)
BY_KEY = {column.key: column for column in REGISTRY}
#: Every column, as the layout gives them: (key, title, width).
COLUMNS: tuple[Column, ...] = tuple((c.key, c.title, c.width) for c in REGISTRY)
COLUMN_INDEX = {key: index for index, (key, _, _) in enumerate(COLUMNS)}
ALL_KEYS = tuple(COLUMN_INDEX)

#: The name's narrowest, and widest, width: spare cells go to the name up to this.
NAME_MIN, NAME_MAX = 14, 48
#: The progress bar and percentage without the counts.
PROGRESS_NARROW = 13
#: What is added, most useful first, while it fits: (column, width). A column
#: already chosen grows to the width; the full id replaces the short one.
PRIORITIES: tuple[tuple[str, int], ...] = (
    ("failed", 6),
    ("cost", 8),
    ("short_id", 6),
    ("eta", 6),
    ("ok", 5),
    ("age", 5),
    ("pace", 8),
    ("tokens", 6),
    ("created", 11),
    ("profile", 12),
    ("name", 22),
    ("progress", 25),
    ("id", 18),
)
#: Blank cells either side of each column's content.
PADDING = 1


def cell_keys(chosen: tuple[str, ...] = DEFAULT_COLUMNS) -> tuple[str, ...]:
    """The cells a row needs for these chosen columns, in the order shown: the mark
    first, and both forms of the id (the layout picks one by width)."""
    keys = ["mark"]
    for name in chosen:
        keys.extend(("id", "short_id") if name == "id" else (name,))
    return tuple(keys)


def row_width(columns) -> int:
    """Cells a row of these columns takes."""
    return sum(width + 2 * PADDING for _, _, width in columns)


def layout(width: int, chosen: tuple[str, ...] = DEFAULT_COLUMNS) -> tuple[Column, ...]:
    """The chosen columns for a list ``width`` cells wide: the essentials (name,
    status, progress) where chosen, then columns by priority while they fit, so
    nothing ever runs off the edge; the cells left over widen the name."""
    wanted = set(cell_keys(chosen))
    essentials = {"mark": 1, "name": NAME_MIN, "status": 10, "progress": PROGRESS_NARROW}
    widths = {key: w for key, w in essentials.items() if key in wanted}
    used = sum(w + 2 * PADDING for w in widths.values())
    for key, wanted_width in PRIORITIES:
        if key not in wanted:
            continue
        extra = wanted_width - widths.get(key, -2 * PADDING)  # a new column costs its padding
        replaced = widths.get("short_id", -2 * PADDING) + 2 * PADDING if key == "id" else 0
        if used + extra - replaced <= width:
            widths[key] = wanted_width
            used += extra - replaced
            if replaced:
                del widths["short_id"]
    if "name" in widths:
        widths["name"] = min(NAME_MAX, widths["name"] + max(0, width - used))
    titles = {key: title for key, title, _ in COLUMNS}
    return tuple((key, titles[key], widths[key]) for key in cell_keys(chosen) if key in widths)


def row_cells(
    snapshot: Snapshot,
    now: datetime,
    keys: tuple[str, ...] = ALL_KEYS,
    extras: Extras = NO_EXTRAS,
) -> Cells:
    """The cells of one batch's row (these columns', in this order), as inert text."""
    return tuple(BY_KEY[key].cell(snapshot, now, extras) for key in keys)
