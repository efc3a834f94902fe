"""Building the dashboard against the demo server for Pilot and snapshot tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from rich.color import Color
from rich.segment import Segment
from textual.css.query import NoMatches
from textual.notifications import Notification
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import OptionList

from batch_tui import session
from batch_tui.core.clock import FakeClock, to_datetime
from batch_tui.core.defaults import DEFAULT_COLUMNS
from batch_tui.demo.server import DemoServer
from batch_tui.integrations.watchlist import WatchList
from batch_tui.settings.config import Settings, resolve_settings
from batch_tui.ui import textual_compat
from batch_tui.ui.app import BatchTUI
from batch_tui.ui.dashboard.screen import Dashboard
from batch_tui.ui.dialogs.profiles import ProfilePicker
from batch_tui.ui.screens.history import HistoryScreen
from batch_tui.ui.screens.results import ResultsScreen
from batch_tui.ui.widgets.batch_list import BatchList
from helpers import TEST_KEY, wait_until

#: Long enough that, on a frozen clock, nothing is polled again unless a test asks.
TEST_INTERVAL = 30.0
#: The terminal size of most Pilot tests.
SIZE = (120, 36)


def make_app(
    demo: DemoServer,
    clock: FakeClock,
    *,
    interval: float = TEST_INTERVAL,
    batch_ids: tuple[str, ...] = (),
    status_filter: str | None = None,
    read_only: bool = False,
    bell: bool = True,
    watchlist: WatchList | None = None,
    api_key: str = TEST_KEY,
    timeout: float | None = None,
    store: bool = False,
    warnings: tuple[str, ...] = (),
    columns: tuple[str, ...] = DEFAULT_COLUMNS,
    keys: tuple[tuple[str, str], ...] = (),
    **more: object,
) -> BatchTUI:
    """The real app, built the way the command line builds it (``session.make_app``),
    against the demo server with a frozen clock (``more``: other settings)."""
    settings = Settings(
        api_key=api_key,
        base_url=demo.url,
        interval=interval,
        status=status_filter,
        batch_ids=batch_ids,
        read_only=read_only,
        bell=bell,
        store=store,
        warnings=warnings,
        columns=columns,
        keys=keys,
        # One dashboard polls alone, as conftest's BATCH_TUI_SOLO says (the team
        # tests build their teams themselves).
        **{"solo": True, **more},  # type: ignore[arg-type]
    )
    return session.make_app(settings, clock=clock, watchlist=watchlist, timeout=timeout)


def idle(app: BatchTUI) -> bool:
    """True once the monitor has answered, nothing is due now, and the screen shows
    exactly what the monitor holds: the list's rows, the highlighted batch and the
    status (the monitor's last change has been handled)."""
    monitor = app.monitor
    if (
        monitor.status.last_success is None
        or monitor.busy
        or monitor.next_request() is not None
        or monitor.scheduler.stopped
    ):
        return False
    dashboard = app.dashboard
    try:
        table = dashboard.query_one(BatchList)
    except NoMatches:
        return False
    current = table.current_batch_id
    return (
        table.row_ids == table.view.order(monitor.snapshots)
        and dashboard.highlighted == (monitor.snapshots.get(current) if current else None)
        and dashboard.status == monitor.status
    )


async def settled(pilot: Pilot) -> None:
    """Wait until the screen shows what the monitor holds, and is drawn."""
    await wait_until(lambda: idle(pilot.app), pilot=pilot)
    await pilot.pause()


@asynccontextmanager
async def running(
    demo: DemoServer,
    clock: FakeClock,
    *,
    size: tuple[int, int] = SIZE,
    notifications: bool = False,
    **options,
) -> AsyncIterator[Pilot]:
    """The real app (``make_app`` with ``options``) running at ``size``, once the screen
    shows what the monitor holds."""
    app = make_app(demo, clock, **options)
    async with app.run_test(size=size, notifications=notifications) as pilot:
        await settled(pilot)
        yield pilot


def cell(app: BatchTUI, batch_id: str, column: str) -> str:
    """The text shown in one cell of the batch list."""
    return app.dashboard.query_one(BatchList).cell_text(batch_id, column)


def list_ids(app: BatchTUI) -> list[str]:
    """Batch ids in the order the list shows them."""
    return app.dashboard.query_one(BatchList).row_ids


def screen_strips(app: BatchTUI) -> list[Strip]:
    """Every line on screen as drawn, with its styles: what the terminal gets."""
    # The compositor is private, but it is the one place the whole screen exists
    # as drawn; the tests reach it only here.
    return app.screen._compositor.render_strips()


def screen_text(app: BatchTUI) -> str:
    """Everything on screen, as plain text lines: what a user reads."""
    return "\n".join(strip.text for strip in screen_strips(app))


def detail_row(detail, label: str) -> int:
    """Where the detail pane's row ``label`` starts (the index of its first line)."""
    return next(y for y, line in enumerate(detail.lines) if line.plain.startswith(label))


async def highlight_named(pilot, name: str) -> str:
    """Move the list cursor to the first batch called ``name``, wait until the screen
    shows it, and return its id."""
    app = pilot.app
    table = app.dashboard.query_one(BatchList)
    target = next(i for i, s in app.monitor.snapshots.items() if s.batch.name == name)
    table.move_cursor(table.get_row_index(target))
    await settled(pilot)
    return target


def highlight_status(status: str):
    """A ``run_before`` that waits for data, then moves to the first batch in ``status``."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await settled(pilot)
        table = app.screen.query_one(BatchList)
        target = next(
            batch_id
            for batch_id, snapshot in app.monitor.snapshots.items()
            if snapshot.batch.status == status
        )
        await pilot.press(*(["j"] * table.get_row_index(target)))
        await settled(pilot)

    return run_before


async def history_shown(pilot: Pilot) -> HistoryScreen:
    """Press h and wait until the history screen shows the days and the highlighted
    day's batches, read from the store."""
    app = pilot.app
    await settled(pilot)
    await pilot.press("h")
    await wait_until(
        lambda: isinstance(app.screen, HistoryScreen) and app.screen.shown_day is not None,
        pilot=pilot,
    )
    await pilot.pause()
    return app.screen


#: A ``columns = [...]`` for the picture of chosen columns.
CHOSEN_COLUMNS = (
    "name",
    "status",
    "progress",
    "failed",
    "cost",
    "eta",
    "pace",
    "tokens",
    "created",
    "age",
)


async def with_history(pilot, clock: FakeClock) -> None:
    """Two minutes of polls, so that pace and ETA have something to say; the
    alerts those polls raised, and the ages two minutes on, are shown at once rather
    than a real second later, so a picture never depends on how fast the machine
    drew it."""
    for _ in range(4):
        clock.advance(30)
        pilot.app.monitor.refresh()
        await settled(pilot)
    dashboard = next(s for s in pilot.app.screen_stack if isinstance(s, Dashboard))
    dashboard.alerts.flush()
    dashboard.alerts.tell_stalls()
    await draw_times_now(pilot, clock())


async def draw_times_now(pilot, now: float) -> None:
    """The ages and relative times as the dashboard's real-time tick would show them at
    ``now``, drawn at once rather than whenever a tick falls: a slow machine's tick
    falls inside a picture's run, a fast one's does not."""
    dashboard = next(s for s in pilot.app.screen_stack if isinstance(s, Dashboard))
    dashboard.now = dashboard.moment = now
    dashboard.batch_list.refresh_times(pilot.app.monitor.snapshots, to_datetime(now))
    await settled(pilot)


def notifications(app: BatchTUI) -> list[Notification]:
    """The notifications the app holds, oldest first: what its toasts show or showed
    (read through ``textual_compat``, the one module that knows Textual's private parts)."""
    return textual_compat.notifications(app)


def first_with_status(simulator, status: str) -> dict:
    """The newest batch the simulator shows in this status."""
    rows = simulator.list_json(limit=100)["data"]
    return next(row for row in rows if row["status"] == status)


async def move_to(pilot, batch_id: str) -> None:
    """Move the list cursor down (with j) until it rests on ``batch_id``."""
    table = pilot.app.screen.query_one(BatchList)
    target = table.get_row_index(batch_id)
    await pilot.press(*(["k"] * table.cursor_row))
    await pilot.press(*(["j"] * target))
    await settled(pilot)
    assert table.current_batch_id == batch_id


def posts(demo_api) -> list[str]:
    """The paths the demo server was sent a POST to, in order (cancels)."""
    return [path for method, path in demo_api.request_log if method == "POST"]


async def highlight_where(pilot, predicate) -> str:
    """Move the cursor to the first batch whose snapshot matches, and wait for it."""
    app = pilot.app
    table = app.dashboard.query_one(BatchList)
    target = next(i for i, s in app.monitor.snapshots.items() if predicate(s.batch))
    table.move_cursor(table.get_row_index(target))
    await settled(pilot)
    await wait_until(lambda: app.dashboard.error_rows.has_detail, pilot=pilot)
    await pilot.pause()
    return target


def failed_validation(batch) -> bool:
    """The demo's failed batch: it failed validation (its rows come with its detail)."""
    return batch.status == "failed"


async def open_results(pilot, name: str) -> ResultsScreen:
    """Highlight the batch called ``name``, press Enter and wait for its first page."""
    app = pilot.app
    await highlight_named(pilot, name)
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, ResultsScreen)
    await wait_until(lambda: screen.total is not None, pilot=pilot)
    await pilot.pause()
    return screen


def write_two_profiles(tmp_path: Path, alpha_url: str, beta_url: str) -> Path:
    """A config with profiles alpha (key in the file) and beta (key in $BETA_KEY)."""
    path = tmp_path / "config.toml"
    path.write_text(
        "interval = 30\n"
        f'[profiles.alpha]\nbase_url = "{alpha_url}"\napi_key = "vfy_alpha"\ncolor = "green"\n'
        f'[profiles.beta]\nbase_url = "{beta_url}"\nkey_env = "BETA_KEY"\ncolor = "red"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


@asynccontextmanager
async def dashboard_on(path: Path, clock, profile: str = "alpha", notifications=False):
    """The app as the command line builds it, on ``profile``, able to switch."""
    env = {"BETA_KEY": "vfy_beta"}

    def resolve(name: str):
        return resolve_settings(cli={"config": str(path), "profile": name}, env=env)

    settings = resolve(profile)
    app = session.make_app(
        settings, clock=clock, watchlist=session.profile_watchlist(settings), resolve=resolve
    )
    async with app.run_test(size=SIZE, notifications=notifications) as pilot:
        await settled(pilot)
        yield pilot


async def switch(pilot, name: str) -> None:
    """P, the profile's line, Enter; then wait for its rows."""
    app = pilot.app
    await pilot.press("P")
    await wait_until(lambda: isinstance(app.screen, ProfilePicker), pilot=pilot)
    picker = app.screen
    index = next(i for i, c in enumerate(picker.choices) if c.name == name)
    options = picker.query_one(OptionList)
    steps = index - (options.highlighted or 0)
    await pilot.press(*(["j"] * steps if steps > 0 else ["k"] * -steps), "enter")
    await wait_until(lambda: app.profile == name, pilot=pilot)
    await settled(pilot)


def status_cells(app) -> dict[str, list[Segment]]:
    """Each status word as drawn in the list (off the cursor row, whose colours are the
    cursor's): the segments on screen, with the colours the terminal gets."""
    table = app.dashboard.query_one(BatchList)
    strips = screen_strips(app)
    top = table.region.y + 1 - round(table.scroll_y)  # the row under the header
    drawn: dict[str, list[Segment]] = {}
    for row, batch_id in enumerate(table.row_ids):
        y = top + row
        if row == table.cursor_row or not table.region.y < y < table.region.bottom:
            continue
        status = app.monitor.snapshots[batch_id].batch.status
        words = [segment for segment in strips[y] if segment.text.strip() == status]
        assert words, f"{status} is not written in row {row}"
        drawn.setdefault(status, []).extend(words)
    return drawn


def contrast(foreground: Color, background: Color) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""

    def luminance(color: Color) -> float:
        channels = [c / 255 for c in color.get_truecolor()]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
