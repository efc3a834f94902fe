"""Which batches exist, numbered in creation order: the demo's story and the steady fleet.

A catalog numbers its batches 0, 1, 2, … in the order they are created (oldest
first), so "the batches that exist at t" is always a prefix ``range(count(t))``.
For each number it can tell the creation time, the natural end (when and in which
terminal status the batch finishes if nobody cancels it), the full spec, and which
number an id belongs to. ``FleetIndex`` builds on that.

``StoryCatalog`` is the default demo: a dozen hand-placed batches and a new one
every ``arrival_every`` seconds. ``SteadyCatalog`` is ``--batches N --active A``:
N batches at the epoch, A of them running; each running slot starts a new batch
the moment its last one finishes, so A stay active and new ones keep arriving.
Its specs are drawn only when asked for (and a few thousand kept), and its ids
are a keyed permutation of the numbers, so nothing is stored per batch.
``ChurnCatalog`` is ``--churn RATE``: RATE new batches a second, each finished
about ten seconds after it was created, for ever; stored the same way.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections import OrderedDict
from typing import Any

from batch_tui.demo.batches import DAY, BatchSpec, build_spec, finish_time

#: The default demo at its epoch: name, created (s before epoch), items, items/s, extras.
STORY_PLAN: tuple[tuple[str, float, int, float, dict], ...] = (
    ("Daily fact check", 3 * DAY, 50, 2.0, {}),
    ("Encyclopedia diff sample", 1 * DAY, 20, 1.0, {}),
    ("Earnings call claims", 2 * 3600, 200, 1.5, {}),
    ("Support macros audit", 3600, 10, 1.0, {"invalid_rows": 3}),
    ("Legal summaries", 50 * 60, 500, 1.0, {"cancelled_ago": 45 * 60}),
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
)


class StoryCatalog:
    """The default demo: every batch's spec is built when it comes to exist, and kept."""

    def __init__(self, seed: int, epoch: float, arrival_every: float, hostile: bool) -> None:
        self.seed = seed
        self.epoch = epoch
        self.arrival_every = arrival_every
        self.hostile = hostile
        rng = random.Random(f"{seed}:fleet")
        initial = [
            self._initial_spec(rng, i, row) for i, row in enumerate(STORY_PLAN)
        ]  # drawn in plan order, from one generator: the order is part of the story
        initial.sort(key=lambda s: (s.created, s.id))
        self._specs: list[BatchSpec] = initial
        self._created = [s.created for s in initial]
        self._numbers = {s.id: n for n, s in enumerate(initial)}

    def _initial_spec(self, rng: random.Random, index: int, row: tuple) -> BatchSpec:
        name, ago, total, rate, extra = row
        extra = dict(extra)
        cancelled_ago = extra.pop("cancelled_ago", None)
        return build_spec(
            rng,
            seed=self.seed,
            created=self.epoch - ago,
            total=total,
            per_item=1.0 / rate,
            name=name,
            hostile_index=index if self.hostile else None,
            cancelled_at=None if cancelled_ago is None else self.epoch - cancelled_ago,
            **extra,
        )

    def _arrival(self, k: int) -> BatchSpec:
        """The ``k``-th batch to arrive after the epoch (k ≥ 1), the same every time."""
        rng = random.Random(f"{self.seed}:arrival:{k}")
        return build_spec(
            rng,
            seed=self.seed,
            created=self.epoch + k * self.arrival_every,
            total=rng.choice((25, 60, 100, 150, 300)),
            per_item=1.0 / rng.choice((0.5, 1.0, 2.0)),
            pending_for=rng.uniform(2, 15),
            validating_for=rng.uniform(5, 20),
            failure_rate=rng.choice((0.0, 0.02, 0.05, 0.3)),
            invalid_rows=rng.choice((0, 0, 0, 0, 2)),
            hostile_index=len(STORY_PLAN) + k - 1 if self.hostile else None,
        )

    def count(self, t: float) -> int:
        """How many batches exist at ``t``."""
        if t <= self.epoch or self.arrival_every <= 0:
            return bisect.bisect_right(self._created, t)
        return len(STORY_PLAN) + int((t - self.epoch) // self.arrival_every)

    def spec(self, n: int) -> BatchSpec:
        """Batch number ``n``'s spec (every arrival up to it is built on the way)."""
        while len(self._specs) <= n:
            spec = self._arrival(len(self._specs) - len(STORY_PLAN) + 1)
            self._numbers[spec.id] = len(self._specs)
            self._specs.append(spec)
        return self._specs[n]

    def end(self, n: int) -> tuple[float, str]:
        """Batch ``n``'s natural end: when it becomes terminal and how, with no new cancel."""
        spec = self.spec(n)
        return spec.end(spec.cancelled_at)

    def number(self, batch_id: str, count: int) -> int | None:
        """The number of the batch with this id among the first ``count``, if any."""
        if count:
            self.spec(count - 1)
        n = self._numbers.get(batch_id)
        return n if n is not None and n < count else None


# ── the steady fleet ─────────────────────────────────────────────────────────

PENDING_FOR, VALIDATING_FOR = 3.0, 8.0
"""Every steady-fleet batch waits and validates this long."""
HISTORY_SPACING = 60.0
"""Seconds between the creations of the fleet's past batches."""
HISTORY_PER_ITEM = 0.5
SLOT_WORK = 3600.0
"""How long a running slot's batch processes: new batches arrive every SLOT_WORK / A s."""
SLOT_PERIOD = PENDING_FOR + VALIDATING_FOR + SLOT_WORK
"""Creation to finish of a slot's batch."""
FIRST_FINISH = 600.0
"""No running batch finishes in the first ten minutes: a benchmark run sees all A."""
MASK24 = (1 << 24) - 1
MASK64 = (1 << 64) - 1
HEX = frozenset("0123456789abcdef")


def _mix(x: int) -> int:
    """splitmix64's finaliser: a cheap, well-spread hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


class BatchIds:
    """Batch numbers to 12-hex-digit ids and back: a 4-round Feistel permutation.

    Being a permutation, distinct numbers get distinct ids with nothing stored,
    and an id decodes straight to its number: a lookup by id costs microseconds.
    """

    def __init__(self, seed: int) -> None:
        digest = hashlib.blake2b(f"{seed}:batch-ids".encode(), digest_size=32).digest()
        self._keys = [int.from_bytes(digest[i : i + 8], "big") for i in range(0, 32, 8)]

    def _round(self, half: int, key: int) -> int:
        return _mix(half ^ key) & MASK24

    def encode(self, n: int) -> str:
        left, right = n >> 24 & MASK24, n & MASK24
        for key in self._keys:
            left, right = right, left ^ self._round(right, key)
        return f"batch_{left << 24 | right:012x}"

    def decode(self, batch_id: str) -> int | None:
        digits = batch_id.removeprefix("batch_")
        if digits == batch_id or len(digits) != 12 or not set(digits) <= HEX:
            return None
        value = int(digits, 16)
        left, right = value >> 24, value & MASK24
        for key in reversed(self._keys):
            left, right = right ^ self._round(left, key), left
        return left << 24 | right


class _DrawnCatalog:
    """A catalog whose batches are numbered, drawn only when asked for (the most
    recently used kept), and named by a keyed permutation of their number."""

    CACHE = 1024
    """Specs kept (with their item tables)."""

    def __init__(self, seed: int) -> None:
        self.ids = BatchIds(seed)
        self._cache: OrderedDict[int, BatchSpec] = OrderedDict()

    def _draw(self, n: int) -> BatchSpec:
        raise NotImplementedError

    def spec(self, n: int) -> BatchSpec:
        """Batch number ``n``'s spec, drawn on demand and kept while recently used."""
        spec = self._cache.get(n)
        if spec is not None:
            self._cache.move_to_end(n)
            return spec
        spec = self._cache[n] = self._draw(n)
        if len(self._cache) > self.CACHE:
            self._cache.popitem(last=False)
        return spec

    def number(self, batch_id: str, count: int) -> int | None:
        """The number of the batch with this id among the first ``count``, if any."""
        n = self.ids.decode(batch_id)
        return n if n is not None and n < count else None


class SteadyCatalog(_DrawnCatalog):
    """``--batches N --active A``: a long history of finished batches and A running slots.

    Numbers below ``history`` are the past: one batch a minute, the newest a day
    before the epoch, mostly completed, some failed or cancelled. Numbers from
    ``history`` on are the running slots' batches, slot after slot in creation order:
    slot r's k-th batch is created at ``starts[r] + k * SLOT_PERIOD`` and finishes
    exactly then, as the next one is created.
    """

    CACHE = 2048
    """Specs kept (with their item tables): enough for the running ones and a few pages."""

    def __init__(
        self, seed: int, epoch: float, fleet: int, active: int, hostile: bool = False
    ) -> None:
        self.seed = seed
        self.epoch = epoch
        self.hostile = hostile
        self.active = active
        self.history = fleet - active
        self._salt = _mix(seed)
        super().__init__(seed)
        # The running batches at the epoch are spread over a period, the oldest first
        # in number order, so finishes (and so arrivals) come one at a time.
        spread = SLOT_PERIOD - FIRST_FINISH - 60.0
        ages = [60.0 + math.floor(j * spread / active) for j in range(active)]
        self.starts = sorted(epoch - age for age in ages)

    def _history_shape(self, n: int) -> tuple[float, int, int, float | None]:
        """A past batch's (created, items, invalid rows, cancelled at), from its number."""
        created = self.epoch - DAY - HISTORY_SPACING * (self.history - 1 - n)
        roll = _mix(self._salt ^ n)
        total = (20, 50, 100, 250)[roll % 4]
        kind = roll >> 8 & 0xFF  # 0–255
        invalid = 2 + kind % 3 if kind < 8 else 0  # about 3 % fail validation
        halfway = created + PENDING_FOR + VALIDATING_FOR + total * HISTORY_PER_ITEM / 2
        cancelled = halfway if 8 <= kind < 13 else None  # about 2 % cancelled halfway
        return created, total, invalid, cancelled

    def _slot_shape(self, n: int) -> tuple[float, int]:
        """A running slot's batch's (created, items), from its number."""
        k, slot = divmod(n - self.history, self.active)
        total = (400, 900, 1800)[_mix(self._salt ^ n) % 3]
        return self.starts[slot] + k * SLOT_PERIOD, total

    def count(self, t: float) -> int:
        """How many batches exist at ``t``."""
        back = self.epoch - DAY - t  # how long before the newest past batch t is
        if back > 0:
            return max(0, self.history - math.ceil(back / HISTORY_SPACING))
        running = sum(math.floor((t - s) / SLOT_PERIOD) + 1 for s in self.starts if s <= t)
        return self.history + running

    def end(self, n: int) -> tuple[float, str]:
        """Batch ``n``'s natural end: when it becomes terminal and how, with no new cancel."""
        if n >= self.history:
            created, total = self._slot_shape(n)
            per_item = SLOT_WORK / total
            return finish_time(created, PENDING_FOR, VALIDATING_FOR, total, per_item), "completed"
        created, total, invalid, cancelled = self._history_shape(n)
        if invalid:
            return created + PENDING_FOR + VALIDATING_FOR, "failed"
        if cancelled is not None:
            return cancelled, "cancelled"
        return finish_time(
            created, PENDING_FOR, VALIDATING_FOR, total, HISTORY_PER_ITEM
        ), "completed"

    def _draw(self, n: int) -> BatchSpec:
        rng = random.Random(f"{self.seed}:load:{n}")
        common: dict[str, Any] = {
            "seed": self.seed,
            "batch_id": self.ids.encode(n),
            "hostile_index": n if self.hostile else None,
            "pending_for": PENDING_FOR,
            "validating_for": VALIDATING_FOR,
        }
        if n >= self.history:
            created, total = self._slot_shape(n)
            spec = build_spec(
                rng, created=created, total=total, per_item=SLOT_WORK / total, **common
            )
        else:
            created, total, invalid, cancelled = self._history_shape(n)
            spec = build_spec(
                rng,
                created=created,
                total=total,
                per_item=HISTORY_PER_ITEM,
                invalid_rows=invalid,
                cancelled_at=cancelled,
                **common,
            )
        return spec


# ── churn ────────────────────────────────────────────────────────────────────

CHURN_PENDING_FOR, CHURN_VALIDATING_FOR = 1.0, 1.0
"""Every churning batch waits a second, then validates for a second."""
CHURN_WORK = 8.0
"""Seconds of processing: a churning batch completes ten seconds after it was created."""
CHURN_BACKLOG = 60.0
"""The stream began this long before the epoch: the first list already has every status."""
CHURN_ITEMS = (4, 5, 8, 10, 12, 16)
CHURN_FAILURE_RATES = (0.0, 0.0, 0.05, 0.1, 0.4)
"""Items that fail; the last is high enough to raise the dashboard's failure alert."""


class ChurnCatalog(_DrawnCatalog):
    """``--churn RATE``: a new batch every ``1 / RATE`` seconds, each finished ~10 s later.

    Batch ``n`` is created at ``start + n / rate`` (``start`` a minute before the
    epoch); it is pending for a second, validating for a second, then processes a
    handful of items in eight seconds and completes, ten seconds after it was
    created. About one in twelve fails validation instead (failed two seconds in),
    and some have many failed items. Everything about a batch comes from its number
    and the seed: its shape from a hash, its id from a keyed permutation, its spec
    drawn only when asked for, and only the most recently used ones kept. So the
    server's memory stays flat however long the stream runs (the index in
    ``fleet`` keeps 16 bytes per finished batch: about 7 MB a day at 5 a second).
    """

    CACHE = 512
    """Specs kept (with their item tables): the open ones and a few pages of the rest."""

    def __init__(self, seed: int, epoch: float, rate: float, hostile: bool = False) -> None:
        if not rate > 0:
            raise ValueError(f"churn rate must be positive, got {rate}")
        self.seed = seed
        self.epoch = epoch
        self.rate = float(rate)
        self.hostile = hostile
        self.start = epoch - CHURN_BACKLOG
        self._salt = _mix(seed ^ 0x636875726E)  # "churn": not the steady fleet's shapes
        super().__init__(seed)

    def created(self, n: int) -> float:
        """When batch ``n`` is created."""
        return self.start + n / self.rate

    def _shape(self, n: int) -> tuple[float, int, float, int]:
        """Batch ``n``'s (created, items, item failure rate, invalid rows), from its number."""
        roll = _mix(self._salt ^ n)
        total = CHURN_ITEMS[roll % len(CHURN_ITEMS)]
        failure_rate = CHURN_FAILURE_RATES[(roll >> 8) % len(CHURN_FAILURE_RATES)]
        invalid = 1 + (roll >> 16) % 3 if (roll >> 24) % 12 == 0 else 0
        return self.created(n), total, failure_rate, invalid

    def count(self, t: float) -> int:
        """How many batches exist at ``t``: those with ``created(n) <= t``."""
        if t < self.start:
            return 0
        count = math.floor((t - self.start) * self.rate) + 1
        # The estimate can be one off where the float arithmetic rounds differently:
        # the creation times themselves decide.
        while self.created(count) <= t:
            count += 1
        while count > 0 and self.created(count - 1) > t:
            count -= 1
        return count

    def end(self, n: int) -> tuple[float, str]:
        """Batch ``n``'s natural end: when it becomes terminal and how, with no new cancel."""
        created, total, _, invalid = self._shape(n)
        if invalid:
            return created + CHURN_PENDING_FOR + CHURN_VALIDATING_FOR, "failed"
        per_item = CHURN_WORK / total
        return finish_time(
            created, CHURN_PENDING_FOR, CHURN_VALIDATING_FOR, total, per_item
        ), "completed"

    def _draw(self, n: int) -> BatchSpec:
        created, total, failure_rate, invalid = self._shape(n)
        spec = build_spec(
            random.Random(f"{self.seed}:churn:{n}"),
            seed=self.seed,
            batch_id=self.ids.encode(n),
            hostile_index=n if self.hostile else None,
            created=created,
            total=total,
            per_item=CHURN_WORK / total,
            pending_for=CHURN_PENDING_FOR,
            validating_for=CHURN_VALIDATING_FOR,
            failure_rate=failure_rate,
            invalid_rows=invalid,
        )
        return spec
