"""Reading a server's answer as untrusted input: its rate-limit headers, its JSON, its errors.

Nothing here trusts the server. Header values that are missing, unreadable or
absurd count as not sent; a wait it asks for is cut to ``MAX_WAIT``; its JSON may
nest at most ``MAX_JSON_DEPTH`` levels; and every string in it, keys included,
loses any echo of the API key before anything else sees it.
"""

from __future__ import annotations

import math
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, quote_plus

from batch_tui.api.errors import (
    ApiError,
    BadResponse,
    NotFound,
    RateLimited,
    RequestRejected,
    ServerError,
    Unauthorized,
)
from batch_tui.api.http import httpx
from batch_tui.api.models import RateLimit


class _TooDeep(Exception):
    """JSON nested deeper than ``MAX_JSON_DEPTH``."""


#: JSON nested deeper than this is refused: the API's documents are a few levels
#: deep, and deeper data would only strain every recursive consumer downstream.
MAX_JSON_DEPTH = 64
#: What replaces the API key wherever a server echoes it.
REDACTED = "<redacted>"
#: A key shorter than this is no secret (``CHECK_API_KEY=k`` for the demo): hiding
#: it would cut every such letter out of what the server says, so it is left alone.
MIN_SECRET_CHARS = 8
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


class Redactor:
    """Removes every echo of one API key from what a server sends."""

    def __init__(self, api_key: str) -> None:
        # Every form in which a server could echo the key inside a JSON string (JSON
        # escapes are undone by parsing; URL encodings are not).
        self._key_forms = (
            tuple(dict.fromkeys([api_key, quote(api_key, safe=""), quote_plus(api_key, safe="")]))
            if len(api_key) >= MIN_SECRET_CHARS
            else ()
        )
        self._key_bytes = tuple(form.encode("utf-8", "surrogatepass") for form in self._key_forms)

    def redact(self, text: str) -> str:
        """``text`` with every echo of the API key replaced."""
        for form in self._key_forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def could_echo(self, raw: bytes | bytearray) -> bool:
        """False when no string parsed from the JSON text ``raw`` can hold the key:
        none of its forms is in the bytes, no backslash escape could spell one, and
        the text is not UTF-16 or UTF-32 (which ``json.loads`` also reads, and whose
        ASCII has zero bytes). Searching the bytes once is far cheaper than looking
        at every string."""
        if not self._key_forms:
            return False
        if b"\\" in raw or b"\x00" in raw:
            return True
        return any(form in raw for form in self._key_bytes)

    def inspect(self, data: Any, raw: bytes | bytearray | None = None) -> Any:
        """Parsed JSON, checked and cleaned before anything else sees it.

        It must nest at most ``MAX_JSON_DEPTH`` levels (raises _TooDeep), and
        every string in it, keys included, loses any echo of the API key. One pass,
        with an explicit stack: no recursion, whatever the server sent. Given the
        ``raw`` text it was parsed from, the strings are looked at only when the
        text could hold an echo (``could_echo``); the depth is always checked.
        """
        forms = self._key_forms if raw is None or self.could_echo(raw) else ()
        if isinstance(data, str):
            return self.redact(data)
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
                            node[index] = self.redact(item)
                    elif isinstance(item, (list, dict)):
                        stack.append((item, depth + 1))
                continue
            renamed = []
            for name, item in node.items():
                if isinstance(item, str):
                    if forms:
                        node[name] = self.redact(item)  # same keys: safe while iterating
                elif isinstance(item, (list, dict)):
                    stack.append((item, depth + 1))
                if forms and self.redact(name) != name:
                    renamed.append(name)
            for name in renamed:
                node[self.redact(name)] = node.pop(name)
        return data


def read_rate_limit(headers: httpx.Headers, previous: RateLimit, now: float) -> RateLimit:
    """Keep the ``X-RateLimit-*`` values that can be believed.

    A value that is missing, unreadable or absurd counts as not sent, so the
    last believable one stays; a negative ``Remaining`` means none is left.
    """
    limit = _number_header(headers, "X-RateLimit-Limit")
    remaining = _number_header(headers, "X-RateLimit-Remaining")
    reset = _reset_time(_number_header(headers, "X-RateLimit-Reset"), now)
    if limit is not None and not 1 <= limit <= MAX_PLAUSIBLE_LIMIT:
        limit = None
    if remaining is not None and remaining > MAX_PLAUSIBLE_LIMIT:
        remaining = None
    if limit is None and remaining is None and reset is None:
        return previous
    known_limit = int(limit) if limit is not None else previous.limit
    left = previous.remaining
    if remaining is not None:
        left = max(0, int(remaining))
        if known_limit is not None:
            left = min(left, known_limit)
    return RateLimit(
        limit=known_limit,
        remaining=left,
        reset=reset if reset is not None else previous.reset,
    )


def error_for(response: httpx.Response, data: Any, redactor: Redactor, now: float) -> ApiError:
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
    text = message or redactor.redact(f"HTTP {status} {response.reason_phrase}".strip())
    if status == 404:
        return NotFound(text, status=status, code=code)
    if status in (401, 403):
        return Unauthorized(text, status=status, code=code)
    if status == 429:
        retry_after = _retry_after_header(response.headers, now)
        if retry_after is None:
            retry_after = retry_after_body
        return RateLimited(text, retry_after=_clamp_wait(retry_after), status=status, code=code)
    if status >= 500:
        return ServerError(text, status=status, code=code)
    if 400 <= status < 500:
        return RequestRejected(text, status=status, code=code)
    return BadResponse(f"unexpected HTTP {status}", status=status, code=code)
