"""Fault injection for the demo server: the ways a real service (or a hostile one) misbehaves.

Tests switch faults on and off at run time (``DemoApi.faults``); the standalone
server takes them from ``--faults`` or ``BATCH_TUI_DEMO_FAULTS`` as a spec: a
comma-separated list of ``kind=value``, such as
``5xx=0.2,latency=0.3,hang=0.1,drop=0.05,malformed=0.1,429=5``. Most kinds take
a share of requests from 0 to 1; such a kind named alone (``endless``) means 1,
every request. The kinds:

Unreliable service
    ``5xx=SHARE``        answer 500, 502 or 503.
    ``latency=SECONDS``  hold every answer this long first.
    ``hang=SHARE``       hold the answer a minute, past any client timeout.
    ``drop=SHARE``       close the connection with no answer.
    ``malformed=SHARE``  answer 200 with a broken body (HTML, truncated, empty, …).
    ``429=N``            answer the next N requests with 429 (Retry-After: 1).

Hostile server (what a client must survive without hanging, blowing up its
memory, or leaking its key)
    ``endless=SHARE``    list pages whose ``hasMore`` is always true, with fresh
                         ids on every page, so "fetch every page" never ends.
    ``gzipbomb=SHARE``   a 200 with ``Content-Encoding: gzip`` whose few KB decode
                         to 8 MiB of zero bytes; every other one is encoded twice
                         (``gzip, gzip``), under 1 KB decoding to 256 MiB.
    ``trickle=SHARE``    the real answer, streamed one byte every
                         ``trickle-every`` seconds (default 2): it never finishes
                         quickly, though bytes keep arriving.
    ``msreset=SHARE``    ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset``
                         in epoch milliseconds (read as seconds: year 50,000+).
    ``hugereset=SHARE``  429 with ``Retry-After: 999999999`` and a body whose
                         ``retryAfter`` is ``1e309`` (JSON for infinity).
    ``echokey=SHARE``    401 whose message echoes the bearer key sent:
                         ``Invalid API key provided: <key>``.
    ``badlist=SHARE``    list answers whose ``data`` is ``null``, ``{}``, or
                         ``[1, "x", null]``, in turn.
    ``nested=SHARE``     a 200 body of 100,000 ``[`` then 100,000 ``]``.
    ``unordered=SHARE``  list answers oldest first (the API does not promise an
                         order): a new batch is on the last page, not the first.

Bad data (batches whose story goes wrong; the share picks batches by id, so the
same ones are picked on every request)
    ``stall=SHARE``      a batch still pending, validating or processing stops
                         moving: it is answered as it was first seen under the
                         fault, until the fault is cleared; ``?status=`` lists
                         it in the status it is frozen in.
    ``unaccounted=SHARE`` a completed batch's counts do not add up: some of its
                         successes (or failures) are missing.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field, fields
from itertools import count
from typing import Any

#: Bodies a broken server has been known to send with a 200.
MALFORMED_BODIES: tuple[tuple[bytes, str], ...] = (
    (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    (b'{"id": "batch_x", "status": "proc', "application/json"),  # truncated
    (b"", "application/json"),  # empty
    (b'{"unexpected": ["shape"]}', "application/json"),
    (b'{"id": "\xff\xfe not utf-8"}', "application/json"),
)
#: What ``badlist`` puts in a list answer's ``data``, in turn.
BAD_LISTS: tuple[Any, ...] = (None, {}, [1, "x", None])

SPEC_KEYS = {
    "5xx": "error_rate",
    "latency": "delay",
    "hang": "hang_rate",
    "drop": "drop_rate",
    "malformed": "malformed_rate",
    "429": "burst_429",
    "endless": "endless_rate",
    "gzipbomb": "gzipbomb_rate",
    "trickle": "trickle_rate",
    "trickle-every": "trickle_every",
    "msreset": "msreset_rate",
    "hugereset": "hugereset_rate",
    "echokey": "echokey_rate",
    "badlist": "badlist_rate",
    "nested": "nested_rate",
    "unordered": "unordered_rate",
    "stall": "stall_rate",
    "unaccounted": "unaccounted_rate",
}

#: One line per spec key, for ``batch-tui demo-server --help``.
HELP: tuple[tuple[str, str], ...] = (
    ("5xx=SHARE", "answer 500, 502 or 503"),
    ("latency=SECONDS", "hold every answer this long"),
    ("hang=SHARE", "hold the answer a minute, past any timeout"),
    ("drop=SHARE", "close the connection with no answer"),
    ("malformed=SHARE", "200 with a broken body (HTML, truncated, empty, ...)"),
    ("429=N", "answer the next N requests with 429"),
    ("endless=SHARE", "list pages always hasMore, fresh ids on every page"),
    ("gzipbomb=SHARE", "8 KB gzip -> 8 MiB; every 2nd 'gzip, gzip' -> 256 MiB"),
    ("trickle=SHARE", "the answer one byte every trickle-every seconds"),
    ("trickle-every=SECONDS", "seconds between trickled bytes (default 2)"),
    ("msreset=SHARE", "Remaining 0, X-RateLimit-Reset in epoch milliseconds"),
    ("hugereset=SHARE", "429 with Retry-After 999999999 and retryAfter 1e309"),
    ("echokey=SHARE", "401 'Invalid API key provided: <the key sent>'"),
    ("badlist=SHARE", 'list data null, {} or [1, "x", null] in turn'),
    ("nested=SHARE", "200 body of 100,000 '[' then 100,000 ']'"),
    ("unordered=SHARE", "list answers oldest first: new batches on the last page"),
    ("stall=SHARE", "running batches (picked by id) stop moving until cleared"),
    ("unaccounted=SHARE", "completed batches (picked by id) whose counts do not add up"),
)
#: The fields a stalled batch keeps as they were first seen under the fault.
FROZEN_FIELDS = (
    "status",
    "processedItems",
    "successCount",
    "failureCount",
    "totalCostCents",
    "totalInputTokens",
    "totalOutputTokens",
    "startedAt",
    "completedAt",
)


class FaultSpecError(ValueError):
    """A ``--faults`` spec that cannot be read."""


class DroppedConnection(Exception):
    """Raised inside a response to close the connection without an answer."""


@dataclass
class Faults:
    """Ways to make the server misbehave (the module docstring describes each).

    Every request: ``status`` answers with that HTTP status and the ``error``
    envelope (a generic one by default); ``body`` replaces every successful body
    with these raw bytes; ``delay`` holds each answer that many seconds first.
    A share of requests (0 to 1 each): ``error_rate`` answers 500/502/503,
    ``hang_rate`` holds the answer ``hang_for`` seconds (past any client timeout),
    ``drop_rate`` closes the connection with no answer, ``malformed_rate``
    answers 200 with a broken body; and the hostile kinds, ``endless_rate``,
    ``gzipbomb_rate``, ``trickle_rate`` (one byte every ``trickle_every``
    seconds), ``msreset_rate``, ``hugereset_rate``, ``echokey_rate``,
    ``badlist_rate``, ``nested_rate`` and ``unordered_rate``. ``burst_429`` answers the next that
    many requests with 429. Bad data, for the batches a share picks by id:
    ``stall_rate`` and ``unaccounted_rate`` (``doctor`` applies them).
    """

    status: int | None = None
    error: dict[str, Any] | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    error_rate: float = 0.0
    hang_rate: float = 0.0
    hang_for: float = 60.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    burst_429: int = 0
    endless_rate: float = 0.0
    gzipbomb_rate: float = 0.0
    trickle_rate: float = 0.0
    trickle_every: float = 2.0
    msreset_rate: float = 0.0
    hugereset_rate: float = 0.0
    echokey_rate: float = 0.0
    badlist_rate: float = 0.0
    nested_rate: float = 0.0
    unordered_rate: float = 0.0
    stall_rate: float = 0.0
    unaccounted_rate: float = 0.0
    frozen: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    """The stalled batches' fields, as first seen under ``stall``."""
    rng: random.Random = field(default_factory=lambda: random.Random(7), repr=False)
    turns: dict[str, count] = field(default_factory=dict, repr=False)
    """Counters for the faults that take turns (bad lists, bombs, endless ids)."""

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """Read a spec like ``5xx=0.2,latency=0.3,429=5,endless``."""
        faults = cls()
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, equals, value = (piece.strip() for piece in part.partition("="))
            attribute = SPEC_KEYS.get(name)
            if attribute is None:
                raise FaultSpecError(f"unknown fault {name!r} (known: {', '.join(SPEC_KEYS)})")
            if not equals and attribute.endswith("_rate"):
                value = "1"  # a share named alone: every request
            try:
                number = int(value) if attribute == "burst_429" else float(value)
            except ValueError:
                raise FaultSpecError(f"fault {name} needs a number, got {value!r}") from None
            if not number >= 0 or (attribute.endswith("_rate") and number > 1):
                raise FaultSpecError(f"fault {name} out of range: {value}")
            setattr(faults, attribute, number)
        return faults

    def clear(self) -> None:
        """Back to a healthy server."""
        healthy = Faults()
        for spec_field in fields(self):
            if spec_field.name not in ("rng", "turns"):
                setattr(self, spec_field.name, getattr(healthy, spec_field.name))

    def roll(self, share: float) -> bool:
        """True for about ``share`` of the calls."""
        return share > 0 and self.rng.random() < share

    def turn(self, name: str) -> int:
        """0, 1, 2, … : how many times the fault ``name`` took its turn before."""
        return next(self.turns.setdefault(name, count()))

    def take_429(self) -> bool:
        """True (and one fewer left) while a burst of 429s is under way."""
        if self.burst_429 > 0:
            self.burst_429 -= 1
            return True
        return False

    def malformed(self) -> tuple[bytes, str]:
        """One of the broken bodies, at random."""
        return self.rng.choice(MALFORMED_BODIES)

    def picks(self, share: float, batch_id: str) -> bool:
        """True for about ``share`` of batch ids, the same ids every time."""
        return share > 0 and zlib.crc32(batch_id.encode()) % 10_000 < share * 10_000

    def doctor(self, batch: Any) -> Any:
        """A batch's JSON (a list row or a detail) with the bad-data faults applied."""
        if not isinstance(batch, dict) or not isinstance(batch.get("id"), str):
            return batch
        batch_id = batch["id"]
        frozen = self.frozen.get(batch_id)
        running = batch.get("status") in ("pending", "validating", "processing")
        if self.picks(self.stall_rate, batch_id) and (frozen is not None or running):
            frozen = self.frozen.setdefault(batch_id, {})
            for key in FROZEN_FIELDS:
                if key in batch:
                    batch[key] = frozen.setdefault(key, batch[key])
        if batch.get("status") == "completed" and self.picks(self.unaccounted_rate, batch_id):
            missing = max(1, int(batch.get("totalItems") or 0) // 10)
            for key in ("successCount", "failureCount"):
                taken = min(missing, int(batch.get(key) or 0))
                batch[key] = int(batch.get(key) or 0) - taken
                missing -= taken
        return batch
