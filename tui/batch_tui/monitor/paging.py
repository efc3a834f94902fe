"""Walking a paginated listing one page per request, and knowing when to stop.

Each page of ``GET /v1/batch`` is a request of its own under the rate budget, so a
listing is walked across several scheduler steps. ``Walk`` keeps where the walk is
and decides whether to go on: a server whose ``hasMore`` never ends, or that
repeats the same page, is stopped at a page cap or at the first page that brings
nothing new, and the walk says so (``truncated``). ``Walks`` keeps the scheduler's
walks by stream key and places each list request at the page its walk reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from batch_tui.monitor.planning import PollRequest

#: A status sweep stops after this many pages (2,000 batches in one status).
MAX_SWEEP_PAGES = 20
#: Discovery reads the newest pages until one holds only known batches, at most this many.
MAX_DISCOVERY_PAGES = 10
#: A full walk of the list (when its order cannot be trusted) stops here.
MAX_FULL_PAGES = 1000


@dataclass
class Walk:
    """Where one walk through a listing is, and what it has seen so far."""

    max_pages: int
    offset: int = 0
    pages: int = 0
    seen: dict[str, str | None] = field(default_factory=dict)
    """Every batch id the walk met, with its status."""
    truncated: bool = False
    """The last walk stopped at the page cap, or at a page that repeated old ones."""

    @property
    def started(self) -> bool:
        """True once a page of this walk has come back."""
        return self.pages > 0

    def page(
        self,
        rows: list[tuple[str, str | None]],
        has_more: bool,
        *,
        wanted: bool,
        total: int | None = None,
    ) -> bool:
        """Take one page; True when the walk should go on to the next page.

        ``wanted`` is the caller's own reason to read further (discovery: the page
        held a batch it did not know). ``total`` is the server's count of rows: a
        walk never reads past it, whatever ``hasMore`` says.
        """
        fresh = 0
        for batch_id, status in rows:
            if batch_id not in self.seen:
                fresh += 1
            self.seen[batch_id] = status
        self.pages += 1
        self.offset += len(rows)
        if not has_more or not rows or not wanted or (total is not None and self.offset >= total):
            self.truncated = False
            return False
        if fresh == 0 or self.pages >= self.max_pages:
            # Endless or looping pagination: stop here rather than spend the budget on it.
            self.truncated = True
            return False
        return True

    def restart(self) -> None:
        """Begin again at the first page."""
        self.offset = 0
        self.pages = 0
        self.seen = {}


class Walks:
    """The list walks under way (discovery, sweeps, scan, history), by stream key."""

    def __init__(self) -> None:
        self.by_key: dict[str, Walk] = {"list": Walk(MAX_DISCOVERY_PAGES)}

    def walk(self, request: PollRequest) -> Walk:
        """The walk a list request belongs to (begun on first use)."""
        key = request.key
        if key not in self.by_key:
            cap = MAX_SWEEP_PAGES if request.kind == "sweep" else MAX_FULL_PAGES
            self.by_key[key] = Walk(cap)
        return self.by_key[key]

    def started(self, request: PollRequest) -> bool:
        """True once a page of the request's walk has come back."""
        walk = self.by_key.get(request.key)
        return walk is not None and walk.started

    def at(self, request: PollRequest) -> PollRequest:
        """A list request at the page its walk has reached."""
        walk = self.by_key.get(request.key)
        if walk is None or walk.offset == 0:
            return request
        return PollRequest(request.kind, request.batch_id, request.status, walk.offset)
