"""What ``batch-tui status`` reads, within the rate budget, and what it could not.

By default it reads what the dashboard reads first: every unfinished batch (the
status sweeps, ``?status=pending|validating|processing``) and the newest page of
the whole list (the recently finished ones), a handful of requests however long
the organisation's history. ``--all`` walks the whole list, each page through the
gate, with progress on stderr. Named ids are read one by one through the gate.

A 429 holds the gate for its ``Retry-After`` and the request is asked again, as
the dashboard would; after ``MAX_429`` in a row the command stops and keeps what
it has, and ``missing`` says what is not shown. It never ends with nothing.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TextIO, TypeVar

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError, BadResponse, NotFound, RateLimited
from batch_tui.api.models import Batch, BatchPage
from batch_tui.core.format import count
from batch_tui.core.textsafe import clean, labelled
from batch_tui.headless.gate import PREFIX, RequestGate
from batch_tui.headless.team_view import TeamView
from batch_tui.monitor.paging import MAX_SWEEP_PAGES
from batch_tui.monitor.planning import PAGE_SIZE, SWEPT_STATUSES

T = TypeVar("T")

#: 429s in a row after which ``status`` stops asking and prints what it has.
MAX_429 = 3
#: ``--all`` says how far it got every this many pages.
PROGRESS_EVERY = 10
#: ``--all`` stops here whatever ``hasMore`` says (1,000,000 batches).
MAX_ALL_PAGES = 10_000
#: The ``--status`` that means every unfinished batch (the dashboard's ``s`` offers it).
ACTIVE = "active"


class Incomplete(Exception):
    """Stopped by the rate limit before everything was read."""


@dataclass
class Collected:
    """The batches read (newest first), a problem line per named id that could not
    be shown, and what is missing when the rate limit stopped the reading."""

    batches: dict[str, Batch] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    missing: str | None = None
    notes: list[str] = field(default_factory=list)
    """What is left out by design (the older finished batches), said on stderr."""

    def ordered(self) -> list[Batch]:
        """Newest first, as the dashboard lists them; no creation time goes last."""

        def key(batch: Batch) -> tuple[float, str]:
            created = batch.created_at
            return (-created.timestamp() if created else math.inf, batch.id or "")

        return sorted(self.batches.values(), key=key)


class StatusReader:
    """Reads for ``status`` through one gate; see the module docstring."""

    def __init__(self, client: CheckClient, gate: RequestGate, err: TextIO) -> None:
        self.client = client
        self.gate = gate
        self.err = err
        self.found = Collected()

    async def _ask(self, call: Callable[[], Awaitable[T]], doing: str) -> T:
        """One request, asked again after each 429's hold, at most ``MAX_429`` times.
        Any other failure once something was read stops the reading too (what was
        read is still printed); before that, it is the command's error."""
        for _ in range(MAX_429):
            try:
                return await self.gate.send(call, doing)
            except RateLimited:
                continue
            except (NotFound, BadResponse):
                raise  # about this one request: the caller says so and goes on
            except ApiError as exc:
                if not self.found.batches:
                    raise
                raise Incomplete(labelled(exc.kind, exc.message)) from exc
        raise Incomplete("rate limited")

    async def named(self, ids: tuple[str, ...]) -> Collected:
        """The named batches, each read by id."""
        for number, batch_id in enumerate(ids):
            doing = f"{count(number)} of {count(len(ids))} read"
            try:
                batch = await self._ask(partial(self.client.get_batch, batch_id), doing)
            except (NotFound, BadResponse) as exc:
                self.found.problems.append(f"{clean(batch_id)}: {exc.message}")
                continue
            except Incomplete as exc:
                unread = len(ids) - number
                self.found.missing = (
                    f"{exc}: {count(unread)} of the {count(len(ids))} named batches "
                    "not read (run again later)"
                )
                break
            self.found.batches[batch_id] = batch
        return self.found

    async def listed(self, status: str | None, *, everything: bool) -> Collected:
        """What ``status`` shows without ids: see the module docstring."""
        cap = MAX_ALL_PAGES if everything else MAX_SWEEP_PAGES
        try:
            if status in (None, ACTIVE) and not (everything and status is None):
                for swept in reversed(SWEPT_STATUSES):  # pending, validating, processing
                    await self._walk(swept, cap, progress=everything)
                if status is None:
                    shown, total = await self._walk(None, 1)  # the newest: recently finished
                    if total is not None and total > shown:
                        self.found.notes.append(
                            f"the newest {count(shown)} of {count(total)} batches shown, and "
                            "every unfinished one; --all reads them all"
                        )
            elif everything or status in SWEPT_STATUSES:
                await self._walk(status, cap, progress=everything)
            else:
                shown, total = await self._walk(status, 1)
                if total is not None and total > shown:
                    self.found.notes.append(
                        f"the newest {count(shown)} of {count(total)} {status} batches shown; "
                        "--all reads them all"
                    )
        except Incomplete as exc:
            self.found.missing = str(exc)
        return self.found

    async def _walk(
        self, status: str | None, max_pages: int, *, progress: bool = False
    ) -> tuple[int, int | None]:
        """Pages of ``?status=`` (or the whole list) until the last or ``max_pages``;
        how many rows were read, and the server's total."""
        offset = 0
        total: int | None = None
        what = f"{status} batches" if status else "batches"
        for pages in range(1, max_pages + 1):
            doing = f"{count(offset)} {what} read"
            try:
                read = partial(self.client.list_batches, status, PAGE_SIZE, offset)
                page: BatchPage = await self._ask(read, doing)
            except Incomplete as exc:
                left = f" of {count(total)}" if total is not None else ""
                raise Incomplete(
                    f"{exc}: only {count(offset)}{left} {what} read; the rest are not shown"
                ) from None
            for batch in page.batches:
                if batch.id:
                    self.found.batches[batch.id] = batch
            offset += len(page.batches)
            if page.pagination.total is not None:
                total = page.pagination.total
            if progress and pages % PROGRESS_EVERY == 0:
                left = f" of {count(total)}" if total is not None else ""
                print(f"{PREFIX} read {count(offset)}{left} {what}", file=self.err, flush=True)
            if not page.pagination.has_more or not page.batches:
                return offset, total
            if total is not None and offset >= total:
                return offset, total
        if max_pages > 1:
            left = f" of {count(total)}" if total is not None else ""
            self.found.notes.append(f"only {count(offset)}{left} {what} read (a page cap)")
        return offset, total


def from_team(
    view: TeamView, ids: tuple[str, ...], status: str | None, *, everything: bool
) -> Collected | None:
    """What ``status`` shows, from what the team's leader published, or None when
    the leader's view cannot answer it (a named batch it does not follow, ``--all``):
    the command then asks the server, through the gate, as before."""
    if everything:
        return None
    found = Collected()
    found.notes.append(f"read from the team's poller ({clean(view.label)}): no request sent")
    if ids:
        for batch_id in ids:
            if batch_id in view.missing:
                found.problems.append(f"{clean(batch_id)}: Batch not found")
            elif batch_id in view.batches:
                found.batches[batch_id] = view.batches[batch_id]
            else:
                return None
        return found
    newest = view.newest_first()
    running = [b for b in newest if not b.is_terminal]
    if status == ACTIVE:
        chosen = running
    elif status is not None:
        chosen = [b for b in newest if b.status == status][:PAGE_SIZE]
    else:
        chosen = running + [b for b in newest[:PAGE_SIZE] if b.is_terminal]
    for batch in chosen:
        found.batches[batch.id or ""] = batch
    return found
