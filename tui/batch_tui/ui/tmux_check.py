"""Inside tmux, two things the dashboard writes to the terminal are dropped by a
default configuration: desktop notifications (OSC 9/777, which need
``allow-passthrough``) and the clipboard (OSC 52, which needs ``set-clipboard on``).
tmux can be asked; the user is told once, with the line that fixes it, rather than
left to wonder why nothing happened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache

#: tmux answers in milliseconds; a wedged server must not hold up the dashboard.
ASK_TIMEOUT = 1.0


def _option(name: str) -> str | None:
    """tmux's global value of this option (None: not in tmux, or tmux did not say)."""
    if not os.environ.get("TMUX") or shutil.which("tmux") is None:
        return None
    # A window or session option first (-g); one only set at server level (-s) there.
    for scope in ("-gv", "-sv"):
        try:
            result = subprocess.run(
                ["tmux", "show", scope, name],
                capture_output=True,
                text=True,
                timeout=ASK_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if result.returncode == 0:
            return result.stdout.strip()
    return None


@cache
def passthrough_problem() -> str | None:
    """Why desktop notifications will not get through tmux (None: they will, or not in tmux)."""
    value = _option("allow-passthrough")
    if value is None or value in ("on", "all"):
        return None
    return (
        "tmux drops desktop notifications here (allow-passthrough is off): "
        "run `tmux set -g allow-passthrough on` to let them through."
    )


@cache
def clipboard_problem() -> str | None:
    """Why a copy (OSC 52) will not reach the clipboard through tmux (None: it will)."""
    value = _option("set-clipboard")
    if value is None or value == "on":
        return None
    return (
        f"tmux keeps the copy from the clipboard here (set-clipboard is {value}): "
        "run `tmux set -g set-clipboard on` to let it through."
    )


_told: set[str] = set()


def first_time(problem: str | None) -> str | None:
    """``problem`` the first time it is met in this run, None after (told once)."""
    if problem is None or problem in _told:
        return None
    _told.add(problem)
    return problem
