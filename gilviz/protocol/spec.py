"""What to run: the experiment spec that travels to the runner, and validation of its parts.

Standard library only (the runner imports it). The CLI and the app validate with the same
functions, so a value is accepted or refused with the same words everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

EXECUTORS: dict[str, str] = {
    "serial": "one task after another: the baseline",
    "threads": "thread pool: threads share one GIL",
    "processes": "process pool: a GIL per process",
    "asyncio": "one event loop: overlaps waits only",
    "interpreters": "sub-interpreters: a GIL each (3.14+, or a backport)",
}
START_METHODS = ("fork", "spawn", "forkserver")
PACES: dict[str, str] = {
    "watch": "cells of a few seconds, to watch",
    "quick": "tasks of ~0.2 s, to measure",
}
"""Each pace in a few words (a cell repeats as often as Repeat says)."""
WATCH_WORK_S = 5.0
"""At the watch pace, a cell's tasks add up to about this much work done alone."""
MAX_WORKERS = 512
MAX_TASKS = 1_000_000
MAX_REPEAT = 100
MAX_WARMUP = 10
MAX_SIZE = 10**12


@dataclass(frozen=True)
class Cell:
    """One point of an experiment: an executor with a worker count."""

    executor: str
    workers: int

    @property
    def label(self) -> str:
        """How a person reads it: 'threads x2'."""
        return f"{self.executor} x{self.workers}"


@dataclass(frozen=True)
class ExperimentSpec:
    """A workload measured on one or more cells, with a serial baseline measured first."""

    workload: str
    cells: tuple[Cell, ...]
    tasks: int
    size: int | None = None
    """Task size; None calibrates it so one task takes about 0.2 s alone."""
    repeat: int = 1
    warmup: int = 0
    """Rounds of every cell run first and not kept."""
    start_method: str | None = None
    """For the processes executor; None means the platform's default."""
    fault: Cell | None = None
    """A fault drill: in this executor's cells, task number `workers` (from 0) raises."""
    task_s: float | None = None
    """What calibration aims one task at, alone; None means the quick 0.2 s."""
    timeline: bool = True
    """Record each worker's activity (off only to measure what recording costs)."""
    live: bool = False
    """Stream the timeline while cells run (the app draws it); else it comes with each task."""
    switch_interval_ms: float | None = None
    """sys.setswitchinterval in the runner, in ms; None keeps the interpreter's (5 ms)."""
    gil: bool | None = None
    """PYTHON_GIL for the runner on a free-threaded build; None keeps the build's default."""
    task: str | None = None
    """A function of the user's, 'module:function', called once per input instead of a
    built-in workload (`workload` then holds the same name)."""
    task_path: str = ""
    """The folder the task's module is imported from (where gilviz was run)."""
    setup: str | None = None
    """'module:function' each worker calls once before its first task."""
    inputs: str | None = None
    """'module:name' of the task's inputs (a sequence, an iterable, or a function returning
    one); None gives task i the number i."""
    input_values: str | None = None
    """The inputs themselves, pickled and base64-encoded (gilviz.compare passes objects)."""
    task_timeout_s: float | None = None
    """A cell whose tasks stop returning for this long ends its runner (a thread cannot be
    stopped); the viewer runs the cells left in a fresh one. None waits for ever."""
    trace: bool = False
    """Send every classified interval of each cell's last run (for a trace file); else the
    compact lanes only."""
    echo_probe: bool = False
    """Also time round trips between two threads of the runner (a socket echo) while cells
    run: the latency an I/O thread sees under the cells' load."""
    stacks: bool = False
    """Also sample the task threads' stacks for built-in workloads (a user's function is
    always sampled): their states without the recorder's stamps (`gilviz.measure.stacks`)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExperimentSpec:
        cells = tuple(Cell(**cell) for cell in data["cells"])
        fault = Cell(**data["fault"]) if data.get("fault") else None
        return cls(**{**data, "cells": cells, "fault": fault})

    def with_baseline(self) -> ExperimentSpec:
        """The same spec with serial x 1 first (the baseline speedups are measured against)."""
        baseline = Cell("serial", 1)
        rest = tuple(c for c in self.cells if c != baseline)
        return ExperimentSpec(**{**self.__dict__, "cells": (baseline, *rest)})


Variant = tuple[str | None, ExperimentSpec]
"""A Python (None: gilviz's own) and the spec to run under it: one runner."""


def variants(
    spec: ExperimentSpec,
    pythons: Sequence[str | None] = (),
    switch_ms: Sequence[float | None] = (),
    gils: Sequence[bool | None] = (),
) -> list[Variant]:
    """The spec under each Python, GIL setting and switch interval, in that order (each runs
    in its own runner, with its own baseline); a sweep of intervals times the echo probe."""
    return [
        (python, replace(spec, gil=gil, switch_interval_ms=ms, echo_probe=bool(switch_ms)))
        for python in pythons or (None,)
        for gil in gils or (None,)
        for ms in switch_ms or (None,)
    ]


def sized_alike(variant: Variant, sizes: dict[str | None, int]) -> Variant:
    """The variant with the task size its Python was calibrated to already (`sizes`), so a
    sweep of switch intervals or GIL settings compares the same work."""
    python, spec = variant
    if spec.size is None and python in sizes:
        return python, replace(spec, size=sizes[python])
    return variant


def task_seconds(pace: str, tasks: int, repeat: int = 1) -> float | None:
    """What one task is calibrated to take alone: None is the quick 0.2 s; the watch pace
    spreads WATCH_WORK_S over the tasks of every run, so a serial or GIL-bound cell's runs
    last about that long together."""
    if pace == "quick":
        return None
    return min(2.0, max(0.05, WATCH_WORK_S / (tasks * repeat)))


def sweep_cells(executors: list[str], workers: list[int]) -> tuple[Cell, ...]:
    """Every executor at every worker count (serial only ever needs one worker)."""
    cells: list[Cell] = []
    for executor in executors:
        counts = [1] if executor == "serial" else workers
        cells.extend(Cell(executor, n) for n in counts)
    return tuple(dict.fromkeys(cells))


def default_workers(cores: int) -> list[int]:
    """Powers of two up to the core count, plus the core count itself."""
    counts = {1, cores}
    n = 2
    while n < cores:  # pragma: no mutate (n == cores adds cores, already counted)
        counts.add(n)
        n *= 2
    return sorted(counts)


def parse_count(text: str, what: str, limit: int, minimum: int = 1) -> int:
    """A whole number from `minimum` (1 unless told) to `limit`, or ValueError with a sentence
    a person reads."""
    text = str(text).strip()
    span = f"a whole number from {minimum} to {limit}"
    if not text:
        raise ValueError(f"{what} is empty: give {span}")
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{what} must be {span}, not {text!r}") from None
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, not {value}")
    if value > limit:
        raise ValueError(f"{what} must be at most {limit}, not {value}")
    return value


def parse_counts(text: str, what: str, limit: int) -> list[int]:
    """A comma-separated list of counts, e.g. '1,2,4'."""
    return [parse_count(part, what, limit) for part in str(text).split(",")]


MIN_SWITCH_MS, MAX_SWITCH_MS = 0.01, 1000.0


def parse_switch_intervals(text: str) -> list[float]:
    """Switch intervals in milliseconds, comma-separated, e.g. '0.5,1,5,20,100'."""
    intervals = []
    for part in str(text).split(","):
        try:
            value = float(part)
        except ValueError:
            raise ValueError(
                f"switch interval must be a number of ms, not {part.strip()!r}"
            ) from None
        if not MIN_SWITCH_MS <= value <= MAX_SWITCH_MS:
            raise ValueError(
                f"switch interval must be {MIN_SWITCH_MS}-{MAX_SWITCH_MS:.0f} ms, not {value:g}"
            )
        intervals.append(value)
    return list(dict.fromkeys(intervals))


def parse_gil_settings(text: str) -> list[bool]:
    """'on', 'off' or 'on,off': PYTHON_GIL=1 and =0 for a free-threaded build."""
    settings = [
        parse_choice(part, "GIL setting", ("on", "off")) == "on" for part in str(text).split(",")
    ]
    return list(dict.fromkeys(settings))


def parse_fault(text: str) -> Cell:
    """'EXECUTOR:TASK', e.g. 'threads:2': in that executor's cells, task 2 raises."""
    executor, _, task = str(text).partition(":")
    executor = parse_choice(executor, "executor", list(EXECUTORS))
    return Cell(executor, parse_count(task, "fault task", MAX_TASKS, minimum=0) if task else 0)


def parse_choice(text: str, what: str, choices: list[str] | tuple[str, ...]) -> str:
    """One of `choices`, or ValueError naming the valid ones."""
    value = str(text).strip()
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; choose from: {', '.join(choices)}")
    return value


def parse_task_name(text: str) -> str:
    """'module:attribute', checked for its shape only (the runner imports it), or ValueError."""
    module, colon, attribute = text.strip().partition(":")
    if not colon or not module or not attribute or " " in text.strip():
        raise ValueError(f"{text.strip()!r} is not MODULE:FUNCTION (e.g. mymodule:work)")
    return text.strip()


def is_task_name(workload: str) -> bool:
    """A workload named 'module:function' is a function of the user's."""
    return ":" in workload


MAX_TIMEOUT_S = 86_400.0


def parse_timeout(text: str) -> float:
    """Seconds, above zero and at most a day, or ValueError saying what was wrong."""
    try:
        seconds = float(str(text).strip())
    except ValueError:
        raise ValueError(f"task timeout must be a number of seconds, not {text!r}") from None
    if not 0 < seconds <= MAX_TIMEOUT_S:
        raise ValueError(f"task timeout must be above 0 and at most {MAX_TIMEOUT_S:g} s")
    return seconds
