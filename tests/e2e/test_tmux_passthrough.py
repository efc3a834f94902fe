"""In a default tmux (passthrough and clipboard off), ``--notify desktop`` and ``y``
say once why nothing will reach the desktop or the clipboard, in a real tmux."""

from __future__ import annotations

import sys

from terminal import clean_env


def test_a_default_tmux_is_named_for_desktop_notifications_and_the_clipboard(tmux, tmp_path):
    tmux.config.write_text("set -s escape-time 10\nset -s set-clipboard external\n")
    tmux.start(f"{sys.executable} -m batch_tui --demo --notify desktop", clean_env(tmp_path))
    tmux.wait_for(lambda s: "connected" in s and "allow-passthrough" in s)
    tmux.keys("y")
    tmux.wait_for(lambda s: "set-clipboard" in s)
    tmux.keys("q")
