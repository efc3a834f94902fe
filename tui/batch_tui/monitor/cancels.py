"""What a cancel's answer and the re-read after it mean, together.

The server's answer to ``POST /cancel`` is a claim; the batch read again is the
truth. Only an answer for that batch that says ``cancelled`` and a re-read that
agrees is a cancel done. "Cancellation requested", an answer naming another
batch, or a batch still running after the answer is a request the server holds:
"requested, still running", and the polls go on showing where the batch really is.
"""

from __future__ import annotations

from dataclasses import dataclass

from batch_tui.api.models import TERMINAL_STATUSES, CancelResult
from batch_tui.core.textsafe import clean
from batch_tui.monitor.snapshot import CancelOutcome

#: How much of a server's id or status a message repeats.
QUOTED_CHARS = 60


@dataclass(frozen=True)
class CancelAnswer:
    """What the server said to one cancel that it did not refuse."""

    says_cancelled: bool
    """A readable answer for this batch whose body says ``cancelled``."""
    note: str
    """The server's words (or why they are unclear), for the outcome's message."""
    unclear: bool = False
    """The answer said nothing usable (empty, not JSON, lost in a timeout or a 5xx)."""


def cancel_answer(batch_id: str, result: CancelResult) -> CancelAnswer:
    """Read a 2xx answer to the cancel of ``batch_id``."""
    if not result.confirmed:
        return CancelAnswer(False, "the server's answer to the cancel was empty", unclear=True)
    if result.id is not None and result.id != batch_id:
        named = clean(result.id, max_chars=QUOTED_CHARS)
        return CancelAnswer(False, f"the server's answer named another batch ({named})")
    if result.status != "cancelled":
        said = clean(result.status or "no status", max_chars=QUOTED_CHARS)
        words = f": {result.message}" if result.message else ""
        return CancelAnswer(False, f"the server answered {said}{words}")
    return CancelAnswer(True, result.message or "Batch cancelled")


def unclear_answer(reason: str) -> CancelAnswer:
    """An answer that said nothing usable (``reason``: the error that hid it)."""
    return CancelAnswer(False, f"the answer to the cancel was unclear ({reason})", unclear=True)


def cancel_verdict(batch_id: str, answer: CancelAnswer, status: str | None) -> CancelOutcome:
    """The outcome of a cancel, from the server's answer and the status read after it
    (None: the batch could not be read again)."""
    if status == "cancelled":
        if answer.says_cancelled:
            return CancelOutcome(batch_id, True, answer.note)
        return CancelOutcome(batch_id, True, f"cancelled ({answer.note}; re-reading it shows so)")
    if status is None:
        if answer.unclear:
            message = f"{answer.note}, and the batch could not be re-read: press r to check"
            return CancelOutcome(batch_id, False, message)
        return CancelOutcome(
            batch_id,
            False,
            f"requested ({answer.note}), but the batch could not be re-read to confirm: "
            "press r to check",
            requested=True,
        )
    shown = clean(status, max_chars=QUOTED_CHARS)
    if status in TERMINAL_STATUSES:
        # It finished some other way before the cancel could land.
        return CancelOutcome(batch_id, False, f"{answer.note}; the batch is {shown}")
    if answer.unclear:
        # Still running, and nothing says the cancel ever arrived.
        return CancelOutcome(batch_id, False, f"{answer.note}; the batch is still {shown}")
    return CancelOutcome(
        batch_id,
        False,
        f"requested, but the batch is still {shown} ({answer.note})",
        requested=True,
    )
