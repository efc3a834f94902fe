"""The detail pane: everything ``GET /v1/batch/:id`` says about the highlighted batch."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from batch_tui.format import (
    MISSING,
    clock_time,
    compact,
    count,
    duration,
    mapping,
    money,
    percent,
    relative,
    utc,
    weights,
)
from batch_tui.clock import to_datetime
from batch_tui.monitor.monitor import Snapshot
from batch_tui.ui.styles import status_text
from batch_tui.ui.text import inert


def _when(moment: datetime | None, now: datetime) -> Text:
    if moment is None:
        return Text(MISSING, style="dim")
    text = Text(utc(moment))
    text.append(f"  ({relative(moment, now)})", style="dim")
    return text


def detail_renderable(snapshot: Snapshot | None, now: datetime) -> RenderableType:
    """The pane's content for one snapshot (or the empty state)."""
    if snapshot is None:
        return Text("No batch selected.", style="dim")
    batch = snapshot.batch
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    title = inert(batch.name or "(unnamed batch)", "bold", max_chars=200)
    grid.add_row(Text("Name"), title)
    grid.add_row(Text("ID"), inert(batch.id or MISSING, max_chars=200))
    grid.add_row(Text("Status"), status_text(batch.status))
    if snapshot.is_stale(now.timestamp()):
        warning = Text("stale", style="bold yellow")
        warning.append(f" · last good data {clock_time(to_datetime(snapshot.updated_at))} UTC · ")
        if snapshot.error:
            warning.append_text(inert(snapshot.error, max_chars=300))
        else:
            warning.append(f"not refreshed for {duration(timedelta(seconds=snapshot.age(now.timestamp())))}")
        grid.add_row(Text("Data", style="bold yellow"), warning)
    progress = Text(f"{count(batch.processed_items)} / {count(batch.total_items)}")
    progress.append(f"  ({percent(batch.progress)})", style="dim")
    progress.append("  ✓ ", style="green")
    progress.append(count(batch.success_count))
    progress.append("  ✗ ", style="red")
    progress.append(count(batch.failure_count))
    grid.add_row(Text("Processed"), progress)

    cost = Text(money(batch.total_cost_cents))
    per_item = batch.cost_per_item_cents
    if per_item is not None:
        cost.append(f"  ({money(per_item)} per item)", style="dim")
    grid.add_row(Text("Cost"), cost)

    if snapshot.has_detail:
        tokens = Text(
            f"in {compact(batch.total_input_tokens)} · out {compact(batch.total_output_tokens)}"
        )
        methods = inert(weights(batch.methods_config), max_chars=300)
        context = inert(mapping(batch.context), max_chars=300)
    else:
        tokens = methods = context = Text("loading…", style="dim")
    grid.add_row(Text("Tokens"), tokens)
    grid.add_row(Text("Run time"), Text(duration(batch.run_time(now))))
    grid.add_row(Text("Created"), _when(batch.created_at, now))
    grid.add_row(Text("Started"), _when(batch.started_at, now))
    grid.add_row(Text("Completed"), _when(batch.completed_at, now))
    grid.add_row(Text("Expires"), _when(batch.expires_at, now))

    source = inert(batch.input_format or MISSING)
    if batch.original_file_name:
        source.append(" · ")
        source.append_text(inert(batch.original_file_name, max_chars=200))
    grid.add_row(Text("Input"), source)
    grid.add_row(Text("Methods"), methods)
    grid.add_row(Text("Context"), context)
    if batch.error_message:
        grid.add_row(Text("Error", style="bold red"), inert(batch.error_message, "red", max_chars=1000))
    return grid


class BatchDetail(VerticalScroll):
    """A scrollable pane showing one batch's detail."""

    DEFAULT_CSS = """
    BatchDetail {
        border: round $primary-darken-2;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    BatchDetail > Static {
        width: 1fr;
    }
    """

    def compose(self):
        yield Static(id="detail-body")

    def on_mount(self) -> None:
        self.border_title = "Detail"

    def show(self, snapshot: Snapshot | None, now: datetime) -> None:
        """Show this snapshot (None: the empty state)."""
        self.query_one("#detail-body", Static).update(detail_renderable(snapshot, now))
