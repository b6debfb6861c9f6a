"""The speedup plot: speedup vs workers for each executor tried, with the ideal line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import events
from textual.containers import Container
from textual.widgets import Static

from gilviz.report import draw_speedup
from gilviz.results import Result

if TYPE_CHECKING:
    from textual_plotext import PlotextPlot


MIN_ROWS, MIN_COLUMNS = 7, 30
"""Below this the plot would show a tick or two: it hides and says so instead."""


class SpeedupPlot(Container):
    """A frame whose plotext plot is built after the first frame: plotext takes ~40 ms to import."""

    BORDER_TITLE = "Speedup"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.chart: PlotextPlot | None = None
        self._shown: tuple[Sequence[Result], str] = ((), "")

    def on_mount(self) -> None:
        self.mount(Static("Too small to plot: a larger window shows it.", id="plot-too-small"))
        self.call_after_refresh(self._build)

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        small = self.size.height < MIN_ROWS or self.size.width < MIN_COLUMNS
        self.query_one("#plot-too-small").display = small
        if self.chart is not None:
            self.chart.display = not small

    def _build(self) -> None:
        from textual_plotext import PlotextPlot

        self.chart = PlotextPlot()
        self.mount(self.chart)
        self._fit()
        self._draw()

    def show_results(self, results: Sequence[Result], workload: str) -> None:
        """Plot the results of `workload` (the latest per executor and worker count)."""
        self._shown = (results, workload)
        self._draw()

    def _draw(self) -> None:
        if self.chart is None:
            return
        results, workload = self._shown
        self.chart.plt.clear_figure()
        if workload:
            draw_speedup(
                self.chart.plt,
                [r for r in results if r.workload == workload],
                f"{workload}: speedup vs workers",
            )
        self.chart.refresh()
