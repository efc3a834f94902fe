"""``TeamLink``: the monitor's side of team sharing (see ``team.py``).

As leader, it notes which batches each step changed and tells the team there is
news; when the team publishes, it turns those batches (as they are by then) and the
connection status into records: once per publish however many steps changed them,
and the status only when it is published, not at every step. As follower, it
applies what the leader published through the same path a poll's answer takes
(``Fleet.observe``), so a follower's rows, events, alarms and notifications are
exactly a leader's, and it tells the scheduler what was seen, so that a follower
that becomes leader polls on from where the old leader stopped instead of starting
over.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from batch_tui.api.models import Batch, RateLimit
from batch_tui.api.shape import batch_to_json
from batch_tui.core.clock import Clock
from batch_tui.hub.base import Record
from batch_tui.monitor.budget import Budget
from batch_tui.monitor.fleet import Fleet
from batch_tui.monitor.scheduler import Scheduler
from batch_tui.monitor.snapshot import UNCONFIRMED, Change, MonitorStatus, Snapshot, looks_different
from batch_tui.monitor.team import Team

#: The status fields a follower takes from the leader (the rest are its own: its
#: pause, its history, its cancels).
SHARED_STATUS = (
    "state",
    "last_success",
    "next_poll",
    "last_error",
    "last_error_message",
    "paused_until",
    "effective_interval",
    "planned_gap",
    "requests_last_minute",
    "backing_off",
    "failures_in_a_row",
)
_STATES = frozenset({"connecting", "ok", "error", "rate limited", "unauthorized"})


def _finite(value: Any, low: float = 0.0, high: float = 1e11) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and low <= value <= high else None


def status_to_json(status: MonitorStatus, server_total: int | None = None) -> dict[str, Any]:
    """The leader's status, as published (with how many batches the server's list
    says it has: a follower lists nothing itself)."""
    out: dict[str, Any] = {name: getattr(status, name) for name in SHARED_STATUS}
    out["server_total"] = server_total
    limit = status.rate_limit
    out["rate_limit"] = [limit.limit, limit.remaining, limit.reset]
    return out


def status_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """The leader's status fields that are well formed (the rest are left as they were):
    read from a hub, so as untrusted as a server answer."""
    out: dict[str, Any] = {}
    if data.get("state") in _STATES:
        out["state"] = data["state"]
    for name in ("last_success", "next_poll", "paused_until"):
        if name in data and (data[name] is None or _finite(data[name]) is not None):
            out[name] = data[name]
    for name in ("last_error", "last_error_message"):
        value = data.get(name)
        if value is None or (isinstance(value, str) and len(value) <= 2000):
            out[name] = value
    for name in ("effective_interval", "planned_gap"):
        if (value := _finite(data.get(name), 0.01, 86400 * 7)) is not None:
            out[name] = value
    for name in ("requests_last_minute", "backing_off", "failures_in_a_row"):
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
            out[name] = value
    total = data.get("server_total")
    if isinstance(total, int) and not isinstance(total, bool) and 0 <= total < 10**12:
        out["server_total"] = total
    limit = data.get("rate_limit")
    if isinstance(limit, list) and len(limit) == 3:
        count, remaining, reset = limit
        counts_ok = all(
            v is None or (isinstance(v, int) and not isinstance(v, bool))
            for v in (count, remaining)
        )
        if counts_ok and (reset is None or _finite(reset) is not None):
            out["rate_limit"] = RateLimit(count, remaining, reset)
    return out


def to_record(snapshot: Snapshot) -> Record:
    """A snapshot as the leader publishes it."""
    return Record(
        batch_to_json(snapshot.batch),
        snapshot.updated_at,
        snapshot.detail_at,
        snapshot.error,
        snapshot.not_found,
    )


class TeamLink:
    """Connects a monitor's fleet, scheduler and budget to its ``Team``."""

    def __init__(
        self,
        team: Team,
        *,
        fleet: Fleet,
        scheduler: Scheduler,
        budget: Budget,
        clock: Clock,
        emit: Callable[[Change], None],
        update_status: Callable[..., None],
        refresh: Callable[[], None],
        wake: Callable[[], None],
        dirty: set[str],
        listed: set[str],
        save_followed: bool,
        status: Callable[[], MonitorStatus],
        server_total: Callable[[], int | None] = lambda: None,
        set_server_total: Callable[[int], None] = lambda total: None,
    ) -> None:
        self.team = team
        self._status = status
        self.fleet = fleet
        self.scheduler = scheduler
        self.budget = budget
        self.clock = clock
        self._emit = emit
        self._update_status = update_status
        self._refresh = refresh
        self._wake = wake
        self._dirty = dirty
        self._listed = listed
        self._server_total = server_total
        self._set_server_total = set_server_total
        self.save_followed = save_followed
        """Followers write what they read to their own store (another host's leader
        cannot write this host's store)."""
        self.leader_status: dict[str, Any] = {}
        """The leader's status, as a follower last read it."""
        self._unpublished: set[str] = set()
        """The batches changed since the last publish (a leader's)."""

    # ── leader ───────────────────────────────────────────────────────────────

    def changed(self, batch_ids: Iterable[str]) -> None:
        """These batches changed (and the status may have): news for the team, when
        this member leads."""
        if not self.team.leading:
            return
        self._unpublished.update(batch_ids)
        self.team.news()

    def team_collect(self) -> tuple[list[Record], dict[str, Any]]:
        """What to publish now: the batches changed since the last publish, as they
        are now, and the connection status."""
        snapshots = self.fleet.snapshots
        ids, self._unpublished = self._unpublished, set()
        records = [
            to_record(snapshot)
            for batch_id in ids
            if batch_id
            and (snapshot := snapshots.get(batch_id)) is not None
            and snapshot.error != UNCONFIRMED
        ]
        return records, status_to_json(self._status(), self._server_total())

    # ── TeamHost ─────────────────────────────────────────────────────────────

    def team_role_changed(self, leading: bool) -> None:
        """Poll or follow from now on."""
        self.scheduler.following = not self.team.polls
        if leading:
            self.leader_status = {}
        self._update_status(team=self.team.describe())
        self._wake()

    def team_changed(self) -> None:
        """The role's description changed (members came or went, the hub failed)."""
        self.scheduler.following = not self.team.polls
        self._update_status(team=self.team.describe())
        self._emit(Change())
        self._wake()

    def team_refresh(self) -> None:
        """A follower pressed ``r``."""
        self._refresh()

    def team_interval(self, interval: float) -> None:
        """Poll as often as the most demanding live member asked."""
        if abs(interval - self.scheduler.interval) > 1e-9:
            self.scheduler.set_interval(interval, self.clock())
            self._update_status()
            self._wake()

    def team_others(self, ages: list[float]) -> None:
        """Count the other members' requests in this member's budget."""
        now = self.clock()
        self.budget.set_others([now - age for age in ages])

    def team_records(self, records: list[Record], status: dict[str, Any] | None) -> Change:
        """Draw what the leader published, as if this member had polled it."""
        changed: set[str] = set()
        added: list[Snapshot] = []
        for record in records:
            change = self._apply(record)
            if change is None:
                continue
            snapshot, new = change
            changed.add(snapshot.batch.id or "")
            self._listed.add(snapshot.batch.id or "")  # the leader's lists showed it
            if self.save_followed:
                self._dirty.add(snapshot.batch.id or "")
            if new:
                added.append(snapshot)
        self.fleet.add_many(added)
        if status is not None:
            self.leader_status = status_from_json(status)
            total = self.leader_status.pop("server_total", None)
            if total is not None:
                self._set_server_total(total)
        self._update_status(**self.leader_status, team=self.team.describe())
        finished, alarms, events = self.fleet.take_events()
        result = Change(frozenset(changed), frozenset(), bool(added), finished, alarms, events)
        self._emit(result)
        return result

    def _apply(self, record: Record) -> tuple[Snapshot, bool] | None:
        try:
            batch = Batch.from_json(record.batch)
        except (ValueError, TypeError, RecursionError):
            self.team.hub.skipped += 1
            return None
        batch_id = batch.id or ""
        if not batch_id:
            return None
        old = self.fleet.get(batch_id)
        if old is not None and old.updated_at > record.updated_at:
            return None  # this member already knows newer data (its own detail fetch)
        if record.not_found:
            self.fleet.mark(batch_id, record.error, None, not_found=True)
            return (self.fleet.snapshots[batch_id], False) if batch_id in self.fleet else None
        detail_at = record.detail_at
        if old is not None and old.has_detail and (detail_at or 0) < (old.detail_at or 0):
            # This member fetched the detail itself (its highlighted batch): keep its
            # tokens, errors and config, with the leader's newer counts.
            batch = old.batch.with_summary(batch)
            detail_at = old.detail_at
        if record.detail_at is not None:
            self.scheduler.saw_detail(batch_id, batch.status, record.updated_at)
        else:
            self.scheduler.saw_summary(batch_id, batch.status, record.updated_at)
        snapshot = self.fleet.observe(
            old,
            Snapshot(
                batch,
                updated_at=record.updated_at,
                detail_at=detail_at,
                error=record.error,
                planned_interval=self.scheduler.planned_interval(batch_id),
            ),
        )
        if old is None or old.batch.created_at != batch.created_at:
            return snapshot, True
        self.fleet.snapshots[batch_id] = snapshot
        if not looks_different(old, snapshot):
            return None
        return snapshot, False
