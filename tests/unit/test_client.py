"""CheckClient against the real demo server over loopback HTTP: endpoints, headers and every error path."""

from __future__ import annotations

import socket
from datetime import timedelta
from types import SimpleNamespace

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from batch_tui import __version__
from batch_tui.api.client import CheckClient
from batch_tui.api.errors import (
    ApiError,
    ApiTimeout,
    BadResponse,
    ConnectionFailed,
    NotFound,
    RateLimited,
    RequestRejected,
    ServerError,
    Unauthorized,
)
from batch_tui.api.models import Batch, CancelResult, ValidationIssue
from batch_tui.demo.server import DemoApi, DemoServer
from helpers import EPOCH, TEST_KEY

CANNOT_CANCEL_MESSAGE = "Cannot cancel batch. Batch not found or already completed/cancelled."


def ids_of(batches) -> list[str]:
    return [batch.id for batch in batches]


def sim_ids(simulator, **kwargs) -> list[str]:
    return [row["id"] for row in simulator.list_json(limit=100, **kwargs)["data"]]


def first_with_status(simulator, status: str) -> str:
    return simulator.list_json(limit=100, status=status)["data"][0]["id"]


def list_requests(demo_api) -> list[tuple[str, str]]:
    return [entry for entry in demo_api.request_log if entry == ("GET", "/v1/batch")]


def free_port() -> int:
    """A loopback port nothing listens on (bound, read and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HeaderRecorder:
    """An ASGI wrapper that records the headers of every request it passes on."""

    def __init__(self, app) -> None:
        self.app = app
        self.seen: list[dict[str, str]] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.seen.append(
                {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            )
        await self.app(scope, receive, send)


# ── endpoints ────────────────────────────────────────────────────────────────


async def test_list_batches_returns_the_first_page(client, simulator):
    page = await client.list_batches(limit=5)
    assert ids_of(page.batches) == sim_ids(simulator)[:5]
    assert page.pagination.total == len(sim_ids(simulator))
    assert (page.pagination.limit, page.pagination.offset, page.pagination.has_more) == (5, 0, True)
    first = page.batches[0]
    assert first.name and first.status and first.created_at is not None


async def test_list_batches_with_offset_returns_the_last_page(client, simulator):
    everything = sim_ids(simulator)
    page = await client.list_batches(limit=5, offset=10)
    assert ids_of(page.batches) == everything[10:15]
    assert page.pagination.offset == 10
    assert page.pagination.has_more is False


async def test_list_batches_status_filter(client, simulator):
    page = await client.list_batches(status="processing", limit=100)
    assert page.batches
    assert {batch.status for batch in page.batches} == {"processing"}
    assert ids_of(page.batches) == sim_ids(simulator, status="processing")
    assert page.pagination.total == len(page.batches)


async def test_list_all_batches_walks_every_page_once(client, simulator, demo_api):
    everything = await client.list_all_batches(page_size=5)
    expected = sim_ids(simulator)
    assert len(expected) > 10
    assert ids_of(everything) == expected
    assert len(set(ids_of(everything))) == len(everything)
    pages = -(-len(expected) // 5)
    assert len(list_requests(demo_api)) == pages


async def test_list_all_batches_with_a_status_filter(client, simulator):
    completed = await client.list_all_batches(status="completed", page_size=2)
    assert ids_of(completed) == sim_ids(simulator, status="completed")
    assert {batch.status for batch in completed} == {"completed"}


async def test_get_batch_returns_the_full_detail(client, simulator):
    batch_id = first_with_status(simulator, "processing")
    raw = simulator.get_json(batch_id)
    batch = await client.get_batch(batch_id)
    assert batch == Batch.from_json(raw)
    assert batch.bad_fields == ()
    assert batch.status == "processing"
    assert batch.total_input_tokens == raw["totalInputTokens"] > 0
    assert batch.total_output_tokens == raw["totalOutputTokens"] > 0
    assert batch.methods_config == raw["methodsConfig"] and batch.methods_config
    assert batch.context == raw["context"]
    assert batch.expires_at - batch.created_at == timedelta(days=30)
    assert batch.completed_at is None
    assert batch.processed_items == raw["processedItems"]


async def test_get_batch_of_a_failed_batch_carries_its_validation_errors(client, simulator):
    batch_id = first_with_status(simulator, "failed")
    raw = simulator.get_json(batch_id)
    batch = await client.get_batch(batch_id)
    assert batch.status == "failed"
    assert batch.error_message == raw["errorMessage"]
    assert batch.validation_errors == tuple(
        ValidationIssue(row=row["row"], error=row["error"]) for row in raw["validationErrors"]
    )


async def test_get_batch_sees_progress_as_time_passes(client, simulator, clock):
    batch_id = first_with_status(simulator, "processing")
    before = await client.get_batch(batch_id)
    clock.advance(30)
    after = await client.get_batch(batch_id)
    assert after.processed_items > before.processed_items


async def test_get_results_pages_through_items(client, simulator):
    batch_id = first_with_status(simulator, "processing")
    total = simulator.get_json(batch_id)["totalItems"]
    first = await client.get_results(batch_id, limit=10)
    second = await client.get_results(batch_id, limit=10, offset=10)
    assert [item.item_index for item in first.items] == list(range(10))
    assert [item.item_index for item in second.items] == list(range(10, 20))
    assert first.pagination.total == total
    assert first.pagination.has_more and second.pagination.offset == 10
    assert first.batch.id == batch_id and first.batch.status == "processing"
    done = [item for item in first.items if item.status == "completed"]
    assert done and all(
        item.verdict and item.decision and item.confidence is not None for item in done
    )


async def test_get_results_last_page_has_no_more(client, simulator):
    batch_id = first_with_status(simulator, "completed")
    total = simulator.get_json(batch_id)["totalItems"]
    page = await client.get_results(batch_id, limit=5, offset=total - 3)
    assert len(page.items) == 3
    assert page.pagination.has_more is False


async def test_cancel_batch_then_cancel_again_is_rejected(client, simulator, demo_api):
    batch_id = first_with_status(simulator, "processing")
    result = await client.cancel_batch(batch_id)
    assert result == CancelResult(
        id=batch_id, status="cancelled", message="Batch cancelled successfully"
    )
    assert ("POST", f"/v1/batch/{batch_id}/cancel") in demo_api.request_log
    assert (await client.get_batch(batch_id)).status == "cancelled"
    with pytest.raises(RequestRejected) as rejected:
        await client.cancel_batch(batch_id)
    assert rejected.value.status == 400
    assert rejected.value.code == "CANNOT_CANCEL"
    assert str(rejected.value) == CANNOT_CANCEL_MESSAGE
    assert (await client.get_batch(batch_id)).status == "cancelled"


async def test_cancel_a_completed_batch_is_rejected(client, simulator):
    batch_id = first_with_status(simulator, "completed")
    with pytest.raises(RequestRejected) as rejected:
        await client.cancel_batch(batch_id)
    assert (rejected.value.status, rejected.value.code) == (400, "CANNOT_CANCEL")
    assert (await client.get_batch(batch_id)).status == "completed"


# ── rate-limit headers ───────────────────────────────────────────────────────


async def test_rate_limit_headers_are_kept_after_every_call(client, simulator):
    batch_id = first_with_status(simulator, "processing")
    assert client.rate_limit.remaining is None
    calls = [
        lambda: client.list_batches(),
        lambda: client.get_batch(batch_id),
        lambda: client.get_results(batch_id),
        lambda: client.cancel_batch(batch_id),
    ]
    remaining = []
    for call in calls:
        await call()
        remaining.append(client.rate_limit.remaining)
        assert client.rate_limit.reset == EPOCH + 60
    # The rate limit is off in this server: a large budget, spent one request at a time.
    assert client.rate_limit.limit == 1_000_000
    assert remaining == [999_999, 999_998, 999_997, 999_996]


async def test_rate_limit_headers_are_kept_from_error_answers_too(client):
    await client.list_batches()
    with pytest.raises(NotFound):
        await client.get_batch("batch_nope")
    assert client.rate_limit.remaining == 999_998


async def test_remaining_reflects_other_clients_of_the_same_org(client, demo):
    await client.list_batches()
    async with CheckClient(demo.url, TEST_KEY) as other:
        for _ in range(5):
            await other.list_batches()
    await client.list_batches()
    assert client.rate_limit.remaining == 1_000_000 - 7


# ── request headers ──────────────────────────────────────────────────────────


async def test_requests_carry_bearer_key_and_user_agent(simulator):
    api = DemoApi(simulator, rate_limit=0)
    recorder = HeaderRecorder(api.app)
    api.app = recorder
    with DemoServer(api) as server:
        async with CheckClient(server.url, TEST_KEY) as api_client:
            await api_client.list_batches()
            await api_client.cancel_batch(first_with_status(simulator, "processing"))
    assert len(recorder.seen) == 2
    for headers in recorder.seen:
        assert headers["authorization"] == f"Bearer {TEST_KEY}"
        assert headers["user-agent"] == f"batch-tui/{__version__}"
        assert "application/json" in headers["accept"]


async def test_right_key_is_accepted_when_the_server_checks_it(demo, demo_api):
    demo_api.api_key = TEST_KEY
    async with CheckClient(demo.url, TEST_KEY) as api_client:
        page = await api_client.list_batches()
    assert page.batches


# ── error paths ──────────────────────────────────────────────────────────────


async def test_unknown_batch_is_not_found(client):
    with pytest.raises(NotFound) as missing:
        await client.get_batch("batch_000000000000")
    assert missing.value.status == 404
    assert missing.value.code == "not_found"
    assert str(missing.value) == "Batch not found"


@pytest.mark.parametrize("call", ["get_results", "cancel_batch"])
async def test_unknown_batch_is_not_found_for_results_and_cancel(client, call):
    with pytest.raises(NotFound) as missing:
        await getattr(client, call)("batch_000000000000")
    assert (missing.value.status, missing.value.code) == (404, "not_found")


async def test_wrong_key_is_unauthorized(demo, demo_api):
    demo_api.api_key = TEST_KEY
    wrong = "vfy_wrong_key_123"
    async with CheckClient(demo.url, wrong) as api_client:
        with pytest.raises(Unauthorized) as refused:
            await api_client.list_batches()
    assert refused.value.status == 401
    assert refused.value.code == "unauthorized"
    assert str(refused.value) == "Invalid or missing API key"
    assert wrong not in str(refused.value) and wrong not in repr(refused.value)


async def test_forbidden_is_unauthorized_with_the_servers_message(client, demo_api):
    demo_api.faults.status = 403
    demo_api.faults.error = {
        "code": "plan_required",
        "message": "Batch processing requires a Pro plan",
    }
    with pytest.raises(Unauthorized) as refused:
        await client.list_batches()
    assert refused.value.status == 403
    assert refused.value.code == "plan_required"
    assert str(refused.value) == "Batch processing requires a Pro plan"
    assert TEST_KEY not in str(refused.value)


async def test_real_rate_limit_raises_rate_limited_with_retry_after(simulator, clock):
    with DemoServer(DemoApi(simulator, rate_limit=3)) as server:
        async with CheckClient(server.url, TEST_KEY) as api_client:
            for expected_remaining in (2, 1, 0):
                await api_client.list_batches()
                assert api_client.rate_limit.remaining == expected_remaining
            assert api_client.rate_limit.limit == 3
            clock.advance(15)
            with pytest.raises(RateLimited) as limited:
                await api_client.list_batches()
            assert limited.value.status == 429
            assert limited.value.code == "rate_limited"
            assert limited.value.retry_after == 45.0
            assert str(limited.value) == "Rate limit exceeded. Try again in 45 seconds."
            assert api_client.rate_limit.remaining == 0
            # The next window has a fresh budget.
            clock.advance(45)
            await api_client.list_batches()
            assert api_client.rate_limit.remaining == 2


async def test_rate_limited_without_retry_after_header_uses_the_body(client, demo_api):
    demo_api.faults.status = 429
    demo_api.faults.error = {
        "code": "rate_limited",
        "message": "Rate limit exceeded. Try again in 45 seconds.",
        "retryAfter": 45,
    }
    with pytest.raises(RateLimited) as limited:
        await client.get_batch("batch_anything")
    assert limited.value.retry_after == 45.0
    assert limited.value.status == 429
    assert str(limited.value) == "Rate limit exceeded. Try again in 45 seconds."


async def test_rate_limited_with_no_hint_at_all_has_unknown_retry_after(client, demo_api):
    demo_api.faults.status = 429
    with pytest.raises(RateLimited) as limited:
        await client.list_batches()
    assert limited.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors(client, demo_api, status):
    demo_api.faults.status = status
    with pytest.raises(ServerError) as failed:
        await client.list_batches()
    assert failed.value.status == status
    assert failed.value.code == "injected_fault"
    assert str(failed.value) == "Injected fault"
    assert TEST_KEY not in str(failed.value)


async def test_html_error_page_is_a_server_error_with_the_status_line(clock):
    """A proxy's HTML 500 page: the faults can only send JSON errors, so a tiny app sends this one."""

    async def oops(request):
        return HTMLResponse(
            "<html><body><h1>500 Internal Server Error</h1></body></html>", status_code=500
        )

    app = Starlette(routes=[Route("/{path:path}", oops)])
    with DemoServer(SimpleNamespace(app=app)) as server:
        async with CheckClient(server.url, TEST_KEY) as api_client:
            with pytest.raises(ServerError) as failed:
                await api_client.get_batch("batch_anything")
    assert failed.value.status == 500
    assert failed.value.code is None
    assert str(failed.value) == "HTTP 500 Internal Server Error"


async def test_other_client_errors_are_rejected_with_the_servers_message(client):
    with pytest.raises(RequestRejected) as rejected:
        await client.list_batches(status="bogus")
    assert rejected.value.status == 400
    assert rejected.value.code == "invalid_request"
    assert str(rejected.value) == "Unknown status: bogus"


async def test_unexpected_redirect_is_a_bad_response(client, demo_api):
    demo_api.faults.status = 302
    with pytest.raises(BadResponse) as bad:
        await client.list_batches()
    assert bad.value.status == 302


async def test_slow_server_times_out(demo, demo_api):
    demo_api.faults.delay = 1.0
    async with CheckClient(demo.url, TEST_KEY, timeout=0.2) as api_client:
        with pytest.raises(ApiTimeout) as timed_out:
            await api_client.get_batch("batch_anything")
    assert timed_out.value.status is None
    assert TEST_KEY not in str(timed_out.value)


async def test_nothing_listening_is_a_connection_failure():
    async with CheckClient(f"http://127.0.0.1:{free_port()}", TEST_KEY) as api_client:
        with pytest.raises(ConnectionFailed) as failed:
            await api_client.list_batches()
    assert failed.value.status is None
    assert str(failed.value).startswith("GET /v1/batch")
    assert TEST_KEY not in str(failed.value)


async def test_non_json_success_body_is_a_bad_response(client, demo_api):
    demo_api.faults.body = b"<html>oops</html>"
    demo_api.faults.content_type = "text/html"
    with pytest.raises(BadResponse) as bad:
        await client.list_batches()
    assert bad.value.status == 200
    assert TEST_KEY not in str(bad.value)


@pytest.mark.parametrize("body", [b'{"unexpected": true}', b"[1, 2, 3]", b"null", b""])
@pytest.mark.parametrize("call", ["get_batch", "list_batches", "get_results"])
async def test_wrong_shape_json_is_a_bad_response(client, demo_api, simulator, body, call):
    batch_id = first_with_status(simulator, "completed")
    demo_api.faults.body = body
    args = () if call == "list_batches" else (batch_id,)
    with pytest.raises(BadResponse) as bad:
        await getattr(client, call)(*args)
    assert bad.value.status == 200


async def test_response_larger_than_the_cap_is_not_read(demo, demo_api, simulator):
    batch_id = first_with_status(simulator, "completed")
    body = b'{"id": "batch_big", "name": "' + b"x" * 5000 + b'"}'
    assert len(body) > 5000
    demo_api.faults.body = body
    # The same body is a fine batch for a client with the default cap ...
    async with CheckClient(demo.url, TEST_KEY) as roomy:
        assert (await roomy.get_batch(batch_id)).id == "batch_big"
    # ... and refused by one that reads at most 1000 bytes.
    async with CheckClient(demo.url, TEST_KEY, max_body_bytes=1000) as capped:
        with pytest.raises(BadResponse) as bad:
            await capped.get_batch(batch_id)
    assert "larger than" in str(bad.value)
    assert bad.value.status == 200


async def test_the_client_recovers_once_a_fault_clears(client, demo_api):
    demo_api.faults.status = 503
    with pytest.raises(ServerError):
        await client.list_batches()
    demo_api.faults.status = None
    page = await client.list_batches()
    assert page.batches


async def test_a_malformed_key_does_not_leak_into_the_error_message(demo):
    key = "vfy_secret_part_one\nvfy_secret_part_two"
    async with CheckClient(demo.url, key) as api_client:
        with pytest.raises(ApiError) as failed:
            await api_client.list_batches()
    assert "vfy_secret_part_one" not in str(failed.value)
    assert "vfy_secret_part_two" not in str(failed.value)


async def test_a_non_ascii_key_is_an_api_error_not_a_crash(demo):
    key = "vfy_\u201cpasted\u201d"
    with pytest.raises(ApiError) as failed:
        async with CheckClient(demo.url, key) as api_client:
            await api_client.list_batches()
    assert "pasted" not in str(failed.value)


async def test_client_repr_does_not_show_the_key(demo):
    async with CheckClient(demo.url, TEST_KEY) as api_client:
        assert TEST_KEY not in repr(api_client)
