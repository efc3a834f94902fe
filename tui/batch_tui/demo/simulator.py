"""A fleet of fake batches that evolve with time: a pure function of a seed and a clock.

Each batch is described by a ``BatchSpec`` fixed at creation (from the seed), and
its state at any instant is computed from the spec and that instant alone:
pending → validating → processing → completed, or → failed at validation. The only
input that changes the story is a cancel, recorded as ``(batch id, time)``. So the
same seed, clock and cancels always give the same JSON, which keeps tests and
screenshots deterministic.

Which batches exist comes from a catalog (``catalog``); which of them are finished
from an index (``fleet``) that makes a list page cost the page, not the fleet, so
a fleet of 100,000 answers in milliseconds.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from batch_tui.core.clock import Clock, system_clock
from batch_tui.demo.batches import (
    HOSTILE_ERRORS,
    HOSTILE_NAMES,
    NAMES,
    RETENTION,
    VALIDATION_ERRORS,
    BatchSpec,
    State,
    iso,
)
from batch_tui.demo.catalog import ChurnCatalog, SteadyCatalog, StoryCatalog
from batch_tui.demo.fleet import FleetIndex
from batch_tui.demo.items import CLAIMS, ITEM_ERRORS, counts, item_json, table_of

__all__ = [
    "CLAIMS",
    "HOSTILE_ERRORS",
    "HOSTILE_NAMES",
    "ITEM_ERRORS",
    "NAMES",
    "VALIDATION_ERRORS",
    "BatchSpec",
    "Simulator",
    "SimulatorError",
    "iso",
]


class SimulatorError(Exception):
    """A request the simulated service refuses, with its HTTP status and error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Simulator:
    """The fake service's data: list, get, results and cancel, at the clock's time.

    ``epoch`` is the instant the story is told from: about a dozen batches exist
    then, in every status, and a new one arrives every ``arrival_every`` seconds
    after it. ``clock`` says what time it is now. With ``fleet`` set, the story is
    a steady fleet's instead: that many batches at the epoch, ``active`` of them
    running, and a new one arriving whenever a running one finishes. With ``churn``
    set, it is a stream instead: that many new batches a second, each finished
    about ten seconds after it was created (``ChurnCatalog``).

    Safe to call from the server's thread and a test's at once: one lock guards
    the index and the spec caches.
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
        churn: float | None = None,
    ) -> None:
        if fleet is not None and churn is not None:
            raise ValueError("a steady fleet or a churning stream, not both")
        self.seed = seed
        self.clock = clock
        self.epoch = float(epoch if epoch is not None else math.floor(clock()))
        self.arrival_every = arrival_every if fleet is None and churn is None else 0.0
        self.hostile = hostile
        """Serve names, errors and context full of markup and escape sequences."""
        self.cancels: dict[str, float] = {}
        """Cancels received, by batch id: the one input that changes the story."""
        self._lock = threading.RLock()
        self._catalog: StoryCatalog | SteadyCatalog | ChurnCatalog
        if churn is not None:
            self._catalog = ChurnCatalog(seed, self.epoch, churn, hostile)
        elif fleet is None:
            self._catalog = StoryCatalog(seed, self.epoch, arrival_every, hostile)
        else:
            self._catalog = SteadyCatalog(seed, self.epoch, fleet, active, hostile)
        self._index = FleetIndex(self._catalog)
        # Built now, not on the first request: a large fleet is ready once started.
        self._index.advance(clock())
        if fleet is not None:
            # The running batches are on every first page: draw their items up front.
            for n in self._index.open:
                table_of(self._catalog.spec(n))  # built and kept on first use

    # ── the fleet ────────────────────────────────────────────────────────────

    def specs(self, now: float | None = None) -> list[BatchSpec]:
        """Every batch that exists at ``now``, newest first (for tests on small fleets)."""
        now = self.clock() if now is None else now
        with self._lock:
            count = self._catalog.count(now)
            return [self._catalog.spec(n) for n in reversed(range(count))]

    def _number(self, batch_id: str, now: float) -> int:
        n = self._catalog.number(batch_id, self._catalog.count(now))
        if n is None:
            raise SimulatorError(404, "not_found", "Batch not found")
        return n

    def find(self, batch_id: str, now: float | None = None) -> BatchSpec:
        """The batch with this id, or a 404 ``SimulatorError``."""
        now = self.clock() if now is None else now
        with self._lock:
            return self._catalog.spec(self._number(batch_id, now))

    # ── state at an instant ──────────────────────────────────────────────────

    def _cancel_time(self, spec: BatchSpec) -> float | None:
        times = [t for t in (spec.cancelled_at, self.cancels.get(spec.id)) if t is not None]
        return min(times) if times else None

    def state(self, spec: BatchSpec, now: float) -> State:
        """Where ``spec`` stands at ``now``."""
        return spec.state(now, self._cancel_time(spec))

    # ── the API's JSON ───────────────────────────────────────────────────────

    def summary_json(self, spec: BatchSpec, now: float | None = None) -> dict[str, Any]:
        """The list endpoint's view of a batch."""
        now = self.clock() if now is None else now
        st = self.state(spec, now)
        return {
            "id": spec.id,
            "name": spec.name,
            "status": st.status,
            **counts(spec, st.processed),
            "createdAt": iso(spec.created),
            "startedAt": iso(st.started_at),
            "completedAt": iso(st.completed_at),
        }

    def batch_json(self, spec: BatchSpec, now: float | None = None) -> dict[str, Any]:
        """``GET /v1/batch/:id``'s full view of a batch."""
        now = self.clock() if now is None else now
        st = self.state(spec, now)
        table = table_of(spec)
        failed_validation = st.status == "failed" and spec.fails_validation
        return {
            "id": spec.id,
            "name": spec.name,
            "inputFormat": spec.input_format,
            "originalFileName": spec.original_file_name,
            "status": st.status,
            **counts(spec, st.processed),
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
        with self._lock:
            self._index.advance(now)
            numbers, total = self._index.page(
                offset,
                limit,
                status,
                lambda n: self.state(self._catalog.spec(n), now).status,
            )
            page = [self.summary_json(self._catalog.spec(n), now) for n in numbers]
        return {
            "data": page,
            "pagination": {
                "total": total,
                "limit": limit,
                "offset": offset,
                "hasMore": offset + len(page) < total,
            },
        }

    def results_json(
        self, batch_id: str, *, limit: int = 20, offset: int = 0, now: float | None = None
    ) -> dict[str, Any]:
        """``GET /v1/batch/:id/results``: one page of items."""
        now = self.clock() if now is None else now
        with self._lock:
            spec = self.find(batch_id, now)
            st = self.state(spec, now)
            # A batch that failed validation never created its items.
            total = 0 if spec.fails_validation and st.status == "failed" else spec.total_items
            indices = range(offset, min(offset + limit, total))
            progress = {
                k: v for k, v in counts(spec, st.processed).items() if k != "totalCostCents"
            }
            items = [item_json(spec, i, st) for i in indices]
        return {
            "batch": {"id": spec.id, "status": st.status, **progress},
            "items": items,
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
        with self._lock:
            return self.batch_json(self.find(batch_id, now), now)

    def cancel(self, batch_id: str, now: float | None = None) -> dict[str, Any]:
        """``POST /v1/batch/:id/cancel`` with the documented semantics.

        Completed items keep their results; pending and queued ones become skipped.
        A batch that is already terminal answers 400 ``CANNOT_CANCEL``.
        """
        now = self.clock() if now is None else now
        with self._lock:
            n = self._number(batch_id, now)
            spec = self._catalog.spec(n)
            if self.state(spec, now).status not in ("pending", "validating", "processing"):
                raise SimulatorError(
                    400,
                    "CANNOT_CANCEL",
                    "Cannot cancel batch. Batch not found or already completed/cancelled.",
                )
            self.cancels[spec.id] = now
            self._index.cancel(n, now)
        return {"id": spec.id, "status": "cancelled", "message": "Batch cancelled successfully"}
