"""Idle cost, two versions side by side: benchmark 8's scenario for judging one change.

Not a test (pytest does not collect it). Benchmark 8 (``tools/benchmark.py --only 8``)
reports the idle CPU of batch-tui against a reference Textual app; one run of it on
unchanged code swings by about a tenth, as much as a change worth making. This runs
two versions of batch-tui and the reference at once, in three 140x40
pseudo-terminals against one demo server, over the same seconds, and prints each
one's CPU and each version's ratio to the reference. From the repository root:

    git worktree add /tmp/before HEAD~1
    .venv/bin/python tools/idle_ab.py /tmp/before/tui tui            # store off
    .venv/bin/python tools/idle_ab.py /tmp/before/tui tui --store    # store on

The two arguments are source directories (each holding ``batch_tui``), put first on
the app's ``PYTHONPATH``. Three apps share two cores here, so the absolute figures
are higher than benchmark 8's; compare the two ratios of one run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmark import REFERENCE, PtyApp, demo_server, idle_cost  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="source directory of the first version")
    parser.add_argument("after", type=Path, help="source directory of the second version")
    parser.add_argument("--store", action="store_true", help="with the local store on")
    parser.add_argument("--seconds", type=float, default=120.0, help="measured (default 120)")
    args = parser.parse_args()
    for source in (args.before, args.after):
        if not (source / "batch_tui" / "__init__.py").is_file():
            parser.error(f"{source} holds no batch_tui package")
    options = () if args.store else ("--no-store",)
    with demo_server("--batches", "200", "--active", "20", "--rate-limit", "0") as url:
        apps = []
        for source in (args.before, args.after):
            os.environ["PYTHONPATH"] = str(source.resolve())
            apps.append(PtyApp(url, 2.0, args=options))
        del os.environ["PYTHONPATH"]
        apps.append(PtyApp("", 2.0, command=REFERENCE))
        cpu, _ = idle_cost(apps, args.seconds)
    before, after, reference = cpu
    print(f"reference {reference:.2f}%")
    for name, figure in (("before", before), ("after", after)):
        print(f"{name:9} {figure:.2f}%  {figure / reference:.2f}x the reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
