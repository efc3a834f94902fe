"""Plain-output commands for scripts: ``batch-tui status`` here, ``batch-tui watch``
in ``headless_watch`` (re-exported).

No Textual app: they print lines (or JSON) and exit. Every request goes through
the dashboard's rate budget and headroom (``gate.RequestGate``), so a cron job
never takes the organisation's limit. Server text is cleaned the
same way the dashboard cleans it, so a batch name cannot drive the terminal.
Whatever the server sends, the outcome is lines and an exit status, never a
traceback: an API error is one ``batch-tui: error: …`` line and exit 3.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from collections.abc import Callable
from typing import Any, TextIO

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError
from batch_tui.api.models import MAX_BATCH_ID_CHARS, Batch
from batch_tui.core.clock import Clock, system_clock
from batch_tui.core.defaults import DEFAULT_STALL_AFTER
from batch_tui.core.format import count, money, percent
from batch_tui.core.textsafe import clean, labelled
from batch_tui.headless.collect import Collected, StatusReader, from_team
from batch_tui.headless.gate import PREFIX, RequestGate
from batch_tui.headless.team_view import TeamReader
from batch_tui.headless.watch import EXIT_ERROR, run_watch, watch_batch
from batch_tui.integrations.export import batch_json
from batch_tui.monitor.alarms import alarm_fields, status_word
from batch_tui.monitor.insight import Progress, projected_cost_cents
from batch_tui.settings.config import Settings

__all__ = ["EXIT_ERROR", "run_status", "run_watch", "status_json", "status_table", "watch_batch"]


def _error(message: str, err: TextIO | None = None) -> None:
    """One ``batch-tui: error: …`` line on stderr, the label said once."""
    print(f"{PREFIX} {labelled('error', message)}", file=err or sys.stderr)


def status_table(
    batches: list[Batch], now: float | None = None, stall_after: float = DEFAULT_STALL_AFTER
) -> str:
    """A fixed-width table of batches, one per line; ids are never cut (up to the
    longest valid id). Every column is as wide as its widest value, so the headers
    line up with the values however large the counts. The status column says
    ``stalled`` or ``incomplete`` where the dashboard's list does (``status_word``;
    from one look, stalled is known only for a long-pending batch)."""
    header = ("ID", "STATUS", "PROGRESS", "OK", "FAILED", "COST", "NAME")

    def word(batch: Batch) -> str:
        stalled = alarm_fields(batch, now, stall_after)["stalled"] if now is not None else False
        return status_word(batch, stalled=bool(stalled))

    rows = [
        (
            clean(batch.id or "", max_chars=MAX_BATCH_ID_CHARS),
            clean(word(batch), max_chars=11),
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
    everything: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO | None = None,
    clock: Clock = system_clock,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> int:
    """``batch-tui status``: print one snapshot and exit (0; 3 when a batch or the
    list could not be shown, or the rate limit stopped the reading: what was read
    is printed all the same, and what is missing said on stderr).

    Every request goes through the dashboard's rate budget and headroom
    (``RequestGate``); without ids it reads every unfinished batch and the newest
    page of the list, with ``everything`` (``--all``) the whole list."""
    err = err or sys.stderr

    async def main() -> Collected:
        team = await TeamReader.open(settings)
        if team is not None:
            # A dashboard of the team polls already: what it saw costs nothing.
            await team.close()
            found = from_team(team.view, ids, settings.status, everything=everything)
            if found is not None:
                return found
        async with CheckClient(settings.base_url, settings.api_key or "", clock=clock) as client:
            gate = RequestGate(
                client,
                headroom=settings.headroom,
                clock=clock,
                sleep=sleep,
                err=err,
                default_wait=settings.interval,
            )
            reader = StatusReader(client, gate, err)
            if ids:
                return await reader.named(ids)
            return await reader.listed(settings.status, everything=everything)

    try:
        found = asyncio.run(main())
    except ApiError as exc:
        _error(exc.message, err)
        return EXIT_ERROR
    for problem in found.problems:
        _error(problem, err)
    batches = found.ordered() if not ids else [found.batches[i] for i in ids if i in found.batches]
    now, after = clock(), settings.stall_after
    if as_json:
        rows = [{**status_json(b, now), **alarm_fields(b, now, after)} for b in batches]
        json.dump(rows, out, indent=2)
        out.write("\n")
    elif batches or not (found.problems or found.missing):
        out.write(status_table(batches, now, after) + "\n")
    for note in found.notes:
        print(f"{PREFIX} note: {note}", file=err)
    if found.missing:
        _error(found.missing, err)
    return EXIT_ERROR if found.problems or found.missing else 0
