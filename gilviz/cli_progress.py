"""What `gilviz run` shows on a terminal: a live progress line, then a table and a plot."""

from __future__ import annotations

import sys
from types import TracebackType

import plotext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gilviz import lanes, report
from gilviz.engine import Calibrated, CellStarted, Event, Hello
from gilviz.engine import Progress as Tick
from gilviz.environment import python_label
from gilviz.results import Result, verdict


class RunDisplay:
    """A rich progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.console = Console(stderr=True)
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.progress.add_task("starting the runner", total=None)

    def __enter__(self) -> RunDisplay:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.enabled:
            self.progress.stop()

    def show(self, event: Event) -> None:
        if not self.enabled:
            return
        if isinstance(event, Hello):
            cores = event.env["usable_cores"]
            self.note(f"runner pid {event.pid}: {python_label(event.env)}, {cores} cores")
        elif isinstance(event, Calibrated):
            self.note(f"task size {event.size} {event.unit} (~{event.task_s:.2f} s alone)")
        elif isinstance(event, CellStarted):
            label = event.cell.label
            self.progress.update(self.task, description=label, completed=0, total=None)
        elif isinstance(event, Tick):
            self.progress.update(self.task, completed=event.done, total=event.total)

    def note(self, text: str) -> None:
        if self.enabled:
            self.console.print(text)
        else:
            print(text, file=sys.stderr)


def print_table(results: list[Result], timelines: bool = False) -> None:
    """A table of the figures, the verdicts in words below it, then the speedup plot; with
    `timelines`, each cell's lanes follow the table."""
    console = Console(width=None if sys.stdout.isatty() else 120)
    table = Table(title=_title(results))
    names = ("executor", "workers", "wall s", "min-max", "speedup", "eff.", "busy", "overlap")
    for name in (*names, "start s"):
        table.add_column(name, justify="left" if name == "executor" else "right")
    table.add_column("probe p99", justify="right")
    table.add_column("ok")
    for r in results:
        table.add_row(
            r.executor,
            str(r.workers),
            f"{r.wall_s:.3f}",
            f"{r.wall_min_s:.3f}-{r.wall_max_s:.3f}",
            report.fmt_ratio(r.speedup),
            report.fmt_ratio(r.efficiency),
            f"{r.parallelism:.2f}",
            report.fmt_ratio(r.overlap),
            f"{r.startup_s:.3f}",
            f"{r.probe_p99_ms:.1f} ms",
            "yes" if r.checksum_ok else "NO",
        )
    console.print(table)
    for r in results:
        console.print(f"- {verdict(r)}", highlight=False)
    if timelines:
        for r in results:
            console.print(_timeline(r, console.width), highlight=False, markup=False)
    if len({r.workers for r in results if r.executor != "serial"}) > 1:
        print(_plot(results))


def _timeline(result: Result, width: int) -> str:
    title = f"\n{result.title}"
    if result.timeline is None or result.overlap is None:
        return f"{title}: no timeline recorded"
    figures = (
        f"overlap {result.overlap:.2f} (busy {result.parallelism:.2f}), "
        f"{result.handoffs_per_s or 0:.0f} hand-offs/s, {result.timeline['span_s']:.2f} s"
    )
    views = lanes.from_stored(result.timeline, max(10, width - 12))
    return lanes.text_block(f"{title}: {figures}", views, width)


def _title(results: list[Result]) -> str:
    if not results:
        return "no results"
    env = results[0].env
    return f"{results[0].workload}: {python_label(env)}, {env.get('usable_cores')} cores"


def _plot(results: list[Result]) -> str:
    plotext.clear_figure()
    plotext.plotsize(72, 18)
    report.draw_speedup(plotext, results, f"speedup vs workers ({results[0].workload})")
    drawn = plotext.build()
    return drawn if sys.stdout.isatty() else plotext.uncolorize(drawn)
