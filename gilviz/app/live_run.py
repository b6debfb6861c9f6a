"""The experiment the app is running: its runners (one per Python and switch interval), and
how far it has got, in the words and numbers the progress line shows."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from gilviz.analysis.engine import CellDone, Event, ExperimentRun, Finished
from gilviz.analysis.report import duration_words
from gilviz.app.widgets.cpu import ProbeReading
from gilviz.protocol.events import Calibrated, CellStarted, Hello, Progress
from gilviz.protocol.spec import Variant, sized_alike


@dataclass
class LiveRun:
    """The experiment in progress and what the progress line says about it."""

    run: ExperimentRun
    started: float = field(default_factory=time.monotonic)
    cell: str = "calibrating"
    env: dict[str, object] = field(default_factory=dict)
    """Where the runner runs, from its hello."""
    running: bool = False
    """A cell (not start-up or calibration) is running now."""
    done: int = 0
    """Tasks done in the current cell."""
    probe: ProbeReading | None = None
    queue: list[Variant] = field(default_factory=list)
    """What runs after this runner: the same cells under the other Pythons and intervals."""
    variants: int = 1
    """How many runners the experiment takes in all."""
    done_results: int = 0
    """Results of the runners already finished."""
    done_failures: int = 0
    cell_runs: int = 0
    """Cell runs started so far, over every runner of the experiment."""
    python: str | None = None
    """The Python the runner now runs under (None: gilviz's own)."""
    sizes: dict[str | None, int] = field(default_factory=dict)
    """The task size each Python was calibrated to: its other runners reuse it."""

    @property
    def total(self) -> int:
        """Tasks in each cell."""
        return self.run.spec.tasks

    @property
    def all_tasks(self) -> int:
        """Tasks of the whole experiment: every cell (the baseline too), round and runner."""
        spec = self.run.spec
        return self.variants * len(spec.cells) * (spec.warmup + spec.repeat) * spec.tasks

    @property
    def all_done(self) -> int:
        """Tasks done in the whole experiment: it only ever grows."""
        return max(0, self.cell_runs - 1) * self.total + self.done

    def __post_init__(self) -> None:
        if self.run.spec.size is not None:  # a size was given: nothing to calibrate
            self.cell = "starting"

    def apply(self, event: Event) -> None:
        """What an event changes in the experiment's state (the app draws the rest)."""
        if isinstance(event, Hello):
            self.env = event.env
        elif isinstance(event, Calibrated):
            how = "size" if event.given else "calibrated"
            took = duration_words(event.task_s)
            self.cell = f"{how}: {event.size} {event.unit} a task (~{took});"
            self.sizes.setdefault(self.python, event.size)
        elif isinstance(event, CellStarted):
            self.cell, self.running, self.done = event.cell.label, True, 0
            self.cell_runs += 1
        elif isinstance(event, Progress):
            self.probe = ProbeReading(event.probe_ms, event.probe_queue_ms)
            self.done = event.done
        elif isinstance(event, CellDone):
            self.running = False

    def next_runner(self, finished: Finished) -> ExperimentRun | None:
        """After a runner finished, the next one to start (the next Python or switch
        interval, with its own baseline), or None when the experiment is over."""
        if not self.queue or finished.cancelled or finished.error:
            return None
        python, spec = sized_alike(self.queue.pop(0), self.sizes)
        self.done_results += len(finished.results)
        self.done_failures += len(finished.failures)
        self.run, self.python = ExperimentRun(spec, python), python
        self.cell, self.running, self.env, self.done = "starting", False, {}, 0
        return self.run

    def ending(self, finished: Finished) -> tuple[int, str]:
        """Where the bar ends (failed cells skip rounds) and what the line says, once over."""
        elapsed = self.elapsed()
        if finished.cancelled:
            return self.all_done, f"Cancelled after {elapsed:.1f} s: runner and workers stopped."
        if finished.error:
            return self.all_done, f"Failed: {finished.error}"
        failures = self.done_failures + len(finished.failures)
        results = self.done_results + len(finished.results)
        failed = f", {failures} failed" if failures else ""
        done = f"Done in {elapsed:.1f} s: {results - failures} results{failed}. r runs again."
        return (self.all_tasks if finished.ok else self.all_done), done

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def status(self) -> str:
        tasks = f"{self.done}/{self.total} tasks"
        where = ""
        if self.variants > 1:
            python = str(self.env.get("python", "…"))
            switch = self.run.spec.switch_interval_ms
            interval = "" if switch is None else f", switch {switch:g} ms"
            step = self.variants - len(self.queue)
            where = f" · Python {python}{interval} ({step}/{self.variants})"
        # Whole seconds: at 4 Hz a tenth would repaint the line on every tick.
        return (
            f"Running {self.cell} on {self.run.spec.workload}{where} · {tasks} · "
            f"{self.elapsed():.0f} s"
        )
