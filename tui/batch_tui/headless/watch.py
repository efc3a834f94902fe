"""``batch-tui watch``: follow one or more batches in plain lines until they finish.

Every request goes through the gate ``status`` uses (``gate.RequestGate``: the
rate budget the dashboard keeps, ``Budget``, with its headroom):
nothing is sent that the last reported ``X-RateLimit-Remaining`` less the headroom
does not cover, and when the interval asks for more than the budget allows, every
batch is polled less often. A 429 holds every request until ``Retry-After``.
With ``wait`` a batch that does not exist yet (404) is asked for again at the
same pace until it appears; ``timeout`` bounds the whole watch.

Output for one id is what it always was; with several, each line names its batch.
Server text is cleaned (``textsafe``), so a name cannot drive the terminal.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TextIO

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiError, NotFound, RateLimited, Unauthorized
from batch_tui.api.models import Batch
from batch_tui.core.clock import Clock, system_clock, to_datetime
from batch_tui.core.defaults import DEFAULT_HEADROOM, MAX_INTERVAL
from batch_tui.core.format import clock_time, count, duration_of, money, percent, utc
from batch_tui.core.textsafe import clean, labelled
from batch_tui.headless.gate import PREFIX, RequestGate
from batch_tui.headless.team_view import TeamReader
from batch_tui.monitor.backoff import backoff_delay
from batch_tui.monitor.budget import WINDOW
from batch_tui.monitor.insight import Progress
from batch_tui.settings.config import Settings

#: ``watch --exit-status``: the exit status for each final state. 2 is taken by
#: usage errors and 3 by "cannot watch", so cancelled has a code of its own.
EXIT_FOR_STATUS = {"completed": 0, "failed": 1, "cancelled": 4}
#: Exit status when a batch cannot be watched (not found, key rejected).
EXIT_ERROR = 3
#: Exit status when ``--timeout`` passed before every batch finished.
EXIT_TIMEOUT = 5
#: A watch's outcomes from best to worst: several batches exit with the worst.
SEVERITY = ("completed", "timeout", "cancelled", "failed", "error")
EXIT_FOR_OUTCOME = {**EXIT_FOR_STATUS, "timeout": EXIT_TIMEOUT, "error": EXIT_ERROR}
#: ``watch`` prints at most this many of a failed batch's validation errors.
MAX_ISSUES_SHOWN = 10
#: The timeout line names at most this many unfinished batches.
MAX_NAMED = 5


def progress_line(batch: Batch, progress: Progress, now: float, label: str = "") -> str:
    """One line of ``watch`` output; ``label`` (a cleaned id) names the batch when
    several are watched."""
    parts = [
        clock_time(to_datetime(now)),
        *([label] if label else []),
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


@dataclass
class Followed:
    """One watched batch: what is known of it and when it is next asked for."""

    id: str
    progress: Progress = field(default_factory=Progress)
    batch: Batch | None = None
    """Its latest state; None until it has been seen."""
    error: ApiError | None = None
    """Why it cannot be watched (not found), once that is known."""
    due: float = 0.0
    failures: int = 0
    """Failed requests in a row (for the backoff)."""
    last_line: tuple[Any, ...] | None = None
    waiting_said: bool = False
    rate_limited: bool = False
    """The last answer about it was a 429 (so nothing is known of it yet)."""

    @property
    def done(self) -> bool:
        """Finished, or known to be unwatchable: never asked for again."""
        return self.error is not None or (self.batch is not None and self.batch.is_terminal)

    @property
    def outcome(self) -> str:
        """``completed``, ``failed``, ``cancelled``, ``error``, or ``timeout`` while unfinished."""
        if self.error is not None:
            return "error"
        if self.batch is not None and self.batch.is_terminal:
            return self.batch.status or "error"
        return "timeout"

    def where(self) -> str:
        """Where it stood, for the timeout line: its status and progress when last
        read, or why it was never read."""
        batch = self.batch
        if batch is None:
            if self.rate_limited:
                return f"{clean(self.id)} not read yet (rate limited)"
            if self.waiting_said:
                return f"{clean(self.id)} not found yet"
            return f"{clean(self.id)} not read yet"
        return (
            f"{clean(self.id)} {clean(batch.status or '—', max_chars=20)} "
            f"{count(batch.processed_items)}/{count(batch.total_items)} ({percent(batch.progress)})"
        )


@dataclass
class WatchResult:
    """How a watch ended: each batch's outcome, or the error that stopped them all."""

    followed: list[Followed]
    timed_out: bool = False
    stopped: ApiError | None = None
    """Set when nothing more could be watched (the key was rejected)."""

    def exit_status(self, *, by_outcome: bool) -> int:
        """With ``by_outcome`` (``--exit-status``) the worst outcome's exit status
        (``SEVERITY``); otherwise 3 when a batch could not be watched, 5 on a
        timeout, else 0."""
        if self.stopped is not None:
            return EXIT_ERROR
        outcomes = {f.outcome for f in self.followed}
        if by_outcome:
            return EXIT_FOR_OUTCOME[max(outcomes, key=SEVERITY.index)]
        for outcome in ("error", "timeout"):
            if outcome in outcomes:
                return EXIT_FOR_OUTCOME[outcome]
        return 0


class Watcher:
    """Polls each unfinished batch in turn, paced by the interval and the rate budget."""

    def __init__(
        self,
        client: CheckClient,
        ids: Iterable[str],
        *,
        interval: float,
        out: TextIO,
        err: TextIO | None = None,
        clock: Clock = system_clock,
        sleep: Callable[[float], Any] = asyncio.sleep,
        wait: bool = False,
        timeout: float | None = None,
        headroom: float = DEFAULT_HEADROOM,
        team: TeamReader | None = None,
    ) -> None:
        self.client = client
        self.team = team
        """What the team's leader publishes: batches it follows cost no request here."""
        # A duplicate id is one batch, watched once.
        self.followed = [Followed(batch_id) for batch_id in dict.fromkeys(ids)]
        self.interval = interval
        self.out = out
        self.err = err or sys.stderr
        self.clock = clock
        self.sleep = sleep
        self.wait = wait
        self.timeout = timeout
        # The dashboard's budget and headroom, and a 429's hold: the one gate.
        self.gate = RequestGate(
            client, headroom=headroom, clock=clock, sleep=sleep, default_wait=interval
        )
        self.budget = self.gate.budget
        self.rng = random.Random()
        self.labelled = len(self.followed) > 1

    async def run(self) -> WatchResult:
        """Watch until every batch is finished (or unwatchable), the timeout passes,
        or the key is rejected."""
        deadline = None if self.timeout is None else self.clock() + self.timeout
        try:
            while active := [f for f in self.followed if not f.done]:
                now = self.clock()
                if deadline is not None and now >= deadline:
                    self._say(self._timeout_line(active))
                    return WatchResult(self.followed, timed_out=True)
                if self.team is not None:
                    active = await self._from_team(active, deadline)
                    if not active:
                        continue
                turn = min(active, key=lambda f: f.due)
                ready = max(turn.due, self.gate.ready_at(now))
                if ready > now:
                    await self.sleep((ready if deadline is None else min(ready, deadline)) - now)
                    continue
                await self._bounded(self._poll(turn, len(active)), deadline)
        except Unauthorized as exc:
            self._say(f"{PREFIX} {labelled('error', exc.message)}")
            return WatchResult(self.followed, stopped=exc)
        return WatchResult(self.followed)

    async def _from_team(
        self, active: list[Followed], deadline: float | None
    ) -> list[Followed]:
        """Take what the team's leader published for these batches, and wait for its
        next publish while it follows them all; returns those it does not follow (they
        are asked of the server). Without a leader any more, asks the server for all."""
        assert self.team is not None
        view = self.team.view
        for followed in active:
            batch = view.batches.get(followed.id)
            if batch is not None and batch != followed.batch:
                self._seen(followed, batch)
        active = [f for f in active if not f.done]
        unknown = [f for f in active if f.id not in view.batches]
        if active and not unknown:
            wait = self.interval
            if deadline is not None:
                wait = min(wait, deadline - self.clock())
            if await self.team.follow(max(0.0, wait)) is None:
                self._say(f"{PREFIX} the team's poller is gone: asking the server")
                await self.team.close()
                self.team = None
                return active
        return unknown

    async def _bounded(self, poll: Coroutine[Any, Any, None], deadline: float | None) -> None:
        """Run one poll, cut short when the deadline passes while it is in flight."""
        if deadline is None:
            await poll
            return
        try:
            async with asyncio.timeout(max(0.0, deadline - self.clock())):
                await poll
        except TimeoutError:
            pass  # the loop sees the deadline passed and says so

    def _pace(self, active: int) -> float:
        """Seconds until a batch is asked for again: the interval, stretched so
        that polling every active batch fits the budget's steady rate."""
        rate = self.budget.allowed_rate(self.clock())
        if rate is None:
            return self.interval
        if rate <= 0:
            return max(self.interval, WINDOW)
        return min(MAX_INTERVAL, max(self.interval, active / rate))

    async def _poll(self, followed: Followed, active: int) -> None:
        """Ask for one batch and act on the answer."""
        try:
            batch = await self.gate.send(partial(self.client.get_batch, followed.id))
        except Unauthorized:
            raise
        except NotFound as exc:
            followed.rate_limited = False
            self._not_found(followed, exc, active)
            return
        except RateLimited:
            followed.rate_limited = True
            wait = max(0.0, self.gate.hold_until - self.clock())
            self._say(f"{PREFIX} rate limited, waiting {duration_of(wait)}")
            return
        except ApiError as exc:
            followed.rate_limited = False
            followed.failures += 1
            problem = labelled(exc.kind, exc.message)
            self._say(f"{PREFIX} {self._who(followed)}{problem}; retrying")
            followed.due = self.clock() + backoff_delay(followed.failures, self.interval, self.rng)
            return
        followed.failures = 0
        followed.rate_limited = False
        self._seen(followed, batch)
        followed.due = self.clock() + self._pace(active)

    def _not_found(self, followed: Followed, exc: NotFound, active: int) -> None:
        if self.wait and followed.batch is None:
            # Not created yet: ask again at the same pace as any other batch.
            if not followed.waiting_said:
                followed.waiting_said = True
                self._say(f"{PREFIX} waiting for {clean(followed.id)} to be created")
            followed.due = self.clock() + self._pace(active)
            return
        followed.error = exc
        # Named even when it is the only one: "Batch not found" alone says not which.
        self._say(f"{PREFIX} {labelled('error', f'{clean(followed.id)}: {exc.message}')}")

    def _seen(self, followed: Followed, batch: Batch) -> None:
        now = self.clock()
        followed.batch = batch
        followed.progress.add(now, batch.processed_items, batch.total_cost_cents)
        key = (batch.status, batch.processed_items, batch.failure_count, batch.total_cost_cents)
        if key != followed.last_line:
            followed.last_line = key
            label = clean(followed.id) if self.labelled else ""
            self.out.write(progress_line(batch, followed.progress, now, label) + "\n")
            self.out.flush()
        if batch.is_terminal:
            for line in final_lines(followed.id, batch):
                self._say(line)

    def _who(self, followed: Followed) -> str:
        return f"{clean(followed.id)}: " if self.labelled else ""

    def _timeout_line(self, active: list[Followed]) -> str:
        named = ", ".join(f.where() for f in active[:MAX_NAMED])
        more = f" and {len(active) - MAX_NAMED} more" if len(active) > MAX_NAMED else ""
        # In the unit the user gave it (``--timeout SECONDS``).
        return f"{PREFIX} timed out after {self.timeout:g} s: {named}{more}"

    def _say(self, line: str) -> None:
        print(line, file=self.err, flush=True)


async def watch_batch(
    client: CheckClient,
    batch_id: str,
    *,
    interval: float,
    out: TextIO,
    clock: Clock = system_clock,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> Batch:
    """Follow one batch until it is final (printing a line whenever it changes) and
    return it; raises the error that made it unwatchable."""
    watcher = Watcher(client, [batch_id], interval=interval, out=out, clock=clock, sleep=sleep)
    result = await watcher.run()
    followed = result.followed[0]
    error = result.stopped or followed.error
    if error is not None:
        raise error
    assert followed.batch is not None  # no timeout given: it ran to the end
    return followed.batch


def run_watch(
    settings: Settings,
    ids: Iterable[str],
    *,
    exit_status: bool,
    wait: bool = False,
    timeout: float | None = None,
    out: TextIO = sys.stdout,
    clock: Clock = system_clock,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> int:
    """``batch-tui watch``: follow the batches to the end and return the exit status
    (``WatchResult.exit_status``)."""

    async def main() -> WatchResult:
        team = await TeamReader.open(settings)
        async with CheckClient(settings.base_url, settings.api_key or "", clock=clock) as client:
            watcher = Watcher(
                client,
                ids,
                interval=settings.interval,
                out=out,
                clock=clock,
                sleep=sleep,
                wait=wait,
                timeout=timeout,
                headroom=settings.headroom,
                team=team,
            )
            try:
                return await watcher.run()
            finally:
                if watcher.team is not None:
                    await watcher.team.close()

    return asyncio.run(main()).exit_status(by_outcome=exit_status)
