"""The speedup plot: speedup vs workers for each executor tried, with the ideal line."""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

from gilviz.report import draw_speedup
from gilviz.results import Result


class SpeedupPlot(PlotextPlot):
    BORDER_TITLE = "Speedup"

    def show_results(self, results: Sequence[Result], workload: str) -> None:
        """Plot the results of `workload` (the latest per executor and worker count)."""
        self.plt.clear_figure()
        draw_speedup(
            self.plt,
            [r for r in results if r.workload == workload],
            f"{workload}: speedup vs workers",
        )
        self.refresh()
