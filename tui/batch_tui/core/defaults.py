"""The defaults and bounds every layer agrees on: poll interval, rate headroom, alarm,
the list's columns.

A bottom-layer module (no imports from batch_tui): the settings, the monitor and
the scheduler all read these numbers from here, so none of them has to import
another just to learn a default.
"""

from __future__ import annotations

#: Where the real service lives.
DEFAULT_BASE_URL = "https://api.check.ai"

#: The default poll interval, in seconds: 25 to 40 requests a minute however many
#: batches are active, far inside a Pro key's 200/min.
DEFAULT_INTERVAL = 5.0
#: The shortest and longest poll intervals a user may ask for, in seconds.
MIN_INTERVAL = 0.5
MAX_INTERVAL = 3600.0

#: Share of each window's budget left for the organisation's other clients.
DEFAULT_HEADROOM = 0.2
#: The headroom a user may ask for, in percent.
MIN_HEADROOM_PERCENT = 0.0
MAX_HEADROOM_PERCENT = 90.0

#: A running batch whose failed ÷ processed reaches this share raises the alarm...
DEFAULT_ALARM_RATE = 0.2
#: ...once at least this many items are processed.
DEFAULT_ALARM_MIN_ITEMS = 10
#: The alarm rate a user may ask for, in percent.
MIN_ALARM_PERCENT = 1.0
MAX_ALARM_PERCENT = 100.0

#: Finished batches the dashboard holds in memory beyond those still running (the
#: newest); older ones stay in the local store and come back when scrolled to.
DEFAULT_KEEP_FINISHED = 2000
#: The batch list's columns a config file may name (``columns = [...]``), and the
#: ones shown when it names none. ``id`` is the full id where it fits, else its
#: last six characters. The list's stale mark always comes first.
COLUMN_CHOICES = (
    "id",
    "name",
    "status",
    "progress",
    "ok",
    "failed",
    "cost",
    "age",
    "eta",
    "pace",
    "tokens",
    "created",
    "profile",
)
DEFAULT_COLUMNS = ("id", "name", "status", "progress", "ok", "failed", "cost", "age")

#: A changing batch that has not moved for this many seconds is stalled...
DEFAULT_STALL_AFTER = 600.0
#: ...within these bounds a user may set.
MIN_STALL_AFTER = 10.0
MAX_STALL_AFTER = 7 * 24 * 3600.0
