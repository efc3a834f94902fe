"""Reading untrusted JSON leniently: the one reader every model is built with.

``_Reader`` takes each field in the type it should have or records it as
unusable; ``parse_timestamp`` reads the API's ISO 8601 times; ``batch_id_problem``
says whether a string may travel as a batch id in a URL path, and ``is_header_safe``
whether a key may travel in a header.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

#: Counts, costs and tokens beyond this are not believable: treated as unusable.
ABSURD = 10**15
#: The longest batch id accepted (the API's ids are ``batch_`` and twelve hex digits).
MAX_BATCH_ID_CHARS = 200


def is_header_safe(api_key: str) -> bool:
    """True when the key can travel in an ``Authorization`` header as it is."""
    return bool(api_key) and api_key.isascii() and api_key.isprintable() and " " not in api_key


def batch_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a batch id, or None when it can.

    A batch id becomes one segment of a URL path, so it must be 1 to 200
    printable ASCII characters without spaces or '/', and not '.' or '..' (which
    every URL library resolves as "this" and "the parent" directory, percent
    encoding or not).
    """
    if not value:
        return "it is empty"
    if len(value) > MAX_BATCH_ID_CHARS:
        return f"it is longer than {MAX_BATCH_ID_CHARS} characters"
    if not all("!" <= c <= "~" for c in value):
        return "only printable ASCII characters without spaces are allowed"
    if "/" in value:
        return "it contains '/'"
    if value in (".", ".."):
        return f"{value!r} is a path step, not an id"
    return None


class _Reader:
    """Reads typed values out of one JSON object, noting unusable ones."""

    def __init__(self, data: Any) -> None:
        self.data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        self.bad: list[str] = []

    def _get(self, key: str) -> Any:
        return self.data.get(key)

    def _reject(self, key: str) -> None:
        self.bad.append(key)

    # The usual case (the type it should have) is looked at first: a list page is
    # read at every poll, twenty rows of a dozen fields each.

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # An id sent as a number is still an id; show it rather than drop it.
            return str(value)
        self._reject(key)
        return None

    def integer(self, key: str, *, low: int = 0, high: int = ABSURD) -> int | None:
        """A whole number from ``low`` to ``high``; anything else is unusable."""
        value = self.data.get(key)
        if value is None:
            return None
        if type(value) is int and low <= value <= high:
            return value
        result: int | None = None
        if isinstance(value, bool):
            result = None
        elif isinstance(value, int):
            result = value
        elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
            result = int(value)
        elif isinstance(value, str):
            try:
                result = int(value.strip())
            except ValueError:
                result = None
        if result is None or not low <= result <= high:
            self._reject(key)
            return None
        return result

    def number(self, key: str, *, low: float = 0.0, high: float = ABSURD) -> float | None:
        """A finite number from ``low`` to ``high``; anything else is unusable."""
        value = self._get(key)
        if value is None:
            return None
        result: float | None = None
        try:
            if isinstance(value, bool):
                result = None
            elif isinstance(value, (int, float)):
                result = float(value)
            elif isinstance(value, str):
                result = float(value.strip())
        except (ValueError, OverflowError):  # OverflowError: an integer no float can hold
            result = None
        if result is None or not math.isfinite(result) or not low <= result <= high:
            self._reject(key)
            return None
        return result

    def time(self, key: str) -> datetime | None:
        value = self._get(key)
        if value is None:
            return None
        parsed = parse_timestamp(value)
        if parsed is None:
            self._reject(key)
        return parsed

    def mapping(self, key: str) -> dict[str, Any] | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, Mapping):
            return {str(k): v for k, v in value.items()}
        self._reject(key)
        return None

    def raw(self, key: str) -> Any:
        return self._get(key)

    def array(self, key: str) -> list[Any] | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, list):
            return value
        self._reject(key)
        return None


def parse_timestamp(value: Any) -> datetime | None:
    """Parse an ISO 8601 timestamp into an aware UTC datetime, or return None."""
    if not isinstance(value, str):
        return None
    if len(value) <= REMEMBERED_TIME_CHARS:
        return _remembered_time(value)
    return _parse_time(value)


#: Timestamps up to this long are remembered (an ISO 8601 time is about 30 characters;
#: a server's long strings are not kept).
REMEMBERED_TIME_CHARS = 64


@lru_cache(maxsize=1024)
def _remembered_time(value: str) -> datetime | None:
    """``_parse_time``, remembered: a running batch's times come again at every poll
    (a datetime cannot change, so one copy serves them all)."""
    return _parse_time(value)


def _parse_time(value: str) -> datetime | None:
    if not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # The API speaks UTC; a timestamp without an offset is read as UTC.
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
