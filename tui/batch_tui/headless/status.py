"""Plain-output commands for scripts: ``batch-tui status`` here, ``batch-tui watch``
in ``headless_watch`` (re-exported).

No Textual app: they print lines (or JSON) and exit. Server text is cleaned the
same way the dashboard cleans it, so a batch name cannot drive the terminal.
Whatever the server sends, the outcome is lines and an exit status, never a
traceback: an API error is one ``batch-tui: error: …`` line and exit 3.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from typing import Any, TextIO

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError, BadResponse, NotFound
from batch_tui.api.models import MAX_BATCH_ID_CHARS, Batch
from batch_tui.core.clock import Clock, system_clock
from batch_tui.settings.config import Settings
from batch_tui.integrations.export import batch_json
from batch_tui.core.format import count, money, percent
from batch_tui.headless.watch import EXIT_ERROR, run_watch, watch_batch
from batch_tui.monitor.alarms import alarm_fields
from batch_tui.monitor.insight import Progress, projected_cost_cents
from batch_tui.core.textsafe import clean, labelled

__all__ = ["EXIT_ERROR", "run_status", "run_watch", "status_json", "status_table", "watch_batch"]


def _error(message: str) -> None:
    """One ``batch-tui: error: …`` line on stderr, the label said once."""
    print(f"batch-tui: {labelled('error', message)}", file=sys.stderr)


def status_table(batches: list[Batch]) -> str:
    """A fixed-width table of batches, one per line; ids are never cut (up to the
    longest valid id). Every column is as wide as its widest value, so the headers
    line up with the values however large the counts."""
    header = ("ID", "STATUS", "PROGRESS", "OK", "FAILED", "COST", "NAME")
    rows = [
        (
            clean(batch.id or "", max_chars=MAX_BATCH_ID_CHARS),
            clean(batch.status or "—", max_chars=11),
            f"{count(batch.processed_items)}/{count(batch.total_items)} "
            f"{percent(batch.progress):>4}",
            count(batch.success_count),
            count(batch.failure_count),
            money(batch.total_cost_cents),
            clean(batch.name or "", max_chars=60),
        )
        for batch in batches
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    left = (True, True, False, False, False, False, True)

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            cell.ljust(width) if flush else cell.rjust(width)
            for cell, width, flush in zip(cells, widths, left, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join(line(row) for row in [header, *rows])


async def fetch_status(
    client: CheckClient, settings: Settings, ids: tuple[str, ...]
) -> tuple[list[Batch], list[str]]:
    """The named batches (or every listed batch when none is named), and a problem
    line for each named one that could not be shown.

    A missing or unreadable batch does not hide the others; any other error (key
    rejected, server down) ends the whole command.
    """
    if not ids:
        return await client.list_all_batches(status=settings.status), []
    batches: list[Batch] = []
    problems: list[str] = []
    for batch_id in ids:
        try:
            batches.append(await client.get_batch(batch_id))
        except (NotFound, BadResponse) as exc:
            problems.append(f"{clean(batch_id)}: {exc.message}")
    return batches, problems


def running_figures(batch: Batch, now: float) -> dict[str, Any]:
    """Pace, ETA and projected cost of a processing batch, as the dashboard's pace
    pane works them out, each None when unknown (or the batch is not processing).

    One snapshot has no recent history, so the pace is the average since the batch
    started (it had processed nothing then), and like the dashboard's it is given
    only after a minute of it."""
    if batch.status != "processing":
        return {"paceItemsPerMinute": None, "etaSeconds": None, "projectedCostCents": None}
    progress = Progress()
    if batch.started_at is not None:
        progress.add(batch.started_at.timestamp(), 0, 0.0)
    progress.add(now, batch.processed_items, batch.total_cost_cents)
    pace = progress.items_per_minute()
    eta = progress.eta_seconds(batch.total_items)
    cost = projected_cost_cents(batch.total_cost_cents, batch.processed_items, batch.total_items)
    return {
        "paceItemsPerMinute": _rounded(pace, 2),
        "etaSeconds": _rounded(eta, None),
        "projectedCostCents": _rounded(cost, 2),
    }


def _rounded(value: float | None, digits: int | None) -> float | int | None:
    """A figure for JSON: None stays None, and so does anything not finite (JSON
    has no infinity)."""
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def status_json(batch: Batch, now: float) -> dict[str, Any]:
    """One batch of ``status --json``: its export fields, then the running figures."""
    return {**batch_json(batch), **running_figures(batch, now)}


def run_status(
    settings: Settings,
    ids: tuple[str, ...],
    *,
    as_json: bool,
    out: TextIO = sys.stdout,
    clock: Clock = system_clock,
) -> int:
    """``batch-tui status``: print one snapshot and exit (0; 3 when a batch or the
    list could not be shown)."""

    async def main() -> tuple[list[Batch], list[str]]:
        async with CheckClient(settings.base_url, settings.api_key or "") as client:
            return await fetch_status(client, settings, ids)

    try:
        batches, problems = asyncio.run(main())
    except ApiError as exc:
        _error(exc.message)
        return EXIT_ERROR
    for problem in problems:
        _error(problem)
    if as_json:
        now, after = clock(), settings.stall_after
        rows = [{**status_json(b, now), **alarm_fields(b, now, after)} for b in batches]
        json.dump(rows, out, indent=2)
        out.write("\n")
    elif batches or not problems:
        out.write(status_table(batches) + "\n")
    return EXIT_ERROR if problems else 0
