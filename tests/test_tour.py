"""The guided tour: conclusions come from what was measured, and change when it differs."""

from __future__ import annotations

import re

import pytest

from gilviz import pythons, tour
from gilviz.cli import main
from tests.conftest import make_result

CPU_THREADS, CPU_PROCESSES, SLEEP, HASH, PAYLOAD, MIXED = tour.STEPS
TWO_CORES = {"python": "3.12.1", "gil_enabled": True, "usable_cores": 2}


def result(step: tour.Step, speedup: float, **figures) -> object:
    env = {**TWO_CORES, **figures.pop("env", {})}
    workers = figures.pop("workers", 2)
    return make_result(
        workload=step.workload,
        executor=step.executor,
        workers=workers,
        speedup=speedup,
        efficiency=speedup / workers,
        parallelism=figures.pop("parallelism", min(speedup, 2.0)),
        env=env,
        **figures,
    )


@pytest.mark.parametrize(
    ("step", "measured", "status", "words"),
    [
        (CPU_THREADS, result(CPU_THREADS, 0.98), "holds", "no gain"),
        (
            CPU_THREADS,
            result(CPU_THREADS, 1.9, env={"build": "free-threaded", "gil_enabled": False}),
            "contradicted",
            "the GIL is off in this free-threaded build",
        ),
        (CPU_PROCESSES, result(CPU_PROCESSES, 1.9), "holds", "own GIL"),
        (
            CPU_PROCESSES,
            result(CPU_PROCESSES, 0.97, env={"usable_cores": 1}, parallelism=0.98),
            "cannot show",
            "grants 1 usable core",
        ),
        (
            CPU_PROCESSES,
            result(CPU_PROCESSES, 1.0, other_cores=1.0, parallelism=1.0),
            "cannot show",
            "busy",
        ),
        (SLEEP, result(SLEEP, 1.98, parallelism=0.01), "holds", "mostly waited"),
        (SLEEP, result(SLEEP, 1.0, parallelism=0.01), "contradicted", "Not here"),
        (HASH, result(HASH, 1.0, env={"usable_cores": 1}), "cannot show", "1 usable core"),
        (HASH, result(HASH, 1.02), "contradicted", "no gain"),
        (
            PAYLOAD,
            result(PAYLOAD, 1.1, bytes_moved=33_000_000, cpu_s=0.5, process_cpu_s=0.9),
            "holds",
            "moving 33 MB cost 0.40 s of CPU",
        ),
        (PAYLOAD, result(PAYLOAD, 1.1, bytes_moved=0), "contradicted", "Not here"),
        (MIXED, result(MIXED, 1.4), "holds", "partial"),
        (MIXED, result(MIXED, 1.95), "contradicted", "near-ideal"),
        (CPU_THREADS, result(CPU_THREADS, 0.0, error="a worker died"), "failed", "died"),
        (CPU_THREADS, None, "failed", "did not finish"),
    ],
)
def test_each_step_concludes_from_the_measured_result(step, measured, status, words):
    outcome = tour.conclude(step, measured)
    assert outcome.status == status
    assert words in outcome.conclusion


def test_the_timeline_step_reads_turns_against_overlap():
    turns = tour.conclude(CPU_THREADS, result(CPU_THREADS, 1.0, overlap=1.0, handoffs_per_s=180))
    side_by_side = tour.conclude(CPU_PROCESSES, result(CPU_PROCESSES, 1.9, overlap=1.9))
    assert tour.timeline_outcome(turns, side_by_side).status == "holds"
    free = tour.conclude(
        CPU_THREADS, result(CPU_THREADS, 1.9, overlap=1.9, env={"gil_enabled": False})
    )
    contradicted = tour.timeline_outcome(free, side_by_side)
    assert (
        contradicted.status == "contradicted"
        and "threads ran 1.90 at a time" in contradicted.conclusion
    )
    assert tour.timeline_outcome(turns, tour.conclude(CPU_PROCESSES, None)).status == "failed"


def test_the_tour_runs_headless_to_the_end_as_a_markdown_report(capsys):
    assert main(["tour", "--format", "markdown"]) == 0
    report = capsys.readouterr().out
    headings = re.findall(r"^## (\d)\. (.+)$", report, flags=re.M)
    assert [title for _, title in headings] == list(tour.TITLES)
    rows = re.findall(r"^\| \d\. .+ \| (.+) \| (.+) \|$", report, flags=re.M)
    assert len(rows) == 8
    assert {status for _, status in rows} <= {"holds", "contradicted", "cannot show", "failed"}
    assert report.count("**") == 16, "each step's conclusion, in bold"


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
    scaled = result(tour.FREE_THREADED, 1.9, env={"build": "free-threaded", "gil_enabled": False})
    outcome = tour.conclude_next(done, [scaled], [free])
    assert outcome.status == "holds" and "the GIL is off" in outcome.conclusion
    held = result(tour.FREE_THREADED, 1.0, env={"build": "free-threaded"})
    assert tour.conclude_next(done, [held], [free]).status == "contradicted", "PYTHON_GIL=1"
