"""The local store: what the monitor has seen, kept between runs (``sqlite3``, no Textual)."""

from batch_tui.store.db import SCHEMA_VERSION, Store, StoredBatch, StoreUnavailable
from batch_tui.store.location import store_dir, store_path

__all__ = ["SCHEMA_VERSION", "Store", "StoredBatch", "StoreUnavailable", "store_dir", "store_path"]
