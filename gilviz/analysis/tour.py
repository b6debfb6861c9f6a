"""The guided tour: the claims people read about the GIL, each tried on this machine.

Each step states a claim in a few sentences and runs one small experiment several times, each
round measuring the serial baseline and the cell once. It concludes from two kinds of evidence
that must agree: the mechanism the claim is about, measured inside the workers (threads taking
turns on the GIL, processes running side by side, time waiting on I/O, time in C, bytes moved
and the CPU pickling them took), and the speedup with the spread of its rounds. Both agree: the
claim *holds here*, or is *contradicted* (with the measured reason, such as a free-threaded
build). They disagree, or the speedup's runs fall on both sides of the line: the machine was
*too noisy* to say, and both figures are shown; such a step runs once more with twice the
rounds, and the second try concludes. Other programs busy, or one usable core: it *cannot
show*. The app (`t`) and `gilviz tour` share this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from gilviz.analysis.pythons import Python
from gilviz.analysis.results import Result, gil_handoffs, mean_shares
from gilviz.analysis.verdict import NO_GAIN, usable_cores
from gilviz.protocol.spec import Cell, ExperimentSpec, Variant

TASK_S = {"quick": 0.1, "watch": 0.4}
"""Each task's calibrated length by pace: a quick step takes a few seconds."""
REPEAT = 3
"""Rounds each step keeps (after one warm-up round): a speedup with a spread."""
ONE_AT_A_TIME = 1.15
"""Overlap up to this: the workers ran one at a time."""
SIDE_BY_SIDE = 0.75
"""Overlap from this share of what the workers and cores allow: they ran side by side."""
PICKLING_FLOOR_S = 0.03
"""CPU beyond the tasks' below this is within the clock's 10 ms ticks on three processes."""


@dataclass(frozen=True)
class Evidence:
    """What one figure says about a claim, in words with the figure in them."""

    holds: bool | None
    """True bears the claim out, False contradicts it, None cannot tell."""
    words: str


Judge = Callable[[Result], Evidence]


@dataclass(frozen=True)
class Step:
    title: str
    claim: str
    workload: str
    executor: str
    mechanism: Judge
    """What the workers were measured doing, against what the claim says they do."""
    speed: Judge | None = None
    """The speedup against what the claim says of it (None: the claim says nothing of it)."""
    needs_cores: int = 1
    """Cores the claim needs to show at all (two tasks at once need two)."""


def speedup_words(r: Result) -> str:
    """'1.92x (1.85-1.98 over 3 runs)', or '(1 run)' when there is no spread."""
    low, high = r.speedup_low, r.speedup_high
    runs = f"{r.repeat} runs" if r.repeat != 1 else "1 run"
    spread = f"{low:.2f}-{high:.2f} over {runs}" if low is not None and r.repeat > 1 else runs
    return f"{r.speedup or 0:.2f}x ({spread})"


def _range(r: Result) -> tuple[float, float, float]:
    """The speedup's median, and its lowest and highest round (the median where unknown)."""
    median = round(r.speedup or 0.0, 2)
    low = r.speedup_low if r.speedup_low is not None else median
    high = r.speedup_high if r.speedup_high is not None else median
    return median, low, high


def _no_gain(r: Result) -> Evidence:
    median, low, _ = _range(r)
    words = speedup_words(r)
    if median < NO_GAIN:
        return Evidence(True, f"no gain: {words}")
    if low >= NO_GAIN:
        return Evidence(False, f"a gain: {words}")
    return Evidence(None, f"{words}, on both sides of {NO_GAIN:.2f}x")


def _gain(r: Result) -> Evidence:
    """A gain of at least 60% of what the workers and cores allow (and never below NO_GAIN)."""
    median, _, high = _range(r)
    wanted = max(NO_GAIN, 0.6 * min(r.workers, usable_cores(r)))
    words = speedup_words(r)
    if median >= wanted:
        return Evidence(True, f"a gain: {words}")
    if high < NO_GAIN:
        return Evidence(False, f"no gain: {words}")
    return Evidence(None, f"{words}, short of the {wanted:.2f}x the cores allow")


def _overlapped_waits(r: Result) -> Evidence:
    median, _, high = _range(r)
    words = speedup_words(r)
    if median >= 0.7 * r.ideal_speedup:
        return Evidence(True, f"the waits overlapped: {words}")
    if high < NO_GAIN:
        return Evidence(False, f"no gain: {words}")
    return Evidence(None, f"{words}, short of the {r.ideal_speedup:.2f}x overlapping waits allow")


def _in_between(r: Result) -> Evidence:
    median, low, high = _range(r)
    words = speedup_words(r)
    if 1.05 <= median < 0.9 * r.ideal_speedup:
        return Evidence(True, f"in between: {words}")
    if high < 1.05 or low >= 0.9 * r.ideal_speedup:
        return Evidence(False, f"not in between: {words}")
    return Evidence(None, words)


def _shares(r: Result) -> dict[str, float] | None:
    return mean_shares(r) if r.overlap is not None else None


def _took_turns(r: Result) -> Evidence:
    shares = _shares(r)
    if shares is None or r.overlap is None:
        return Evidence(None, "no timeline was recorded")
    if r.overlap <= ONE_AT_A_TIME and shares["gil"] >= 0.1:
        return Evidence(
            True,
            f"{r.workers} threads took turns on the GIL ({r.overlap:.2f} ran at a time, each "
            f"waiting for it {shares['gil']:.0%} of the time)",
        )
    if r.overlap >= 1.5:
        off = "" if r.env.get("gil_enabled", True) else ": the GIL is off in this build"
        return Evidence(False, f"{r.overlap:.2f} threads ran Python at once{off}")
    return Evidence(None, f"{r.overlap:.2f} ran at a time, waiting for the GIL {shares['gil']:.0%}")


def _side_by_side(r: Result) -> Evidence:
    if r.overlap is None:
        return Evidence(None, "no timeline was recorded")
    what = "processes" if r.executor == "processes" else r.executor
    wanted = SIDE_BY_SIDE * min(r.workers, usable_cores(r))
    if r.overlap >= wanted:
        return Evidence(True, f"{r.overlap:.2f} {what} ran at once")
    if r.overlap <= ONE_AT_A_TIME:
        return Evidence(False, f"only {r.overlap:.2f} {what} ran at a time")
    return Evidence(None, f"{r.overlap:.2f} {what} ran at once, short of {wanted:.2f}")


def _waited(r: Result) -> Evidence:
    shares = _shares(r)
    if shares is None:
        return Evidence(None, "no timeline was recorded")
    if shares["io"] >= 0.8:
        return Evidence(True, f"the threads waited on I/O {shares['io']:.0%} of the time")
    if shares["io"] < 0.3:
        return Evidence(False, f"the threads waited on I/O only {shares['io']:.0%} of the time")
    return Evidence(None, f"the threads waited on I/O {shares['io']:.0%} of the time")


def _ran_c_at_once(r: Result) -> Evidence:
    shares = _shares(r)
    if shares is None or r.overlap is None:
        return Evidence(None, "no timeline was recorded")
    running = shares["c"] + shares["run"]
    in_c = shares["c"] / running if running else 0.0
    side = _side_by_side(r)
    words = f"{in_c:.0%} of their running time was C without the GIL, and {side.words}"
    if in_c >= 0.8 and side.holds:
        return Evidence(True, words)
    if side.holds is False:
        return Evidence(False, words)
    return Evidence(None, words)


def _paid_to_move(r: Result) -> Evidence:
    if not r.bytes_moved:
        return Evidence(False, "no bytes crossed between processes")
    moved = f"{r.bytes_moved / 1e6:.0f} MB crossed each run"
    if r.process_cpu_s is None:
        return Evidence(None, f"{moved}, and the processes' CPU could not be read")
    extra = r.process_cpu_s - r.cpu_s
    if extra >= PICKLING_FLOOR_S:
        return Evidence(
            True,
            f"{moved}, and pickling and pipes took {extra:.2f} s of CPU beside the tasks' "
            f"{r.cpu_s:.2f} s",
        )
    return Evidence(
        None,
        f"{moved}, but {extra:.2f} s of CPU beyond the tasks' is within the clock's ticks",
    )


def _half_waited(r: Result) -> Evidence:
    shares = _shares(r)
    if shares is None:
        return Evidence(None, "no timeline was recorded")
    words = f"the threads waited on I/O {shares['io']:.0%} of the time and computed the rest"
    return Evidence(0.25 <= shares["io"] <= 0.75 or None, words)


STEPS: tuple[Step, ...] = (
    Step(
        "CPU-bound threads",
        "Threads do not make pure-Python CPU work faster. The GIL lets one thread run Python "
        "bytecode at a time, so more threads only take turns.",
        "cpu",
        "threads",
        _took_turns,
        _no_gain,
    ),
    Step(
        "CPU-bound processes",
        "Processes do make it faster. Each process has its own interpreter and its own GIL, "
        "so each can use a core of its own.",
        "cpu",
        "processes",
        _side_by_side,
        _gain,
        needs_cores=2,
    ),
    Step(
        "Sleeping threads",
        "Threads are fine for waiting. A thread that sleeps or waits for I/O lets go of the "
        "GIL, so the waits overlap even on one core.",
        "sleep",
        "threads",
        _waited,
        _overlapped_waits,
    ),
    Step(
        "C code that releases the GIL",
        "Threads can run C code in parallel. hashlib lets go of the GIL while it hashes a "
        "large buffer, so threads hashing use several cores.",
        "hash",
        "threads",
        _ran_c_at_once,
        _gain,
        needs_cores=2,
    ),
    Step(
        "Pickling cost with processes",
        "Processes pay to move data. Arguments and results are pickled, sent through a pipe "
        "and unpickled, which costs CPU the tasks themselves do not use.",
        "payload",
        "processes",
        _paid_to_move,
    ),
    Step(
        "The mixed case",
        "Half computing, half waiting: threads help with the waiting half only, so the "
        "speedup lands between none and the worker count.",
        "mixed",
        "threads",
        _half_waited,
        _in_between,
    ),
)


STATUSES = ("holds", "contradicted", "too noisy", "cannot show", "failed")


@dataclass(frozen=True)
class Outcome:
    """What one step showed on this machine."""

    step: Step
    result: Result | None
    status: str
    """One of STATUSES."""
    conclusion: str
    measured: str = ""
    """The figure the closing table shows ('' : the step's speedup, or '-' without one)."""
    tries: int = 1
    """2 when the first try was too noisy to say and the step ran again (`again`)."""

    @property
    def figure(self) -> str:
        if self.measured:
            return self.measured
        return "-" if self.result is None else speedup_words(self.result)


def conclude(step: Step, result: Result | None, baseline: Result | None = None) -> Outcome:
    """The step's conclusion, from its measured cell (and the baseline it was compared with)."""
    if result is None or result.error:
        reason = result.error if result is not None else "the run did not finish"
        return Outcome(step, result, "failed", f"No conclusion: {reason}.")
    busy = next((r for r in (result, baseline) if r and r.stability == "disturbed"), None)
    if busy is not None:
        return Outcome(
            step,
            result,
            "cannot show",
            f"This machine was busy (other programs kept {busy.other_cores:.1f} of "
            f"{usable_cores(busy)} cores busy while {busy.cell.label} ran), so it cannot say: "
            f"{speedup_words(result)}.",
        )
    cores = usable_cores(result)
    if cores < step.needs_cores:
        return Outcome(
            step,
            result,
            "cannot show",
            f"This machine grants {cores} usable core, so nothing here can run two tasks at "
            f"once and the claim cannot show: {speedup_words(result)}.",
        )
    mechanism = step.mechanism(result)
    speed = step.speed(result) if step.speed else mechanism
    both = mechanism.words if speed is mechanism else f"{mechanism.words}; {speed.words}"
    if mechanism.holds and speed.holds:
        return Outcome(step, result, "holds", f"Holds here: {both}.")
    if mechanism.holds is False and speed.holds is False:
        return Outcome(step, result, "contradicted", f"Not here: {both}.")
    unclear = None in (mechanism.holds, speed.holds)
    why = "not clear either way on this machine" if unclear else "the two figures disagree"
    return Outcome(
        step,
        result,
        "too noisy",
        f"Too noisy to say here: {both} ({why}: run it again on a quieter machine, or with "
        "more rounds).",
    )


TIMELINE = Step(
    "The timeline",
    "The timeline shows why: CPU-bound threads run one at a time, handing the GIL over "
    "again and again, while processes run side by side.",
    "cpu",
    "threads",
    _took_turns,  # read from the first two steps' timelines, never run
)


def timeline_outcome(threads: Outcome, processes: Outcome) -> Outcome:
    """The timeline's step reads the timelines of the first two: turns against overlap."""
    step = TIMELINE
    t, p = threads.result, processes.result
    if t is None or p is None or t.overlap is None or p.overlap is None:
        return Outcome(step, None, "failed", "No conclusion: no timeline was recorded.")
    measured = f"threads {t.overlap:.2f} at a time, processes {p.overlap:.2f}"
    handoffs = gil_handoffs(t)
    turns = "" if handoffs is None else f", {handoffs:.0f} GIL hand-offs a second"
    seen = f"threads ran {t.overlap:.2f} at a time{turns}; processes ran {p.overlap:.2f} at a time"
    if "cannot show" in (threads.status, processes.status):
        return Outcome(step, t, "cannot show", f"This machine cannot show it: {seen}.", measured)
    if t.overlap <= ONE_AT_A_TIME and p.overlap >= t.overlap + 0.5:
        return Outcome(step, t, "holds", f"Holds here: {seen}.", measured)
    if t.overlap >= 1.5:
        return Outcome(step, t, "contradicted", f"Not here: {seen}.", measured)
    return Outcome(step, t, "too noisy", f"Too noisy to say here: {seen}.", measured)


FREE_THREADED = Step(
    "A free-threaded build",
    "A free-threaded build (3.13t, 3.14t) has no GIL, so the same CPU-bound threads as in the "
    "first step run Python side by side.",
    "cpu",
    "threads",
    _side_by_side,
    _gain,
    needs_cores=2,
)
ALL_STEPS = (*STEPS, TIMELINE, FREE_THREADED)
"""Every step, in order: the six that run here, the timeline's, and another interpreter's."""
TITLES = tuple(step.title for step in ALL_STEPS)


def free_threaded(pythons: Sequence[Python]) -> Python | None:
    """The first free-threaded Python that can run the runner, if this machine has one."""
    return next((p for p in pythons if p.free_threaded and p.runs_gilviz), None)


@dataclass(frozen=True)
class Pace:
    """How a tour runs its steps: rounds kept, and each task's length."""

    repeat: int = REPEAT
    pace: str = "quick"


def next_job(
    outcomes: Sequence[Outcome], cores: int, pythons: Sequence[Python], pace: Pace = Pace()
) -> Variant | None:
    """What the next step runs, or None when it concludes without running anything."""
    n, workers = len(outcomes), tour_workers(cores)
    if n < len(STEPS):
        return None, spec_for(STEPS[n], workers, pace)
    if n == len(TITLES) - 1 and (python := free_threaded(pythons)) is not None:
        return python.path, spec_for(FREE_THREADED, workers, pace)
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
    baseline = next((r for r in results or () if r.executor == "serial"), None)
    return conclude(step, cell, baseline)


def again(job: Variant, outcome: Outcome) -> Variant | None:
    """A step too noisy to say runs once more, with twice the rounds: the same experiment,
    given more chances to show what it shows (None: it concluded, or this was its second try)."""
    python, spec = job
    if outcome.status != "too noisy" or outcome.tries > 1:
        return None
    return python, replace(spec, repeat=2 * spec.repeat)


def second_try(outcome: Outcome, first: Outcome) -> Outcome:
    """The second try's outcome, saying that it is one and what the first one measured."""
    rounds = outcome.result.repeat if outcome.result else 0
    said = (
        f"Second try, with {rounds} rounds (the first was too noisy to say: "
        f"{first.figure}). {outcome.conclusion}"
    )
    return replace(outcome, tries=2, conclusion=said)


def spec_for(step: Step, workers: int, pace: Pace = Pace()) -> ExperimentSpec:
    """A small experiment for one step: the baseline and one cell, in rounds after a warm-up."""
    return ExperimentSpec(
        step.workload,
        (Cell(step.executor, workers),),
        tasks=2 * workers,
        task_s=TASK_S[pace.pace],
        repeat=pace.repeat,
        warmup=1,
    )


def tour_workers(cores: int) -> int:
    """Two workers at least (so one core can contradict a claim), four at most (quick)."""
    return max(2, min(4, cores))


def run_tour(
    run: Callable[[ExperimentSpec, str | None], Sequence[Result]],
    cores: int,
    pythons: Sequence[Python] = (),
    pace: Pace = Pace(),
) -> list[Outcome]:
    """Every step in order, each run with `run` (a spec and a Python to its results)."""
    outcomes: list[Outcome] = []
    while len(outcomes) < len(TITLES):
        job = next_job(outcomes, cores, pythons, pace)
        results = run(job[1], job[0]) if job else None
        outcome = conclude_next(outcomes, results, pythons)
        if job and (retry := again(job, outcome)):
            first, retried = outcome, run(retry[1], retry[0])
            outcome = second_try(conclude_next(outcomes, retried, pythons), first)
        outcomes.append(outcome)
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
        lines.append(f"| {n}. {o.step.title} | {o.figure} | {o.status} |")
    return "\n".join(lines) + "\n"
