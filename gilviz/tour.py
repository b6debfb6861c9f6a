"""The guided tour: the claims people read about the GIL, each tried on this machine.

Each step states a claim in a few sentences, runs one small experiment, and concludes from
what was measured: the claim holds, this run contradicts it (with the measured reason, such as
a free-threaded build), or this machine cannot show it (one usable core, other programs busy).
It never recites the expected answer. The app (`t`) and `gilviz tour` share this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gilviz.pythons import Python
from gilviz.results import Result
from gilviz.spec import Cell, ExperimentSpec, Variant
from gilviz.verdict import NO_GAIN, disturbed, usable_cores, verdict

TASK_S = 0.1
"""Each task's calibrated length: a step takes a few seconds."""


@dataclass(frozen=True)
class Step:
    title: str
    claim: str
    workload: str
    executor: str
    holds: Callable[[Result], bool]
    """Whether the measured result bears the claim out."""
    needs_cores: int = 1
    """Cores the claim needs to show at all (two tasks at once need two)."""


def _threads_no_gain(r: Result) -> bool:
    return (r.speedup or 0.0) < NO_GAIN


def _scales(r: Result) -> bool:
    return (r.speedup or 0.0) >= max(NO_GAIN, 0.6 * min(r.workers, usable_cores(r)))


def _overlaps_waits(r: Result) -> bool:
    return (r.efficiency or 0.0) >= 0.7


def _pays_to_move(r: Result) -> bool:
    return r.bytes_moved > 0 and r.process_cpu_s is not None and r.process_cpu_s > r.cpu_s


def _in_between(r: Result) -> bool:
    return 1.05 <= (r.speedup or 0.0) < 0.9 * r.workers


STEPS: tuple[Step, ...] = (
    Step(
        "CPU-bound threads",
        "Threads do not make pure-Python CPU work faster. The GIL lets one thread run Python "
        "bytecode at a time, so more threads only take turns.",
        "cpu",
        "threads",
        _threads_no_gain,
    ),
    Step(
        "CPU-bound processes",
        "Processes do make it faster. Each process has its own interpreter and its own GIL, "
        "so each can use a core of its own.",
        "cpu",
        "processes",
        _scales,
        needs_cores=2,
    ),
    Step(
        "Sleeping threads",
        "Threads are fine for waiting. A thread that sleeps or waits for I/O lets go of the "
        "GIL, so the waits overlap even on one core.",
        "sleep",
        "threads",
        _overlaps_waits,
    ),
    Step(
        "C code that releases the GIL",
        "Threads can run C code in parallel. hashlib lets go of the GIL while it hashes a "
        "large buffer, so threads hashing use several cores.",
        "hash",
        "threads",
        _scales,
        needs_cores=2,
    ),
    Step(
        "Pickling cost with processes",
        "Processes pay to move data. Arguments and results are pickled, sent through a pipe "
        "and unpickled, which costs CPU the tasks themselves do not use.",
        "payload",
        "processes",
        _pays_to_move,
    ),
    Step(
        "The mixed case",
        "Half computing, half waiting: threads help with the waiting half only, so the "
        "speedup lands between none and the worker count.",
        "mixed",
        "threads",
        _in_between,
    ),
)


@dataclass(frozen=True)
class Outcome:
    """What one step showed on this machine."""

    step: Step
    result: Result | None
    status: str
    """'holds', 'contradicted', 'cannot show' or 'failed'."""
    conclusion: str


def conclude(step: Step, result: Result | None) -> Outcome:
    """The step's conclusion, from the measured result alone."""
    if result is None or result.error:
        reason = result.error if result is not None else "the run did not finish"
        return Outcome(step, result, "failed", f"No conclusion: {reason}.")
    measured = verdict(result)
    if disturbed(result):
        return Outcome(
            step, result, "cannot show", f"This machine was busy, so it cannot say: {measured}."
        )
    cores = usable_cores(result)
    if cores < step.needs_cores:
        return Outcome(
            step,
            result,
            "cannot show",
            f"This machine grants {cores} usable core, so nothing here can run two tasks at "
            f"once and the claim cannot show: {measured}.",
        )
    if step.holds(result):
        return Outcome(step, result, "holds", f"Holds here: {measured}.")
    return Outcome(step, result, "contradicted", f"Not here: {measured}.")


TIMELINE = Step(
    "The timeline",
    "The timeline shows why: CPU-bound threads run one at a time, handing the GIL over "
    "again and again, while processes run side by side.",
    "cpu",
    "threads",
    lambda r: True,  # read from the first two steps' timelines, never run
)


def timeline_outcome(threads: Outcome, processes: Outcome) -> Outcome:
    """The timeline's step reads the timelines of the first two: turns against overlap."""
    step = TIMELINE
    t, p = threads.result, processes.result
    if t is None or p is None or t.overlap is None or p.overlap is None:
        return Outcome(step, None, "failed", "No conclusion: no timeline was recorded.")
    seen = (
        f"threads ran {t.overlap:.2f} at a time with {t.handoffs_per_s or 0:.0f} hand-offs a "
        f"second; processes ran {p.overlap:.2f} at a time"
    )
    if "cannot show" in (threads.status, processes.status):
        return Outcome(step, t, "cannot show", f"This machine cannot show it: {seen}.")
    if t.overlap <= 1.15 and p.overlap >= t.overlap + 0.5:
        return Outcome(step, t, "holds", f"Holds here: {seen}.")
    return Outcome(step, t, "contradicted", f"Not here: {seen}.")


FREE_THREADED = Step(
    "A free-threaded build",
    "A free-threaded build (3.13t, 3.14t) has no GIL, so the same CPU-bound threads as in the "
    "first step run Python side by side.",
    "cpu",
    "threads",
    _scales,
    needs_cores=2,
)
ALL_STEPS = (*STEPS, TIMELINE, FREE_THREADED)
"""Every step, in order: the six that run here, the timeline's, and another interpreter's."""
TITLES = tuple(step.title for step in ALL_STEPS)


def free_threaded(pythons: Sequence[Python]) -> Python | None:
    """The first free-threaded Python that can run the runner, if this machine has one."""
    return next((p for p in pythons if p.free_threaded and p.runs_gilviz), None)


def next_job(outcomes: Sequence[Outcome], cores: int, pythons: Sequence[Python]) -> Variant | None:
    """What the next step runs, or None when it concludes without running anything."""
    n, workers = len(outcomes), tour_workers(cores)
    if n < len(STEPS):
        return None, spec_for(STEPS[n], workers)
    if n == len(TITLES) - 1 and (python := free_threaded(pythons)) is not None:
        return python.path, spec_for(FREE_THREADED, workers)
    return None


def conclude_next(
    outcomes: Sequence[Outcome], results: Sequence[Result] | None, pythons: Sequence[Python]
) -> Outcome:
    """The next step's outcome, from the results of its run (None: it ran nothing)."""
    n = len(outcomes)
    if n == len(STEPS):
        return timeline_outcome(outcomes[0], outcomes[1])
    step = STEPS[n] if n < len(STEPS) else FREE_THREADED
    if step is FREE_THREADED and results is None:
        found = ", ".join(p.label for p in pythons if p.runs_gilviz) or "none"
        return Outcome(
            step,
            None,
            "cannot show",
            f"No free-threaded Python was found on this machine (found: {found}), so it "
            "cannot show here: install one (python3.13t) and gilviz list will show it.",
        )
    cell = next((r for r in results or () if r.executor == step.executor), None)
    return conclude(step, cell)


def spec_for(step: Step, workers: int) -> ExperimentSpec:
    """A small experiment for one step: the baseline and one cell."""
    return ExperimentSpec(
        step.workload, (Cell(step.executor, workers),), tasks=2 * workers, task_s=TASK_S
    )


def tour_workers(cores: int) -> int:
    """Two workers at least (so one core can contradict a claim), four at most (quick)."""
    return max(2, min(4, cores))


def run_tour(
    run: Callable[[ExperimentSpec, str | None], Sequence[Result]],
    cores: int,
    pythons: Sequence[Python] = (),
) -> list[Outcome]:
    """Every step in order, each run with `run` (a spec and a Python to its results)."""
    outcomes: list[Outcome] = []
    while len(outcomes) < len(TITLES):
        job = next_job(outcomes, cores, pythons)
        results = run(job[1], job[0]) if job else None
        outcomes.append(conclude_next(outcomes, results, pythons))
    return outcomes


def to_markdown(outcomes: Sequence[Outcome]) -> str:
    """Each step's claim and conclusion, then a closing table of all steps."""
    parts = ["# The gilviz tour\n"]
    for n, o in enumerate(outcomes, 1):
        parts.append(f"## {n}. {o.step.title}\n\n{o.step.claim}\n\n**{o.conclusion}**\n")
    parts.append(closing_table(outcomes))
    return "\n".join(parts)


def closing_table(outcomes: Sequence[Outcome]) -> str:
    lines = ["| step | measured | here |", "|---|---|---|"]
    for n, o in enumerate(outcomes, 1):
        measured = "-" if o.result is None else f"{o.result.speedup or 0:.2f}x"
        lines.append(f"| {n}. {o.step.title} | {measured} | {o.status} |")
    return "\n".join(lines) + "\n"
