"""The Textual apps batch-tui's idle cost and start-up are measured against.

Not a test: ``tools/benchmark.py`` (benchmarks 5 and 8) runs it in a pseudo-terminal
beside the real app, so that what is reported is a ratio to what Textual itself
needs on the same machine, in the same run.

    python tools/reference_app.py            # the dashboard's visible work, nothing else
    python tools/reference_app.py --empty    # one line of text: Textual's start-up floor

The default app does the visible work of an idle dashboard (140x40, interval 2 s,
20 of its rows running): 40 rows, each its own one-line widget, 20 of them given new
text every 2 s and updated only then; and a status line whose clock is redrawn every
second. Every update is ``layout=False``: the text is fixed-size, so the reference
spends what Textual's floor is, not what a careless app would. Its rows read
``batch_…`` so the benchmark sees its first rows the way it sees the dashboard's.
``q`` quits.
"""

from __future__ import annotations

import sys
import time

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

ROWS = 40
CHANGED = 20
POLL = 2.0
TICK = 1.0


class Reference(App[None]):
    """40 one-line rows, 20 of them changed every 2 s, and a status line ticking every second."""

    CSS = """
    Static { height: 1; }
    #status { dock: bottom; background: $panel; }
    """
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self) -> None:
        super().__init__()
        self._polls = 0
        self._next_poll = time.monotonic() + POLL

    def compose(self) -> ComposeResult:
        for row in range(ROWS):
            yield Static(self._row_text(row), id=f"row{row}")
        yield Static(self._status_text(), id="status")

    def _row_text(self, row: int) -> str:
        progress = self._polls * 7 % 1000 if row < CHANGED else 1000
        return f"batch_{row:012x}  Reference row {row:<30}  processing  {progress:>4}/1,000"

    def _status_text(self) -> str:
        left = max(0, round(self._next_poll - time.monotonic()))
        return f"● connected  updated {time.strftime('%H:%M:%S')}  next poll in {left}s  every 2s"

    def on_mount(self) -> None:
        self.set_interval(TICK, self._tick)
        self.set_interval(POLL, self._poll)

    def _tick(self) -> None:
        self.query_one("#status", Static).update(self._status_text(), layout=False)

    def _poll(self) -> None:
        self._polls += 1
        self._next_poll = time.monotonic() + POLL
        for row in range(CHANGED):
            self.query_one(f"#row{row}", Static).update(self._row_text(row), layout=False)


class Empty(App[None]):
    """One line of text and nothing else: Textual's own start-up to a first frame."""

    BINDINGS = [Binding("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static("batch_empty")


if __name__ == "__main__":
    (Empty() if "--empty" in sys.argv[1:] else Reference()).run()
