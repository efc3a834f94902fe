"""The answers of a hostile server, for the hostile fault kinds in ``faults``.

Each builds what goes over the wire for one kind: an endless or broken list
page, a gzip bomb, a body nested too deep to parse, a response that trickles out
one byte at a time, rate-limit headers and a 429 with absurd reset times, a
401 that echoes the key back, and a list read oldest first. The server decides when;
these decide what.
"""

from __future__ import annotations

import asyncio
import functools
import zlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from batch_tui.demo.batches import iso
from batch_tui.demo.faults import BAD_LISTS, Faults

MiB = 1 << 20
BOMB_SIZE = 8 * MiB
"""What a single-encoded bomb decodes to."""
DOUBLE_BOMB_SIZE = 256 * MiB
"""What a twice-encoded bomb decodes to."""
NESTED_DEPTH = 100_000
HUGE_RETRY_AFTER = "999999999"
# Written as raw bytes: 1e309 is past the largest double, so a JSON parser reads infinity.
HUGE_RETRY_BODY = (
    b'{"error": {"code": "rate_limited", "message": "Rate limit exceeded. '
    b'Try again in 999999999 seconds.", "retryAfter": 1e309}}'
)


def _gzip_zeros(size: int) -> bytes:
    """``size`` zero bytes, gzipped a mebibyte at a time (never all in memory at once)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip header and trailer
    zeros = bytes(MiB)
    parts = [packer.compress(zeros) for _ in range(size // MiB)]
    return b"".join([*parts, packer.compress(bytes(size % MiB)), packer.flush()])


@functools.cache
def bomb(double: bool) -> bytes:
    """A gzip bomb: 8 MiB of zeros in about 8 KB, or gzip of gzip of 256 MiB in under 1 KB."""
    if not double:
        return _gzip_zeros(BOMB_SIZE)
    return zlib.compress(_gzip_zeros(DOUBLE_BOMB_SIZE), 9, wbits=31)


async def gzip_bomb(faults: Faults) -> Response:
    """Every other bomb is encoded twice, so both a one-layer and a layered decoder meet one."""
    double = faults.turn("gzipbomb") % 2 == 1
    # Building the big one takes about a second, once: off the event loop.
    body = await asyncio.to_thread(bomb, double)
    encoding = "gzip, gzip" if double else "gzip"
    return Response(body, media_type="application/json", headers={"Content-Encoding": encoding})


def nested() -> Response:
    """A 200 whose JSON is nested deeper than any recursive parser goes."""
    return Response(b"[" * NESTED_DEPTH + b"]" * NESTED_DEPTH, media_type="application/json")


def endless_page(faults: Faults, offset: int, limit: int, newest: float) -> dict[str, Any]:
    """A list page that always has more, of batches never seen before."""
    rows = []
    for i in range(limit):
        serial = faults.turn("endless")
        created = newest - 60 * (offset + i)
        rows.append(
            {
                "id": f"batch_e{serial:011x}",
                "name": f"Endless page row {serial}",
                "status": "completed",
                "totalItems": 1,
                "processedItems": 1,
                "successCount": 1,
                "failureCount": 0,
                "totalCostCents": 1,
                "createdAt": iso(created),
                "startedAt": iso(created + 1),
                "completedAt": iso(created + 2),
            }
        )
    total = offset + 2 * limit  # always a page beyond this one
    return {
        "data": rows,
        "pagination": {"total": total, "limit": limit, "offset": offset, "hasMore": True},
    }


def bad_list(faults: Faults, page: dict[str, Any]) -> dict[str, Any]:
    """The list answer with ``data`` replaced by the next of null, {} and [1, "x", null]."""
    return {**page, "data": BAD_LISTS[faults.turn("badlist") % len(BAD_LISTS)]}


def huge_reset() -> Response:
    """429 with a Retry-After of 31 years and a body retryAfter of infinity."""
    return Response(
        HUGE_RETRY_BODY,
        status_code=429,
        media_type="application/json",
        headers={"Retry-After": HUGE_RETRY_AFTER, "X-RateLimit-Remaining": "0"},
    )


def echo_key(authorization: str) -> Response:
    """401 whose message carries the key the client sent, as some services do."""
    key = authorization.partition(" ")[2].strip()
    message = f"Invalid API key provided: {key}"
    return JSONResponse({"error": {"code": "unauthorized", "message": message}}, status_code=401)


def ms_reset(headers: dict[str, str]) -> None:
    """Budget spent, resetting at the same instant but counted in milliseconds."""
    headers["X-RateLimit-Remaining"] = "0"
    headers["X-RateLimit-Reset"] = str(int(headers["X-RateLimit-Reset"]) * 1000)


def trickle(response: Response, every: float) -> StreamingResponse:
    """``response`` sent one byte every ``every`` seconds (headers straight away)."""
    body = bytes(response.body)

    async def drip() -> AsyncIterator[bytes]:
        for i in range(len(body)):
            if i:
                await asyncio.sleep(every)
            yield body[i : i + 1]

    # No Content-Length: the body goes out chunked, as a slow stream would.
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return StreamingResponse(drip(), status_code=response.status_code, headers=headers)


def oldest_first(simulator: Any, status: str | None, limit: int, offset: int) -> dict[str, Any]:
    """A list page read from the other end: the whole list oldest first, so the
    newest batches are on the last page (the API does not promise an order)."""
    total = simulator.list_json(limit=1, status=status)["pagination"]["total"]
    count = max(0, min(limit, total - offset))
    start = max(0, total - offset - count)
    rows = simulator.list_json(limit=count, offset=start, status=status)["data"] if count else []
    return {
        "data": rows[::-1],
        "pagination": {
            "total": total,
            "limit": limit,
            "offset": offset,
            "hasMore": offset + count < total,
        },
    }
