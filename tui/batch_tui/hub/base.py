"""The hub's contract: members, leadership, published records, the request ledger.

Everything read back from a hub is untrusted, exactly like a server answer: a
record is parsed leniently (``Record.from_json``), oversized or malformed values
are skipped and counted (``Hub.skipped``), never fatal.
"""

from __future__ import annotations

import hashlib
import json
import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any

#: A member whose last heartbeat is older than this many seconds no longer counts.
LIVE_FOR = 5.0
#: How long a leadership lease lasts without renewal (seconds); renewed every beat.
LEASE = 1.5
#: The largest value read from a hub that is looked at; bigger ones are skipped.
MAX_VALUE_BYTES = 256 * 1024
#: Members with these kinds may lead (poll for the team).
LEADING_KINDS = frozenset({"dashboard", "watch"})


def team_name(base_url: str, api_key: str) -> str:
    """The team's name: a hash of the service and the organisation's key (never the
    key itself), the same on every host."""
    text = f"team\0{base_url.rstrip('/')}\0{api_key}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


class HubUnavailable(Exception):
    """The hub cannot be used now; ``str()`` is a one-line reason for the user."""


def load_object(text: str | bytes) -> dict[str, Any] | None:
    """A JSON object read back from a hub, or None when the value is too large, not
    JSON, or not an object (never an exception: the value is untrusted)."""
    try:
        if len(text) > MAX_VALUE_BYTES:
            return None
        data = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and 0 <= value < 1e11 else None


@dataclass(frozen=True)
class Member:
    """One process of the team, as its last heartbeat described it."""

    id: str
    """Random per process (never reused)."""
    host: str
    pid: int
    kind: str
    """``dashboard``, ``status`` or ``watch``."""
    interval: float
    """The poll interval this member asked for."""
    paused: bool = False
    """Its user paused it: it does not lead, and its interval does not count."""
    seen_at: float = 0.0
    """Its last heartbeat (unix seconds)."""

    def to_json(self) -> str:
        """The member as stored in the hub."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Member | None:
        """A member read back from the hub, or None when the value is not one."""
        data = load_object(text)
        if data is None:
            return None
        member_id, host, kind = data.get("id"), data.get("host"), data.get("kind")
        pid = data.get("pid")
        interval, seen_at = _number(data.get("interval")), _number(data.get("seen_at"))
        if not (isinstance(member_id, str) and 0 < len(member_id) <= 64):
            return None
        if not isinstance(host, str) or not isinstance(kind, str) or not isinstance(pid, int):
            return None
        if interval is None or seen_at is None or interval <= 0:
            return None
        return cls(
            member_id,
            host[:255],
            pid,
            kind[:32],
            interval,
            bool(data.get("paused")),
            seen_at,
        )


@dataclass(frozen=True)
class Record:
    """One batch as the leader last saw it: the API's JSON shape plus freshness."""

    batch: dict[str, Any]
    """The batch in the API's own JSON shape (parsed again by ``Batch.from_json``)."""
    updated_at: float
    detail_at: float | None = None
    error: str | None = None
    not_found: bool = False

    @property
    def batch_id(self) -> str:
        """The batch's id."""
        value = self.batch.get("id")
        return value if isinstance(value, str) else ""

    def to_json(self) -> str:
        """The record as stored in the hub."""
        # Not ``asdict``: it deep-copies the batch, once per record per publish.
        fields = {
            "batch": self.batch,
            "updated_at": self.updated_at,
            "detail_at": self.detail_at,
            "error": self.error,
            "not_found": self.not_found,
        }
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Record | None:
        """A record read back from the hub, or None when the value is not one."""
        data = load_object(text)
        if data is None or not isinstance(data.get("batch"), dict):
            return None
        updated_at = _number(data.get("updated_at"))
        detail_at = data.get("detail_at")
        error = data.get("error")
        if updated_at is None:
            return None
        if detail_at is not None and (detail_at := _number(detail_at)) is None:
            return None
        if error is not None and not isinstance(error, str):
            return None
        record = cls(data["batch"], updated_at, detail_at, error, bool(data.get("not_found")))
        return record if record.batch_id else None


@dataclass(frozen=True)
class LeaderRound:
    """What one of the leader's steps found (``Hub.lead_round``)."""

    members: list[Member] | None
    """Every live member (None: this round did not beat)."""
    others: list[float] | None
    """When the other members sent their requests (None: not asked this round)."""
    refresh_asks: int
    """The refresh counter (``Hub.refresh_asks``)."""
    still_leading: bool
    """False when a publish found this member no longer leads."""


class Hub(ABC):
    """Where one team meets. Every method may raise ``HubUnavailable``; none blocks
    the event loop. ``label`` names the hub for the status line."""

    label: str = "this host"
    shares_store: bool = False
    """True when the team's members on this host share one local store, so the
    leader's writes to it serve them all (followers then write nothing)."""
    skipped: int = 0
    """Values read from the hub that were not understood and were ignored."""
    leased: bool = True
    """Leadership is a lease the leader must renew every beat (False: the kernel
    holds it for the leader's whole life, as a lock file does)."""

    @abstractmethod
    async def start(self) -> None:
        """Connect (raises ``HubUnavailable`` when the hub cannot be used)."""

    @abstractmethod
    async def close(self) -> None:
        """Let go of everything (leadership included); safe to call twice."""

    @abstractmethod
    async def beat(self, me: Member) -> list[Member]:
        """Record this member's heartbeat; returns every live member (``me`` too)."""

    @abstractmethod
    async def leave(self, member_id: str) -> None:
        """This member is going: it no longer counts."""

    @abstractmethod
    async def lead(self, member_id: str) -> bool:
        """Take or keep the leadership; True while this member holds it. A lease that
        lapsed (the process was frozen past ``LEASE``) is lost: False."""

    @abstractmethod
    async def resign(self, member_id: str) -> None:
        """Give the leadership up (when held)."""

    @abstractmethod
    async def leader(self) -> str | None:
        """The member id of the live leader (None: nobody polls)."""

    @abstractmethod
    async def publish(self, member_id: str, records: list[Record], status: dict[str, Any]) -> bool:
        """Write these records and the leader's status, only while ``member_id`` still
        leads (checked in the same step as the write); False when it no longer does."""

    @abstractmethod
    async def read(self, cursor: int) -> tuple[list[Record], dict[str, Any] | None, int]:
        """The records written after ``cursor`` (0: all), the leader's latest status,
        and the cursor to pass next time."""

    @abstractmethod
    async def wait(self, timeout: float) -> None:
        """Return when something may have changed (a publish, a refresh asked), or
        after ``timeout`` seconds."""

    def touched(self) -> bool:
        """True when another process wrote to the hub since this one last asked (a
        member's heartbeat, a refresh asked). Cheap enough to ask from the event
        loop. Only a quiet leader asks (``Team``), and only a hub without a lease has
        one: a hub with a lease may say False."""
        return False

    @abstractmethod
    async def record_requests(self, member_id: str, times: list[float]) -> None:
        """Count requests this member sent (unix seconds) in the shared ledger."""

    @abstractmethod
    async def requests_since(self, since: float, exclude: str | None = None) -> list[float]:
        """When every request in the ledger after ``since`` was sent (all members but
        ``exclude``), oldest first."""

    async def lead_round(
        self,
        me: Member,
        *,
        beat: bool,
        sent: list[float],
        since: float | None,
        records: list[Record] | None,
        status: dict[str, Any],
    ) -> LeaderRound:
        """One step of the leader's: its heartbeat (when ``beat``), its requests into the
        ledger, the others' requests after ``since`` (when given), a publish (when
        ``records`` is not None) and the refresh counter. This default takes the steps
        one by one; a hub that can take them in one exchange overrides it."""
        members = await self.beat(me) if beat else None
        if sent:
            await self.record_requests(me.id, sent)
        others = None if since is None else await self.requests_since(since, exclude=me.id)
        published = True
        if records is not None:
            published = await self.publish(me.id, records, status)
        return LeaderRound(members, others, await self.refresh_asks(), published)

    @abstractmethod
    async def ask_refresh(self) -> None:
        """Ask the leader for a refresh (``r`` on a follower)."""

    @abstractmethod
    async def refresh_asks(self) -> int:
        """How many refreshes were asked so far (the leader acts when it grows)."""
