"""The guided tour: a claim holds only when its mechanism and its speedup agree; when they
disagree, or a speedup's runs straddle the line, it says the machine was too noisy."""

from __future__ import annotations

import re

import pytest

from gilviz.analysis import pythons, tour
from gilviz.cli.main import main
from tests.conftest import make_result

CPU_THREADS, CPU_PROCESSES, SLEEP, HASH, PAYLOAD, MIXED = tour.STEPS
TWO_CORES = {"python": "3.12.1", "gil_enabled": True, "usable_cores": 2}


def shares(**spent: float) -> dict[str, object]:
    """A recorded timeline whose two workers spent the cell in these shares."""
    full = {"run": 0.0, "c": 0.0, "io": 0.0, "gil": 0.0, "core": 0.0, "idle": 0.0, **spent}
    return {"workers": [{"shares": full}, {"shares": full}], "span_s": 1.0, "lanes": []}


def result(step: tour.Step, speedup: float, spread: float = 0.05, **figures) -> object:
    """The step's cell, run three times, whose rounds read `speedup` give or take `spread`."""
    env = {**TWO_CORES, **figures.pop("env", {})}
    workers = figures.pop("workers", 2)
    return make_result(
        workload=step.workload,
        executor=step.executor,
        workers=workers,
        repeat=figures.pop("repeat", 3),
        speedup=speedup,
        speedup_low=speedup - spread,
        speedup_high=speedup + spread,
        efficiency=speedup / workers,
        parallelism=figures.pop("parallelism", min(speedup, 2.0)),
        env=env,
        **figures,
    )


TURNS = {"overlap": 1.0, "handoffs_per_s": 160.0, "timeline": shares(run=0.5, gil=0.45)}
SIDE = {"overlap": 1.9, "timeline": shares(run=0.95)}
FREE = {"build": "free-threaded", "gil_enabled": False}

CASES = [
    ("threads take turns, no gain", CPU_THREADS, 0.98, TURNS, "holds", "took turns on the GIL"),
    (
        "a free-threaded build runs them at once and scales",
        CPU_THREADS,
        1.9,
        {**SIDE, "env": FREE},
        "contradicted",
        "1.90 threads ran Python at once: the GIL is off in this build",
    ),
    (
        "turns, yet a 1.24x speedup: the machine, not the claim (the seed's second failure)",
        CPU_THREADS,
        1.24,
        TURNS,
        "too noisy",
        "took turns on the GIL",
    ),
    ("side by side, and a gain", CPU_PROCESSES, 1.9, SIDE, "holds", "1.90 processes ran at once"),
    (
        "side by side on both cores, yet 1.08x: the baseline ran at another CPU speed",
        CPU_PROCESSES,
        1.08,
        {**SIDE, "parallelism": 1.93},
        "too noisy",
        "1.90 processes ran at once; no gain: 1.08x (1.03-1.13 over 3 runs) (the two figures",
    ),
    (
        "one usable core",
        CPU_PROCESSES,
        0.97,
        {"env": {"usable_cores": 1}, "parallelism": 0.98, "overlap": 1.0},
        "cannot show",
        "grants 1 usable core",
    ),
    (
        "other programs busy",
        CPU_PROCESSES,
        1.0,
        {"other_cores": 1.0, "parallelism": 1.0},
        "cannot show",
        "busy (other programs kept 1.0 of 2 cores busy",
    ),
    (
        "waits overlap",
        SLEEP,
        1.98,
        {"overlap": 0.0, "parallelism": 0.01, "timeline": shares(io=0.99)},
        "holds",
        "waited on I/O 99% of the time",
    ),
    (
        "sleeping threads that never overlapped",
        SLEEP,
        1.0,
        {"overlap": 0.0, "parallelism": 0.01, "timeline": shares(io=0.1, run=0.8)},
        "contradicted",
        "Not here",
    ),
    (
        "C without the GIL, side by side",
        HASH,
        1.9,
        {"overlap": 1.9, "timeline": shares(c=0.93, run=0.02)},
        "holds",
        "98% of their running time was C without the GIL",
    ),
    (
        "hashing one at a time, no gain",
        HASH,
        1.0,
        {"overlap": 1.0, "timeline": shares(c=0.5, gil=0.4)},
        "contradicted",
        "only 1.00 threads ran at a time",
    ),
    (
        "bytes moved and pickling's CPU",
        PAYLOAD,
        1.1,
        {"bytes_moved": 33_000_000, "cpu_s": 0.5, "process_cpu_s": 0.9},
        "holds",
        "33 MB crossed each run, and pickling and pipes took 0.40 s of CPU",
    ),
    (
        "pickling's CPU within the clock's ticks: no claim either way",
        PAYLOAD,
        1.1,
        {"bytes_moved": 33_000_000, "cpu_s": 0.5, "process_cpu_s": 0.51},
        "too noisy",
        "within the clock's ticks",
    ),
    ("nothing crossed", PAYLOAD, 1.1, {"bytes_moved": 0}, "contradicted", "no bytes crossed"),
    (
        "half waiting, in between",
        MIXED,
        1.4,
        {"overlap": 0.9, "timeline": shares(io=0.5, run=0.45)},
        "holds",
        "in between: 1.40x (1.35-1.45 over 3 runs)",
    ),
    (
        "a failed cell",
        CPU_THREADS,
        0.0,
        {"error": "a worker died"},
        "failed",
        "No conclusion: a worker died",
    ),
]


@pytest.mark.parametrize(
    ("case", "step", "speedup", "figures", "status", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_each_step_concludes_from_its_mechanism_and_its_speedup(
    case, step, speedup, figures, status, words
):
    outcome = tour.conclude(step, result(step, speedup, **figures))
    assert outcome.status == status, outcome.conclusion
    assert words in outcome.conclusion


def test_a_speedup_whose_runs_straddle_the_line_is_noise_not_a_verdict():
    straddling = result(CPU_THREADS, 1.15, spread=0.2, **TURNS)  # rounds 0.95-1.35
    assert tour.conclude(CPU_THREADS, straddling).status == "holds", "the median is no gain"
    gained = result(CPU_THREADS, 1.3, spread=0.2, **TURNS)  # rounds 1.10-1.50
    outcome = tour.conclude(CPU_THREADS, gained)
    assert outcome.status == "too noisy" and "on both sides of 1.20x" in outcome.conclusion


def test_a_busy_baseline_makes_the_step_unable_to_say():
    baseline = make_result(executor="serial", workers=1, other_cores=1.2, env=TWO_CORES)
    outcome = tour.conclude(CPU_PROCESSES, result(CPU_PROCESSES, 2.5, **SIDE), baseline)
    assert outcome.status == "cannot show" and "while serial x1 ran" in outcome.conclusion


def test_no_conclusion_contradicts_its_own_figures():
    """'Not here' only when both figures say so: never beside the mechanism the claim names."""
    for case, step, speedup, figures, _, _ in CASES:
        outcome = tour.conclude(step, result(step, speedup, **figures))
        if outcome.status == "contradicted":
            assert "took turns on the GIL" not in outcome.conclusion, case
            assert "a gain" not in outcome.conclusion or step is CPU_THREADS, case


def test_the_timeline_step_reads_turns_against_overlap():
    turns = tour.conclude(CPU_THREADS, result(CPU_THREADS, 1.0, **TURNS))
    side_by_side = tour.conclude(CPU_PROCESSES, result(CPU_PROCESSES, 1.9, **SIDE))
    held = tour.timeline_outcome(turns, side_by_side)
    assert held.status == "holds" and "160 GIL hand-offs a second" in held.conclusion
    assert held.figure == "threads 1.00 at a time, processes 1.90"
    free = tour.conclude(CPU_THREADS, result(CPU_THREADS, 1.9, **{**SIDE, "env": FREE}))
    contradicted = tour.timeline_outcome(free, side_by_side)
    assert contradicted.status == "contradicted"
    assert "threads ran 1.90 at a time; processes" in contradicted.conclusion, "no hand-offs"
    assert tour.timeline_outcome(turns, tour.conclude(CPU_PROCESSES, None)).status == "failed"


def test_the_tour_runs_headless_to_the_end_as_a_markdown_report(capsys, monkeypatch):
    """The command's wiring and report, each step's run answered from recorded figures (the
    app's tour test runs every step for real)."""
    asked = []

    def recorded(spec, python=None, on_event=None):
        from gilviz.analysis.engine import Finished

        asked.append(spec)
        step = next(s for s in tour.STEPS if s.workload == spec.workload)
        baseline = make_result(workload=step.workload, executor="serial", workers=1, env=TWO_CORES)
        return Finished([baseline, result(step, 1.0, spread=0.0, repeat=1)])

    monkeypatch.setattr("gilviz.cli.main.run_experiment", recorded)
    assert main(["tour", "--format", "markdown", "--repeat", "1", "--pace", "watch"]) == 0
    firsts = [(s.workload, s.task_s) for s in asked if s.repeat == 1]
    assert firsts == [(step.workload, tour.TASK_S["watch"]) for step in tour.STEPS]
    assert {s.repeat for s in asked} <= {1, 2}, "a step too noisy runs again with twice the rounds"
    report = capsys.readouterr().out
    headings = re.findall(r"^## (\d)\. (.+)$", report, flags=re.M)
    assert [title for _, title in headings] == list(tour.TITLES)
    rows = re.findall(r"^\| \d\. .+ \| (.+) \| (.+) \|$", report, flags=re.M)
    assert len(rows) == 8
    assert {status for _, status in rows} <= set(tour.STATUSES)
    assert "(1 run)" in rows[0][0], "a step run once says its noise is unknown"
    assert report.count("**") == 16, "each step's conclusion, in bold"


def test_each_step_runs_its_rounds_after_a_warm_up_at_the_pace_asked():
    spec = tour.spec_for(CPU_THREADS, 2, tour.Pace(repeat=5, pace="watch"))
    assert (spec.repeat, spec.warmup, spec.task_s) == (5, 1, tour.TASK_S["watch"])
    assert tour.spec_for(CPU_THREADS, 2).repeat == tour.REPEAT == 3


def test_the_free_threaded_step_runs_under_one_where_there_is_one_else_says_it_cannot():
    gil_builds = [pythons.Python("/a/python3.12", "3.12.1", "CPython")]
    done = [tour.conclude(step, None) for step in tour.STEPS]
    done.append(tour.conclude_next(done, None, gil_builds))  # the timeline
    assert tour.next_job(done, 2, gil_builds) is None
    cannot = tour.conclude_next(done, None, gil_builds)
    assert cannot.status == "cannot show" and "found: CPython 3.12.1" in cannot.conclusion
    free = pythons.Python("/a/python3.13t", "3.13.0", "CPython", free_threaded=True)
    python, spec = tour.next_job(done, 2, [*gil_builds, free])
    assert python == "/a/python3.13t" and spec.cells[0].executor == "threads"
    scaled = result(tour.FREE_THREADED, 1.9, **{**SIDE, "env": FREE})
    outcome = tour.conclude_next(done, [scaled], [free])
    assert outcome.status == "holds" and "1.90 threads ran at once" in outcome.conclusion
    held = result(tour.FREE_THREADED, 1.0, **{**TURNS, "env": FREE})
    assert tour.conclude_next(done, [held], [free]).status == "contradicted", "PYTHON_GIL=1"


def test_a_step_too_noisy_to_say_runs_again_with_twice_the_rounds_and_says_so():
    noisy = result(CPU_THREADS, 1.3, spread=0.2, **TURNS)  # rounds 1.10-1.50: too noisy
    held = result(CPU_THREADS, 0.98, **TURNS, repeat=6)
    answers = {CPU_THREADS.workload: [noisy, held]}
    asked = []

    def run(spec, python):
        asked.append((spec.workload, spec.repeat))
        step = next(s for s in tour.STEPS if s.workload == spec.workload)
        queued = answers.get(spec.workload) or [result(step, 1.3, spread=0.2, **TURNS)]
        return [queued.pop(0)]

    outcomes = tour.run_tour(run, cores=2)
    first = outcomes[0]
    assert first.status == "holds" and first.tries == 2
    assert first.conclusion.startswith(
        "Second try, with 6 rounds (the first was too noisy to say: 1.30x (1.10-1.50 over 3 runs))"
    )
    assert asked[:2] == [("cpu", 3), ("cpu", 6)], "the same step, twice the rounds"
    still = [o for o in outcomes[1:6] if o.status == "too noisy"]
    assert still and all(o.tries == 2 for o in still), "too noisy twice: it says so, once more"
    assert len(asked) <= 12, "no step runs a third time"
