"""Plain-output commands for scripts: ``batch-tui status`` and ``batch-tui watch``.

No Textual app: they print lines (or JSON) and exit. Server text is cleaned the
same way the dashboard cleans it, so a batch name cannot drive the terminal.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TextIO

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError, NotFound, RateLimited, Unauthorized
from batch_tui.api.models import Batch
from batch_tui.clock import Clock, system_clock, to_datetime
from batch_tui.config import Settings
from batch_tui.format import count, duration, money, percent, utc
from batch_tui.monitor.insight import Progress
from batch_tui.ui.text import clean

#: ``watch --exit-status``: the exit status for each final state.
EXIT_FOR_STATUS = {"completed": 0, "failed": 1, "cancelled": 2}
#: Exit status when the batch cannot be watched (not found, key rejected).
EXIT_ERROR = 3


def batch_json(batch: Batch) -> dict[str, Any]:
    """A batch as plain JSON for scripts: the API's names, plus derived values."""

    def when(moment):
        return moment.isoformat().replace("+00:00", "Z") if moment else None

    return {
        "id": batch.id,
        "name": batch.name,
        "status": batch.status,
        "totalItems": batch.total_items,
        "processedItems": batch.processed_items,
        "successCount": batch.success_count,
        "failureCount": batch.failure_count,
        "totalCostCents": batch.total_cost_cents,
        "progress": batch.progress,
        "costDollars": batch.cost_dollars,
        "createdAt": when(batch.created_at),
        "startedAt": when(batch.started_at),
        "completedAt": when(batch.completed_at),
    }


def status_table(batches: list[Batch]) -> str:
    """A fixed-width table of batches, one per line."""
    header = (
        f"{'ID':<20} {'STATUS':<11} {'PROGRESS':>17} {'OK':>7} {'FAILED':>7} {'COST':>10}  NAME"
    )
    lines = [header]
    for batch in batches:
        done = f"{count(batch.processed_items)}/{count(batch.total_items)}"
        progress = f"{done} {percent(batch.progress):>4}"
        lines.append(
            f"{clean(batch.id or '', max_chars=20):<20} "
            f"{clean(batch.status or '—', max_chars=11):<11} "
            f"{progress:>17} {count(batch.success_count):>7} {count(batch.failure_count):>7} "
            f"{money(batch.total_cost_cents):>10}  {clean(batch.name or '', max_chars=60)}"
        )
    return "\n".join(lines)


async def fetch_status(
    client: CheckClient, settings: Settings, ids: tuple[str, ...]
) -> list[Batch]:
    """The named batches, or every listed batch when none is named."""
    if ids:
        return [await client.get_batch(batch_id) for batch_id in ids]
    return await client.list_all_batches(status=settings.status)


def run_status(
    settings: Settings, ids: tuple[str, ...], *, as_json: bool, out: TextIO = sys.stdout
) -> int:
    """``batch-tui status``: print one snapshot and exit (0, or 3 on an API error)."""

    async def main() -> list[Batch]:
        async with CheckClient(settings.base_url, settings.api_key or "") as client:
            return await fetch_status(client, settings, ids)

    try:
        batches = asyncio.run(main())
    except ApiError as exc:
        print(f"batch-tui: error: {clean(exc.message)}", file=sys.stderr)
        return EXIT_ERROR
    if as_json:
        json.dump([batch_json(b) for b in batches], out, indent=2)
        out.write("\n")
    else:
        out.write(status_table(batches) + "\n")
    return 0


def progress_line(batch: Batch, progress: Progress, now: float) -> str:
    """One line of ``watch`` output."""
    parts = [
        to_datetime(now).strftime("%H:%M:%S"),
        clean(batch.status or "—", max_chars=20),
        f"{count(batch.processed_items)}/{count(batch.total_items)} ({percent(batch.progress)})",
        f"ok {count(batch.success_count)}",
        f"failed {count(batch.failure_count)}",
        f"cost {money(batch.total_cost_cents)}",
    ]
    eta = progress.eta_seconds(batch.total_items)
    if eta is not None and not batch.is_terminal:
        parts.append(f"ETA {duration(timedelta(seconds=eta))}")
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
            print(f"batch-tui: {clean(exc.kind)}: {clean(exc.message)}; retrying", file=sys.stderr)
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
    outcome is the exit status (completed 0, failed 1, cancelled 2)."""

    async def main() -> Batch:
        async with CheckClient(settings.base_url, settings.api_key or "") as client:
            return await watch_batch(client, batch_id, interval=settings.interval, out=out)

    try:
        batch = asyncio.run(main())
    except ApiError as exc:
        print(f"batch-tui: error: {clean(exc.message)}", file=sys.stderr)
        return EXIT_ERROR
    final = f"{clean(batch_id)} {clean(batch.status or '')} at {utc(batch.completed_at)}"
    print(final, file=sys.stderr)
    return EXIT_FOR_STATUS.get(batch.status or "", EXIT_ERROR) if exit_status else 0
