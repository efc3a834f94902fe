"""Per-item results of a fake batch: outcomes fixed by the seed, served page by page.

A batch's items are drawn once, when something first asks for its counts or
results, and kept with prefix sums so "how many failed among the first n" is a
lookup. That keeps a list page cheap however many items a batch has.
"""

from __future__ import annotations

import random
import weakref
from typing import Any

from batch_tui.demo.batches import BatchSpec, State, iso

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


class ItemTable:
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
        # The draw order is part of the story: changing it changes every figure shown.
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


def counts(spec: BatchSpec, processed: int) -> dict[str, Any]:
    """The progress figures both the list and the detail carry, after ``processed`` items."""
    table = table_of(spec)
    failures = table.failures_before[processed]
    return {
        "totalItems": spec.total_items,
        "processedItems": processed,
        "successCount": processed - failures,
        "failureCount": failures,
        "totalCostCents": table.cost_before[processed],
    }


def _decision(confidence: float) -> str:
    # The documented default thresholds: 0.95 accept, 0.5 escalate.
    if confidence >= 0.95:
        return "accept"
    return "escalate" if confidence >= 0.5 else "reject"


def item_json(spec: BatchSpec, index: int, st: State) -> dict[str, Any]:
    """One entry of ``GET /v1/batch/:id/results`` for item ``index`` in state ``st``."""
    table = table_of(spec)
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
        item["completedAt"] = iso(spec.item_done_at(index))
        item["processingTimeMs"] = table.processing_ms[index]
        if table.failed[index]:
            item.update(
                status="failed", errorMessage=ITEM_ERRORS[index % len(ITEM_ERRORS)], retryCount=3
            )
        else:
            confidence = table.confidence[index]
            item.update(
                status="completed",
                verificationId=f"ver_{spec.id[-6:]}{index:04d}",
                verdict="true" if confidence >= 0.5 else "false",
                confidence=confidence,
                decision=_decision(confidence),
                costCents=table.cost[index],
            )
    elif st.status == "cancelled":
        item["status"] = "skipped"
    elif st.status == "processing":
        ahead = index - st.processed
        item["status"] = "processing" if ahead == 0 else "queued" if ahead < 10 else "pending"
    return item


#: Each live spec's items, by the spec's identity (a spec holds dicts: no hash).
_TABLES: dict[int, ItemTable] = {}


def table_of(spec: BatchSpec) -> ItemTable:
    """The items of this batch, built on first use and kept while the spec lives."""
    key = id(spec)
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = ItemTable(spec)
        weakref.finalize(spec, _TABLES.pop, key, None)
    return table
