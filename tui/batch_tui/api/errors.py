"""The client's own exceptions: every failure of a request becomes one of these.

Each carries the HTTP status (None when no response arrived), the server's error
code and its message, so the UI can say exactly what went wrong. None of them ever
holds the API key: messages are built from the response and the path only, and
the client redacts the key from everything a server says.

Errors are shown as ``kind: message``, so a message that starts with its own
kind ("server error: …") is stored without it, and reads once.
"""

from __future__ import annotations

import re


def _without_kind(message: str, kind: str) -> str:
    """``message`` without leading repeats of ``kind:``, unless nothing would be left."""
    pattern = re.compile(rf"\s*{re.escape(kind)}\s*:\s*", re.IGNORECASE)
    rest = message
    while match := pattern.match(rest):
        rest = rest[match.end() :]
    return rest if rest.strip() else message


class ApiError(Exception):
    """A request to the Check API failed.

    This class itself is raised only for failures inside batch-tui (a bug caught
    on its way out); every answer or silence of the server has a subclass.
    """

    #: A short name for the kind of failure, shown in the status line before the message.
    kind = "internal error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        message = _without_kind(message, self.kind)
        super().__init__(message)
        self.message = message
        """What went wrong, in the server's words when it gave any."""
        self.status = status
        """The HTTP status code, or None when no response arrived."""
        self.code = code
        """The server's error code (``error.code`` in the envelope), if any."""

    def __str__(self) -> str:
        return self.message


class NotFound(ApiError):
    """404: the batch (or path) does not exist."""

    kind = "not found"


class InvalidBatchId(NotFound):
    """An id no batch can have (see ``models.batch_id_problem``), refused before any
    request is sent. A NotFound, since no such batch exists."""

    kind = "invalid batch id"


class Unauthorized(ApiError):
    """401 or 403: the key is missing, wrong, or lacks the plan for batches."""

    kind = "unauthorized"


class RateLimited(ApiError):
    """429: the organisation's per-minute budget is spent."""

    kind = "rate limited"

    def __init__(self, message: str, *, retry_after: float | None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        """Seconds to wait before the next request, from ``Retry-After`` or the body,
        always within 0 to ``client.MAX_WAIT``; None when the server gave no usable wait."""


class RequestRejected(ApiError):
    """Another 4xx, such as 400 ``CANNOT_CANCEL``."""

    kind = "rejected"


class ServerError(ApiError):
    """5xx: the service failed; worth retrying later."""

    kind = "server error"


class ApiTimeout(ApiError):
    """No complete answer arrived within the client's timeout."""

    kind = "timeout"


class ConnectionFailed(ApiError):
    """The server could not be reached at all (refused, reset, DNS, TLS)."""

    kind = "connection failed"


class BadResponse(ApiError):
    """The server answered, but not with JSON of the expected shape."""

    kind = "bad response"
