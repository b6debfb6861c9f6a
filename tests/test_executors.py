"""The executors: they time start-up and work, keep task indexes, and stop on a failed task."""

from __future__ import annotations

import os
import time

import pytest

from gilviz.analysis.engine import run_experiment
from gilviz.measure import executors, workloads
from gilviz.protocol.spec import Cell, ExperimentSpec

pytestmark = pytest.mark.usefixtures("no_leftovers")


def test_a_failed_task_cancels_the_tasks_still_queued(monkeypatch):
    """A failure ends the cell: queued tasks are cancelled, not run to the end first."""
    started = []

    def counting(*args, **kwargs):
        started.append(args[2])
        return workloads.run_task(*args, **kwargs)

    monkeypatch.setattr(executors, "run_task", counting)
    batch = executors.Batch("sleep", 20, 40, None, fail_index=0)
    with pytest.raises(executors.TaskFailed):
        executors.run("threads", batch, 1, lambda record: None)
    assert 0 in started and len(started) < 10, "one worker: the rest were still queued"


async def test_a_metered_coroutine_counts_all_its_own_steps_and_gets_what_it_awaited():
    """Each burn is timed on the same thread CPU clock the meter reads, inside the coroutine:
    exact under any load or CPU speed, where a unit burn timed apart is not."""
    import asyncio

    burns: dict[str, float] = {}

    def burn(name: str, size: int) -> None:
        start = time.thread_time()
        workloads.cpu_task(size)
        burns[name] = time.thread_time() - start

    async def burn_twice() -> int:
        burn("first", 200_000)
        value = await asyncio.get_running_loop().run_in_executor(None, lambda: 42)
        burn("second", 200_000)
        return value

    async def another_coroutine() -> None:
        await asyncio.sleep(0)  # runs while the metered one awaits its executor
        burn("other", 400_000)

    metered = workloads._Metered(burn_twice())
    value, _ = await asyncio.gather(metered, another_coroutine())
    assert value == 42
    assert metered.cpu_s >= burns["first"] + burns["second"], "every step counts"
    assert metered.cpu_s < burns["first"] + burns["second"] + burns["other"], "its own only"


def test_every_executor_times_its_start_up_and_work_within_the_run():
    cells = tuple(Cell(e, 2) for e in ("threads", "processes", "asyncio"))
    started = time.monotonic()
    finished = run_experiment(ExperimentSpec("sleep", cells, tasks=2, size=20))
    elapsed = time.monotonic() - started
    for result in finished.results:
        assert 0.0 <= result.startup_s < elapsed, result.executor
        assert 0.02 <= result.wall_s < elapsed, result.executor
        assert sorted(r["index"] for r in result.records) == [0, 1], result.executor


def test_a_fault_drill_fails_the_asyncio_cell_at_its_task():
    spec = ExperimentSpec("sleep", (Cell("asyncio", 2),), tasks=3, size=1, fault=Cell("asyncio", 1))
    finished = run_experiment(spec)
    assert [(f.cell.executor, f.task) for f in finished.failures] == [("asyncio", 1)]
    assert finished.failures[0].reason == "task 1 raised InjectedFault: injected fault in task 1"


def test_tasks_an_event_loop_runs_inline_keep_their_index():
    finished = run_experiment(ExperimentSpec("hash", (Cell("asyncio", 2),), tasks=3, size=1))
    assert sorted(r["index"] for r in finished.results[-1].records) == [0, 1, 2]


def test_a_metered_coroutine_passes_what_it_is_sent_to_what_it_awaits():
    """Driven by hand, as any event loop could: the value sent in reaches the awaiting code."""

    class Handshake:
        def __await__(self):
            return (yield "waiting")

    async def ask() -> object:
        return await Handshake()

    driving = workloads._Metered(ask()).__await__()
    assert driving.send(None) == "waiting"
    with pytest.raises(StopIteration) as finished:
        driving.send("answer")
    assert finished.value.value == "answer"


def test_a_serial_task_that_raises_is_reported_with_its_index():
    batch = executors.Batch("sleep", 1, 4, None, fail_index=2)
    with pytest.raises(executors.TaskFailed) as failed:
        executors.run("serial", batch, 1, lambda record: None)
    assert failed.value.index == 2 and "injected fault in task 2" in str(failed.value)


def test_an_unknown_executor_is_named_in_the_error():
    with pytest.raises(ValueError, match="unknown executor 'fibers'"):
        executors.run("fibers", executors.Batch("sleep", 1, 1, None), 1, lambda record: None)


def test_one_process_worker_is_one_process():
    pids: set[int] = set()
    batch = executors.Batch("sleep", 20, 4, None)
    executors.run("processes", batch, 1, lambda record: pids.add(record["pid"]))
    assert len(pids) == 1 and os.getpid() not in pids
