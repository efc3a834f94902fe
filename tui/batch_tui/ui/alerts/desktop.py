"""Desktop notifications through the terminal: OSC 9 (``desktop``) or OSC 777
(``osc777``), wrapped for tmux's passthrough when ``$TMUX`` is set.

They say what the on-screen alerts say, from the same events. Every piece of text
is cleaned first (no ESC, BEL, ST or other control survives), so a batch name
cannot end the sequence early and send one of its own.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence

from textual.app import App

from batch_tui.monitor.alarms import BatchEvent
from batch_tui.ui.alerts.batcher import Batcher
from batch_tui.ui.alerts.on_screen import (
    alarm_message,
    finished_message,
    stalled_message,
)
from batch_tui.ui.text import clean
from batch_tui.ui.textual_compat import write_to_terminal

#: Up to this many events at once are sent one by one; more become one summary.
MAX_NAMED = 3
#: Titles, by event kind.
TITLES = {"stalled": "Batch stalled", "failure_alarm": "Failure-rate alarm"}


def osc_text(text: str, max_chars: int = 240) -> str:
    """Text that cannot end or escape an OSC string (``clean`` leaves no control)."""
    return clean(text, max_chars=max_chars)


def notification_sequence(title: str, body: str, *, kind: str, tmux: bool) -> str:
    """The escape sequence that asks the terminal for one desktop notification."""
    title, body = osc_text(title, 80), osc_text(body)
    if kind == "osc777":
        # ESC ] 777 ; notify ; title ; body BEL: a ';' in the title would end it.
        sequence = f"\x1b]777;notify;{title.replace(';', ',')};{body}\x07"
    else:
        # ESC ] 9 ; text BEL. The text starts with a word, never with digits and
        # ';', which some terminals read as a different OSC 9 command.
        sequence = f"\x1b]9;{title}: {body}\x07"
    return tmux_passthrough(sequence) if tmux else sequence


def tmux_passthrough(sequence: str) -> str:
    """``sequence`` for tmux to hand to the outer terminal (needs ``allow-passthrough``)."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def event_notice(event: BatchEvent, *, read_only: bool) -> tuple[str, str]:
    """(title, body) for one event: the words of the on-screen alert."""
    if event.kind == "stalled":
        return TITLES["stalled"], stalled_message(event)
    if event.kind == "failure_alarm":
        return TITLES["failure_alarm"], alarm_message(
            event.batch_id, event.batch, read_only=read_only
        )
    return "Batch finished", finished_message(event.batch_id, event.batch)[0]


def summary_notice(events: Sequence[BatchEvent]) -> tuple[str, str]:
    """(title, body) for many events at once: how many of each kind."""
    kinds = Counter(event.kind.replace("_", " ") for event in events)
    parts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    return "Batches", f"{len(events)} batch events: {parts}."


class DesktopNotifier:
    """Sends each change's events as desktop notifications, through the terminal."""

    def __init__(
        self, app: App, kind: str, *, read_only: bool = False, tmux: bool | None = None
    ) -> None:
        self.app = app
        self.kind = kind
        """``none``, ``desktop`` (OSC 9) or ``osc777``."""
        self.read_only = read_only
        self.tmux = bool(os.environ.get("TMUX")) if tmux is None else tmux
        self.sent = 0
        """Notifications sent since start."""
        self._events: Batcher[BatchEvent] = Batcher(app, self._send_all)

    def tell(self, events: Sequence[BatchEvent]) -> None:
        """Gather these events for ``GATHER_SECONDS``, then send them (``flush``)."""
        if self.kind != "none":
            self._events.add(events)

    def flush(self) -> None:
        """Notify the desktop of the events gathered: each, or a burst as one summary."""
        self._events.flush()

    def _send_all(self, events: list[BatchEvent]) -> None:
        if len(events) <= MAX_NAMED:
            notices = [event_notice(e, read_only=self.read_only) for e in events]
        else:
            notices = [summary_notice(events)]
        for title, body in notices:
            self.send(f"batch-tui: {title}", body)

    def send(self, title: str, body: str) -> None:
        """Write one notification's sequence to the terminal, between frames."""
        sequence = notification_sequence(title, body, kind=self.kind, tmux=self.tmux)
        if write_to_terminal(self.app, sequence):
            self.sent += 1
