"""What `gilviz run` shows on a terminal: a live progress line, then a table and a plot."""

from __future__ import annotations

import sys
from types import TracebackType

import plotext
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gilviz.analysis import lanes, report
from gilviz.analysis.advice import advise
from gilviz.analysis.engine import Event
from gilviz.analysis.results import Result
from gilviz.measure.environment import python_label
from gilviz.protocol.events import Calibrated, CellStarted, Hello
from gilviz.protocol.events import Progress as Tick


class RunDisplay:
    """A rich progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.console = Console(stderr=True, emoji=False)
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
            run = "warm-up" if event.repeat < 0 else f"run {event.repeat + 1}"
            description = f"{event.cell.label} {run}"
            self.progress.update(self.task, description=description, completed=0, total=None)
        elif isinstance(event, Tick):
            self.progress.update(self.task, completed=event.done, total=event.total)

    def note(self, text: str) -> None:
        if self.enabled:
            self.console.print(text)
        else:
            print(text, file=sys.stderr)


TABLE_COLUMNS = (
    "executor",
    "workers",
    "wall s",
    "noise",
    "speedup",
    "eff.",
    "busy",
    "CPU s",
    "overlap",
    "GIL ms",
    "queue ms",
    "status",
)
"""'CPU s' is every process's CPU (pickling included); 'GIL ms' and 'queue ms' split the
probe's p99 lateness into its wait for the GIL and its wait on the OS run queue."""


def print_table(results: list[Result], timelines: bool = False) -> None:
    """For each group of comparable results, a table of the figures and the verdicts in words
    below it; then the speedup plot; with `timelines`, each cell's lanes after its group."""
    console = Console(width=None if sys.stdout.isatty() else 120, emoji=False)
    if not results:
        console.print("no results")
    for label, members in report.grouped(results):
        table = Table(title=label, box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("executor", min_width=len("interpreters"))
        for name in TABLE_COLUMNS[1:]:
            table.add_column(name, justify="right")
        for r in members:
            table.add_row(*_row(r))
        console.print(table)
        for r in members:
            console.print(f"- {r.verdict}", highlight=False)
        console.print(f"→ {advise(members).words}", highlight=False)
        sampled = [line for r in members for line in report.sampled_words(r)]
        if sampled:
            console.print(report.SAMPLED_HEADING, highlight=False)
            for line in sampled:
                console.print(f"  {line}", highlight=False, markup=False)
        if timelines:
            for r in members:
                console.print(_timeline(r, console.width), highlight=False, markup=False)
    sweep = report.switch_sweep_rows(results)
    if sweep:
        table = Table(title="switch interval sweep", box=box.SIMPLE_HEAD, pad_edge=False)
        for name in report.SWITCH_HEADER:
            table.add_column(name, justify="left" if name in ("Python", "cell") else "right")
        for row in sweep:
            table.add_row(*row)
        console.print(table)
    if len({r.workers for r in results if r.executor != "serial"}) > 1:
        print(_plot(results))


def _row(r: Result) -> list[str]:
    if r.error:
        return [r.executor, str(r.workers), *["-"] * (len(TABLE_COLUMNS) - 3), report.flag(r)]
    return [
        r.executor,
        str(r.workers),
        f"{r.wall_s:.3f}",
        report.noise(r),
        report.fmt_ratio(r.speedup),
        report.fmt_ratio(r.efficiency),
        f"{r.parallelism:.2f}",
        "-" if r.process_cpu_s is None else f"{r.process_cpu_s:.2f}",
        report.fmt_ratio(r.overlap),
        report.fmt_ms(r.probe_gil_p99_ms),
        report.fmt_ms(r.probe_queue_p99_ms),
        report.flag(r) or "ok",
    ]


def _timeline(result: Result, width: int) -> str:
    title = f"\n{result.title}"
    if result.timeline is None or result.overlap is None:
        return f"{title}: no timeline recorded"
    figures = f"{report.timeline_words(result)} (busy {result.parallelism:.2f})"
    views = lanes.from_stored(result.timeline, max(10, width - 12))
    return lanes.text_block(f"{title}: {figures}", views, width)


def _plot(results: list[Result]) -> str:
    plotext.clear_figure()
    plotext.plotsize(72, 18)
    workloads = ", ".join(dict.fromkeys(r.workload for r in results))
    report.draw_speedup(plotext, results, f"speedup vs workers ({workloads})")
    drawn = str(plotext.build())
    return drawn if sys.stdout.isatty() else str(plotext.uncolorize(drawn))
