"""``c`` with batches marked: cancel them all, after one confirmation; one request
each through the monitor, then a table of what became of each."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from textual.widget import Widget

from batch_tui.api.models import Batch
from batch_tui.core.format import plural
from batch_tui.monitor.bulk import FAILED, REQUESTED
from batch_tui.monitor.monitor import BatchMonitor, Snapshot
from batch_tui.ui import workers
from batch_tui.ui.widgets.marks import Marks

if TYPE_CHECKING:
    from batch_tui.ui.dialogs.confirm_bulk_cancel import ConfirmBulkCancel


def split(batches: Sequence[Batch]) -> tuple[list[Batch], list[Batch]]:
    """(those that can be cancelled, those that cannot: finished or of unknown status)."""
    return (
        [batch for batch in batches if batch.is_cancellable],
        [batch for batch in batches if not batch.is_cancellable],
    )


class BulkCancelFlow:
    """Asks once, hands the marked ids to the monitor, and shows each outcome."""

    def __init__(
        self, node: Widget, monitor: BatchMonitor, marks: Marks, marks_changed: Callable[[], None]
    ) -> None:
        self.node = node
        """Where the dialogs are shown from and the cancels' worker runs."""
        self.monitor = monitor
        self.marks = marks
        self.marks_changed = marks_changed
        """Called after the flow changed the marks (to repaint and recount)."""
        self.running = False
        """From the confirmation until the outcome is known: ``c`` starts nothing more."""
        self.dialog: ConfirmBulkCancel | None = None
        """The confirmation, while it is open."""
        self._asked: list[str] = []
        """The marked ids the open confirmation is about."""

    def start(self) -> None:
        """Ask to cancel every marked batch that can be cancelled."""
        if self.running or self.monitor.bulk_cancelling:
            progress = self.monitor.status.cancelling
            doing = f" ({progress.current} of {progress.total})" if progress else ""
            self.node.notify(
                f"Already cancelling the marked batches{doing}; wait for it to finish.",
                severity="warning",
                markup=False,
            )
            return
        snapshots = self.monitor.snapshots
        self.marks.forget([batch_id for batch_id in self.marks if batch_id not in snapshots])
        marked = [snapshots[batch_id].batch for batch_id in self.marks]
        to_cancel, skipped = split(marked)
        if not to_cancel:
            self.marks_changed()
            self.node.notify(
                f"None of the {plural(len(marked), 'marked batch')} can be cancelled: "
                "only pending, validating or processing batches can.",
                severity="warning",
                markup=False,
            )
            return
        # The dialogs are loaded when first shown: the dashboard's start does without.
        from batch_tui.ui.dialogs.confirm_bulk_cancel import ConfirmBulkCancel

        ids = self._asked = [batch.id or "" for batch in (*to_cancel, *skipped)]
        self.dialog = ConfirmBulkCancel(to_cancel, skipped)
        self.node.app.push_screen(
            self.dialog, callback=lambda confirmed: self.answered(ids, confirmed)
        )

    def follow(self, snapshots: Mapping[str, Snapshot]) -> None:
        """Keep an open confirmation's batches, statuses and costs live."""
        if self.dialog is not None:
            asked = [snapshots[i].batch for i in self._asked if i in snapshots]
            self.dialog.show_batches(*split(asked))

    def answered(self, batch_ids: Sequence[str], confirmed: bool | None) -> None:
        """The user's answer: cancel them all, or nothing."""
        self.dialog = None
        if not confirmed:
            self.node.notify("Cancel declined; nothing was sent.", timeout=3)
            return
        self.running = True
        self.marks.clear()
        self.marks_changed()
        workers.start(
            self.node,
            self._cancel(batch_ids),
            what="Cancel of the marked batches",
            about=plural(len(batch_ids), "batch"),
            group="cancel",
        )

    async def _cancel(self, batch_ids: Sequence[str]) -> None:
        try:
            outcomes = await self.monitor.cancel_many(batch_ids)
        except Exception:
            # Which were sent is not known: all stay marked, so c asks again (those
            # that did stop are no longer cancellable, and are left out then). The
            # worker policy tells what failed.
            self.marks.add(batch_ids)
            self.marks_changed()
            raise
        finally:
            self.running = False
        if outcomes is None:  # another was running after all: it reports its own
            return
        # What was not cancelled stays marked, so c tries those again.
        self.marks.add(o.batch_id for o in outcomes if o.outcome in (FAILED, REQUESTED))
        self.marks_changed()
        from batch_tui.ui.dialogs.bulk_outcome import BulkOutcomeScreen

        self.node.app.push_screen(BulkOutcomeScreen(outcomes))
