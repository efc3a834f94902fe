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
import math
import time
from collections.abc import AsyncIterator, Callable
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

import httpx

from batch_tui import __version__
from batch_tui.api.body import ACCEPTED, BadEncoding, BodyTooLarge, BoundedDecoder
from batch_tui.api.errors import (
    ApiError,
    ApiTimeout,
    BadResponse,
    ConnectionFailed,
    InvalidBatchId,
    NotFound,
    RateLimited,
    RequestRejected,
    ServerError,
    Unauthorized,
)
from batch_tui.api.models import (
    Batch,
    BatchPage,
    CancelResult,
    RateLimit,
    ResultsPage,
    batch_id_problem,
)

Model = TypeVar("Model")


class _TooDeep(Exception):
    """JSON nested deeper than ``MAX_JSON_DEPTH``."""


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
#: JSON nested deeper than this is refused: the API's documents are a few levels
#: deep, and deeper data would only strain every recursive consumer downstream.
MAX_JSON_DEPTH = 64
#: What replaces the API key wherever a server echoes it.
REDACTED = "<redacted>"
#: The largest page the list endpoint is asked for when walking every page.
PAGE_SIZE = 100
#: A safety stop for ``list_all_batches`` against a server whose ``hasMore`` never ends.
MAX_PAGES = 1000
#: The longest wait a server can impose (``Retry-After``, ``retryAfter``), in seconds:
#: a longer one is cut to this, after which we simply ask again.
MAX_WAIT = 300.0
#: A rate-limit window that resets further ahead than this (seconds) is not believed;
#: the API's windows are one minute long.
MAX_RESET_AHEAD = 3600.0
#: ``X-RateLimit-Reset`` at or above this is in milliseconds (1e11 seconds is the year 5138).
MILLISECONDS_ABOVE = 1e11
#: ``X-RateLimit-Reset`` below this is seconds from now (1e9 seconds is September 2001).
DELTA_BELOW = 1e9
#: More requests per window than this is not a believable limit.
MAX_PLAUSIBLE_LIMIT = 10_000_000


def _number_header(headers: httpx.Headers, name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _clamp_wait(seconds: float | None) -> float | None:
    """A server-given wait within [0, MAX_WAIT]; None when it gave none we can use."""
    if seconds is None or math.isnan(seconds):
        return None
    return min(MAX_WAIT, max(0.0, seconds))


def _retry_after_header(headers: httpx.Headers, now: float) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date (the other form the RFC allows)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    seconds = _number_header(headers, "Retry-After")
    if seconds is not None:
        # A negative wait is nonsense; the body may still say something sensible.
        return seconds if seconds >= 0 else None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp() - now


def _retry_after_body(raw: Any) -> float | None:
    """``error.retryAfter`` as seconds; anything but a finite number counts as absent."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    try:
        seconds = float(raw)
    except OverflowError:  # an integer too large for a float: longer than any wait we honour
        return MAX_WAIT
    return seconds if math.isfinite(seconds) else None


def _reset_time(value: float | None, now: float) -> float | None:
    """``X-RateLimit-Reset`` as unix seconds, or None when it cannot be believed.

    The API sends unix seconds; some servers send milliseconds, or seconds from now.
    A window is a minute long, so a reset more than ``MAX_RESET_AHEAD`` away is
    a broken or hostile clock, not a plan to follow. A reset in the past is kept:
    it only says the window is over, and the monitor may run on its own clock.
    """
    if value is None or value < 0:
        return None
    if value >= MILLISECONDS_ABOVE:
        value /= 1000
    elif value < DELTA_BELOW:
        value = now + value
    return value if value <= now + MAX_RESET_AHEAD else None


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


def is_header_safe(api_key: str) -> bool:
    """True when the key can travel in an ``Authorization`` header as it is."""
    return bool(api_key) and api_key.isascii() and api_key.isprintable() and " " not in api_key


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
        # Every form in which a server could echo the key inside a JSON string (JSON
        # escapes are undone by parsing; URL encodings are not).
        self._key_forms = (
            tuple(dict.fromkeys([api_key, quote(api_key, safe=""), quote_plus(api_key, safe="")]))
            if api_key
            else ()
        )
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

    def _redact(self, text: str) -> str:
        """``text`` with every echo of the API key replaced."""
        for form in self._key_forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

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
                async with self._http.stream(method, path, **kwargs) as response:
                    self._read_rate_limit(response.headers)
                    body = await self._read_capped(response)
        except TimeoutError:
            raise ApiTimeout(
                f"{method} {path}: no complete answer within {self.deadline:g} s"
            ) from None
        except httpx.TimeoutException as exc:
            raise ApiTimeout(f"{method} {path}: no answer in time ({type(exc).__name__})") from None
        except (httpx.TransportError, OSError) as exc:
            reason = self._redact(str(exc)) or type(exc).__name__
            raise ConnectionFailed(f"{method} {path}: {reason}") from None
        if len(body) > OFFLOAD_BYTES:
            # Parsing megabytes takes long enough to freeze the screen: off the event loop.
            return await asyncio.to_thread(
                self._decode, response, body, unreadable_ok=unreadable_ok
            )
        return self._decode(response, body, unreadable_ok=unreadable_ok)

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

    def _read_rate_limit(self, headers: httpx.Headers) -> None:
        """Keep the ``X-RateLimit-*`` values that can be believed.

        A value that is missing, unreadable or absurd counts as not sent, so the
        last believable one stays; a negative ``Remaining`` means none is left.
        """
        limit = _number_header(headers, "X-RateLimit-Limit")
        remaining = _number_header(headers, "X-RateLimit-Remaining")
        reset = _reset_time(_number_header(headers, "X-RateLimit-Reset"), self._clock())
        if limit is not None and not 1 <= limit <= MAX_PLAUSIBLE_LIMIT:
            limit = None
        if remaining is not None and remaining > MAX_PLAUSIBLE_LIMIT:
            remaining = None
        if limit is None and remaining is None and reset is None:
            return
        known_limit = int(limit) if limit is not None else self.rate_limit.limit
        left = self.rate_limit.remaining
        if remaining is not None:
            left = max(0, int(remaining))
            if known_limit is not None:
                left = min(left, known_limit)
        self.rate_limit = RateLimit(
            limit=known_limit,
            remaining=left,
            reset=reset if reset is not None else self.rate_limit.reset,
        )

    def _decode(
        self, response: httpx.Response, body: bytes | bytearray, *, unreadable_ok: bool = False
    ) -> Any:
        status = response.status_code
        data: Any = None
        too_deep = False
        if body:
            try:
                data = self._inspect(json.loads(body))
            except (_TooDeep, RecursionError):  # RecursionError: past the parser's own stack
                data, too_deep = None, True
            except ValueError:
                data = None
        if not 200 <= status < 300:
            raise self._error_for(response, data)
        if too_deep:
            raise BadResponse(f"HTTP {status} with JSON nested too deeply to read", status=status)
        if data is None:
            if unreadable_ok:
                return _UNREADABLE
            raise BadResponse(f"HTTP {status} with a body that is not JSON", status=status)
        return data

    def _inspect(self, data: Any) -> Any:
        """Parsed JSON, checked and cleaned before anything else sees it.

        It must nest at most ``MAX_JSON_DEPTH`` levels (raises _TooDeep), and
        every string in it, keys included, loses any echo of the API key. One pass,
        with an explicit stack: no recursion, whatever the server sent.
        """
        forms = self._key_forms
        if isinstance(data, str):
            return self._redact(data)
        if not isinstance(data, (list, dict)):
            return data
        stack: list[tuple[list | dict, int]] = [(data, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_JSON_DEPTH:
                raise _TooDeep
            if isinstance(node, list):
                for index, item in enumerate(node):
                    if isinstance(item, str):
                        if forms:
                            node[index] = self._redact(item)
                    elif isinstance(item, (list, dict)):
                        stack.append((item, depth + 1))
                continue
            renamed = []
            for name, item in node.items():
                if isinstance(item, str):
                    if forms:
                        node[name] = self._redact(item)  # same keys: safe while iterating
                elif isinstance(item, (list, dict)):
                    stack.append((item, depth + 1))
                if forms and self._redact(name) != name:
                    renamed.append(name)
            for name in renamed:
                node[self._redact(name)] = node.pop(name)
        return data

    def _error_for(self, response: httpx.Response, data: Any) -> ApiError:
        status = response.status_code
        code: str | None = None
        message: str | None = None
        retry_after_body: float | None = None
        envelope = data.get("error") if isinstance(data, dict) else None
        if isinstance(envelope, dict):
            raw_code, raw_message = envelope.get("code"), envelope.get("message")
            code = raw_code if isinstance(raw_code, str) else None
            message = raw_message if isinstance(raw_message, str) else None
            retry_after_body = _retry_after_body(envelope.get("retryAfter"))
        elif isinstance(envelope, str):
            message = envelope
        text = message or self._redact(f"HTTP {status} {response.reason_phrase}".strip())
        kwargs = {"status": status, "code": code}
        if status == 404:
            return NotFound(text, **kwargs)
        if status in (401, 403):
            return Unauthorized(text, **kwargs)
        if status == 429:
            retry_after = _retry_after_header(response.headers, self._clock())
            if retry_after is None:
                retry_after = retry_after_body
            return RateLimited(text, retry_after=_clamp_wait(retry_after), **kwargs)
        if status >= 500:
            return ServerError(text, **kwargs)
        if 400 <= status < 500:
            return RequestRejected(text, **kwargs)
        return BadResponse(f"unexpected HTTP {status}", **kwargs)
