"""The engine through the real runner process: tiny experiments, faults and cancellation."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import psutil
import pytest

from gilviz.analysis.engine import CellDone, Event, ExperimentRun, Finished, run_experiment
from gilviz.measure.executors import availability
from gilviz.measure.workloads import WORKLOADS
from gilviz.protocol.events import CellStarted, Hello, Progress
from gilviz.protocol.spec import EXECUTORS, Cell, ExperimentSpec

TINY = {"cpu": 2000, "hash": 1, "sleep": 5, "net": 2, "disk": 1, "mixed": 1000, "payload": 100}
AVAILABLE = [e for e in EXECUTORS if availability(e)[0]]
UNAVAILABLE = [e for e in EXECUTORS if not availability(e)[0]]
pytestmark = pytest.mark.usefixtures("no_leftovers")


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_every_workload_on_every_executor_verifies_its_checksums(workload):
    cells = tuple(Cell(e, 2) for e in AVAILABLE if e != "serial")
    finished = run_experiment(ExperimentSpec(workload, cells, tasks=3, size=TINY[workload]))
    assert finished.ok, finished
    assert [(r.executor, r.workers) for r in finished.results] == [
        ("serial", 1),
        *((c.executor, 2) for c in cells),
    ]
    for result in finished.results:
        assert result.checksum_ok and result.tasks == 3 and len(result.records) == 3
        assert result.env["python"] and "gil_enabled" in result.env and result.env["cpu_count"] >= 1
        assert result.speedup is not None and result.wall_s > 0


def test_results_record_where_each_task_ran():
    finished = run_experiment(
        ExperimentSpec("cpu", (Cell("processes", 2),), tasks=4, size=2000, repeat=2)
    )
    result = finished.results[-1]
    assert result.repeat == 2 and len(result.walls) == 2
    assert {r["pid"] for r in result.records} - {os.getpid()}, "tasks ran in worker processes"
    assert sum(w["tasks"] for w in result.per_worker) == 4
    assert all(r["end"] >= r["start"] >= 0 and r["ok"] for r in result.records)


def test_calibration_aims_at_a_fifth_of_a_second():
    events = []
    run_experiment(ExperimentSpec("cpu", (), tasks=1), on_event=events.append)
    calibrated = next(e for e in events if type(e).__name__ == "Calibrated")
    assert 0.05 < calibrated.task_s < 1.0
    assert calibrated.size > 1 and calibrated.unit == WORKLOADS["cpu"].unit


def test_each_cell_ends_with_a_progress_event_that_counts_all_its_tasks():
    events = []
    spec = ExperimentSpec("sleep", (Cell("threads", 2), Cell("asyncio", 2)), tasks=6, size=1)
    run_experiment(spec, on_event=events.append)
    for executor in ("serial", "threads", "asyncio"):
        done = next(
            i
            for i, e in enumerate(events)
            if isinstance(e, CellDone) and e.result.executor == executor
        )
        last = [
            e for e in events[:done] if isinstance(e, Progress) and e.cell.executor == executor
        ][-1]
        assert (last.done, last.total) == (6, 6)


def test_a_given_size_is_reported_as_given_before_any_task_runs():
    events = []
    run_experiment(ExperimentSpec("sleep", (), tasks=1, size=30), on_event=events.append)
    kinds = [type(e).__name__ for e in events]
    calibrated = events[kinds.index("Calibrated")]
    assert (calibrated.size, calibrated.unit, calibrated.given) == (30, "ms asleep", True)
    assert calibrated.task_s == 0.03, "a sleep of 30 ms is sized in ms"
    assert kinds.index("Calibrated") < kinds.index("CellStarted")


@pytest.mark.parametrize("executor", UNAVAILABLE)
def test_an_unavailable_executor_fails_its_cell_with_the_reason(executor):
    finished = run_experiment(ExperimentSpec("sleep", (Cell(executor, 2),), tasks=1, size=1))
    assert [f.cell.executor for f in finished.failures] == [executor]
    assert "unavailable" in finished.failures[0].reason


def test_a_task_that_raises_is_reported_and_other_cells_are_kept():
    spec = ExperimentSpec(
        "sleep",
        (Cell("threads", 2), Cell("processes", 2)),
        tasks=4,
        size=5,
        repeat=2,
        fault=Cell("threads", 2),
    )
    finished = run_experiment(spec)
    assert len(finished.results[-1].walls) == 2, "the cell after the failed one ran every round"
    assert [(f.cell.executor, f.task) for f in finished.failures] == [("threads", 2)]
    assert "injected fault in task 2" in finished.failures[0].reason
    assert [(r.executor, r.error) for r in finished.results] == [
        ("serial", ""),
        ("threads", finished.failures[0].reason),
        ("processes", ""),
    ], "the failed cell is kept as a row with its reason, in the spec's order"


def _wait_for(run: ExperimentRun, predicate) -> Iterator[Event]:
    """Consume events until one satisfies predicate; returns the rest of the stream."""
    events = run.events()
    for event in events:
        if predicate(event):
            return events
    raise AssertionError("the stream ended before the awaited event")


def _family(pid: int) -> list[psutil.Process]:
    runner = psutil.Process(pid)
    return [runner, *runner.children(recursive=True)]


@pytest.mark.parametrize("executor", AVAILABLE)
def test_cancel_stops_runner_and_workers_within_a_second(executor):
    run = ExperimentRun(ExperimentSpec("sleep", (Cell(executor, 2),), tasks=4, size=400))
    rest_of = _wait_for(run, lambda e: isinstance(e, Progress) and e.cell.executor == executor)
    family = _family(run.pid)
    started = time.monotonic()
    run.cancel()
    rest = list(rest_of)
    assert isinstance(rest[-1], Finished) and rest[-1].cancelled
    _, alive = psutil.wait_procs(family, timeout=1)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    assert time.monotonic() - started < 1.5


def test_a_worker_killed_mid_run_breaks_the_pool_with_a_clear_reason():
    run = ExperimentRun(ExperimentSpec("sleep", (Cell("processes", 2),), tasks=8, size=300))
    rest_of = _wait_for(run, lambda e: isinstance(e, Progress) and e.cell.executor == "processes")
    workers = psutil.Process(run.pid).children()
    os.kill(workers[0].pid, signal.SIGKILL)
    rest = list(rest_of)
    failure = next(e.failure for e in rest if isinstance(e, CellDone) and e.failure)
    assert "worker died" in failure.reason and "broke" in failure.reason
    assert rest[-1].results[0].executor == "serial", "the baseline already finished is kept"
    # and the next experiment works
    assert run_experiment(ExperimentSpec("sleep", (Cell("processes", 2),), tasks=2, size=1)).ok


def test_the_runner_killed_mid_run_is_reported_and_its_workers_die_too():
    run = ExperimentRun(ExperimentSpec("sleep", (Cell("processes", 2),), tasks=4, size=400))
    rest_of = _wait_for(run, lambda e: isinstance(e, Progress) and e.cell.executor == "processes")
    family = _family(run.pid)
    os.kill(run.pid, signal.SIGKILL)
    finished = list(rest_of)[-1]
    assert isinstance(finished, Finished) and "killed by signal 9" in finished.error
    _, alive = psutil.wait_procs(family, timeout=2)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def test_progress_is_batched_for_many_tiny_tasks():
    events = []
    finished = run_experiment(
        ExperimentSpec("cpu", (Cell("threads", 4),), tasks=20_000, size=1), on_event=events.append
    )
    assert finished.ok
    progress = [e for e in events if isinstance(e, Progress)]
    assert len(progress) < 2_000, "events are coalesced, not one per task"
    assert progress[-1].done == 20_000
    assert len(finished.results[-1].records) == 1000, "per-task records are capped"


def test_hello_names_the_runner_and_its_service_threads():
    run = ExperimentRun(ExperimentSpec("sleep", (), tasks=1, size=1))
    hello = next(e for e in run.events() if isinstance(e, Hello))
    assert hello.pid != os.getpid() and len(hello.service_tids) == 4
    run.cancel()


def test_net_server_listens_on_loopback_only_and_closes_after_the_run():
    run = ExperimentRun(ExperimentSpec("net", (Cell("threads", 2),), tasks=4, size=20))
    rest_of = _wait_for(run, lambda e: isinstance(e, CellStarted) and e.cell.executor == "threads")
    listening = [
        c for c in psutil.Process(run.pid).net_connections("tcp") if c.status == psutil.CONN_LISTEN
    ]
    assert listening and all(c.laddr.ip == "127.0.0.1" and c.laddr.port > 1024 for c in listening)
    finished = list(rest_of)[-1]
    assert finished.ok
    assert all(
        c.laddr not in {x.laddr for x in listening}
        for c in psutil.net_connections("tcp")
        if c.status == psutil.CONN_LISTEN
    )


def test_cell_done_events_carry_results():
    events = []
    run_experiment(
        ExperimentSpec("sleep", (Cell("asyncio", 2),), tasks=2, size=1), on_event=events.append
    )
    assert [e.result.executor for e in events if isinstance(e, CellDone)] == ["serial", "asyncio"]


def test_asyncio_counts_each_task_its_own_cpu_not_its_neighbours():
    """One event loop runs one coroutine at a time: its busy figure cannot pass one core."""
    finished = run_experiment(ExperimentSpec("mixed", (Cell("asyncio", 2),), tasks=4, size=300_000))
    loop = finished.results[-1]
    assert loop.parallelism <= 1.1, "the CPU of coroutines run during an await is not this task's"
    assert all(r["cpu_s"] <= r["end"] - r["start"] + 0.01 for r in loop.records)


async def test_a_metered_coroutine_is_cancelled_through_the_meter():
    import asyncio

    from gilviz.measure.workloads import _Metered

    metered = _Metered(asyncio.sleep(30))
    task = asyncio.ensure_future(_await(metered))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert metered.cpu_s < 0.01


async def _await(awaitable):
    return await awaitable
