"""Regenerate the README's screenshots: the real app on the demo server, on a frozen clock.

Run from the repository root:  .venv/bin/python tests/screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from apphelpers import highlight_status, make_app, settled  # noqa: E402
from batch_tui.clock import FakeClock  # noqa: E402
from batch_tui.demo.server import DemoApi, DemoServer  # noqa: E402
from batch_tui.demo.simulator import Simulator  # noqa: E402
from batch_tui.ui.screens.bulk_outcome import BulkOutcomeScreen  # noqa: E402
from conftest import EPOCH, SEED, wait_until  # noqa: E402

OUT = HERE.parent / "screenshots"


async def shoot(
    name: str,
    size: tuple[int, int],
    status: str,
    keys: tuple[str, ...] = (),
    until: type | None = None,
) -> None:
    """A picture of the app after ``keys``, once it is idle (and shows an ``until`` screen)."""
    clock = FakeClock(EPOCH)
    with DemoServer(
        DemoApi(Simulator(seed=SEED, epoch=EPOCH, clock=clock), rate_limit=200)
    ) as server:
        app = make_app(server, clock)
        async with app.run_test(size=size) as pilot:
            await highlight_status(status)(pilot)
            if keys:
                await pilot.press(*keys)
                await settled(pilot)
            if until is not None:
                await wait_until(lambda: isinstance(app.screen, until), pilot=pilot)
                await settled(pilot)
            app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"wrote screenshots/{name}.svg")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    await shoot("dashboard-processing", (120, 36), "processing")
    await shoot("dashboard-failed", (120, 36), "failed")
    await shoot("dashboard-80x24", (80, 24), "processing")
    await shoot("cancel-confirm", (120, 36), "processing", ("c",))
    await shoot("cancel-many-confirm", (120, 36), "processing", ("asterisk", "c"))
    await shoot(
        "cancel-many-outcome", (120, 36), "processing", ("asterisk", "c", "y"), BulkOutcomeScreen
    )
    await shoot("filter", (120, 36), "processing", ("slash", *"claims"))
    await shoot("results", (120, 36), "processing", ("enter", "j", "j"))
    await shoot("help", (120, 36), "processing", ("question_mark",))
    await shoot("wide", (200, 45), "processing")


if __name__ == "__main__":
    asyncio.run(main())
