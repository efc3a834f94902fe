"""RSS over many profile switches (``P``): nothing of an old profile's dashboard may
outlive it. Two demo servers in processes of their own (each profile its own, so
their memory is not counted), the real app under Pilot, ``--switches`` switches
back and forth; the app's RSS printed after warm-up and at the end.

    .venv/bin/python tools/switch_soak.py --switches 100 --active 2000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
os.environ.setdefault("BATCH_TUI_STATE_DIR", tempfile.mkdtemp(prefix="batch-tui-state-"))
os.environ["BATCH_TUI_SOLO"] = "true"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from apphelpers import dashboard_on, switch, write_two_profiles  # noqa: E402
from batch_tui.core.clock import FakeClock  # noqa: E402
from helpers import EPOCH, start_demo_process  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import rss_mb  # noqa: E402


async def main(switches: int, active: int) -> None:
    clock = FakeClock(EPOCH)
    options = ("--batches", str(active + 20), "--active", str(active), "--rate-limit", "0")
    servers = [start_demo_process(*options, "--seed", str(seed)) for seed in (1, 2)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            await run(Path(tmp), clock, [url for _, url in servers], switches)
    finally:
        for process, _ in servers:
            process.kill()
            process.wait()


async def run(tmp: Path, clock: FakeClock, urls: list[str], switches: int) -> None:
    """Switch back and forth between the two profiles, printing RSS on the way."""
    path = write_two_profiles(tmp, urls[0], urls[1])
    async with dashboard_on(path, clock) as pilot:
        names = ["beta", "alpha"]
        warm = 0.0
        for n in range(switches):
            await switch(pilot, names[n % 2])
            if n == 9:
                gc.collect()
                warm = rss_mb()
                print(f"after 10 switches: RSS {warm:.1f} MB", flush=True)
        gc.collect()
        end = rss_mb()
        grown = end - warm
        print(f"after {switches} switches: RSS {end:.1f} MB ({grown:+.1f} MB since switch 10)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=100)
    parser.add_argument("--active", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.switches, args.active))
