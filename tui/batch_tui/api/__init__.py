"""The Check batch API: an async client, its exceptions and lenient models.

This package imports nothing from Textual, so it can serve scripts, tests and the
demo server as well as the dashboard. ``CheckClient`` is loaded when first asked
for: the models and errors are wanted where HTTP is not (the settings, the demo
server, ``--help``), and the client brings httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    ItemResult,
    Pagination,
    RateLimit,
    ResultsPage,
    ValidationIssue,
    batch_id_problem,
)

if TYPE_CHECKING:
    from batch_tui.api.client import CheckClient


def __getattr__(name: str) -> Any:
    if name == "CheckClient":
        from batch_tui.api.client import CheckClient

        return CheckClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ApiError",
    "ApiTimeout",
    "BadResponse",
    "Batch",
    "BatchPage",
    "CancelResult",
    "CheckClient",
    "ConnectionFailed",
    "InvalidBatchId",
    "ItemResult",
    "NotFound",
    "Pagination",
    "RateLimit",
    "RateLimited",
    "RequestRejected",
    "ResultsPage",
    "ServerError",
    "Unauthorized",
    "ValidationIssue",
    "batch_id_problem",
]
