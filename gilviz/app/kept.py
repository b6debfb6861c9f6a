"""The results the app holds: the saved ones loaded at start, each finished or failed cell as it
comes (on disk before the next starts), shown in the log and the plot, exported on `x`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from gilviz.analysis import report
from gilviz.analysis.results import Result
from gilviz.analysis.store import ResultStore
from gilviz.app.widgets.plot import SpeedupPlot
from gilviz.app.widgets.results import ResultsLog

Notify = Callable[..., object]
"""The app's notify: a toast for the person at the keyboard."""


class KeptResults:
    """Every result the app shows, in the order they came."""

    def __init__(
        self,
        store: ResultStore | None,
        log: ResultsLog,
        plot: SpeedupPlot,
        workload: Callable[[], str],
        notify: Notify,
    ) -> None:
        self.results: list[Result] = []
        self.store = store
        """None: saving is off, or the file could not take a line (results stay in memory)."""
        self.log, self.plot, self.workload, self.notify = log, plot, workload, notify

    def load_saved(self) -> None:
        if self.store is None:
            return
        loaded = self.store.load()
        for warning in loaded.warnings:
            self.notify(warning, title="results file", severity="warning")
        for result in loaded.results:
            self.show(result)

    def keep(self, result: Result) -> None:
        """Show a new result and append it to the results file."""
        self.show(result)
        if self.store is None:
            return
        try:
            self.store.append(result)
        except OSError as exc:
            self.notify(
                f"Results kept in memory only: cannot write {self.store.path} ({exc.strerror})",
                severity="error",
            )
            self.store = None

    def show(self, result: Result) -> None:
        self.results.append(result)
        self.log.add_result(result)
        self.plot.show_results(self.results, self.workload())

    def plot_workload(self, workload: str) -> None:
        self.plot.show_results(self.results, workload)

    def export(self, folder: Path) -> None:
        """Every result as CSV and Markdown in `folder`, named by the time; says where."""
        base = folder / f"gilviz-results-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
        try:
            base.with_suffix(".csv").write_text(report.to_csv(self.results))
            base.with_suffix(".md").write_text(report.to_markdown(self.results))
        except OSError as exc:
            self.notify(f"export failed: {exc}", severity="error")
            return
        self.notify(f"{len(self.results)} results written to {base}.csv and .md", title="exported")
