"""A fleet of fake batches that evolve with time: a pure function of a seed and a clock.

Each batch is described by a ``BatchSpec`` fixed at creation (from the seed), and
its state at any instant is computed from the spec and that instant alone:
pending → validating → processing → completed, or → failed at validation. The only
input that changes the story is a cancel, recorded as ``(batch id, time)``. So the
same seed, clock and cancels always give the same JSON, which keeps tests and
screenshots deterministic.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from batch_tui.clock import Clock, system_clock

DAY = 86_400.0
RETENTION = 30 * DAY
"""How long results are kept (the Pro plan's 30 days)."""

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
CLAIMS = (
    "The Earth is approximately 4.5 billion years old.",
    "Water boils at 100 degrees Celsius at sea level.",
    "The Great Wall of China is visible from the Moon with the naked eye.",
    "Mount Everest is the tallest mountain above sea level.",
    "Lightning never strikes the same place twice.",
    "The human body has 206 bones in adulthood.",
    "Bananas are botanically berries.",
    "Goldfish have a memory span of three seconds.",
    "The Pacific is the largest ocean on Earth.",
    "Venus is the hottest planet in the Solar System.",
)
ITEM_ERRORS = (
    "Verification timeout after 120 seconds",
    "Upstream model unavailable",
    "Content could not be parsed",
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


class SimulatorError(Exception):
    """A request the simulated service refuses, with its HTTP status and error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class BatchSpec:
    """Everything fixed about one fake batch when it is created."""

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
        return self.item_done_at(self.total_items - 1) if self.total_items else self.processing_at

    @cached_property
    def items(self) -> _ItemTable:
        return _ItemTable(self)


class _ItemTable:
    """Per-item outcomes of one spec, with prefix sums so counts are O(1)."""

    def __init__(self, spec: BatchSpec) -> None:
        rng = random.Random(f"{spec.seed}:{spec.id}:items")
        self.failed: list[bool] = []
        self.cost: list[int] = []
        self.input_tokens: list[int] = []
        self.output_tokens: list[int] = []
        self.confidence: list[float] = []
        self.processing_ms: list[int] = []
        self.claim: list[int] = []
        for _ in range(spec.total_items):
            self.failed.append(rng.random() < spec.item_failure_rate)
            self.cost.append(rng.randint(2, 8))
            self.input_tokens.append(rng.randint(180, 420))
            self.output_tokens.append(rng.randint(90, 260))
            self.confidence.append(round(rng.uniform(0.3, 0.999), 3))
            self.processing_ms.append(rng.randint(400, 4000))
            self.claim.append(rng.randrange(len(CLAIMS)))
        self.failures_before = _prefix(int(f) for f in self.failed)
        self.cost_before = _prefix(
            c if not f else 0 for c, f in zip(self.cost, self.failed, strict=True)
        )
        self.input_before = _prefix(self.input_tokens)
        self.output_before = _prefix(self.output_tokens)


def _prefix(values) -> list[int]:
    sums = [0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


def iso(unix_seconds: float | None) -> str | None:
    """The API's timestamp format: ISO 8601 UTC with a ``Z``, whole seconds."""
    if unix_seconds is None:
        return None
    moment = datetime.fromtimestamp(math.floor(unix_seconds), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _State:
    """A batch's state at one instant, before it is turned into JSON."""

    status: str
    processed: int
    completed_at: float | None
    started_at: float | None


class Simulator:
    """The fake service's data: list, get, results and cancel, at the clock's time.

    ``epoch`` is the instant the story is told from: about a dozen batches exist
    then, in every status, and a new one arrives every ``arrival_every`` seconds
    after it. ``clock`` says what time it is now. With ``fleet`` set, the story is
    a benchmark's instead: that many batches, ``active`` of them processing.
    """

    def __init__(
        self,
        seed: int = 7,
        *,
        epoch: float | None = None,
        clock: Clock = system_clock,
        arrival_every: float = 150.0,
        fleet: int | None = None,
        active: int = 0,
        hostile: bool = False,
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.epoch = float(epoch if epoch is not None else math.floor(clock()))
        self.arrival_every = arrival_every if fleet is None else 0.0
        self.hostile = hostile
        """Serve names, errors and context full of markup and escape sequences."""
        self._hostile_count = 0
        self.cancels: dict[str, float] = {}
        """Cancels received, by batch id: the one input that changes the story."""
        self._initial = self._initial_specs() if fleet is None else self._load_specs(fleet, active)
        self._arrivals: dict[int, BatchSpec] = {}

    # ── the fleet ────────────────────────────────────────────────────────────

    def _batch_id(self, rng: random.Random) -> str:
        return "batch_" + "".join(rng.choice("0123456789abcdef") for _ in range(12))

    def _spec(
        self,
        rng: random.Random,
        *,
        created: float,
        total: int,
        rate: float,
        pending_for: float = 3.0,
        validating_for: float = 8.0,
        failure_rate: float = 0.03,
        invalid_rows: int = 0,
        cancelled_at: float | None = None,
        name: str | None = None,
    ) -> BatchSpec:
        fmt = rng.choice(("json", "csv"))
        methods = rng.sample(METHODS, rng.randint(1, 3))
        errors = HOSTILE_ERRORS if self.hostile else VALIDATION_ERRORS
        rows = tuple(
            sorted((rng.randint(1, max(total, 1)), rng.choice(errors)) for _ in range(invalid_rows))
        )
        if self.hostile:
            name = HOSTILE_NAMES[self._hostile_count % len(HOSTILE_NAMES)]
            self._hostile_count += 1
        return BatchSpec(
            id=self._batch_id(rng),
            name=name or rng.choice(NAMES),
            created=created,
            pending_for=pending_for,
            validating_for=validating_for,
            total_items=total,
            seconds_per_item=1.0 / rate,
            item_failure_rate=failure_rate,
            input_format=fmt,
            original_file_name=(
                f"claims-{rng.randint(100, 999)}.{fmt}" if rng.random() < 0.6 else None
            ),
            methods_config={m: rng.choice((0.5, 1, 1, 2)) for m in methods},
            context=(
                {"[b]source[/b]": "\x1b]0;PWNED-TITLE\x07", "requestedBy": "[@click=app.quit]x[/]"}
                if self.hostile
                else {
                    "source": rng.choice(SOURCES),
                    "requestedBy": rng.choice(("ana", "kofi", "li", "sam")),
                }
            ),
            validation_rows=rows,
            cancelled_at=cancelled_at,
            seed=self.seed,
        )

    def _initial_specs(self) -> list[BatchSpec]:
        rng = random.Random(f"{self.seed}:fleet")
        e = self.epoch
        plan = [
            # name, created (s before epoch), items, items/s, extra
            ("Daily fact check", 3 * DAY, 50, 2.0, {}),
            ("Encyclopedia diff sample", 1 * DAY, 20, 1.0, {}),
            ("Earnings call claims", 2 * 3600, 200, 1.5, {}),
            ("Support macros audit", 3600, 10, 1.0, {"invalid_rows": 3}),
            ("Legal summaries", 50 * 60, 500, 1.0, {"cancelled_at": e - 45 * 60}),
            ("Article verification", 10 * 60, 1000, 1.0, {}),
            ("Newsroom claims: morning desk", 5 * 60, 400, 0.5, {"failure_rate": 0.28}),
            ("Product descriptions QA", 4 * 60, 120, 0.5, {}),
            ("Science news digest", 3 * 60, 300, 0.8, {}),
            ("Medical FAQ review", 20, 250, 1.2, {"pending_for": 5.0, "validating_for": 40.0}),
            ("Marketing copy check", 5, 80, 1.0, {"pending_for": 60.0}),
            (
                "Social posts triage",
                2,
                40,
                1.0,
                {"pending_for": 10.0, "validating_for": 20.0, "invalid_rows": 4},
            ),
        ]
        return [
            self._spec(rng, created=e - ago, total=total, rate=rate, name=name, **extra)
            for name, ago, total, rate, extra in plan
        ]

    def _load_specs(self, fleet: int, active: int) -> list[BatchSpec]:
        """A large, steady fleet for benchmarks: ``active`` batches processing for
        hours, the rest completed long ago; nothing arrives."""
        rng = random.Random(f"{self.seed}:load")
        e = self.epoch
        specs = []
        for n in range(fleet):
            if n < active:
                # Started a minute ago, 1,000 items at one every 8 s: busy for over two hours.
                specs.append(self._spec(rng, created=e - 60 - n, total=1000, rate=0.125))
            else:
                specs.append(self._spec(rng, created=e - DAY - 60 * n, total=50, rate=2.0))
        return specs

    def _arrival(self, k: int) -> BatchSpec:
        """The ``k``-th batch to arrive after the epoch (k ≥ 1), the same every time."""
        spec = self._arrivals.get(k)
        if spec is None:
            rng = random.Random(f"{self.seed}:arrival:{k}")
            spec = self._spec(
                rng,
                created=self.epoch + k * self.arrival_every,
                total=rng.choice((25, 60, 100, 150, 300)),
                rate=rng.choice((0.5, 1.0, 2.0)),
                pending_for=rng.uniform(2, 15),
                validating_for=rng.uniform(5, 20),
                failure_rate=rng.choice((0.0, 0.02, 0.05, 0.3)),
                invalid_rows=rng.choice((0, 0, 0, 0, 2)),
            )
            self._arrivals[k] = spec
        return spec

    def specs(self, now: float | None = None) -> list[BatchSpec]:
        """Every batch that exists at ``now``, newest first."""
        now = self.clock() if now is None else now
        arrived = 0
        if self.arrival_every > 0 and now > self.epoch:
            arrived = int((now - self.epoch) // self.arrival_every)
        specs = [s for s in self._initial if s.created <= now]
        specs += [self._arrival(k) for k in range(1, arrived + 1)]
        specs.sort(key=lambda s: (s.created, s.id), reverse=True)
        return specs

    def find(self, batch_id: str, now: float | None = None) -> BatchSpec:
        """The batch with this id, or a 404 ``SimulatorError``."""
        for spec in self.specs(now):
            if spec.id == batch_id:
                return spec
        raise SimulatorError(404, "not_found", "Batch not found")

    # ── state at an instant ──────────────────────────────────────────────────

    def _cancel_time(self, spec: BatchSpec) -> float | None:
        times = [t for t in (spec.cancelled_at, self.cancels.get(spec.id)) if t is not None]
        return min(times) if times else None

    def _processed_by(self, spec: BatchSpec, t: float) -> int:
        if t < spec.processing_at or spec.fails_validation:
            return 0
        done = math.floor((t - spec.processing_at) / spec.seconds_per_item + 1e-9)
        return max(0, min(spec.total_items, done))

    def state(self, spec: BatchSpec, now: float) -> _State:
        """Where ``spec`` stands at ``now``."""
        cancel = self._cancel_time(spec)
        if cancel is None or cancel > now:
            return self._natural(spec, now)
        at_cancel = self._natural(spec, cancel)
        if at_cancel.status in ("completed", "failed"):
            return at_cancel
        return _State("cancelled", at_cancel.processed, cancel, at_cancel.started_at)

    def _natural(self, spec: BatchSpec, now: float) -> _State:
        started = spec.validating_at if now >= spec.validating_at else None
        if now < spec.validating_at:
            return _State("pending", 0, None, None)
        if now < spec.processing_at:
            return _State("validating", 0, None, started)
        if spec.fails_validation:
            return _State("failed", 0, spec.processing_at, started)
        processed = self._processed_by(spec, now)
        if processed < spec.total_items:
            return _State("processing", processed, None, started)
        return _State("completed", processed, spec.finishes_at, started)

    # ── the API's JSON ───────────────────────────────────────────────────────

    def _counts(self, spec: BatchSpec, processed: int) -> dict[str, Any]:
        table = spec.items
        failures = table.failures_before[processed]
        return {
            "totalItems": spec.total_items,
            "processedItems": processed,
            "successCount": processed - failures,
            "failureCount": failures,
            "totalCostCents": table.cost_before[processed],
        }

    def summary_json(self, spec: BatchSpec, now: float | None = None) -> dict[str, Any]:
        """The list endpoint's view of a batch."""
        now = self.clock() if now is None else now
        st = self.state(spec, now)
        return {
            "id": spec.id,
            "name": spec.name,
            "status": st.status,
            **self._counts(spec, st.processed),
            "createdAt": iso(spec.created),
            "startedAt": iso(st.started_at),
            "completedAt": iso(st.completed_at),
        }

    def batch_json(self, spec: BatchSpec, now: float | None = None) -> dict[str, Any]:
        """``GET /v1/batch/:id``'s full view of a batch."""
        now = self.clock() if now is None else now
        st = self.state(spec, now)
        table = spec.items
        failed_validation = st.status == "failed" and spec.fails_validation
        return {
            "id": spec.id,
            "name": spec.name,
            "inputFormat": spec.input_format,
            "originalFileName": spec.original_file_name,
            "status": st.status,
            **self._counts(spec, st.processed),
            "methodsConfig": dict(spec.methods_config),
            "context": dict(spec.context),
            "totalInputTokens": table.input_before[st.processed],
            "totalOutputTokens": table.output_before[st.processed],
            "errorMessage": (
                f"{len(spec.validation_rows)} validation error(s)" if failed_validation else None
            ),
            "validationErrors": (
                [{"row": row, "error": err} for row, err in spec.validation_rows]
                if failed_validation
                else None
            ),
            "createdAt": iso(spec.created),
            "startedAt": iso(st.started_at),
            "completedAt": iso(st.completed_at),
            "expiresAt": iso(spec.created + RETENTION),
        }

    def list_json(
        self,
        *,
        limit: int = 20,
        offset: int = 0,
        status: str | None = None,
        now: float | None = None,
    ) -> dict[str, Any]:
        """``GET /v1/batch``: one page of summaries, newest first."""
        now = self.clock() if now is None else now
        rows = [self.summary_json(spec, now) for spec in self.specs(now)]
        if status:
            rows = [row for row in rows if row["status"] == status]
        page = rows[offset : offset + limit]
        return {
            "data": page,
            "pagination": {
                "total": len(rows),
                "limit": limit,
                "offset": offset,
                "hasMore": offset + len(page) < len(rows),
            },
        }

    def _item_json(self, spec: BatchSpec, index: int, st: _State) -> dict[str, Any]:
        table = spec.items
        item: dict[str, Any] = {
            "id": f"item_{spec.id[-6:]}_{index:04d}",
            "itemIndex": index,
            "idempotencyKey": f"claim-{index + 1:04d}",
            "content": CLAIMS[table.claim[index]],
            "itemContext": {"row": index + 1},
            "status": "pending",
            "verificationId": None,
            "verdict": None,
            "confidence": None,
            "decision": None,
            "costCents": None,
            "processingTimeMs": None,
            "errorMessage": None,
            "createdAt": iso(spec.created),
            "completedAt": None,
        }
        if index < st.processed:
            done_at = spec.item_done_at(index)
            item["completedAt"] = iso(done_at)
            item["processingTimeMs"] = table.processing_ms[index]
            if table.failed[index]:
                item.update(
                    status="failed",
                    errorMessage=ITEM_ERRORS[index % len(ITEM_ERRORS)],
                    retryCount=3,
                )
            else:
                confidence = table.confidence[index]
                item.update(
                    status="completed",
                    verificationId=f"ver_{spec.id[-6:]}{index:04d}",
                    verdict="true" if confidence >= 0.5 else "false",
                    confidence=confidence,
                    decision="accept"
                    if confidence >= 0.95
                    else "escalate"
                    if confidence >= 0.5
                    else "reject",
                    costCents=table.cost[index],
                )
        elif st.status == "cancelled":
            item["status"] = "skipped"
        elif st.status == "processing":
            ahead = index - st.processed
            item["status"] = "processing" if ahead == 0 else "queued" if ahead < 10 else "pending"
        return item

    def results_json(
        self, batch_id: str, *, limit: int = 20, offset: int = 0, now: float | None = None
    ) -> dict[str, Any]:
        """``GET /v1/batch/:id/results``: one page of items."""
        now = self.clock() if now is None else now
        spec = self.find(batch_id, now)
        st = self.state(spec, now)
        # A batch that failed validation never created its items.
        total = 0 if spec.fails_validation and st.status == "failed" else spec.total_items
        indices = range(offset, min(offset + limit, total))
        return {
            "batch": {
                "id": spec.id,
                "status": st.status,
                **{
                    k: v
                    for k, v in self._counts(spec, st.processed).items()
                    if k != "totalCostCents"
                },
            },
            "items": [self._item_json(spec, i, st) for i in indices],
            "pagination": {
                "total": total,
                "limit": limit,
                "offset": offset,
                "hasMore": offset + len(indices) < total,
            },
        }

    def get_json(self, batch_id: str, now: float | None = None) -> dict[str, Any]:
        """``GET /v1/batch/:id`` by id, or a 404 ``SimulatorError``."""
        now = self.clock() if now is None else now
        return self.batch_json(self.find(batch_id, now), now)

    def cancel(self, batch_id: str, now: float | None = None) -> dict[str, Any]:
        """``POST /v1/batch/:id/cancel`` with the documented semantics.

        Completed items keep their results; pending and queued ones become skipped.
        A batch that is already terminal answers 400 ``CANNOT_CANCEL``.
        """
        now = self.clock() if now is None else now
        spec = self.find(batch_id, now)
        if self.state(spec, now).status not in ("pending", "validating", "processing"):
            raise SimulatorError(
                400,
                "CANNOT_CANCEL",
                "Cannot cancel batch. Batch not found or already completed/cancelled.",
            )
        self.cancels[spec.id] = now
        return {"id": spec.id, "status": "cancelled", "message": "Batch cancelled successfully"}
