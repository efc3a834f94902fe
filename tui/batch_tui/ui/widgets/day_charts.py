"""The history screen's four charts: one bar a day, drawn by Plotext.

Each chart is a title line over a ``PlotextPlot``. Its labels are ours (dates
and figures), never server text. The bars are one column wide whatever the
width, and the y axis names only zero and the highest day, so a chart still
reads at six rows by forty columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from batch_tui.core.format import compact, money
from batch_tui.monitor.history import DayTotals


@dataclass(frozen=True)
class Figure:
    """What one chart shows of each day."""

    title: str
    value: Callable[[DayTotals], float]
    label: Callable[[float], str]
    """A y value as the axis and the title write it."""
    colour: str
    """A Plotext colour name."""
    summary: Callable[[Sequence[DayTotals]], str]
    """The whole period in a few words, beside the title."""


def _rate(days: Sequence[DayTotals]) -> str:
    items = sum(day.items for day in days)
    return f"{sum(day.failed for day in days) / items:.1%}" if items else "no items"


FIGURES: tuple[Figure, ...] = (
    Figure(
        "Batches / day",
        lambda day: day.batches,
        lambda y: compact(round(y)),
        "blue",
        lambda days: f"{sum(day.batches for day in days):,} finished",
    ),
    Figure(
        "Items / day",
        lambda day: day.items,
        lambda y: compact(round(y)),
        "green",
        lambda days: f"{compact(sum(day.items for day in days))} processed",
    ),
    Figure(
        "Failure rate / day",
        lambda day: 100 * (day.failure_rate or 0.0),
        lambda y: f"{y:.0f}%" if y >= 10 or y == 0 else f"{y:.1f}%",
        "red",
        _rate,
    ),
    Figure(
        "Cost / day",
        lambda day: day.cost_cents,
        lambda y: money(y).removesuffix(".00"),
        "orange",
        lambda days: money(sum(day.cost_cents for day in days)),
    ),
)


def tick_label(day: DayTotals) -> str:
    """A day on the x axis: ``01-15``."""
    return day.day.strftime("%m-%d")


class DayChart(Vertical):
    """One figure of every day as bars, oldest on the left, under a title line."""

    DEFAULT_CSS = """
    DayChart {
        height: 1fr;
        min-height: 5;
    }
    DayChart > .chart-title {
        height: 1;
        padding: 0 1;
        text-style: bold;
    }
    DayChart > PlotextPlot {
        height: 1fr;
    }
    """

    def __init__(self, figure: Figure, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.figure = figure

    def compose(self) -> ComposeResult:
        yield Static(Text(self.figure.title), classes="chart-title")
        yield PlotextPlot()

    def show(self, days: Sequence[DayTotals]) -> None:
        """Draw these days (oldest first)."""
        figure = self.figure
        summary = Text(f"{figure.title} · {figure.summary(days)}")
        self.query_one(".chart-title", Static).update(summary)
        values = [float(figure.value(day)) for day in days]
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        plt.frame(False)
        if values:
            positions = list(range(len(values)))
            # A thin bar at each day: Plotext widens it to exactly one column.
            plt.bar(positions, values, width=0.01, marker="sd", color=figure.colour)
            plt.xlim(-0.5, len(values) - 0.5)
            last = len(values) - 1
            ticks = sorted({0.0, float(last // 2), float(last)})
            plt.xticks(ticks, [tick_label(days[int(i)]) for i in ticks])
            top = max(values)
            plt.ylim(0, top or 1)
            plt.yticks(
                [0, top] if top else [0], [figure.label(0)] + ([figure.label(top)] if top else [])
            )
        plot.refresh()
