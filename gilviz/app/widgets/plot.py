"""The speedup plot: speedup vs workers for each executor tried, with the ideal line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import events
from textual.containers import Container
from textual.widgets import Static

from gilviz.analysis.report import draw_speedup
from gilviz.analysis.results import Result

if TYPE_CHECKING:
    from textual_plotext import PlotextPlot


MIN_ROWS, MIN_COLUMNS = 7, 30
"""Below this the plot would show a tick or two: it hides and says so instead."""


class SpeedupPlot(Container):
    """A frame whose plotext plot is built after the first frame: plotext takes ~40 ms to import."""

    BORDER_TITLE = "Speedup"
    DEFAULT_CSS = """
    SpeedupPlot #plot-note { color: $text-muted; padding: 1 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.chart: PlotextPlot | None = None
        self._shown: tuple[Sequence[Result], str] = ((), "")
        self._note: str | None = None
        """The words shown instead of a chart ('' for none); None before the first fit."""

    def on_mount(self) -> None:
        self.mount(Static(id="plot-note"))
        self.call_after_refresh(self._build)

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _measured(self) -> list[Result]:
        results, workload = self._shown
        return [r for r in results if r.workload == workload]

    def _fit(self) -> None:
        """The chart, or a line saying why there is none: too small, or nothing measured."""
        note = ""
        if self.size.height < MIN_ROWS or self.size.width < MIN_COLUMNS:
            note = "Too small to plot: a larger window shows it."
        elif not self._measured():
            note = f"Nothing measured on {self._shown[1] or 'this workload'} yet: r runs it."
        if note != self._note:  # each new result fits again: words unchanged cost no layout
            self._note = note
            self.query_one("#plot-note", Static).update(note)
            self.query_one("#plot-note").display = bool(note)
        if self.chart is not None:
            self.chart.display = not note

    def _build(self) -> None:
        from textual_plotext import PlotextPlot

        self.chart = PlotextPlot()
        self.mount(self.chart)
        self._draw()

    def show_results(self, results: Sequence[Result], workload: str) -> None:
        """Plot the results of `workload` (the latest per executor and worker count)."""
        self._shown = (results, workload)
        self._draw()

    def _draw(self) -> None:
        if self.chart is None:
            return
        self._fit()
        workload = self._shown[1]
        self.chart.plt.clear_figure()
        if workload:
            draw_speedup(self.chart.plt, self._measured(), f"{workload}: speedup vs workers")
        self.chart.refresh()
