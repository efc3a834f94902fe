"""``Team``: this process's part in its organisation's team — lead, or follow.

Every member beats every ``BEAT`` seconds: it says it is alive and what interval it
wants, and tries to take the leadership (a member that is paused, or a one-shot
``status``, never does). Exactly one member leads: it polls the API as a dashboard
alone would, at the shortest interval any live member asked for, and publishes
every snapshot that changed. The others follow: they read what the leader
published and draw it exactly as if they had polled it. When the leader goes
(exits, dies, pauses, or loses its lease), another member takes over at its next
beat. Every request of every member is counted in the hub's ledger, so the
sliding-minute cap and the headroom hold for the team together.

The team knows nothing of the screen: the monitor hands it what to publish and
takes what it reads through the ``TeamHost`` calls below.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from batch_tui.hub.base import LEADING_KINDS, Hub, HubUnavailable, Member, Record

#: Seconds between heartbeats (and leadership attempts); a dead leader is replaced
#: within one beat on one host, within its lease across hosts.
BEAT = 0.5
#: A leader with no one else in its team beats this often when its leadership is
#: no lease (a lock file's): nobody follows its news, and ``LIVE_FOR`` keeps it
#: counted. What it publishes at the beat is what a ``status`` run reads.
ALONE_BEAT = 4.0
#: Between those beats it looks this often whether another process wrote to the
#: hub (``Hub.touched``: a member that joins beats at once), and beats then: a
#: joiner is seen within this, and the beat is ``BEAT`` again.
ALONE_LOOK = 2.0
#: After the hub failed, it is tried again this often (seconds).
RETRY_EVERY = 5.0
#: A follower reads the ledger and who leads only every this many beats: it rarely
#: sends a request of its own, and the leader's name only feeds the status line.
FOLLOWER_LOOKS_EVERY = 4


class TeamHost(Protocol):
    """What the team needs of the monitor it serves."""

    def team_role_changed(self, leading: bool) -> None:
        """This member now leads (polls) or follows."""

    def team_records(self, records: list[Record], status: dict[str, Any] | None) -> object:
        """The leader published these (a follower draws them)."""

    def team_collect(self) -> tuple[list[Record], dict[str, Any]]:
        """What this leader publishes now: the records changed since its last publish
        (made now, once, however many steps changed them) and its status."""

    def team_refresh(self) -> None:
        """A follower asked the leader for a refresh."""

    def team_interval(self, interval: float) -> None:
        """The team wants polls at this interval (the shortest any member asked for)."""

    def team_others(self, ages: list[float]) -> None:
        """How long ago (seconds) the other members sent their requests in the last
        minute (ages, not times: the monitor may run on another clock)."""

    def team_changed(self) -> None:
        """The team's description (``Team.describe``) changed."""


class Team:
    """This process in its team: see the module docstring."""

    def __init__(
        self,
        hub: Hub,
        *,
        kind: str,
        interval: float,
        clock: Callable[[], float],
        can_lead: bool = True,
    ) -> None:
        self.hub = hub
        self.clock = clock
        self.me = Member(
            id=uuid.uuid4().hex,
            host=socket.gethostname(),
            pid=os.getpid(),
            kind=kind,
            interval=interval,
        )
        self.can_lead = can_lead and kind in LEADING_KINDS
        self.leading = False
        self.members: list[Member] = []
        self.leader: Member | None = None
        self.problem: str | None = None
        """Why the team cannot be used now (this member then polls alone)."""
        self._cursor = 0
        self._news = False
        self._status_sent: dict[str, Any] | None = None
        self._status_read: dict[str, Any] | None = None
        self._sent: list[float] = []
        self._refresh_asked = 0
        self._refresh_seen: int | None = None
        self._wake = asyncio.Event()
        self._closed = False
        self._started = False
        self._retry_at = 0.0
        self._next_beat = 0.0
        self._beats = 0

    # ── what the monitor tells the team ──────────────────────────────────────

    @property
    def alone(self) -> bool:
        """True while the hub cannot be used: this member polls for itself."""
        return self.problem is not None

    @property
    def polls(self) -> bool:
        """True when this member should poll the API: it leads, or the hub failed and it
        polls alone. Until it has met its team (the first heartbeat) it does not."""
        return self.leading or (self.alone and self.can_lead and not self.me.paused)

    @property
    def caught_up(self) -> bool:
        """True when all the news told so far is published (the leader's writes are all
        in the hub)."""
        return not self._news

    def news(self) -> None:
        """The leader has news (batches or its status changed): published at once, or
        by a quiet leader at its next beat. What is published is collected from the
        host then (``TeamHost.team_collect``)."""
        self._news = True
        if self.leading and not self._quiet():
            self._wake.set()

    def sent(self) -> None:
        """This member sent a request now (counted in the ledger at the next beat)."""
        self._sent.append(self.clock())

    def set_interval(self, interval: float) -> None:
        """The interval this member asks for."""
        self.me = replace(self.me, interval=interval)
        self._next_beat = 0.0
        self._wake.set()

    def set_paused(self, paused: bool) -> None:
        """A paused member does not lead (another takes over) and its interval does not
        count."""
        self.me = replace(self.me, paused=paused)
        self._next_beat = 0.0
        self._wake.set()

    def ask_refresh(self) -> None:
        """Ask the leader for a refresh at the next step."""
        self._refresh_asked += 1
        self._wake.set()

    def close(self) -> None:
        """Stop at the next step (``run`` then leaves the team)."""
        self._closed = True
        self._wake.set()

    # ── what the status line says ────────────────────────────────────────────

    def describe(self) -> str | None:
        """This member's role, for the status line (None for a dashboard alone on its
        host: there is nothing to tell), and how many values read from the hub were
        not understood and ignored."""
        role = self._role()
        if self.hub.skipped:
            ignored = f"{self.hub.skipped:,} unreadable values from the team ignored"
            return ignored if role is None else f"{role}; {ignored}"
        return role

    def _role(self) -> str | None:
        hub = "" if self.hub.label == "this host" else f"{self.hub.label}, "
        if self.problem is not None:
            return f"{hub}polling alone ({self.problem})"
        if self.leading:
            others = sum(1 for m in self.members if m.id != self.me.id and m.kind == "dashboard")
            if not others:
                return f"{hub}polling" if hub else None
            return f"{hub}polling for {others + 1} dashboards"
        if self.leader is not None:
            where = f"leader on {self.leader.host}" if hub else "another dashboard polls"
            return f"{hub}{where}" if hub else f"following: {where}"
        if self.me.paused:
            return f"{hub}paused"
        return f"{hub}waiting for a leader"

    # ── the loop ─────────────────────────────────────────────────────────────

    async def run(self, host: TeamHost) -> None:
        """Beat, lead or follow until ``close()``; never raises for the hub's failures."""
        try:
            while not self._closed:
                await self._step(host)
        finally:
            await self._leave()

    async def _step(self, host: TeamHost) -> None:
        now = self.clock()
        if not self._started or self.problem is not None:
            if now < self._retry_at:
                # Cleared here too: a wake-up asked for before the hub failed would
                # otherwise end every wait at once until the retry.
                self._wake.clear()
                if not self._closed:
                    await self._sleep(self._retry_at - now)
                return
            try:
                await self.hub.start()
            except HubUnavailable as exc:
                self._fail(host, str(exc))
                return
            self._started = True
            self._set_problem(host, None)
        try:
            published = False
            if now >= self._next_beat or (self._quiet() and self.hub.touched()):
                published = await self._beat(host)
                self._next_beat = now + self._beat_every()
            if self.leading:
                if not published and not self._quiet():
                    await self._publish(host)
            else:
                if self._refresh_asked:
                    self._refresh_asked = 0
                    await self.hub.ask_refresh()
                if not self.me.paused:
                    records, status, self._cursor = await self.hub.read(self._cursor)
                    # Other members' heartbeats change the team file too: only new
                    # records or a new status are news worth drawing.
                    if records or (status is not None and status != self._status_read):
                        self._status_read = status
                        host.team_records(records, status)
            self._wake.clear()
            wait = max(0.0, self._next_beat - self.clock())
            if self.leading:
                await self._sleep(min(wait, ALONE_LOOK) if self._quiet() else wait)
            else:
                await self._wait_hub(wait)
        except HubUnavailable as exc:
            self._fail(host, str(exc))

    def _alone(self) -> bool:
        return all(member.id == self.me.id for member in self.members)

    def _quiet(self) -> bool:
        """True for a leader with no one else in its team whose leadership is no lease (a
        lock file's): nobody follows its news, so it publishes only at its (slow) beat,
        one trip to the hub every ``ALONE_BEAT`` seconds, and in between only looks,
        every ``ALONE_LOOK`` seconds and without leaving the event loop, whether anyone
        wrote to the hub. A member that joins beats at once, so it is seen within a
        look, and reads news at most a beat old until then."""
        return self.leading and not self.hub.leased and self._alone()

    def _beat_every(self) -> float:
        """Seconds to the next beat: slower for a quiet leader (an idle dashboard on its
        own should cost what a clock costs)."""
        return ALONE_BEAT if self._quiet() else BEAT

    async def _beat(self, host: TeamHost) -> bool:
        """Heartbeat, ledger and leadership; True when it published too (a leader's
        beat is one round with its publish)."""
        before = self.describe()
        known = {m.id for m in self.members}
        self._beats += 1
        sent, self._sent = self._sent, []
        # The leader counts the others' requests at every beat (it sends most of the
        # team's); a follower often enough for the rare request of its own.
        look = self.leading or self._beats % FOLLOWER_LOOKS_EVERY == 1 or bool(sent)
        published = False
        if self.leading:
            now = self.clock()
            if not await self._round(host, beat=True, sent=sent, since=now - 60):
                return True  # it follows now
            published = True
        else:
            self.members = await self.hub.beat(self.me)
            if sent:
                await self.hub.record_requests(self.me.id, sent)
            if look:
                now = self.clock()
                times = await self.hub.requests_since(now - 60, exclude=self.me.id)
                host.team_others([now - at for at in times])
        wants_lead = self.can_lead and not self.me.paused
        if wants_lead:
            leading = await self.hub.lead(self.me.id)
        else:
            if self.leading:
                await self.hub.resign(self.me.id)
            leading = False
        if leading != self.leading:
            self.leading = leading
            self._refresh_seen = None
            if leading:
                self._status_sent = None
                self._news = True  # publish the status at once
                published = False
            host.team_role_changed(leading)
        if leading:
            self.leader = next((m for m in self.members if m.id == self.me.id), None)
        elif look or self.leader is None or {m.id for m in self.members} != known:
            leader_id = await self.hub.leader()
            self.leader = next((m for m in self.members if m.id == leader_id), None)
        if leading:
            wanted = [m.interval for m in self.members if not m.paused and m.kind != "status"]
            host.team_interval(min(wanted, default=self.me.interval))
        if self.describe() != before:
            host.team_changed()
        return published

    async def _publish(self, host: TeamHost) -> None:
        """What changed since the last publish, with the refresh counter, in one round."""
        if self._news:
            await self._round(host, beat=False, sent=[], since=None)

    async def _round(
        self, host: TeamHost, *, beat: bool, sent: list[float], since: float | None
    ) -> bool:
        """One leader's round (``Hub.lead_round``); False when the lease turned out to
        have lapsed (this process was frozen, or the hub forgot it): it follows now."""
        records: list[Record] | None = None
        status: dict[str, Any] = {}
        if self._news:
            self._news = False
            records, status = host.team_collect()
            if not records and status == self._status_sent:
                records = None  # nothing new after all: the round only beats
        result = await self.hub.lead_round(
            self.me, beat=beat, sent=sent, since=since, records=records, status=status
        )
        if result.members is not None:
            self.members = result.members
        if result.others is not None:
            now = self.clock()
            host.team_others([now - at for at in result.others])
        if not result.still_leading:
            self.leading = False
            host.team_role_changed(False)
            host.team_changed()
            return False
        if records is not None:
            self._status_sent = status
        if self._refresh_seen is not None and result.refresh_asks > self._refresh_seen:
            host.team_refresh()
        self._refresh_seen = result.refresh_asks
        return True

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _wait_hub(self, seconds: float) -> None:
        """Wait for the leader's next write, this member's own wake-up or the beat."""
        waiter = asyncio.ensure_future(self.hub.wait(seconds))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({waiter, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiter, woken):
                if not task.done():
                    task.cancel()
            await asyncio.gather(waiter, woken, return_exceptions=True)
        if waiter.done() and not waiter.cancelled() and (exc := waiter.exception()) is not None:
            raise exc

    def _fail(self, host: TeamHost, problem: str) -> None:
        self._retry_at = self.clock() + RETRY_EVERY
        was_leading = self.leading
        self.leading = False
        self._set_problem(host, problem)
        if was_leading:
            host.team_role_changed(False)

    def _set_problem(self, host: TeamHost, problem: str | None) -> None:
        if problem != self.problem:
            self.problem = problem
            if problem is not None:
                self._started = False
            host.team_changed()

    async def _leave(self) -> None:
        if not self._started or self.problem is not None:
            return
        try:
            if self.leading:
                await self.hub.resign(self.me.id)
            await self.hub.leave(self.me.id)
        except HubUnavailable:
            pass
        finally:
            await self.hub.close()
