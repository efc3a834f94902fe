"""``CheckClient``: the one place batch-tui speaks HTTP to the Check batch API.

Every byte a server sends is untrusted, so each request is bounded: a total
deadline however slowly the bytes come, a cap on the decoded body however it is
compressed, a nesting limit on its JSON, and a ceiling on any wait the server
asks for. Every string in an answer loses any echo of the API key before a
model or an error message is built from it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar
from urllib.parse import quote
from urllib.request import getproxies

from batch_tui import __version__
from batch_tui.api.answers import (
    MAX_JSON_DEPTH,
    MAX_RESET_AHEAD,
    MAX_WAIT,
    REDACTED,
    Redactor,
    _TooDeep,
    error_for,
    read_rate_limit,
)
from batch_tui.api.body import ACCEPTED, BadEncoding, BodyTooLarge, BoundedDecoder
from batch_tui.api.errors import (
    ApiTimeout,
    BadResponse,
    ConnectionFailed,
    InvalidBatchId,
    NotFound,
    Unauthorized,
)
from batch_tui.api.http import httpx, load_network_backend
from batch_tui.api.models import (
    Batch,
    BatchPage,
    CancelResult,
    RateLimit,
    ResultsPage,
    batch_id_problem,
)
from batch_tui.api.reading import is_header_safe
from batch_tui.api.transport import DirectTransport

Model = TypeVar("Model")

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_RESET_AHEAD",
    "MAX_WAIT",
    "REDACTED",
    "REQUEST_DEADLINE",
    "CheckClient",
    "is_header_safe",
]


#: ``_request``'s answer for a 2xx whose body is not JSON, where that is allowed.
_UNREADABLE = object()

#: Connect quickly or not at all; give a slow server a little longer to answer.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
#: A response body that decodes to more than this is not read to the end (no sane
#: answer is this big); the cap counts decoded bytes, so compression cannot cheat it.
MAX_BODY_BYTES = 5 * 1024 * 1024
#: A body larger than this is parsed in a worker thread, not on the event loop.
OFFLOAD_BYTES = 256 * 1024
#: Seconds one request may take from start to the last byte, however the server
#: paces it (httpx's timeouts apply to each read, so a trickle would never end).
REQUEST_DEADLINE = 30.0
#: The largest page the list endpoint is asked for when walking every page.
PAGE_SIZE = 100
#: A safety stop for ``list_all_batches`` against a server whose ``hasMore`` never ends.
MAX_PAGES = 1000
#: Built GET requests kept for sending again (the sweeps, the highlighted batch).
PREPARED_KEPT = 64


def _build(make: Callable[[Any], Model], data: Any) -> Model:
    """A model from checked JSON; a RecursionError still becomes a bad response.

    ``_inspect`` already refused deep nesting, so this is the second line of
    defence, for a model that one day recurses where it should not.
    """
    try:
        return make(data)
    except RecursionError:
        raise BadResponse("response nested too deeply to read", status=200) from None


def _size(n: int) -> str:
    """A byte count for a message: ``5 MB``, ``64 KB``, ``1000 bytes``."""
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"


class CheckClient:
    """An async client for the batch endpoints, sharing one connection pool.

    Use it as an async context manager, or call ``aclose()`` when done. Every call
    either returns a model or raises an ``ApiError`` subclass; the latest
    ``X-RateLimit-*`` values are kept in ``rate_limit``.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_body_bytes: int = MAX_BODY_BYTES,
        deadline: float = REQUEST_DEADLINE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        """The service root, e.g. ``https://api.check.ai``."""
        self.max_body_bytes = max_body_bytes
        self.deadline = deadline
        """Seconds one request may take in all, from sending to the last byte."""
        self._clock = clock
        self.rate_limit = RateLimit()
        """The latest rate-limit values the server reported."""
        self._redactor = Redactor(api_key)
        # A key that no HTTP header can carry (a pasted newline or smart quote) is
        # refused here, once, rather than failing deep in the transport with the
        # key in the message.
        self._key_problem = (
            None
            if is_header_safe(api_key)
            else (
                "the API key contains characters an HTTP header cannot carry "
                "(a stray newline, space or quote?)"
            )
        )
        # Straight to the server on asyncio's streams; through httpx's own transport
        # when a proxy is configured (``transport`` module).
        proxied = bool(getproxies())
        if proxied:
            load_network_backend()
        self._direct = None if proxied else DirectTransport()
        """The transport requests go to straight, past the client (None: a proxy)."""
        self._prepared: dict[tuple[str, str, tuple[tuple[str, Any], ...]], httpx.Request] = {}
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {api_key if self._key_problem is None else ''}",
                "User-Agent": f"batch-tui/{__version__}",
                "Accept": "application/json",
                # Only what ``body.BoundedDecoder`` can undo in bounded steps.
                "Accept-Encoding": ACCEPTED,
            },
            follow_redirects=False,
            transport=self._direct,
        )

    def __repr__(self) -> str:
        return f"CheckClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> CheckClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # ── endpoints ────────────────────────────────────────────────────────────

    async def list_batches(
        self, status: str | None = None, limit: int = 20, offset: int = 0
    ) -> BatchPage:
        """One page of ``GET /v1/batch``, optionally filtered by status."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
        try:
            data = await self._request("GET", "/v1/batch", params=params)
        except NotFound as exc:
            # The list always exists: a 404 means the requests go somewhere else.
            hint = (
                "; leave out the trailing /v1 (the paths add it)"
                if self.base_url.endswith("/v1")
                else ""
            )
            raise NotFound(
                f"the base URL looks wrong: GET /v1/batch is not found there (404){hint}",
                status=exc.status,
                code=exc.code,
            ) from None
        self._expect_object(data, "data")
        rows = data["data"]
        # An empty page would read as "no batches": a malformed one must not.
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise BadResponse("list: 'data' is not a list of batch objects", status=200)
        return _build(BatchPage.from_json, data)

    async def iter_batch_pages(
        self, status: str | None = None, page_size: int = PAGE_SIZE
    ) -> AsyncIterator[BatchPage]:
        """Every page of the list endpoint in order, until ``hasMore`` is false."""
        offset = 0
        for _ in range(MAX_PAGES):
            page = await self.list_batches(status=status, limit=page_size, offset=offset)
            yield page
            if not page.pagination.has_more or not page.batches:
                return
            offset += len(page.batches)

    async def list_all_batches(
        self, status: str | None = None, page_size: int = PAGE_SIZE
    ) -> list[Batch]:
        """Every batch the list endpoint knows, walking all pages."""
        batches: list[Batch] = []
        async for page in self.iter_batch_pages(status=status, page_size=page_size):
            batches.extend(page.batches)
        return batches

    async def get_batch(self, batch_id: str) -> Batch:
        """``GET /v1/batch/:id``: one batch with progress, tokens and errors."""
        data = await self._request("GET", self._batch_path(batch_id))
        self._expect_object(data, "id")
        return _build(Batch.from_json, data)

    async def get_results(self, batch_id: str, limit: int = 20, offset: int = 0) -> ResultsPage:
        """One page of ``GET /v1/batch/:id/results``."""
        data = await self._request(
            "GET",
            f"{self._batch_path(batch_id)}/results",
            params={"limit": limit, "offset": offset},
        )
        self._expect_object(data, "items")
        return _build(ResultsPage.from_json, data)

    async def cancel_batch(self, batch_id: str) -> CancelResult:
        """``POST /v1/batch/:id/cancel``; raises ``RequestRejected`` for CANNOT_CANCEL.

        A 2xx without a JSON object (204, plain text) is a cancel the server took
        but did not describe: the result says ``confirmed=False``, and only a new
        read of the batch tells what happened.
        """
        data = await self._request(
            "POST", f"{self._batch_path(batch_id)}/cancel", unreadable_ok=True
        )
        if not isinstance(data, dict):
            return CancelResult(id=batch_id, status=None, message=None, confirmed=False)
        return _build(CancelResult.from_json, data)

    # ── transport ────────────────────────────────────────────────────────────

    @staticmethod
    def _batch_path(batch_id: str) -> str:
        """``/v1/batch/<id>`` with the id as one percent-encoded segment, or InvalidBatchId."""
        problem = batch_id_problem(batch_id) if isinstance(batch_id, str) else "not text"
        if problem is not None:
            shown = ascii(batch_id[:40] if isinstance(batch_id, str) else batch_id)
            raise InvalidBatchId(f"invalid batch id {shown[:60]}: {problem}")
        return f"/v1/batch/{quote(batch_id, safe='')}"

    @staticmethod
    def _expect_object(data: Any, key: str) -> None:
        if not isinstance(data, dict) or key not in data:
            raise BadResponse(f"unexpected response shape (no {key!r} field)", status=200)

    async def _request(
        self, method: str, path: str, *, unreadable_ok: bool = False, **kwargs: Any
    ) -> Any:
        """The parsed JSON of a 2xx answer, or the error it stands for.

        With ``unreadable_ok`` a 2xx without a JSON body gives ``_UNREADABLE``
        instead of raising BadResponse.
        """
        if self._key_problem is not None:
            raise Unauthorized(self._key_problem)
        try:
            async with asyncio.timeout(self.deadline):
                response = await self._send(method, path, kwargs.get("params"))
                try:
                    self.rate_limit = read_rate_limit(
                        response.headers, self.rate_limit, self._clock()
                    )
                    body = await self._read_capped(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise ApiTimeout(
                f"{method} {path}: no complete answer within {self.deadline:g} s"
            ) from None
        except httpx.TimeoutException as exc:
            raise ApiTimeout(f"{method} {path}: no answer in time ({type(exc).__name__})") from None
        except (httpx.TransportError, OSError) as exc:
            reason = self._redactor.redact(str(exc)) or type(exc).__name__
            raise ConnectionFailed(f"{method} {path}: {reason}") from None
        if len(body) > OFFLOAD_BYTES:
            # Parsing megabytes takes long enough to freeze the screen: off the event loop.
            return await asyncio.to_thread(
                self._decode, response, body, unreadable_ok=unreadable_ok
            )
        return self._decode(response, body, unreadable_ok=unreadable_ok)

    async def _send(self, method: str, path: str, params: dict[str, Any] | None) -> httpx.Response:
        """The server's answer, its body not read yet (the caller closes it).

        Straight to the direct transport: httpx's client layer above it (merging
        the URL and headers, cookies, auth and redirect hooks, none of which this
        client uses) cost about as much CPU as the transport itself, on every poll.
        A GET is built by that client once and sent again as it is: it has no body,
        and nothing in it changes between sends.
        """
        if self._direct is None:
            built = self._http.build_request(method, path, params=params)
            return await self._http.send(built, stream=True)
        key = (method, path, tuple(params.items()) if params else ())
        request = self._prepared.get(key)
        if request is None:
            request = self._http.build_request(method, path, params=params)
            if method == "GET":
                if len(self._prepared) >= PREPARED_KEPT:
                    self._prepared.clear()  # the user moved on: build anew what is asked
                self._prepared[key] = request
        response = await self._direct.handle_async_request(request)
        response.request = request
        return response

    async def _read_capped(self, response: httpx.Response) -> bytearray:
        """The decoded body, never holding more than the cap (and a step) of it."""
        status = response.status_code
        try:
            decoder = BoundedDecoder(
                response.headers.get_list("Content-Encoding", split_commas=True),
                self.max_body_bytes,
            )
            # Raw bytes, decoded here in bounded steps: httpx would inflate each
            # chunk whole, and a small chunk can inflate to gigabytes.
            async for chunk in response.aiter_raw():
                decoder.feed(chunk)
            return decoder.finish()
        except BodyTooLarge:
            raise BadResponse(
                f"response larger than {_size(self.max_body_bytes)}; not read", status=status
            ) from None
        except BadEncoding as exc:
            raise BadResponse(f"HTTP {status}: {exc}", status=status) from None

    def _decode(
        self, response: httpx.Response, body: bytes | bytearray, *, unreadable_ok: bool = False
    ) -> Any:
        status = response.status_code
        data: Any = None
        too_deep = False
        if body:
            try:
                data = self._redactor.inspect(json.loads(body), raw=body)
            except (_TooDeep, RecursionError):  # RecursionError: past the parser's own stack
                data, too_deep = None, True
            except ValueError:
                data = None
        if not 200 <= status < 300:
            raise error_for(response, data, self._redactor, self._clock())
        if too_deep:
            raise BadResponse(f"HTTP {status} with JSON nested too deeply to read", status=status)
        if data is None:
            if unreadable_ok:
                return _UNREADABLE
            raise BadResponse(f"HTTP {status} with a body that is not JSON", status=status)
        return data
