"""One fake batch: what is fixed at its creation (``BatchSpec``) and its state at any instant.

A batch goes pending → validating → processing → completed, or → failed at the
end of validation, on a timetable fixed by its spec. The only thing that can
change its story is a cancel, so its state at an instant is a function of the
spec, that instant and the time of its earliest cancel.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DAY = 86_400.0
RETENTION = 30 * DAY
"""How long results are kept (the Pro plan's 30 days)."""
FINISHED = ("completed", "failed")
"""Statuses a batch reaches by itself; ``cancelled`` is the third terminal one."""
TERMINAL = frozenset({"completed", "failed", "cancelled"})

NAMES = (
    "Daily fact check",
    "Article verification",
    "Newsroom claims: morning desk",
    "Product descriptions QA",
    "Support macros audit",
    "Medical FAQ review",
    "Earnings call claims",
    "Encyclopedia diff sample",
    "Social posts triage",
    "Legal summaries",
    "Marketing copy check",
    "Science news digest",
    "Election statements",
    "Travel guide facts",
    "Onboarding docs review",
)
VALIDATION_ERRORS = (
    "Content is required",
    "Content exceeds maximum length",
    "Invalid JSON on this row",
    "Unknown field 'contnet'",
)
#: Names a hostile or broken server might send: markup, escape sequences, control
#: characters, huge, wide and right-to-left text. ``hostile=True`` uses them.
HOSTILE_NAMES = (
    "[bold red]Pwned[/] [@click=app.quit]click me[/]",
    "[/]",
    "title\x1b]0;PWNED-TITLE\x07 and clear\x1b[2J\x1b[H",
    "clip\x1b]52;c;ZXZpbA==\x07board",
    "[link=https://evil.example]a link[/link] a[b]c",
    "宽字符批次 · 全角テスト · 🚀🚀",
    "مرحبا بالعالم \u202eRTL override\u202c",
    "bell\x07 null\x00 del\x7f c1\x9b31m",
    "line one\nline two\rline three",
    "L" * 10_000,
)
HOSTILE_ERRORS = (
    "[red]Content[/] is required \x1b[5mblink",
    "[@click=app.quit]Exceeds[/] maximum length",
    "\x1b]0;PWNED-TITLE\x07title change",
    "E" * 10_000,
)
METHODS = ("semantic", "reasoning", "tool", "biprm", "ensemble", "entropy", "formal")
SOURCES = ("news-aggregator", "cms-export", "support-desk", "research", "partner-feed")


def iso(unix_seconds: float | None) -> str | None:
    """The API's timestamp format: ISO 8601 UTC with a ``Z``, whole seconds."""
    if unix_seconds is None:
        return None
    moment = datetime.fromtimestamp(math.floor(unix_seconds), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def finish_time(
    created: float, pending_for: float, validating_for: float, total: int, per_item: float
) -> float:
    """When the last item of a batch is done: the one formula specs and indexes share.

    The fleet index computes this without building a spec, so both must do the
    same float arithmetic in the same order to agree to the last bit.
    """
    processing_at = created + pending_for + validating_for
    return processing_at + total * per_item if total else processing_at


@dataclass
class State:
    """A batch's state at one instant, before it is turned into JSON."""

    status: str
    processed: int
    completed_at: float | None
    started_at: float | None


@dataclass(frozen=True)
class BatchSpec:
    """Everything fixed about one fake batch when it is created, and its timetable."""

    id: str
    name: str
    created: float
    pending_for: float
    validating_for: float
    total_items: int
    seconds_per_item: float
    item_failure_rate: float
    input_format: str
    original_file_name: str | None
    methods_config: dict[str, float]
    context: dict[str, Any]
    validation_rows: tuple[tuple[int, str], ...] = ()
    """Non-empty when the batch fails validation."""
    cancelled_at: float | None = None
    """A cancel already in the batch's history (for batches that exist at the epoch)."""
    seed: int = 0

    @property
    def validating_at(self) -> float:
        return self.created + self.pending_for

    @property
    def processing_at(self) -> float:
        return self.validating_at + self.validating_for

    @property
    def fails_validation(self) -> bool:
        return bool(self.validation_rows)

    def item_done_at(self, index: int) -> float:
        """When item ``index`` finishes, if nothing stops the batch first."""
        return self.processing_at + (index + 1) * self.seconds_per_item

    @property
    def finishes_at(self) -> float:
        return finish_time(
            self.created,
            self.pending_for,
            self.validating_for,
            self.total_items,
            self.seconds_per_item,
        )

    def processed_by(self, t: float) -> int:
        """Items done at ``t`` if nothing stopped the batch."""
        if t < self.processing_at or self.fails_validation:
            return 0
        done = math.floor((t - self.processing_at) / self.seconds_per_item + 1e-9)
        return max(0, min(self.total_items, done))

    def natural(self, now: float) -> State:
        """Where the batch stands at ``now`` if nobody cancels it."""
        started = self.validating_at if now >= self.validating_at else None
        if now < self.validating_at:
            return State("pending", 0, None, None)
        if now < self.processing_at:
            return State("validating", 0, None, started)
        if self.fails_validation:
            return State("failed", 0, self.processing_at, started)
        processed = self.processed_by(now)
        if processed < self.total_items:
            return State("processing", processed, None, started)
        return State("completed", processed, self.finishes_at, started)

    def state(self, now: float, cancel: float | None) -> State:
        """Where the batch stands at ``now``, given the time of its earliest cancel."""
        if cancel is None or cancel > now:
            return self.natural(now)
        at_cancel = self.natural(cancel)
        if at_cancel.status in FINISHED:
            return at_cancel
        return State("cancelled", at_cancel.processed, cancel, at_cancel.started_at)

    def end(self, cancel: float | None) -> tuple[float, str]:
        """When the batch becomes terminal and in which status, given its earliest cancel.

        From that instant on its state never changes: what lets an index file it away.
        """
        if cancel is not None and self.natural(cancel).status not in FINISHED:
            return cancel, "cancelled"
        if self.fails_validation:
            return self.processing_at, "failed"
        return self.finishes_at, "completed"


def build_spec(
    rng: random.Random,
    *,
    seed: int,
    created: float,
    total: int,
    per_item: float,
    hostile_index: int | None = None,
    pending_for: float = 3.0,
    validating_for: float = 8.0,
    failure_rate: float = 0.03,
    invalid_rows: int = 0,
    cancelled_at: float | None = None,
    name: str | None = None,
    batch_id: str | None = None,
) -> BatchSpec:
    """A spec drawn from ``rng``; ``hostile_index`` picks a hostile name instead.

    The order of the draws is part of the story (ids, names, files and methods of
    the default demo come from it), so it must not change.
    """
    hostile = hostile_index is not None
    fmt = rng.choice(("json", "csv"))
    methods = rng.sample(METHODS, rng.randint(1, 3))
    errors = HOSTILE_ERRORS if hostile else VALIDATION_ERRORS
    rows = tuple(
        sorted((rng.randint(1, max(total, 1)), rng.choice(errors)) for _ in range(invalid_rows))
    )
    if hostile_index is not None:
        name = HOSTILE_NAMES[hostile_index % len(HOSTILE_NAMES)]
    return BatchSpec(
        id=batch_id or "batch_" + "".join(rng.choice("0123456789abcdef") for _ in range(12)),
        name=name or rng.choice(NAMES),
        created=created,
        pending_for=pending_for,
        validating_for=validating_for,
        total_items=total,
        seconds_per_item=per_item,
        item_failure_rate=failure_rate,
        input_format=fmt,
        original_file_name=(
            f"claims-{rng.randint(100, 999)}.{fmt}" if rng.random() < 0.6 else None
        ),
        methods_config={m: rng.choice((0.5, 1, 1, 2)) for m in methods},
        context=(
            {"[b]source[/b]": "\x1b]0;PWNED-TITLE\x07", "requestedBy": "[@click=app.quit]x[/]"}
            if hostile
            else {
                "source": rng.choice(SOURCES),
                "requestedBy": rng.choice(("ana", "kofi", "li", "sam")),
            }
        ),
        validation_rows=rows,
        cancelled_at=cancelled_at,
        seed=seed,
    )
