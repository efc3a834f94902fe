"""``RequestGate``: the one door every request of the monitor goes through.

Polls, item errors, results pages and cancels all ask the gate first: a rejected
key, a 429 hold or a spent rate budget close it for everyone. The gate also counts
each request as it leaves (the budget, the scheduler, the team's ledger) and reads
the rate-limit headers of its answer.
"""

from __future__ import annotations

from collections.abc import Callable

from batch_tui.api.errors import RateLimited, Unauthorized
from batch_tui.monitor.state import MonitorState


class RequestGate:
    """See the module docstring."""

    def __init__(self, state: MonitorState, *, on_sent: Callable[[], None] | None = None) -> None:
        self.state = state
        self.on_sent = on_sent
        """Also told of every request sent (the team's ledger)."""
        self._seen_rate_limit = state.client.rate_limit

    def check(self) -> None:
        """Raise when nothing may be sent now, whatever the user asks."""
        state = self.state
        now = state.clock()
        if state.scheduler.stopped:
            raise Unauthorized("the API key was rejected; press r to try again")
        held = state.scheduler.paused_until
        if held is not None and now < held:
            raise RateLimited(
                f"rate limited: the server asked for a pause of {held - now:.0f} s more",
                retry_after=held - now,
            )
        if not state.budget.can_send(now):
            wait = state.budget.next_window(now) - now
            raise RateLimited(
                f"the rate budget is spent until the next window (in {wait:.0f} s)",
                retry_after=wait,
            )

    def wait(self, minimum: float) -> float:
        """Seconds until the gate lets a request through (0: now; at least ``minimum``
        while the budget is spent)."""
        state = self.state
        now = state.clock()
        held = state.scheduler.paused_until
        if held is not None and now < held:
            return held - now
        if state.budget.can_send(now):
            return 0.0
        return max(minimum, state.budget.next_window(now) - now)

    def sending(self) -> None:
        """A request leaves now."""
        state = self.state
        now = state.clock()
        state.requests_sent += 1
        state.scheduler.sending(now)
        state.budget.sent(now)
        if self.on_sent is not None:
            self.on_sent()
        self._seen_rate_limit = state.client.rate_limit

    def answered(self) -> None:
        """Its answer came (or it failed): take in the rate-limit headers it carried."""
        client = self.state.client
        # Only a response that carried headers replaces the client's RateLimit object.
        if client.rate_limit is not self._seen_rate_limit:
            self._seen_rate_limit = client.rate_limit
            self.state.budget.observe(client.rate_limit, self.state.clock())
