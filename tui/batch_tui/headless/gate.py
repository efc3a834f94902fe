"""The one way a headless command (``status``, ``watch``) sends a request: through
the dashboard's rate budget (``monitor.budget.Budget``, with the same headroom)
and a 429's hold.

Nothing is sent that the last reported ``X-RateLimit-Remaining``, less the
headroom left to the organisation's other clients, does not cover, nor more in
any sliding minute than our share of the limit: a cron job running ``status``
beside an open dashboard never takes the organisation's limit. When the budget
is spent the gate waits for the next window, as the dashboard does, and says so
once on stderr. A 429 holds every request until ``Retry-After`` (within reason,
``server_wait``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TextIO, TypeVar

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import RateLimited
from batch_tui.core.clock import Clock, system_clock
from batch_tui.core.defaults import DEFAULT_HEADROOM, DEFAULT_INTERVAL
from batch_tui.core.format import duration_of
from batch_tui.monitor.backoff import server_wait
from batch_tui.monitor.budget import Budget

T = TypeVar("T")

#: The shortest wait for the budget: a gate that says "not yet" is never asked
#: again in the same instant.
MIN_GATE_WAIT = 0.05
#: A wait shorter than this is not worth a line on stderr.
SAY_WAITS_FROM = 2.0
#: Every headless line on stderr starts so (one rule for ``status`` and ``watch``).
PREFIX = "batch-tui:"


class RequestGate:
    """Sends each request when the budget and any 429 hold allow it."""

    def __init__(
        self,
        client: CheckClient,
        *,
        headroom: float = DEFAULT_HEADROOM,
        clock: Clock = system_clock,
        sleep: Callable[[float], Any] = asyncio.sleep,
        err: TextIO | None = None,
        default_wait: float = DEFAULT_INTERVAL,
    ) -> None:
        self.client = client
        self.clock = clock
        self.sleep = sleep
        self.err = err
        """Where a wait is said (None: said nowhere)."""
        self.budget = Budget(headroom)
        self.hold_until = 0.0
        """No request before this (a 429's ``Retry-After``)."""
        self.default_wait = default_wait
        """The hold after a 429 that names no time."""
        self.sent = 0
        """Requests sent through this gate."""
        self._seen = client.rate_limit

    @property
    def held(self) -> bool:
        """True while a 429's hold lasts."""
        return self.clock() < self.hold_until

    def ready_at(self, now: float) -> float:
        """When the next request may go (``now`` when it may go now)."""
        ready = max(now, self.hold_until)
        if not self.budget.can_send(now):
            ready = max(ready, self.budget.next_window(now), now + MIN_GATE_WAIT)
        return ready

    async def wait_turn(self, doing: str = "") -> None:
        """Wait until a request may go; a long wait is said once (``doing``: what
        the command has done so far, for that line)."""
        said = False
        while (ready := self.ready_at(now := self.clock())) > now:
            if not said and ready - now >= SAY_WAITS_FROM and self.err is not None:
                why = "rate limited" if now < self.hold_until else "rate budget spent"
                extra = f" ({doing})" if doing else ""
                line = f"{PREFIX} {why}, waiting {duration_of(ready - now)}{extra}"
                print(line, file=self.err, flush=True)
                said = True
            await self.sleep(ready - now)

    async def send(self, call: Callable[[], Awaitable[T]], doing: str = "") -> T:
        """``call()`` (one request) once the gate allows it. A 429 sets the hold
        and is raised: the caller decides whether to ask again."""
        await self.wait_turn(doing)
        self.budget.sent(self.clock())
        self.sent += 1
        try:
            return await call()
        except RateLimited as exc:
            wait = server_wait(exc.retry_after, self.default_wait)
            self.hold_until = max(self.hold_until, self.clock() + wait)
            raise
        finally:
            # Only a response that carried headers replaces the client's RateLimit.
            if self.client.rate_limit is not self._seen:
                self._seen = self.client.rate_limit
                self.budget.observe(self._seen, self.clock())
