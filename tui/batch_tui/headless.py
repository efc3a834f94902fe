"""Plain-output commands for scripts: ``batch-tui status`` and ``batch-tui watch``.

No Textual app: they print lines (or JSON) and exit. Server text is cleaned the
same way the dashboard cleans it, so a batch name cannot drive the terminal.
Whatever the server sends, the outcome is lines and an exit status, never a
traceback: an API error is one ``batch-tui: error: …`` line and exit 3.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from collections.abc import Callable
from typing import Any, TextIO

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError, BadResponse, NotFound, RateLimited, Unauthorized
from batch_tui.api.models import MAX_BATCH_ID_CHARS, Batch
from batch_tui.clock import Clock, system_clock, to_datetime
from batch_tui.config import Settings
from batch_tui.export import batch_json
from batch_tui.format import clock_time, count, duration_of, money, percent, utc
from batch_tui.monitor.alarms import alarm_fields
from batch_tui.monitor.insight import Progress
from batch_tui.textsafe import clean, labelled

#: ``watch --exit-status``: the exit status for each final state. 2 is taken by
#: usage errors and 3 by "cannot watch", so cancelled has a code of its own.
EXIT_FOR_STATUS = {"completed": 0, "failed": 1, "cancelled": 4}
#: Exit status when the batch cannot be watched or listed (not found, key rejected,
#: server errors).
EXIT_ERROR = 3
#: ``watch`` prints at most this many of a failed batch's validation errors.
MAX_ISSUES_SHOWN = 10


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
        json.dump(
            [{**batch_json(b), **alarm_fields(b, now, after)} for b in batches], out, indent=2
        )
        out.write("\n")
    elif batches or not problems:
        out.write(status_table(batches) + "\n")
    return EXIT_ERROR if problems else 0


def progress_line(batch: Batch, progress: Progress, now: float) -> str:
    """One line of ``watch`` output."""
    parts = [
        clock_time(to_datetime(now)),
        clean(batch.status or "—", max_chars=20),
        f"{count(batch.processed_items)}/{count(batch.total_items)} ({percent(batch.progress)})",
        f"ok {count(batch.success_count)}",
        f"failed {count(batch.failure_count)}",
        f"cost {money(batch.total_cost_cents)}",
    ]
    eta = progress.eta_seconds(batch.total_items)
    if eta is not None and not batch.is_terminal:
        parts.append(f"ETA {duration_of(eta)}")
    return "  ".join(parts)


async def watch_batch(
    client: CheckClient,
    batch_id: str,
    *,
    interval: float,
    out: TextIO,
    clock: Clock = system_clock,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> Batch:
    """Follow one batch until it is final, printing a line whenever it changes."""
    progress = Progress()
    last_line_key = None
    failures = 0
    while True:
        try:
            batch = await client.get_batch(batch_id)
        except (NotFound, Unauthorized):
            raise
        except RateLimited as exc:
            await sleep(exc.retry_after or interval)
            continue
        except ApiError as exc:
            failures += 1
            print(f"batch-tui: {labelled(exc.kind, exc.message)}; retrying", file=sys.stderr)
            # Full jitter, 1 s doubling to 30 s, never sooner than the interval.
            await sleep(max(interval, random.uniform(0, min(30.0, 2 ** (failures - 1)))))
            continue
        failures = 0
        now = clock()
        progress.add(now, batch.processed_items, batch.total_cost_cents)
        key = (batch.status, batch.processed_items, batch.failure_count, batch.total_cost_cents)
        if key != last_line_key:
            last_line_key = key
            out.write(progress_line(batch, progress, now) + "\n")
            out.flush()
        if batch.is_terminal:
            return batch
        await sleep(interval)


def run_watch(
    settings: Settings, batch_id: str, *, exit_status: bool, out: TextIO = sys.stdout
) -> int:
    """``batch-tui watch``: follow one batch to the end; with ``exit_status`` its
    outcome is the exit status (completed 0, failed 1, cancelled 4)."""

    async def main() -> Batch:
        async with CheckClient(settings.base_url, settings.api_key or "") as client:
            return await watch_batch(client, batch_id, interval=settings.interval, out=out)

    try:
        batch = asyncio.run(main())
    except ApiError as exc:
        _error(exc.message)
        return EXIT_ERROR
    for line in final_lines(batch_id, batch):
        print(line, file=sys.stderr)
    return EXIT_FOR_STATUS.get(batch.status or "", EXIT_ERROR) if exit_status else 0


def final_lines(batch_id: str, batch: Batch) -> list[str]:
    """How a watched batch ended; for a failed one also why, with its first
    validation errors."""
    final = f"{clean(batch_id)} {clean(batch.status or '')} at {utc(batch.completed_at)}"
    if batch.status != "failed":
        return [final]
    if batch.error_message:
        final += f": {clean(batch.error_message)}"
    lines = [final]
    issues = batch.validation_errors or ()
    for issue in issues[:MAX_ISSUES_SHOWN]:
        row = "?" if issue.row is None else issue.row
        lines.append(f"  row {row}: {clean(issue.error or '—')}")
    if len(issues) > MAX_ISSUES_SHOWN:
        lines.append(f"  … and {len(issues) - MAX_ISSUES_SHOWN} more")
    return lines
