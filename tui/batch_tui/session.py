"""Builds a ready dashboard from settings: client, monitor and app, wired together.

The CLI, the tests and the screenshot script all start the app through here, so
they run the same wiring; the profile switcher (``P``) builds each new
connection through here too (``connect``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from batch_tui.api.client import CheckClient
from batch_tui.core.clock import Clock, system_clock
from batch_tui.core.paths import state_dir_chosen
from batch_tui.hub import HubUnavailable, make_hub
from batch_tui.integrations.watchlist import WatchList, default_path
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.monitor.team import Team
from batch_tui.settings.config import ConfigError, Settings, hook_secrets
from batch_tui.store import Store, StoreUnavailable, store_dir, store_path
from batch_tui.store.db import StoreLocked
from batch_tui.ui.app import BatchTUI
from batch_tui.ui.connection import Connection, Switcher
from batch_tui.ui.dashboard.keymap import resolve_keymap

if TYPE_CHECKING:
    from batch_tui.integrations.hooks import HookRunner


def open_store(settings: Settings) -> tuple[Store | None, str | None, bool]:
    """The local store for these settings, or None with the reason it is off and
    whether that is another program's lock (worth trying again)."""
    if not settings.store or settings.demo:
        return None, None, False  # the demo's batches are invented afresh every run
    try:
        return _store_opener(settings)(), None, False
    except StoreUnavailable as exc:
        return None, str(exc), isinstance(exc, StoreLocked)


def _store_opener(settings: Settings) -> Callable[[], Store]:
    path = store_path(settings.base_url, settings.api_key or "", profile=settings.profile)
    mine = not state_dir_chosen()  # the default state folder is ours to make private
    return lambda: Store.open(path, base_url=settings.base_url, tighten_parent=mine)


def make_team(settings: Settings, *, kind: str, clock: Clock = system_clock) -> Team | None:
    """This process's place in its organisation's team (None: it polls alone, by
    choice with ``--solo``, or for the demo, whose server is its own)."""
    if settings.solo or settings.demo:
        return None
    try:
        hub = make_hub(settings.base_url, settings.api_key or "", settings.hub, store_dir())
    except HubUnavailable as exc:
        raise ConfigError(str(exc)) from None
    return Team(hub, kind=kind, interval=settings.interval, clock=clock)


def make_monitor(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    watch: tuple[str, ...] = (),
    timeout: float | None = None,
    status_filter: str | None = None,
    kind: str = "dashboard",
) -> BatchMonitor:
    """A monitor with its own client and local store for these settings (``timeout``:
    the client's request timeout in seconds, when not its default; ``status_filter``:
    only batches in this status are listed)."""
    client = (
        CheckClient(settings.base_url, settings.api_key or "", clock=clock)
        if timeout is None
        else CheckClient(settings.base_url, settings.api_key or "", clock=clock, timeout=timeout)
    )
    store, problem, locked = open_store(settings)
    monitor = BatchMonitor(
        client,
        interval=settings.interval,
        status_filter=status_filter,
        watch=watch or settings.batch_ids,
        clock=clock,
        headroom=settings.headroom,
        alarm_rate=settings.failure_alarm,
        stall_after=settings.stall_after,
        store=store,
        store_problem=problem,
        team=make_team(settings, kind=kind, clock=clock),
    )
    if locked:
        monitor.store.reopen = _store_opener(settings)  # used once the lock is let go
    if settings.demo:
        monitor.store.unused = "--demo never uses the local store (its batches are new every run)"
    elif not settings.store:
        monitor.store.unused = "the local store is off (--no-store, or store = false in the config)"
    return monitor


def profile_watchlist(settings: Settings) -> WatchList | None:
    """Where these settings' watched ids are remembered: the profile's own file, or
    ``watched.json`` without one; None for the demo (its batches are not worth it)."""
    return None if settings.demo else WatchList(default_path(settings.profile))


def connect(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    watchlist: WatchList | None = None,
    timeout: float | None = None,
) -> Connection:
    """A monitor for these settings and how the dashboard runs on it: it follows the
    remembered ids and, for this run only, the ids named now (``a`` in the dashboard
    remembers one)."""
    watched: tuple[str, ...] = settings.batch_ids
    warnings = list(settings.warnings)
    if watchlist is not None:
        watched = tuple(dict.fromkeys([*watchlist.load(), *settings.batch_ids]))
        if watchlist.problem:
            warnings.append(watchlist.problem)
    return Connection(
        # The dashboard's --status is the list's filter, shown and cleared like one
        # chosen with s; the monitor watches every batch.
        make_monitor(settings, clock=clock, watch=watched, timeout=timeout),
        read_only=settings.read_only,
        bell=settings.bell,
        watchlist=watchlist,
        status=settings.status,
        warnings=tuple(warnings),
        profile=settings.profile,
        profile_color=settings.profile_color,
        columns=settings.columns,
        notify=settings.notify,
        hooks=_hooks(settings),
    )


def _hooks(settings: Settings) -> HookRunner | None:
    """The hook runner for these settings, told every key it must keep from a hook."""
    if not settings.on_event:
        return None
    # Loaded only for a config file that names a hook: most starts need none.
    from batch_tui.integrations.hooks import HookRunner, run_context

    secrets, names = hook_secrets(settings, os.environ)
    return HookRunner(
        settings.on_event,
        secret=settings.api_key,
        secrets=secrets,
        secret_names=names,
        context=run_context(settings.profile, settings.base_url),
    )


def make_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    watchlist: WatchList | None = None,
    timeout: float | None = None,
    resolve: Callable[[str], Settings] | None = None,
) -> BatchTUI:
    """The dashboard app for these settings. ``resolve`` gives another profile's
    settings (as ``--profile NAME`` would): with it, ``P`` switches between the
    config file's profiles, each with its own watch list and store. Keys the config
    file rebinds that cannot be used are a ConfigError."""
    try:
        keymap = resolve_keymap(settings.keys)
    except ConfigError as exc:
        raise ConfigError(f"config file {settings.config_path}: {exc}") from None
    first = connect(settings, clock=clock, watchlist=watchlist, timeout=timeout)
    switcher = None
    if resolve is not None and settings.profiles:
        switcher = Switcher(
            settings.profiles,
            resolve,
            lambda chosen: connect(
                chosen, clock=clock, watchlist=profile_watchlist(chosen), timeout=timeout
            ),
        )
    return BatchTUI(first, clock=clock, switcher=switcher, keymap=keymap)
