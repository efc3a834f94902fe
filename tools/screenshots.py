"""Regenerate the screenshots of the README and docs/: the real app on the demo server,
on a frozen clock.

Run from the repository root:  .venv/bin/python tools/screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
# The app keeps its watch list and local store here, never in the user's own state directory.
os.environ.setdefault("BATCH_TUI_STATE_DIR", tempfile.mkdtemp(prefix="batch-tui-state-"))
os.environ["TZ"] = "UTC"  # the history screen's local days
time.tzset()
HERE = Path(__file__).resolve().parent
# The app builders and frozen-clock constants the Pilot tests use live in tests/.
sys.path.insert(0, str(HERE.parent / "tests"))

from apphelpers import (  # noqa: E402
    CHOSEN_COLUMNS,
    highlight_named,
    highlight_status,
    history_shown,
    make_app,
    settled,
    with_history,
)
from batch_tui import session  # noqa: E402
from batch_tui.core.clock import FakeClock  # noqa: E402
from batch_tui.demo.faults import Faults  # noqa: E402
from batch_tui.demo.server import DemoApi, DemoServer  # noqa: E402
from batch_tui.demo.simulator import Simulator  # noqa: E402
from batch_tui.settings.config import resolve_settings  # noqa: E402
from batch_tui.ui.dialogs.bulk_outcome import BulkOutcomeScreen  # noqa: E402
from helpers import EPOCH, SEED, wait_until  # noqa: E402

OUT = HERE.parent / "screenshots"


async def shoot(
    name: str,
    size: tuple[int, int],
    status: str,
    keys: tuple[str, ...] = (),
    options: dict | None = None,
    until: type | None = None,
) -> None:
    """One picture: ``keys`` pressed on the first batch in ``status``, once the app is
    idle (and shows an ``until`` screen); ``options`` for ``make_app`` (chosen columns
    come with two minutes of history, for pace and ETA)."""
    options = options or {}
    clock = FakeClock(EPOCH)
    with DemoServer(
        DemoApi(Simulator(seed=SEED, epoch=EPOCH, clock=clock), rate_limit=200)
    ) as server:
        app = make_app(server, clock, **options)
        async with app.run_test(size=size) as pilot:
            await highlight_status(status)(pilot)
            if "columns" in options:
                await with_history(pilot, clock)
            if keys:
                await pilot.press(*keys)
                await settled(pilot)
            if until is not None:
                await wait_until(lambda: isinstance(app.screen, until), pilot=pilot)
                await settled(pilot)
            app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"wrote screenshots/{name}.svg")


async def shoot_alarm(name: str, faults: str, highlight: str, wait: float) -> None:
    """A batch gone wrong, from a demo fault: ``wait`` seconds on, ``highlight`` shown."""
    clock = FakeClock(EPOCH)
    api = DemoApi(Simulator(seed=SEED, epoch=EPOCH, clock=clock), rate_limit=200)
    api.faults = Faults.parse(faults)
    with DemoServer(api) as server:
        app = make_app(server, clock, stall_after=60.0)
        async with app.run_test(size=(120, 36)) as pilot:
            await settled(pilot)
            clock.advance(wait)
            await pilot.press("r")
            await highlight_named(pilot, highlight)
            app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"wrote screenshots/{name}.svg")


#: The profiles of the switcher's screenshot; staging is the demo server.
PROFILES = """
[profiles.staging]
base_url = "{url}"
api_key = "demo-key"
color = "green"
[profiles.production]
base_url = "https://api.check.ai"
key_env = "PRODUCTION_KEY"
color = "red"
read_only = true
[profiles.acme-client]
base_url = "https://check.acme.example"
key_env = "ACME_KEY"
color = "dark_orange"
"""


async def shoot_profiles(name: str, size: tuple[int, int]) -> None:
    """The profile switcher (P) over the staging profile's dashboard."""
    clock = FakeClock(EPOCH)
    env = {"PRODUCTION_KEY": "k", "ACME_KEY": "k"}
    api = DemoApi(Simulator(seed=SEED, epoch=EPOCH, clock=clock), rate_limit=200)
    # The demo's usual port, so the host shown is the same on every run.
    with DemoServer(api, port=8787) as server, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_text(PROFILES.format(url=server.url), encoding="utf-8")
        path.chmod(0o600)

        def resolve(profile: str):
            return resolve_settings(cli={"config": str(path), "profile": profile}, env=env)

        app = session.make_app(resolve("staging"), clock=clock, resolve=resolve)
        async with app.run_test(size=size) as pilot:
            await highlight_status("processing")(pilot)
            await pilot.press("P")
            await pilot.pause()
            app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"wrote screenshots/{name}.svg")


async def shoot_history(size: tuple[int, int]) -> None:
    """The history screen (h) over a local store of its own, filled by the demo's batches."""
    clock = FakeClock(EPOCH)
    with (
        tempfile.TemporaryDirectory() as state,
        DemoServer(
            DemoApi(Simulator(seed=SEED, epoch=EPOCH, clock=clock), rate_limit=200)
        ) as server,
    ):
        os.environ["BATCH_TUI_STATE_DIR"] = state
        app = make_app(server, clock, store=True)
        async with app.run_test(size=size) as pilot:
            await history_shown(pilot)
            app.clear_notifications()
            await pilot.pause()
            app.save_screenshot(filename="history.svg", path=str(OUT))
    print("wrote screenshots/history.svg")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    await shoot("dashboard-processing", (120, 36), "processing")
    await shoot("dashboard-failed", (120, 36), "failed")
    await shoot("dashboard-80x24", (80, 24), "processing")
    await shoot("cancel-confirm", (120, 36), "processing", ("c",))
    await shoot("cancel-many-confirm", (120, 36), "processing", ("asterisk", "c"))
    await shoot(
        "cancel-many-outcome",
        (120, 36),
        "processing",
        ("asterisk", "c", "y"),
        until=BulkOutcomeScreen,
    )
    await shoot("filter", (120, 36), "processing", ("slash", *"claims"))
    await shoot("results", (120, 36), "processing", ("enter", "j", "j"))
    await shoot("help", (120, 36), "processing", ("question_mark",))
    await shoot("wide", (200, 45), "processing")
    await shoot_profiles("profiles", (120, 36))
    await shoot_history((140, 40))
    await shoot(
        "columns-chosen",
        (120, 36),
        "processing",
        options={"columns": CHOSEN_COLUMNS, "keys": (("cancel", "z"),)},
    )
    await shoot_alarm("stalled", "stall=0.5", "Science news digest", 61)
    await shoot_alarm("incomplete", "unaccounted=0.5", "Earnings call claims", 12)


if __name__ == "__main__":
    asyncio.run(main())
