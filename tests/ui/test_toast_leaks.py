"""Closed notifications leave nothing behind once ``release_closed_toasts`` has run.

Textual keeps the widgets of closed toasts (and their rendered strips) in two
places: an ``lru_cache`` on ``StylesCache.get_inner_outer`` and, for a
notification taken back before it timed out, an empty ``ToastHolder`` in the
rack. A dashboard telling of finishes all day would grow without bound.
"""

from __future__ import annotations

import asyncio
import gc
import heapq
import weakref

from textual.app import App, ComposeResult
from textual.widgets import Static
from textual.widgets._toast import Toast, ToastHolder, ToastRack

from batch_tui.ui.textual_compat import release_closed_toasts
from helpers import wait_until


class _Notifier(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("batches")


def _toasts(app: App) -> list[Toast]:
    # ``query`` rather than ``query_one``: the latter caches its answer on the screen.
    return list(app.screen.query(Toast))


def _drop_cancelled_timers() -> None:
    """asyncio keeps a cancelled timer in its queue until it would have fired, and
    a toast's own (100 s) timer carries a context that refers to the toast: drop
    those, so that only what holds on for good is left."""
    loop = asyncio.get_running_loop()
    scheduled = loop._scheduled  # type: ignore[attr-defined]
    scheduled[:] = [handle for handle in scheduled if not handle.cancelled()]
    heapq.heapify(scheduled)


async def _closed_toasts(release: bool) -> list[weakref.ref]:
    """Show and take back five notifications (the way a newer one replaces an
    older); weak references to what each one drew with, after a collection."""
    app = _Notifier()
    refs: list[weakref.ref] = []
    async with app.run_test(notifications=True) as pilot:
        rack = app.screen.query_one(ToastRack)
        for n in range(5):
            app.notify(f"batch {n} finished", timeout=100)
            await wait_until(lambda: len(_toasts(app)) == 1, pilot=pilot)
            toast = _toasts(app)[0]
            await wait_until(lambda toast=toast: toast.region.height > 0, pilot=pilot)
            refs += [weakref.ref(toast), weakref.ref(toast._styles_cache)]
            del toast
            app.clear_notifications()
            await wait_until(lambda: not _toasts(app), pilot=pilot)
        if release:
            release_closed_toasts(app)
            await wait_until(lambda: not rack.query_children(ToastHolder), pilot=pilot)
        # One more toast drawn: the rack lays out again, forgetting its old children.
        app.notify("still here", timeout=100)
        await wait_until(lambda: any(t.region.height for t in _toasts(app)), pilot=pilot)
        _drop_cancelled_timers()
        gc.collect()
        alive = [ref for ref in refs if ref() is not None]
        assert len(_toasts(app)) == 1, "the live notification stays"
    return alive


async def test_closed_toasts_are_released() -> None:
    assert await _closed_toasts(release=True) == []


async def test_without_the_workaround_textual_keeps_them() -> None:
    # Shows the bug is still there in the pinned Textual: when this fails, Textual
    # has fixed it and ``toast_leaks`` can go.
    assert len(await _closed_toasts(release=False)) == 10
