"""Regenerate the README's screenshots: the real app on the demo server, on a frozen clock.

Run from the repository root:  .venv/bin/python tests/screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from apphelpers import CHOSEN_COLUMNS, highlight_status, make_app, settled, with_history  # noqa: E402
from batch_tui.clock import FakeClock  # noqa: E402
from batch_tui.demo.server import DemoApi, DemoServer  # noqa: E402
from batch_tui.demo.simulator import Simulator  # noqa: E402
from conftest import EPOCH, SEED  # noqa: E402

OUT = HERE.parent / "screenshots"


async def shoot(
    name: str,
    size: tuple[int, int],
    status: str,
    keys: tuple[str, ...] = (),
    options: dict | None = None,
) -> None:
    """One picture: ``keys`` pressed on the first batch in ``status``; ``options`` for
    ``make_app`` (chosen columns come with two minutes of history, for pace and ETA)."""
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
            app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"wrote screenshots/{name}.svg")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    await shoot("dashboard-processing", (120, 36), "processing")
    await shoot("dashboard-failed", (120, 36), "failed")
    await shoot("dashboard-80x24", (80, 24), "processing")
    await shoot("cancel-confirm", (120, 36), "processing", ("c",))
    await shoot("filter", (120, 36), "processing", ("slash", *"claims"))
    await shoot("results", (120, 36), "processing", ("enter", "j", "j"))
    await shoot("help", (120, 36), "processing", ("question_mark",))
    await shoot("wide", (200, 45), "processing")
    # Local time (the created column) is UTC in the picture, wherever it is made.
    os.environ["TZ"] = "UTC"
    time.tzset()
    await shoot(
        "columns-chosen",
        (120, 36),
        "processing",
        options={"columns": CHOSEN_COLUMNS, "keys": (("cancel", "z"),)},
    )


if __name__ == "__main__":
    asyncio.run(main())
