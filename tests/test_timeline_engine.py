"""The timeline through the real runner: the GIL made visible, compared within one run.

No absolute times: each claim compares cells of the same run, or the timeline with the CPU
time measured independently (thread CPU clocks per task), so a busy or one-core machine
changes which claims apply, never whether they hold.
"""

from __future__ import annotations

import pytest

from gilviz.analysis.engine import CellDone, run_experiment
from gilviz.analysis.results import Result, gil_wait_share
from gilviz.measure.environment import gil_enabled, usable_cores
from gilviz.protocol.events import TimelineUpdate
from gilviz.protocol.spec import Cell, ExperimentSpec

pytestmark = pytest.mark.usefixtures("no_leftovers")
BOTH = (Cell("threads", 2), Cell("processes", 2))


def run(workload: str, cells=BOTH, **spec) -> dict[str, Result]:
    finished = run_experiment(ExperimentSpec(workload, cells, tasks=4, task_s=0.1, **spec))
    assert finished.ok, finished
    return {r.executor: r for r in finished.results}


def shares(result: Result, state: str) -> list[float]:
    assert result.timeline is not None
    return [w["shares"][state] for w in result.timeline["workers"]]


@pytest.mark.skipif(not gil_enabled(), reason="threads take turns only where there is a GIL")
def test_threads_on_cpu_take_turns_while_processes_overlap():
    cells = run("cpu")
    threads, processes = cells["threads"], cells["processes"]
    assert threads.overlap is not None and processes.overlap is not None
    assert threads.overlap <= 1.15, "one thread ran at a time"
    assert threads.handoffs_per_s and threads.handoffs_per_s > 0
    # While one thread ran Python the other could not: its stall was a GIL wait (busy or not,
    # the machine only adds core waits beside these).
    gil, ran = shares(threads, "gil"), shares(threads, "run")
    assert gil[0] >= 0.5 * ran[1] and gil[1] >= 0.5 * ran[0], "each waited while the other ran"
    assert max(shares(processes, "gil")) == 0.0, "processes never wait for each other's GIL"
    # The timeline agrees with CPU time measured apart from it (per-task thread CPU clocks).
    for result in (threads, processes):
        assert result.overlap == pytest.approx(result.parallelism, abs=0.2)
    if processes.parallelism >= 1.6:  # the machine gave the processes two cores
        assert processes.overlap >= threads.overlap + 0.5
    if usable_cores() == 1:
        assert processes.overlap <= 1.15 and min(shares(processes, "core")) > 0.2


def test_threads_on_hash_overlap_like_processes_do():
    cells = run("hash")
    threads, processes = cells["threads"], cells["processes"]
    assert threads.overlap is not None and processes.overlap is not None
    assert threads.overlap >= processes.overlap - 0.3
    running = zip(shares(threads, "c"), shares(threads, "run"), strict=True)
    assert min(c / (c + py) for c, py in running) > 0.9, "they ran C with the GIL released"
    assert (gil_wait_share(threads) or 0.0) < 0.1


def test_threads_on_sleep_wait_on_io():
    threads = run("sleep", (Cell("threads", 2),))["threads"]
    assert min(shares(threads, "io")) >= 0.9
    assert threads.overlap is not None and threads.overlap < 0.1


def test_the_serial_baseline_is_one_lane_and_an_event_loop_waits_for_io():
    cells = run("sleep", (Cell("asyncio", 2),))
    assert len(shares(cells["serial"], "io")) == 1
    assert min(shares(cells["asyncio"], "io")) >= 0.9
    events = []
    spec = ExperimentSpec("mixed", (Cell("asyncio", 2),), tasks=4, task_s=0.1, trace=True)
    run_experiment(spec, on_event=events.append)
    done = [e for e in events if isinstance(e, CellDone)]
    assert max(shares(done[-1].result, "idle")) == 0.0, "no coroutine running: it waits for I/O"
    assert all(cell.trace for cell in done), "asked for a trace: every interval comes along"
    assert all(cell.trace is None for cell in cells_done("sleep")), "not asked: none travel"


def cells_done(workload: str) -> list[CellDone]:
    events: list[object] = []
    run_experiment(
        ExperimentSpec(workload, (Cell("threads", 2),), tasks=2, size=1), None, events.append
    )
    return [e for e in events if isinstance(e, CellDone)]


def test_headless_runs_stream_nothing_and_still_get_every_interval():
    events = []
    finished = run_experiment(
        ExperimentSpec("cpu", (Cell("processes", 2),), tasks=4, task_s=0.15),
        on_event=events.append,
    )
    assert not [e for e in events if isinstance(e, TimelineUpdate)]
    processes = finished.results[-1]
    assert processes.overlap is not None and processes.timeline is not None
    assert processes.overlap == pytest.approx(processes.parallelism, abs=0.2)


def test_recording_off_records_nothing():
    events = []
    finished = run_experiment(
        ExperimentSpec("cpu", (Cell("threads", 2),), tasks=2, size=20_000, timeline=False),
        on_event=events.append,
    )
    assert all(r.overlap is None and r.timeline is None for r in finished.results)
    assert not [e for e in events if isinstance(e, TimelineUpdate) and e.lanes]
