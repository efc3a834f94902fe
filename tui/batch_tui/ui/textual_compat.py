"""Every private part of Textual (8.2) the dashboard relies on, in one place.

Textual has no public way to list or take back the notifications on screen, write
a raw sequence to the terminal, read a screen's bindings as declared, or name the
key a character types. Each is wrapped here, so an upgrade of Textual is checked
against this one module (and tests/test_toast_leaks.py, which pins the leaks).

And a workaround for two ways Textual keeps closed notifications in memory.

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

from collections.abc import Iterator

from textual._styles_cache import StylesCache
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import _character_to_key
from textual.notifications import Notification
from textual.screen import Screen
from textual.widgets._toast import ToastHolder, ToastRack

#: How often closed notifications are released, in seconds.
RELEASE_EVERY = 30.0


def notifications(app: App) -> list[Notification]:
    """The notifications on screen now, oldest first."""
    return list(app._notifications)


def is_exiting(app: App) -> bool:
    """True once the app has been asked to exit (Textual keeps that in a private flag)."""
    return bool(getattr(app, "_exit", False))


def take_back(app: App, notification: Notification) -> None:
    """Take a notification off the screen (the screen is redrawn by ``redraw_notifications``)."""
    app._unnotify(notification, refresh=False)


def redraw_notifications(app: App) -> None:
    """Show the notifications as they are now, after some were taken back."""
    app._refresh_notifications()


def write_to_terminal(app: App, sequence: str) -> bool:
    """Write ``sequence`` to the terminal between frames, as Textual's own bell and
    clipboard copy do (queued behind the frame being written). False: no terminal
    (a headless test)."""
    driver = app._driver
    if driver is None:
        return False
    driver.write(sequence)
    return True


def declared_bindings(node: DOMNode) -> Iterator[list[Binding]]:
    """A node's own bindings as declared, key by key, before any keymap moved them."""
    yield from node._bindings.key_to_bindings.values()


def character_to_key(character: str) -> str:
    """The key name Textual gives a printable character: ``?`` → ``question_mark``."""
    return _character_to_key(character)


def release_closed_toasts(app: App) -> None:
    """Let go of the widgets of notifications that are no longer shown."""
    live = {ToastRack._toast_id(notification) for notification in notifications(app)}
    for screen in app.screen_stack:
        for rack in screen.query_children(ToastRack):
            for holder in rack.query_children(ToastHolder):
                if holder.id not in live:
                    holder.remove()
    StylesCache.get_inner_outer.cache_clear()


def is_going(screen: Screen[object]) -> bool:
    """True while a screen is being closed or is closed (Textual keeps that in private
    flags): work for it must not start any more."""
    return bool(getattr(screen, "_closing", False) or getattr(screen, "_closed", False))
