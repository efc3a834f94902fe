"""The hostile fault kinds, checked on the wire: what a client of the demo server really receives.

Each test turns one kind on and reads the answer with plain httpx over loopback,
looking at raw bytes and headers where the point of the fault is what a client
would do with them (decode, parse, wait, print).
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterator

import httpx
import pytest

from batch_tui.demo.faults import Faults, FaultSpecError
from helpers import EPOCH, TEST_KEY

MiB = 1 << 20


@pytest.fixture
def http(demo):
    with httpx.Client(
        base_url=demo.url, headers={"Authorization": f"Bearer {TEST_KEY}"}, timeout=10
    ) as client:
        yield client


def some_batch_id(http: httpx.Client) -> str:
    return http.get("/v1/batch").json()["data"][0]["id"]


def gunzipped(data: bytes) -> Iterator[bytes]:
    """gzip-decode ``data`` a few MiB at a time, never holding all of the output."""
    decoder = zlib.decompressobj(wbits=31)
    chunk = decoder.decompress(data, 4 * MiB)
    while chunk:
        yield chunk
        chunk = decoder.decompress(decoder.unconsumed_tail, 4 * MiB)
    assert decoder.eof


def zero_bytes(chunks: Iterator[bytes]) -> int:
    """How many bytes ``chunks`` hold, checking every one is zero."""
    size = 0
    for chunk in chunks:
        assert not chunk.strip(b"\0")
        size += len(chunk)
    return size


# ── the spec ─────────────────────────────────────────────────────────────────


def test_spec_reads_every_kind_and_a_share_named_alone_means_every_request():
    faults = Faults.parse(
        "endless, gzipbomb=0.1, trickle=0.5, trickle-every=5, msreset, hugereset=0,"
        "echokey=1, badlist=0.3, nested=0.2, 5xx=0.2, latency=0.3, hang, drop=0.05,"
        "malformed=0.1, 429=5"
    )
    assert (faults.endless_rate, faults.gzipbomb_rate, faults.trickle_rate) == (1, 0.1, 0.5)
    assert (faults.trickle_every, faults.msreset_rate, faults.hugereset_rate) == (5, 1, 0)
    assert (faults.echokey_rate, faults.badlist_rate, faults.nested_rate) == (1, 0.3, 0.2)
    assert (faults.error_rate, faults.delay, faults.hang_rate) == (0.2, 0.3, 1)
    assert (faults.drop_rate, faults.malformed_rate, faults.burst_429) == (0.05, 0.1, 5)
    faults.clear()
    assert faults == Faults(rng=faults.rng, turns=faults.turns)


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("latency", "needs a number"),
        ("trickle-every", "needs a number"),
        ("endless=2", "out of range"),
        ("nested=-0.1", "out of range"),
        ("gzipbomb=nan", "out of range"),
        ("bomb=1", "unknown fault 'bomb'"),
    ],
)
def test_spec_mistakes_are_named(spec, complaint):
    with pytest.raises(FaultSpecError, match=complaint):
        Faults.parse(spec)


# ── each kind on the wire ────────────────────────────────────────────────────


def test_endless_pages_always_have_more_and_never_repeat_an_id(http, demo_api):
    demo_api.faults.endless_rate = 1
    seen: set[str] = set()
    offset = 0
    for _ in range(6):
        page = http.get("/v1/batch", params={"limit": 50, "offset": offset}).json()
        assert page["pagination"]["hasMore"] is True
        assert page["pagination"]["total"] > offset + len(page["data"])
        ids = {row["id"] for row in page["data"]}
        assert len(ids) == 50 and ids.isdisjoint(seen)
        assert all(row["id"].startswith("batch_") for row in page["data"])
        seen |= ids
        offset += len(page["data"])
    again = http.get("/v1/batch", params={"limit": 50, "offset": 0}).json()
    assert {row["id"] for row in again["data"]}.isdisjoint(seen)  # even the same page is new


def test_gzipbomb_sends_a_few_kilobytes_that_decode_to_megabytes_then_to_hundreds(http, demo_api):
    demo_api.faults.gzipbomb_rate = 1
    with http.stream("GET", "/v1/batch") as single:
        raw = b"".join(single.iter_raw())
    assert single.status_code == 200
    assert single.headers["content-encoding"] == "gzip"
    assert len(raw) < 10_000
    assert zero_bytes(gunzipped(raw)) == 8 * MiB

    with http.stream("GET", "/v1/batch") as double:
        raw = b"".join(double.iter_raw())
    assert double.headers["content-encoding"] == "gzip, gzip"
    assert len(raw) < 2_000
    inner = b"".join(gunzipped(raw))
    assert zero_bytes(gunzipped(inner)) == 256 * MiB


def test_trickle_sends_headers_and_a_first_byte_at_once_then_holds_the_rest(demo, demo_api):
    demo_api.faults.trickle_rate = 1
    demo_api.faults.trickle_every = 60
    timeout = httpx.Timeout(10, read=1)
    headers = {"Authorization": f"Bearer {TEST_KEY}"}
    with httpx.Client(base_url=demo.url, headers=headers, timeout=timeout) as http:
        with http.stream("GET", "/v1/batch") as response:
            assert response.status_code == 200
            assert "content-length" not in response.headers
            chunks = response.iter_raw()
            assert next(chunks) == b"{"
            with pytest.raises(httpx.ReadTimeout):
                next(chunks)


def test_trickle_delivers_the_real_answer_byte_by_byte(http, demo_api, simulator):
    batch_id = some_batch_id(http)
    demo_api.faults.trickle_rate = 1
    demo_api.faults.trickle_every = 0  # as fast as the loop goes: the content is the point
    with http.stream("GET", f"/v1/batch/{batch_id}") as response:
        chunks = list(response.iter_raw())
    assert set(map(len, chunks)) == {1}
    assert json.loads(b"".join(chunks)) == simulator.get_json(batch_id)


def test_msreset_says_the_budget_is_spent_until_a_reset_in_epoch_milliseconds(http, demo_api):
    demo_api.faults.msreset_rate = 1
    response = http.get("/v1/batch")
    assert response.status_code == 200 and response.json()["data"]
    assert response.headers["X-RateLimit-Remaining"] == "0"
    # The same instant (the end of the current minute), counted in milliseconds.
    assert response.headers["X-RateLimit-Reset"] == str(int(EPOCH + 60) * 1000)


def test_hugereset_asks_for_a_31_year_wait_and_an_infinite_retry_after(http, demo_api):
    demo_api.faults.hugereset_rate = 1
    response = http.get("/v1/batch")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "999999999"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert b'"retryAfter": 1e309' in response.content
    assert json.loads(response.content)["error"]["retryAfter"] == math.inf


def test_echokey_puts_the_key_sent_into_the_401_message(http, demo_api):
    demo_api.faults.echokey_rate = 1
    response = http.get("/v1/batch", headers={"Authorization": "Bearer vfy_echo_me_back"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid API key provided: vfy_echo_me_back"


def test_badlist_sends_null_an_object_and_a_mixed_array_as_the_list_data(http, demo_api, simulator):
    batch_id = some_batch_id(http)
    total = simulator.list_json()["pagination"]["total"]
    demo_api.faults.badlist_rate = 1
    answers = [http.get("/v1/batch").json() for _ in range(4)]
    assert [answer["data"] for answer in answers] == [None, {}, [1, "x", None], None]
    assert all(answer["pagination"]["total"] == total for answer in answers)
    assert http.get(f"/v1/batch/{batch_id}").json()["id"] == batch_id  # lists only


def test_nested_sends_a_body_too_deep_for_a_recursive_parser(http, demo_api):
    batch_id = some_batch_id(http)
    demo_api.faults.nested_rate = 1
    response = http.get(f"/v1/batch/{batch_id}")
    assert response.status_code == 200
    assert response.content == b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(RecursionError):
        json.loads(response.content)


def test_clearing_the_faults_brings_back_healthy_answers(http, demo_api):
    demo_api.faults = Faults.parse("endless,badlist,msreset,nested,gzipbomb,hugereset,echokey")
    assert http.get("/v1/batch").status_code == 401
    demo_api.faults.clear()
    response = http.get("/v1/batch")
    assert response.status_code == 200
    assert response.json()["pagination"]["hasMore"] is False
    assert response.headers["X-RateLimit-Remaining"] != "0"
