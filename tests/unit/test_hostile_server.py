"""The client against a hostile server: absurd waits and rate-limit headers, and more.

Each test starts ``HostileServer`` on a loopback port and sends exactly the bytes
that break a naive client; the client must turn every one of them into a model
or one of its own ``ApiError`` exceptions, with bounded memory and time.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import math
import tracemalloc
import zlib
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote

import pytest

from batch_tui.api.client import (
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    MAX_RESET_AHEAD,
    MAX_WAIT,
    REQUEST_DEADLINE,
    CheckClient,
)
from batch_tui.api.errors import (
    ApiError,
    ApiTimeout,
    BadResponse,
    InvalidBatchId,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
)
from batch_tui.api.models import MAX_BATCH_ID_CHARS, batch_id_problem
from helpers import TEST_KEY
from hostile_server import HostileServer, json_response, response

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


# ── 2. JSON nested past any stack ────────────────────────────────────────────

DEEP_ARRAYS = "[" * 100_000 + "]" * 100_000
DEEP_OBJECTS = '{"a":' * 100_000 + "1" + "}" * 100_000
#: Deep enough to pass the parser, far deeper than the API ever nests.
MIDDLING = '{"id": "batch_x", "data": [], "items": [], "context": ' + "[" * 500 + "]" * 500 + "}"

CALLS = {
    "list_batches": lambda client: client.list_batches(),
    "list_all_batches": lambda client: client.list_all_batches(),
    "get_batch": lambda client: client.get_batch("batch_x"),
    "get_results": lambda client: client.get_results("batch_x"),
    "cancel_batch": lambda client: client.cancel_batch("batch_x"),
}


async def call_against(answer, call: str, **options):
    with HostileServer(answer) as server:
        async with CheckClient(server.url, TEST_KEY, **options) as client:
            return await CALLS[call](client)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    "body", [DEEP_ARRAYS, DEEP_OBJECTS, MIDDLING], ids=["arrays", "objects", "500"]
)
async def test_deeply_nested_json_is_a_bad_response_on_every_endpoint(call, body):
    with pytest.raises(BadResponse) as bad:
        await call_against(json_response(body), call)
    assert bad.value.status == 200


async def test_nested_json_in_an_error_answer_still_gives_the_status_error():
    with pytest.raises(ServerError) as failed:
        await call_against(json_response(DEEP_ARRAYS, 500), "get_batch")
    assert str(failed.value) == "HTTP 500 Internal Server Error"


async def test_nesting_up_to_the_limit_is_read():
    context = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    batch = await call_against(
        json_response(f'{{"id": "batch_x", "context": {context}}}'), "get_batch"
    )
    assert batch.id == "batch_x" and isinstance(batch.context, list)


# ── 5. decompression bombs ───────────────────────────────────────────────────


def gzip_stream(size: int) -> bytes:
    """gzip of ``size`` zero bytes, made a megabyte at a time (never ``size`` in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(size >> 20)]
    return b"".join([*parts, packer.flush()])


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A gigabyte of zeros, gzipped twice: about 2 KB on the wire."""
    return gzip.compress(gzip_stream(1 << 30), 9)


@pytest.mark.parametrize("call", ["get_batch", "list_batches"])
async def test_a_decompression_bomb_is_refused_with_small_memory(bomb, call):
    assert len(bomb) < 8 * 1024
    answer = response(200, bomb, headers={"Content-Encoding": "gzip, gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(BadResponse) as bad:
            await call_against(answer, call)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "larger than 5 MB" in str(bad.value)
    assert peak < 50 * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"


async def test_a_bomb_in_one_layer_is_refused_too():
    answer = response(200, gzip_stream(64 << 20), headers={"Content-Encoding": "gzip"})
    with pytest.raises(BadResponse, match="larger than"):
        await call_against(answer, "get_batch")


BODY = json.dumps({"id": "batch_x", "name": "zipped"}).encode()


def gz(data: bytes) -> bytes:
    """gzip with a fixed timestamp: the same bytes, so the same test ids, in every
    process (parallel workers must collect identical tests)."""
    return gzip.compress(data, mtime=0)


def deflate_raw(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "payload"),
    [
        ("gzip", gz(BODY)),
        ("x-gzip", gz(BODY)),
        ("GZIP ", gz(BODY)),
        ("deflate", zlib.compress(BODY)),
        ("deflate", deflate_raw(BODY)),
        ("identity", BODY),
        ("gzip, deflate", zlib.compress(gz(BODY))),
        ("gzip, identity, gzip", gz(gz(BODY))),
        ("gzip", gz(BODY[:10]) + gz(BODY[10:])),  # two members
        ("gzip", gz(BODY) + b"trailing junk"),
    ],
)
async def test_honest_encodings_are_decoded(encoding, payload):
    answer = response(200, payload, headers={"Content-Encoding": encoding})
    batch = await call_against(answer, "get_batch")
    assert (batch.id, batch.name) == ("batch_x", "zipped")


@pytest.mark.parametrize(
    ("encoding", "payload"),
    [
        ("br", BODY),
        ("gzip", b"not gzip at all"),
        ("deflate", b"\xff"),
        ("gzip, gzip, gzip, gzip", BODY),
    ],
)
async def test_unknown_or_broken_encodings_are_bad_responses(encoding, payload):
    answer = response(200, payload, headers={"Content-Encoding": encoding})
    with pytest.raises(BadResponse):
        await call_against(answer, "get_batch")


async def test_the_client_offers_only_the_encodings_it_decodes():
    with HostileServer(json_response('{"id": "batch_x"}')) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            await client.get_batch("batch_x")
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


# ── 6. a total deadline per request ──────────────────────────────────────────


def trickle(head: bytes, *, every: float = 0.05):
    """Send the head at once, then one byte of a never-ending body every ``every`` seconds."""

    async def pieces():
        yield head
        while True:
            await asyncio.sleep(every)  # the hostile server's pace, not a test wait
            yield b" "

    return lambda _request: pieces()


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n",  # the headers themselves never end
    ],
    ids=["body", "headers"],
)
async def test_a_trickling_server_cannot_hold_a_request_past_the_deadline(head):
    with HostileServer(trickle(head)) as server:
        # Each byte arrives well inside the 5 s read timeout; only the deadline ends it.
        async with CheckClient(server.url, TEST_KEY, timeout=5.0, deadline=0.5) as client:
            with pytest.raises(ApiTimeout) as timed_out:
                await asyncio.wait_for(client.get_batch("batch_x"), timeout=30)
    assert "0.5 s" in str(timed_out.value)
    assert timed_out.value.status is None


def test_the_deadline_is_a_stated_constant():
    assert CheckClient("http://127.0.0.1:9", TEST_KEY).deadline == REQUEST_DEADLINE == 30.0
    assert MAX_BODY_BYTES == 5 * 1024 * 1024


# ── 11. a server echoing the key ─────────────────────────────────────────────

SECRET = "vfy_live_S3cret+key/with=odd_chars"


def every_form_of(secret: str) -> list[str]:
    escaped = json.dumps(secret)[1:-1].replace("/", "\\/")
    unicode_escaped = "".join(f"\\u{ord(c):04x}" for c in secret)
    return [secret, escaped, unicode_escaped, quote(secret, safe="")]


async def key_echo(answer) -> ApiError | object:
    with HostileServer(answer) as server:
        async with CheckClient(server.url, SECRET) as client:
            try:
                return await client.get_batch("batch_x")
            except ApiError as exc:
                return exc


@pytest.mark.parametrize("form", every_form_of(SECRET))
@pytest.mark.parametrize("status", [401, 403, 400, 404, 500])
async def test_a_key_echoed_in_an_error_message_is_redacted(form, status):
    body = f'{{"error": {{"code": "bad_key", "message": "Invalid API key provided: {form}"}}}}'
    failed = await key_echo(json_response(body, status))
    assert isinstance(failed, ApiError)
    assert str(failed) == "Invalid API key provided: <redacted>"
    assert SECRET not in repr(failed) and quote(SECRET, safe="") not in repr(failed)


async def test_a_key_echoed_in_the_status_line_is_redacted():
    failed = await key_echo(response(401, b"", reason=f"Bad key {SECRET}"))
    assert isinstance(failed, Unauthorized)
    assert str(failed) == "HTTP 401 Bad key <redacted>"


@pytest.mark.parametrize("form", every_form_of(SECRET))
async def test_a_key_echoed_in_any_field_is_redacted(form):
    body = (
        f'{{"id": "batch_x", "name": "for {form}", "errorMessage": "{form}",'
        f' "context": {{"{form}": ["{form}"]}}, "validationErrors": [{{"row": 1, "error": "{form}"}}]}}'
    )
    batch = await key_echo(json_response(body))
    assert batch.name == "for <redacted>"
    assert batch.error_message == "<redacted>"
    assert batch.context == {"<redacted>": ["<redacted>"]}
    assert batch.validation_errors[0].error == "<redacted>"
    assert SECRET not in repr(batch)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-8-sig"])
async def test_a_key_echoed_in_a_body_not_in_utf_8_is_redacted(encoding):
    # json.loads reads UTF-16 and UTF-32 too, where the key's bytes are not the
    # UTF-8 bytes a quick search of the body would look for.
    body = json.dumps({"id": "batch_x", "name": f"for {SECRET}", "context": {SECRET: 1}})
    batch = await key_echo(json_response(body.encode(encoding)))
    assert batch.name == "for <redacted>"
    assert batch.context == {"<redacted>": 1}
    assert SECRET not in repr(batch)


async def test_a_key_echoed_in_a_string_error_envelope_is_redacted():
    failed = await key_echo(json_response(json.dumps({"error": f"key {SECRET} revoked"}), 403))
    assert str(failed) == "key <redacted> revoked"
    assert isinstance(failed, Unauthorized) and not isinstance(failed, NotFound)


# ── 8. a list page whose data is not a list of objects ───────────────────────


@pytest.mark.parametrize(
    "body",
    [
        '{"data": null}',
        '{"data": {}}',
        '{"data": "batches"}',
        '{"data": [1, "x", null]}',
        '{"data": [{"id": "batch_a"}, 7]}',
        '{"data": [{"id": "batch_a"}, null], "pagination": {"hasMore": false}}',
    ],
)
@pytest.mark.parametrize("call", ["list_batches", "list_all_batches"])
async def test_a_list_whose_data_is_not_a_list_of_objects_is_a_bad_response(body, call):
    with pytest.raises(BadResponse) as bad:
        await call_against(json_response(body), call)
    assert bad.value.status == 200


@pytest.mark.parametrize(
    ("body", "ids"),
    [
        ('{"data": []}', []),
        ('{"data": [{"id": "batch_a"}, {"id": "batch_b"}]}', ["batch_a", "batch_b"]),
    ],
)
async def test_a_list_without_pagination_is_one_complete_page(body, ids):
    page = await call_against(json_response(body), "list_batches")
    assert [b.id for b in page.batches] == ids
    assert page.pagination.has_more is False


# ── 9. a cancel the server does not confirm ──────────────────────────────────


@pytest.mark.parametrize(
    "answer",
    [
        response(204),
        response(200, b"OK", headers={"Content-Type": "text/plain"}),
        response(200, b""),
        response(202, b"<html>accepted</html>", headers={"Content-Type": "text/html"}),
        json_response("[]"),
        json_response('"cancelled"'),
    ],
    ids=["204", "text", "empty", "html", "array", "string"],
)
async def test_a_cancel_answered_without_a_json_object_is_unconfirmed(answer):
    with HostileServer(answer) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            result = await client.cancel_batch("batch_x")
    assert result.confirmed is False
    assert (result.id, result.status, result.message) == ("batch_x", None, None)
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/v1/batch/batch_x/cancel")]


async def test_a_cancel_answered_with_a_json_object_is_confirmed():
    body = '{"id": "batch_x", "status": "cancelled", "message": "Batch cancelled successfully"}'
    result = await call_against(json_response(body), "cancel_batch")
    assert result.confirmed is True
    assert (result.id, result.status) == ("batch_x", "cancelled")


# ── 10. batch ids that would change the path ─────────────────────────────────


@pytest.mark.parametrize(
    "batch_id",
    [
        ".",
        "..",
        "",
        "a/b",
        "../batch",
        "/",
        "has space",
        "tab\there",
        "naïve",
        "x" * 201,
        "\x1b[2J",
    ],
)
@pytest.mark.parametrize("call", ["get_batch", "get_results", "cancel_batch"])
async def test_an_id_that_is_not_a_batch_id_is_refused_before_any_request(batch_id, call):
    with HostileServer(json_response('{"id": "batch_x", "items": []}')) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            with pytest.raises(InvalidBatchId) as refused:
                await getattr(client, call)(batch_id)
    assert server.requests == []
    assert str(refused.value).startswith("invalid batch id")
    assert "\x1b" not in str(refused.value) and len(str(refused.value)) < 200
    # Like a 404: no batch has that id, so callers that handle NotFound handle it.
    assert isinstance(refused.value, NotFound)


@pytest.mark.parametrize(
    ("batch_id", "path"),
    [
        ("batch_abc123def456", "/v1/batch/batch_abc123def456"),
        ("...", "/v1/batch/..."),
        ("a?b#c%2F", "/v1/batch/a%3Fb%23c%252F"),
        ("x" * 200, "/v1/batch/" + "x" * 200),
    ],
)
async def test_odd_but_valid_ids_travel_percent_encoded_in_one_path_segment(batch_id, path):
    with HostileServer(json_response('{"id": "batch_x"}')) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            await client.get_batch(batch_id)
    assert [r.path for r in server.requests] == [path]


def test_the_id_rule():
    assert batch_id_problem("batch_abc123def456") is None
    assert batch_id_problem("~!@#$%^&*()_+{}|:<>?") is None
    for bad in (".", "..", "", "a/b", " ", "é", "x" * (MAX_BATCH_ID_CHARS + 1)):
        assert batch_id_problem(bad), bad


# ── a list that 404s: the base URL is wrong ──────────────────────────────────


@pytest.mark.parametrize("suffix", ["/v1", "/v1/", "/api"])
async def test_a_list_404_says_the_base_url_looks_wrong(suffix):
    not_found = json_response('{"error": {"code": "not_found", "message": "Not Found"}}', 404)
    with HostileServer(not_found) as server:
        async with CheckClient(server.url + suffix, TEST_KEY) as client:
            with pytest.raises(NotFound) as missing:
                await client.list_batches()
    assert "base URL looks wrong" in str(missing.value)
    assert ("trailing /v1" in str(missing.value)) == suffix.startswith("/v1")
    assert server.requests[0].path == suffix.rstrip("/") + "/v1/batch"


# ── an error that repeats its own kind reads once ────────────────────────────


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (500, "server error: database down", "database down"),
        (500, "Server Error: Server error: database down", "database down"),
        (500, "server error", "server error"),  # nothing but the kind: kept
    ],
)
async def test_a_server_message_that_repeats_the_kind_reads_once(status, message, expected):
    body = json.dumps({"error": {"code": "x", "message": message}})
    with pytest.raises(ApiError) as failed:
        await call_against(json_response(body, status), "get_batch")
    assert str(failed.value) == expected


def test_an_internal_error_names_its_kind_once():
    failed = ApiError("internal error: RecursionError: maximum recursion depth exceeded")
    assert f"{failed.kind}: {failed.message}" == (
        "internal error: RecursionError: maximum recursion depth exceeded"
    )
