"""``StatusBuilder``: the status line's facts, gathered from the monitor's parts.

Every step ends with a fresh ``MonitorStatus``: the plan's intervals, the budget's
count, the holds and back-offs, a notice about how the monitor works now, how much
history is loaded, and (for a follower) the leader's view of the connection.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from batch_tui.monitor.planning import SCAN_SHARE
from batch_tui.monitor.state import MonitorState

if TYPE_CHECKING:
    from batch_tui.monitor.sharing import TeamLink

#: Said in the status line when the list turns out not to be newest first.
ORDER_NOTICE = (
    f"the list is not newest first: new batches are found by the status sweeps, "
    f"the rest read in the background ({SCAN_SHARE:.0%} of the budget)"
)


class StatusBuilder:
    """See the module docstring."""

    def __init__(self, state: MonitorState) -> None:
        self.state = state
        self.team: TeamLink | None = None
        """The team link, once the monitor has one: a follower shows the leader's view."""

    def update(self, **changes: Any) -> None:
        """Rebuild ``state.status``, with these fields as given."""
        state = self.state
        now = state.clock()
        plan = state.scheduler.plan(now)
        fields: dict[str, Any] = {
            "rate_limit": state.client.rate_limit,
            "interval": plan.interval,
            "effective_interval": plan.effective_interval,
            "planned_gap": plan.planned_gap,
            "requests_last_minute": state.budget.requests_last_minute(now),
            "paused_until": state.scheduler.paused_until,
            "backing_off": state.scheduler.backing_off(),
            "failures_in_a_row": state.scheduler.max_backoff(),
            "user_paused": state.user_paused,
            "notice": self.notice(),
            "history": self.history(),
            **changes,
        }
        if self.team is not None:
            fields["team"] = self.team.team.describe()
            if not self.team.team.polls:
                # A follower shows the connection as the leader sees it.
                fields.update(self.team.leader_status)
        state.status = replace(state.status, **fields)

    def notice(self) -> str | None:
        """What the status line should say about how the monitor works now."""
        state = self.state
        if notice := state.store.notice:
            return notice
        if state.scheduler.unordered:
            return ORDER_NOTICE
        truncated = [key for key, walk in state.scheduler.walks.items() if walk.truncated]
        if truncated:
            return (
                f"stopped reading {', '.join(sorted(truncated))} at a page cap or a repeated page"
            )
        return None

    def history(self) -> str | None:
        """How much of the history is loaded, while not all of it is."""
        state = self.state
        if state.scheduler.history_complete and state.store.fully_loaded:
            return None
        loaded = len(state.fleet.snapshots)
        if state.scheduler.history_wanted:
            return f"loading older batches · {loaded:,} loaded"
        return f"{loaded:,} loaded · older batches load as you scroll"
