"""One policy for every worker the dashboard starts: they all start here.

A worker that raises ends in Textual's ERROR state, never taking the app down
(``exit_on_error=False``), and ``WorkFailed`` is posted to the node that started
it. The message bubbles up to the app, whose one handler (``BatchTUI.
on_work_failed``) shows a toast naming what failed. A screen waiting on the
worker may listen on the way, to put its own line right (the history's "Reading
the local store…"), and lets the message go on. Nothing is caught and dropped
inside a worker: what a worker expects (the server said no, the store cannot be
read) it shows itself; anything else is a failure, and goes this way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker

from batch_tui.ui.text import plain

ResultType = TypeVar("ResultType")


class WorkFailed(Message):
    """A worker raised: ``what`` it was doing (and ``about`` what) failed."""

    def __init__(self, what: str, about: str, error: BaseException) -> None:
        super().__init__()
        self.what = what
        """What the worker was doing, as a title: "Cancel", "Results page"."""
        self.about = about
        """What it was about (a batch id, a profile), or ""."""
        self.error = error

    @property
    def title(self) -> str:
        """The toast's title: "Cancel failed"."""
        return f"{self.what} failed"

    @property
    def text(self) -> str:
        """The toast's words: "batch_1: internal error: RuntimeError: kaput"."""
        error = self.error
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        told = f"internal error: {reason}"
        return plain(f"{self.about}: {told}" if self.about else told, max_chars=300)


def start(
    node: DOMNode,
    work: Awaitable[ResultType] | Callable[[], ResultType],
    *,
    what: str,
    about: str = "",
    name: str = "",
    group: str = "default",
    exclusive: bool = False,
) -> Worker[ResultType]:
    """Run ``work`` as a worker of ``node`` under the one policy: an awaitable on
    the event loop, or a plain function in a thread (it must not touch widgets)."""

    def failed(error: BaseException) -> None:
        node.post_message(WorkFailed(what, about, error))  # thread-safe in Textual

    runner: Any
    if callable(work):
        function = work

        def runner() -> ResultType:
            try:
                return function()
            except Exception as error:
                failed(error)
                raise  # the worker ends in ERROR, as Textual records it

        thread = True
    else:
        awaitable = work

        async def run() -> ResultType:
            try:
                return await awaitable
            except Exception as error:
                failed(error)
                raise

        runner, thread = run(), False
    return node.run_worker(
        runner,
        name=name or what,
        group=group,
        exclusive=exclusive,
        thread=thread,
        exit_on_error=False,
    )
