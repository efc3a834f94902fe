"""Stalls, unaccounted items, desktop notifications and the hook in a real terminal:
the dashboard inside tmux against a demo-server process whose batches go wrong."""

from __future__ import annotations

import json
import sys

from terminal import clean_env, terminal_was_driven

HOOK = "import os, sys; open(sys.argv[1], 'a').write(os.environ['BATCH_EVENT'] + ' ' + os.environ['BATCH_ID'] + '\\n')"


def test_stalls_and_unaccounted_items_are_shown_told_and_hooked(tmux, tmp_path, demo_process):
    url = demo_process("--faults", "stall=1,unaccounted=1")
    events = tmp_path / "events.txt"
    config = tmp_path / "config" / "batch-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f"on_event = {json.dumps([sys.executable, '-c', HOOK, str(events)])}\n")
    config.chmod(0o600)
    # tmux hands the desktop notifications on only with passthrough allowed.
    tmux.config.write_text(tmux.config.read_text() + "set -g allow-passthrough on\n")
    env = {**clean_env(tmp_path), "CHECK_API_KEY": "vfy_test"}
    tmux.start(
        f"{sys.executable} -m batch_tui --base-url {url} --interval 1 --stall-after 10 "
        "--notify desktop",
        env,
    )
    tmux.wait_for(lambda s: "connected" in s and "incomplete" in s)
    tmux.wait_for(lambda s: "stalled" in s and "Batch stalled" in s, timeout=90)
    assert terminal_was_driven(tmux.screen(attributes=True)) == []
    told = events.read_text().split()
    assert "stalled" in told and "completed" not in told  # history finished: no hook
    tmux.keys("q")
