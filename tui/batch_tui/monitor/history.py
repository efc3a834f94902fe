"""The local store's daily history as the dashboard reads it (``StoreLink.history``).

Re-exported from the store so the UI, which never imports the store, can name
what it is handed.
"""

from batch_tui.store.db import StoreUnavailable
from batch_tui.store.history import HISTORY_DAYS, DayTotals, FinishedBatch, HistoryReader

__all__ = ["HISTORY_DAYS", "DayTotals", "FinishedBatch", "HistoryReader", "StoreUnavailable"]
