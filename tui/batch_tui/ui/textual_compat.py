"""A workaround for two ways Textual (8.2) keeps closed notifications in memory.

A dashboard that tells of finishes all day mounts a new toast widget every few
seconds, so whatever Textual keeps of a closed one adds up:

1. ``StylesCache.get_inner_outer`` is a ``functools.lru_cache`` on an instance
   method, so its 1,024 entries hold every widget's ``StylesCache`` (and the
   rendered strips in it) long after the widget is gone
   (https://github.com/Textualize/textual/issues/6665, open).
2. A notification taken back with ``App._unnotify`` (as ``BatchTUI`` does when a
   newer one replaces it) loses its ``Toast``, but the ``ToastHolder`` around it
   stays in the rack for good: only a toast that times out removes its holder.

``release_closed_toasts`` undoes both; the app runs it every ``RELEASE_EVERY``
seconds. Clearing the cache costs a few style look-ups on the next frame. Remove
this module once the pinned Textual fixes both.
"""

from __future__ import annotations

from textual._styles_cache import StylesCache
from textual.app import App
from textual.widgets._toast import ToastHolder, ToastRack

#: How often closed notifications are released, in seconds.
RELEASE_EVERY = 30.0


def release_closed_toasts(app: App) -> None:
    """Let go of the widgets of notifications that are no longer shown."""
    live = {ToastRack._toast_id(notification) for notification in app._notifications}
    for screen in app.screen_stack:
        for rack in screen.query_children(ToastRack):
            for holder in rack.query_children(ToastHolder):
                if holder.id not in live:
                    holder.remove()
    StylesCache.get_inner_outer.cache_clear()
