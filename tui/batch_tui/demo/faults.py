"""Fault injection for the demo server: the ways a real service misbehaves.

Tests switch faults on and off at run time (``DemoApi.faults``); the standalone
server takes them from ``--faults`` or ``BATCH_TUI_DEMO_FAULTS`` as a spec such as
``5xx=0.2,latency=0.3,hang=0.1,drop=0.05,malformed=0.1,429=5``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

#: Bodies a broken server has been known to send with a 200.
MALFORMED_BODIES: tuple[tuple[bytes, str], ...] = (
    (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    (b'{"id": "batch_x", "status": "proc', "application/json"),  # truncated
    (b"", "application/json"),  # empty
    (b'{"unexpected": ["shape"]}', "application/json"),
    (b'{"id": "\xff\xfe not utf-8"}', "application/json"),
)

SPEC_KEYS = {
    "5xx": "error_rate",
    "latency": "delay",
    "hang": "hang_rate",
    "drop": "drop_rate",
    "malformed": "malformed_rate",
    "429": "burst_429",
}


class FaultSpecError(ValueError):
    """A ``--faults`` spec that cannot be read."""


class DroppedConnection(Exception):
    """Raised inside a response to close the connection without an answer."""


@dataclass
class Faults:
    """Ways to make the server misbehave.

    Every request: ``status`` answers with that HTTP status and the ``error``
    envelope (a generic one by default); ``body`` replaces every successful body
    with these raw bytes; ``delay`` holds each answer that many seconds first.
    A share of requests (0 to 1 each): ``error_rate`` answers 500/502/503,
    ``hang_rate`` holds the answer ``hang_for`` seconds (past any client timeout),
    ``drop_rate`` closes the connection with no answer, ``malformed_rate``
    answers 200 with a broken body. ``burst_429`` answers the next that many
    requests with 429.
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
    rng: random.Random = field(default_factory=lambda: random.Random(7), repr=False)

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """Read a spec like ``5xx=0.2,latency=0.3,429=5``."""
        faults = cls()
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, value = part.partition("=")
            attribute = SPEC_KEYS.get(name.strip())
            if attribute is None:
                raise FaultSpecError(
                    f"unknown fault {name.strip()!r} (known: {', '.join(SPEC_KEYS)})"
                )
            try:
                number = int(value) if attribute == "burst_429" else float(value)
            except ValueError:
                raise FaultSpecError(
                    f"fault {name.strip()} needs a number, got {value!r}"
                ) from None
            if number < 0 or (attribute.endswith("_rate") and number > 1):
                raise FaultSpecError(f"fault {name.strip()} out of range: {value}")
            setattr(faults, attribute, number)
        return faults

    def clear(self) -> None:
        """Back to a healthy server."""
        healthy = Faults()
        for name in SPEC_KEYS.values():
            setattr(self, name, getattr(healthy, name))
        self.status = self.error = self.body = None

    def roll(self, share: float) -> bool:
        """True for about ``share`` of the calls."""
        return share > 0 and self.rng.random() < share

    def take_429(self) -> bool:
        """True (and one fewer left) while a burst of 429s is under way."""
        if self.burst_429 > 0:
            self.burst_429 -= 1
            return True
        return False

    def malformed(self) -> tuple[bytes, str]:
        """One of the broken bodies, at random."""
        return self.rng.choice(MALFORMED_BODIES)
