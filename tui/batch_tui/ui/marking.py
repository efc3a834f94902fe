"""The dashboard's marking keys (Space, ``*``, ``u``) and ``c``, which cancels the
marked batches when there are any and the highlighted one otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batch_tui.ui.bulk_cancel import BulkCancelFlow
from batch_tui.ui.text import plain

if TYPE_CHECKING:
    from batch_tui.monitor.monitor import BatchMonitor, Snapshot
    from batch_tui.ui.cancel_flow import CancelFlow
    from batch_tui.ui.widgets.marked_list import MarkedBatchList


class MarkingMixin:
    """Marks and cancels for the dashboard, which mixes this in."""

    _bulk_cancel: BulkCancelFlow | None = None

    if TYPE_CHECKING:  # what the dashboard provides
        monitor: BatchMonitor
        highlighted: Snapshot | None
        cancel_flow: CancelFlow

        @property
        def batch_list(self) -> MarkedBatchList: ...
        def _follow_status(self) -> None: ...
        def refresh_bindings(self) -> None: ...

    @property
    def bulk_cancel(self) -> BulkCancelFlow:
        """Cancelling the marked batches (made when first wanted: the marks are the list's)."""
        if self._bulk_cancel is None:
            marks = self.batch_list.marks
            self._bulk_cancel = BulkCancelFlow(self, self.monitor, marks, self._marks_changed)  # type: ignore[arg-type]
        return self._bulk_cancel

    def action_cancel_batch(self, _marked: str = "") -> None:
        """Ask to cancel the marked batches, or (none marked) the highlighted one."""
        if self.batch_list.marks or self.bulk_cancel.running:
            self.bulk_cancel.start()
        else:
            self.cancel_flow.start(self.highlighted.batch if self.highlighted else None)

    def busy_cancelling(self) -> bool:
        """True (and said) while a cancel is in flight, of the marked batches or of
        one: a profile switch now would stop it half-way or lose its answer."""
        if self.bulk_cancel.running:
            self.notify(  # type: ignore[attr-defined]
                "Cancelling the marked batches; switch profiles once that is done.",
                severity="warning",
            )
            return True
        if self.cancel_flow.in_flight:
            ids = ", ".join(sorted(self.cancel_flow.in_flight))
            self.notify(  # type: ignore[attr-defined]
                f"Cancelling {plain(ids)}; switch profiles once the server has answered.",
                severity="warning",
                markup=False,
            )
            return True
        return False

    def action_toggle_mark(self) -> None:
        """Space: mark the highlighted batch, or unmark it, and move on to the next
        (marking a run of batches is Space, Space, Space)."""
        batch_id = self.batch_list.current_batch_id
        if batch_id is not None:
            self.batch_list.marks.toggle(batch_id)
            self._marks_changed([batch_id])
            self.batch_list.action_move("down")

    def action_read_only(self, _key: str = "") -> None:
        """``c`` or Space on a read-only dashboard: say why nothing happens."""
        self.notify(  # type: ignore[attr-defined]
            "read-only: cancelling is off (the dashboard was started with --read-only).",
            severity="warning",
            timeout=4,
        )

    def action_mark_shown(self) -> None:
        """``*``: mark every batch the list shows; when all are marked, unmark them."""
        self.batch_list.marks.toggle_all(self.batch_list.row_ids)
        self._marks_changed()

    def action_clear_marks(self) -> None:
        """``u``: unmark every batch."""
        self.batch_list.marks.clear()
        self._marks_changed()

    def _marks_changed(self, batch_ids: list[str] | None = None) -> None:
        self.monitor.keep(self.batch_list.marks)  # marked rows are never let go
        self.batch_list.repaint_marks(batch_ids)
        self._follow_status()
        self.refresh_bindings()  # the footer's c says "Cancel marked" while any are
