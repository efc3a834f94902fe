"""Pure display helpers: money, tokens, counts, times and durations as short strings.

They return plain text (never markup) and "—" for anything unknown, so a missing
field shows as missing rather than as a misleading zero.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import humanize

MISSING = "—"
#: The longest duration spelled out: an estimate beyond it means nothing, and
#: a server's absurd counts could otherwise overflow ``timedelta``.
LONGEST = timedelta(days=9999)


def money(cents: float | None) -> str:
    """Cents as dollars, always to the cent: ``250`` → ``$2.50``, ``9`` → ``$0.09``
    (one format, so ``$0.09`` and ``$0.30`` line up); less than a cent, but not
    nothing, is ``<$0.01``."""
    if cents is None:
        return MISSING
    dollars = cents / 100
    sign = "-" if dollars < 0 else ""
    dollars = abs(dollars)
    if 0 < dollars < 0.005:
        return f"{sign}<$0.01"
    return f"{sign}${dollars:,.2f}"


def compact(n: float | None) -> str:
    """A large count in few characters: ``12500`` → ``12.5k``, ``1234567`` → ``1.2M``."""
    if n is None:
        return MISSING
    value = abs(n)
    sign = "-" if n < 0 else ""
    # Units are tried smallest first, so 999,960 rounds to "1M" rather than "1000k".
    if round(value) < 1000:
        return f"{sign}{value:g}"
    for limit, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T")):
        text = f"{value / limit:.1f}"
        if float(text) < 1000 or suffix == "T":
            return f"{sign}{text.removesuffix('.0')}{suffix}"
    raise AssertionError("unreachable")


def plural(count: int, word: str) -> str:
    """``1 batch``, ``3 batches``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}es"


def count(n: int | None) -> str:
    """A count with thousands separators: ``1234`` → ``1,234``."""
    return MISSING if n is None else humanize.intcomma(n)


def percent(fraction: float | None) -> str:
    """A fraction as a whole percentage, rounded down: ``0.589`` → ``58%``."""
    if fraction is None:
        return MISSING
    # Rounded down: a batch at 999 of 1,000 items is not "100%" done.
    return f"{math.floor(fraction * 100 + 1e-9):.0f}%"


def utc(moment: datetime | None) -> str:
    """An absolute UTC time: ``2024-01-15 10:00:00 UTC``."""
    if moment is None:
        return MISSING
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def clock_time(moment: datetime | None) -> str:
    """A UTC time of day, labelled as one (every time shown is UTC): ``10:00:01 UTC``."""
    return MISSING if moment is None else moment.astimezone(UTC).strftime("%H:%M:%S UTC")


def relative(moment: datetime | None, now: datetime) -> str:
    """How long ago (or until) ``moment``: ``3 minutes ago``, ``in a month``."""
    if moment is None:
        return MISSING
    delta = now - moment
    if abs(delta) < timedelta(seconds=1):
        return "just now"
    words = humanize.naturaldelta(abs(delta))
    return f"{words} ago" if delta > timedelta(0) else f"in {words}"


def duration(delta: timedelta | None) -> str:
    """A compact duration: ``45s``, ``2m 29s``, ``1h 02m``, ``3d 4h``."""
    if delta is None:
        return MISSING
    if delta > LONGEST:
        return f"> {LONGEST.days}d"
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return MISSING
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def duration_of(seconds: float | None) -> str:
    """``duration()`` of a number of seconds, which may be absurd: never raises."""
    if seconds is None or math.isnan(seconds) or seconds < 0:
        return MISSING
    if seconds > LONGEST.total_seconds():
        return f"> {LONGEST.days}d"
    return duration(timedelta(seconds=seconds))


def age(moment: datetime | None, now: datetime) -> str:
    """Time since ``moment`` in one unit: ``45s``, ``5m``, ``2h``, ``3d``."""
    if moment is None:
        return MISSING
    seconds = int((now - moment).total_seconds())
    if seconds < 0:
        return "0s"
    for size, unit in ((86_400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def weights(config: dict[str, Any] | None) -> str:
    """``methodsConfig`` as ``reasoning 1, tool 0.5``."""
    if not config:
        return MISSING
    return ", ".join(f"{name} {_scalar(value)}" for name, value in config.items())


def mapping(value: Any) -> str:
    """Free-form JSON (``context``) as ``key=value`` pairs, or its text."""
    if value is None or value == {}:
        return MISSING
    if isinstance(value, dict):
        return ", ".join(f"{key}={_scalar(item)}" for key, item in value.items())
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
