"""The Check batch API: an async client, its exceptions and lenient models.

This package imports nothing from Textual, so it can serve scripts, tests and the
demo server as well as the dashboard.
"""

from batch_tui.api.client import CheckClient
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
