"""The client against a hostile server: absurd waits and rate-limit headers, and more.

Each test starts ``HostileServer`` on a loopback port and sends exactly the bytes
that break a naive client; the client must turn every one of them into a model
or one of its own ``ApiError`` exceptions, with bounded memory and time.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from batch_tui.api.client import MAX_RESET_AHEAD, MAX_WAIT, CheckClient
from batch_tui.api.errors import RateLimited
from conftest import TEST_KEY
from hostile_server import HostileServer, json_response

NOW = 1_800_000_000.0  # a fixed "now" for the client, so reset times compare exactly


def fixed_clock() -> float:
    return NOW


async def rate_limited(answer: bytes) -> RateLimited:
    with HostileServer(answer) as server:
        async with CheckClient(server.url, TEST_KEY, clock=fixed_clock) as client:
            with pytest.raises(RateLimited) as limited:
                await client.get_batch("batch_x")
    return limited.value


def too_many(retry_after_body: str = "null", header: str | None = None) -> bytes:
    body = f'{{"error": {{"code": "rate_limited", "message": "slow down", "retryAfter": {retry_after_body}}}}}'
    headers = {"Retry-After": header} if header is not None else {}
    return json_response(body, 429, headers=headers)


# ── 1. server-given waits are clamped ────────────────────────────────────────


@pytest.mark.parametrize("value", ["1e309", "-1e309", "Infinity", "-Infinity", "NaN"])
async def test_a_non_finite_retry_after_in_the_body_counts_as_absent(value):
    limited = await rate_limited(too_many(value))
    assert limited.retry_after is None


@pytest.mark.parametrize(
    ("body", "header", "expected"),
    [
        ("1e9", None, MAX_WAIT),
        ("45", None, 45.0),
        ("-5", None, 0.0),
        ("null", "999999999", MAX_WAIT),
        ("45", "999999999", MAX_WAIT),
        ("1e309", "30", 30.0),
        ("12", "inf", 12.0),  # a header that is not a finite number is ignored
        ("12", "-3", 12.0),
    ],
)
async def test_every_server_given_wait_is_clamped(body, header, expected):
    limited = await rate_limited(too_many(body, header))
    assert limited.retry_after == expected
    assert 0 <= limited.retry_after <= MAX_WAIT


async def test_a_retry_after_http_date_is_read_and_clamped():
    soon = format_datetime(datetime.fromtimestamp(NOW + 90, UTC), usegmt=True)
    assert (await rate_limited(too_many(header=soon))).retry_after == 90.0
    later = format_datetime(datetime.fromtimestamp(NOW + 10**8, UTC), usegmt=True)
    assert (await rate_limited(too_many(header=later))).retry_after == MAX_WAIT
    past = format_datetime(datetime.fromtimestamp(NOW - 600, UTC), usegmt=True)
    assert (await rate_limited(too_many(header=past))).retry_after == 0.0


def test_the_longest_wait_is_a_stated_constant():
    assert math.isfinite(MAX_WAIT) and 0 < MAX_WAIT <= 600


# ── 7. rate-limit headers that cannot be believed ────────────────────────────


async def rate_limit_after(*header_sets: dict[str, str]):
    """The client's rate limit after answers carrying these headers, one per request."""
    answers = iter(json_response('{"id": "batch_x"}', headers=h) for h in header_sets)
    with HostileServer(lambda _request: next(answers)) as server:
        async with CheckClient(server.url, TEST_KEY, clock=fixed_clock) as client:
            for _ in header_sets:
                await client.get_batch("batch_x")
            return client.rate_limit


def limits(limit="200", remaining="150", reset=str(int(NOW) + 30)) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": limit,
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": reset,
    }


async def test_believable_headers_are_kept_as_sent():
    rate = await rate_limit_after(limits())
    assert (rate.limit, rate.remaining, rate.reset) == (200, 150, NOW + 30)


async def test_a_reset_in_epoch_milliseconds_is_converted_to_seconds():
    rate = await rate_limit_after(limits(reset=str(int(NOW * 1000) + 30_000)))
    assert rate.reset == NOW + 30


async def test_a_small_reset_is_read_as_seconds_from_now():
    rate = await rate_limit_after(limits(reset="45"))
    assert rate.reset == NOW + 45


@pytest.mark.parametrize(
    "reset",
    [
        str(int(NOW) + MAX_RESET_AHEAD + 60),
        str(int(NOW * 1000) + 10**9),
        "99999999999999999999",
        "-5",
        "soon",
    ],
)
async def test_a_reset_too_far_ahead_or_unreadable_is_distrusted(reset):
    assert (await rate_limit_after(limits(reset=reset))).reset is None
    # ... and does not replace a believable one the server sent before.
    earlier = await rate_limit_after(limits(), limits(reset=reset))
    assert earlier.reset == NOW + 30


@pytest.mark.parametrize(
    ("limit", "remaining", "expected"),
    [
        ("200", "-7", (200, 0)),  # overspent: nothing left
        ("200", "500", (200, 200)),  # more left than the limit allows
        ("-1", "10", (None, 10)),
        ("0", "0", (None, 0)),
        ("1e12", "1e12", (None, None)),
        ("nan", "inf", (None, None)),
    ],
)
async def test_absurd_limits_and_remaining_are_distrusted_or_clamped(limit, remaining, expected):
    rate = await rate_limit_after(limits(limit=limit, remaining=remaining))
    assert (rate.limit, rate.remaining) == expected


# ── numbers too large for a float ────────────────────────────────────────────


async def test_an_integer_too_large_for_a_float_is_an_unusable_field_not_a_crash():
    huge = "9" * 400  # a valid JSON integer; float() of it overflows
    body = f'{{"id": "batch_x", "totalCostCents": {huge}, "error": {{"retryAfter": {huge}}}}}'
    with HostileServer(json_response(body)) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            batch = await client.get_batch("batch_x")
    assert batch.total_cost_cents is None
    assert "totalCostCents" in batch.bad_fields


async def test_an_integer_retry_after_too_large_for_a_float_is_the_longest_wait():
    limited = await rate_limited(too_many("9" * 400))
    assert limited.retry_after == MAX_WAIT
