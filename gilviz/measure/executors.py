"""How a batch of tasks runs: serial, threads, processes, asyncio or sub-interpreters.

Each executor starts its workers (timed apart from the work: `startup_s`), runs every task,
hands each finished task's record to `on_done` in the calling thread, and returns the timings.
With a timeline sink, every worker records its activity (`timeline`) and hands it to the sink
as it goes: directly from threads, through a queue read here from process workers.
Standard library only: this module runs inside the runner process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from types import CodeType
from typing import Any

from gilviz.measure import stacks, subinterpreters, timeline, usertask
from gilviz.measure.usage import Reading, Usage
from gilviz.measure.usertask import UserTask
from gilviz.measure.workloads import run_task, run_task_async

STARTUP_TIMEOUT_S = 60.0
OnDone = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Batch:
    """The tasks of one run: `tasks` calls of one workload at one size."""

    workload: str
    size: int
    tasks: int
    arg: Any
    fail_index: int | None = None
    """A fault drill: this task raises instead of running."""
    record: bool = False
    """Record each worker's timeline."""
    user: UserTask | None = None
    """A function of the user's instead of the workload: task i calls it on inputs[i]."""
    inputs: tuple[Any, ...] = ()
    sample: bool = False
    """Sample the task threads' stacks (`stacks`): process workers sample their own."""
    sampled_lanes: bool = False
    """Draw the timeline's lanes from the samples (a user's function stamps no states)."""
    chunk: int = 1
    """Tasks handed to a pool worker at once (`chunksize`, as Executor.map has it): tiny
    tasks in chunks cost a hand-off a chunk, not a task. Each is still timed and checked."""

    @property
    def keeps_timeline(self) -> bool:
        """Whether the run keeps a timeline: stamped by the tasks, or from stack samples."""
        return self.record or self.sampled_lanes

    def task(self, index: int) -> tuple[Callable[..., dict[str, Any]], tuple[Any, ...]]:
        """What task `index` calls where it runs, with its arguments (picklable both)."""
        fail = index == self.fail_index
        if self.user is not None:
            return usertask.run, (self.user, index, self.inputs[index], fail)
        return run_task, (self.workload, self.size, index, self.arg, fail, self.record)

    async def task_async(self, index: int) -> dict[str, Any]:
        """Task `index` on an event loop."""
        fail = index == self.fail_index
        if self.user is not None:
            return await usertask.run_async(self.user, index, self.inputs[index], fail)
        return await run_task_async(self.workload, self.size, index, self.arg, fail)


@dataclass(frozen=True)
class Timing:
    startup_s: float
    wall_s: float
    usage: Usage
    """The CPU the work used (runner and workers), and the machine's, over `wall_s`."""


class TaskFailed(Exception):
    """A task raised; carries its index and the exception."""

    def __init__(self, index: int, cause: BaseException) -> None:
        super().__init__(f"task {index} raised {type(cause).__name__}: {cause}")
        self.index = index


def availability(executor: str) -> tuple[bool, str]:
    """Whether an executor can run on this Python, and why not when it cannot."""
    if executor == "interpreters":
        return subinterpreters.availability()
    return True, ""


def run(
    executor: str,
    batch: Batch,
    workers: int,
    on_done: OnDone,
    start_method: str | None = None,
    sink: timeline.Sink | None = None,
    live: bool = False,
) -> Timing:
    """Run `batch` with `executor` and `workers` workers. `sink` takes timelines the task
    records do not carry; with `live`, workers also hand it theirs as they go."""
    available, reason = availability(executor)
    if not available:
        raise RuntimeError(f"{executor} is unavailable: {reason}")
    collect = sink if batch.record else None
    live_sink = collect if live else None
    if executor in ("serial", "asyncio"):
        if batch.user is not None:
            usertask.prepare(batch.user)  # this thread is the worker: its setup, once
        with _recording_here(batch.record, live_sink, collect):
            if executor == "serial":
                return _run_serial(batch, on_done)
            return _run_asyncio(batch, workers, on_done)
    if executor == "threads":
        barrier: Any = threading.Barrier(workers)
        return _run_pool(
            lambda: cf.ThreadPoolExecutor(
                workers, "gilviz-worker", _meet, (barrier, live_sink, batch.user)
            ),
            batch,
            workers,
            on_done,
        )
    if executor == "processes":
        context = multiprocessing.get_context(start_method)
        barrier = context.Barrier(workers)
        with _queue_to(live_sink, context) as queue:
            return _run_pool(
                lambda: cf.ProcessPoolExecutor(
                    workers,
                    context,
                    _meet,
                    (barrier, queue, batch.user, batch.sample, batch.sampled_lanes),
                ),
                batch,
                workers,
                on_done,
                child_processes=True,
            )
    if executor == "interpreters":
        pool, interpreters, _ = subinterpreters.find()
        user = batch.user
        module = None if user is None else user.task.partition(":")[0]
        subinterpreters.check_tasks_import(interpreters, module, user.path if user else "")
        return _run_pool(lambda: pool(workers), batch, workers, on_done)
    raise ValueError(f"unknown executor {executor!r}")


def task_roots() -> list[CodeType]:
    """The functions a thread runs tasks under: a stack holding one of them is a task's."""
    found = [usertask.run, usertask.run_async, run_task, run_task_async, _run_asyncio]
    return [function.__code__ for function in found]


SETUPS = [usertask.prepare.__code__]
"""Where a worker runs the user's setup: outside a task (unless a task called it)."""


def _meet(
    barrier: Any,
    sink: timeline.Sink | Any | None = None,
    user: UserTask | None = None,
    sample: bool = False,
    sampled_lanes: bool = False,
) -> None:
    """Pool initializer: record the timeline (a queue stands for a sink in another process),
    sample stacks (a process worker, its own; lanes too, if asked), run the user's setup,
    then wait until every worker has started."""
    if sink is not None:
        timeline.attach(sink if callable(sink) else partial(_put, sink))
    if sample:
        path = user.path if user else None
        stacks.start_in_worker(task_roots(), path, SETUPS, sampled_lanes)
    if user is not None:
        usertask.prepare(user)
    barrier.wait(STARTUP_TIMEOUT_S)


def _put(queue: Any, key: tuple[int, int], data: list[int]) -> None:
    queue.put((key, data))


@contextmanager
def _recording_here(
    record: bool, sink: timeline.Sink | None, leftovers: timeline.Sink | None
) -> Iterator[None]:
    """Record this (the runner's) thread while serial or asyncio tasks run in it; what no
    task record took (the event loop's last wait) goes to `leftovers`."""
    if not record:
        yield
        return
    timeline.attach(sink)
    try:
        yield
    finally:
        key, rest = timeline.detach()
        if rest and leftovers is not None:
            leftovers(key, rest)


@contextmanager
def _queue_to(sink: timeline.Sink | None, context: Any) -> Iterator[Any]:
    """A queue that process workers put timelines on, read into `sink` by a thread here."""
    if sink is None:
        yield None
        return
    queue = context.SimpleQueue()
    done = threading.Event()

    def forward() -> None:
        while True:
            if not queue.empty():
                sink(*queue.get())
            elif done.is_set():
                return  # the pool is closed, so every worker's puts were read
            else:
                done.wait(0.1)  # the live view redraws at 4 Hz: no need to wake more

    reader = threading.Thread(target=forward, name="gilviz-timeline", daemon=True)
    reader.start()
    try:
        yield queue
    finally:
        # No sentinel: a worker killed mid-put may hold the queue's lock for good.
        done.set()
        reader.join(timeout=1.0)


def _noop() -> None:
    """A task that does nothing: used to see every worker ready before timing the work."""


def _run_serial(batch: Batch, on_done: OnDone) -> Timing:
    before = Reading.now()
    start = time.monotonic()
    for index in range(batch.tasks):
        on_done(_call(batch, index))
    wall_s = time.monotonic() - start
    return Timing(0.0, wall_s, Usage.between(before, Reading.now()))


def _call(batch: Batch, index: int) -> Any:
    """Run one task here (serial)."""
    call, args = batch.task(index)
    try:
        return call(*args)
    except Exception as exc:
        raise TaskFailed(index, exc) from exc


def _run_pool(
    make_pool: Callable[[], cf.Executor],
    batch: Batch,
    workers: int,
    on_done: OnDone,
    child_processes: bool = False,  # pragma: no mutate (threads have no child processes)
) -> Timing:
    start = time.monotonic()
    with make_pool() as pool:
        for ready in cf.as_completed([pool.submit(_noop) for _ in range(workers)]):
            ready.result()
        startup_s = time.monotonic() - start
        before = Reading.now(child_processes)
        work_start = time.monotonic()
        futures = {
            pool.submit(_run_chunk, [batch.task(i) for i in range(first, last)]): first
            for first, last in _chunks(batch.tasks, batch.chunk)
        }
        try:
            for future in cf.as_completed(futures):
                for record in _result(future, futures[future]):
                    on_done(record)
        except BaseException:
            pool.shutdown(
                wait=False,  # pragma: no mutate (the `with` waits for the workers either way)
                cancel_futures=True,
            )
            raise
        wall_s = time.monotonic() - work_start
        usage = Usage.between(before, Reading.now(child_processes))  # workers still alive
    return Timing(startup_s, wall_s, usage)


def _chunks(tasks: int, size: int) -> list[tuple[int, int]]:
    """Task numbers in runs of `size`: (first, last + 1)."""
    return [(first, min(tasks, first + size)) for first in range(0, tasks, max(1, size))]


def _run_chunk(
    tasks: list[tuple[Callable[..., dict[str, Any]], tuple[Any, ...]]],
) -> list[dict[str, Any]]:
    """Run a chunk of tasks where this is called (a pool worker): their records, in order;
    a task that raises ends the chunk, naming its own number. The chunk's last record
    carries what the worker recorded that no record took yet, and a process worker's stack
    samples."""
    records = []
    for call, args in tasks:
        try:
            records.append(call(*args))
        except Exception as exc:
            raise _ChunkFailed(len(records), exc) from exc
    if records and (rest := timeline.take_pending()):  # what no record took yet
        records[-1]["timeline"] = (records[-1]["timeline"] or []) + rest
    sampler = stacks.in_this_worker()
    if sampler is not None and records:
        records[-1]["sampled"] = sampler.take().to_wire()
    return records


class _ChunkFailed(Exception):
    """Task `offset` of a chunk raised `cause` (picklable, to come back from a process)."""

    def __init__(self, offset: int, cause: BaseException) -> None:
        super().__init__(offset, cause)
        self.offset, self.cause = offset, cause


def _result(future: cf.Future[Any], first: int) -> list[dict[str, Any]]:
    try:
        records: list[dict[str, Any]] = future.result()
    except cf.BrokenExecutor:
        raise
    except _ChunkFailed as failed:
        raise TaskFailed(first + failed.offset, failed.cause) from failed.cause
    except Exception as exc:
        raise TaskFailed(first, exc) from exc
    return records


def _run_asyncio(batch: Batch, workers: int, on_done: OnDone) -> Timing:
    start = time.monotonic()
    with asyncio.Runner() as runner:
        runner.get_loop()
        startup_s = time.monotonic() - start
        timeline.recorder().begin()
        before = Reading.now()
        work_start = time.monotonic()
        runner.run(_gather(batch, workers, on_done))
        wall_s = time.monotonic() - work_start
        usage = Usage.between(before, Reading.now())
    return Timing(startup_s, wall_s, usage)


async def _gather(batch: Batch, workers: int, on_done: OnDone) -> None:
    limit = asyncio.Semaphore(workers)

    async def one(index: int) -> Any:
        async with limit:
            try:
                record = await batch.task_async(index)
            except Exception as exc:
                raise TaskFailed(index, exc) from exc
            # The loop's lane: since the last mark, no coroutine ran a chunk, so it waited.
            timeline.recorder().mark(timeline.IO)
            return record

    for finished in asyncio.as_completed([one(i) for i in range(batch.tasks)]):
        on_done(await finished)
