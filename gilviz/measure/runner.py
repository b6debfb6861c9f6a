"""The runner process: runs one experiment spec in its own interpreter and streams events.

Started by the engine (`python -c 'from gilviz.measure.runner import main; ...'`) in a new process
session. It reads the spec as one JSON line on stdin and writes events as JSON lines on
stdout. When stdin closes (the parent cancelled, or died) it kills its whole process group,
pool workers included.
Standard library only, so it runs under any Python >= 3.11 (`gilviz run --python PATH`).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import inspect
import json
import math
import os
import pickle
import statistics
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor
from typing import IO, Any

from gilviz.measure import environment, executors, reference, stacks, timeline, usage, usertask
from gilviz.measure.deadline import TaskDeadline, end_my_group
from gilviz.measure.echo_probe import EchoProbe
from gilviz.measure.workloads import TARGET_TASK_S, WORKLOADS, EchoServer, checksum_of, cpu_task
from gilviz.protocol import events
from gilviz.protocol.spec import Cell, ExperimentSpec

PROGRESS_INTERVAL_S = 0.1
"""At most ten progress events a second, however many tasks finish."""
RECORDS_KEPT = 1000
"""Per-task records sent with a result (the last repeat's first tasks); counts cover all."""
PROBE_INTERVAL_S = 0.005
CALIBRATION_FLOOR_S = 0.02
MAX_TASK_S = 3600.0
"""A given size whose calibrated estimate puts one task above this is refused."""
TIMELINE_INTERVAL_S = 0.2
"""Live timeline updates go out five times a second."""
TRACE_BUDGET = 50_000
"""Intervals a cell's timeline keeps over all its lanes before downsampling older stretches."""


class Emitter:  # pragma: no mutate block (process plumbing: README, Development)
    """Writes messages as JSON lines (`events.encode`); progress is coalesced to
    PROGRESS_INTERVAL_S."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._last_progress = 0.0

    def send(self, message: events.Message) -> None:
        line = events.encode(message)
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()

    def progress_due(self) -> bool:
        """Whether a progress message may go now (then it must): checked before one is
        made, since most finished tasks send none."""
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_INTERVAL_S:
            return False
        self._last_progress = now
        return True


class GilProbe(threading.Thread):
    """Sleeps 5 ms in a loop and records how late it wakes, split into its two causes.

    A late wake-up is time spent runnable on the OS run queue (other threads or programs held
    every core) plus time spent asleep on the GIL (another thread of this process held it).
    Linux's schedstat counts the first for this thread, so the rest is the GIL's; elsewhere
    the split is unknown and only the total is kept.
    """

    def __init__(self) -> None:
        super().__init__(name="gilviz-probe", daemon=True)
        self._samples: deque[ProbeSample] = deque(maxlen=200_000)
        self._lock = threading.Lock()
        self.stopped = threading.Event()
        """Set to stop the probe (the runner never does: it ends with the process)."""

    def run(self) -> None:
        queued_ns = _run_queue_clock(threading.get_native_id())
        waited = queued_ns()
        while not self.stopped.is_set():
            before = time.monotonic()
            time.sleep(PROBE_INTERVAL_S)
            late_ms = max(0.0, (time.monotonic() - before - PROBE_INTERVAL_S) * 1000)
            now_waited = queued_ns()
            queue_ms = None
            if now_waited is not None and waited is not None:
                queue_ms = (now_waited - waited) / 1e6
            waited = now_waited
            with self._lock:
                self._samples.append(ProbeSample(late_ms, queue_ms))

    def take(self) -> list[ProbeSample]:
        """The samples since the last take."""
        with self._lock:
            samples = list(self._samples)
            self._samples.clear()
        return samples

    def latest(self) -> ProbeSample:
        with self._lock:
            return self._samples[-1] if self._samples else ProbeSample(0.0, None)


@dataclasses.dataclass(frozen=True)
class ProbeSample:
    """How late one wake-up was, and how much of that it spent on the OS run queue."""

    late_ms: float
    queue_ms: float | None

    @property
    def gil_ms(self) -> float | None:
        """The rest of the lateness: asleep waiting for the GIL (None: split unknown)."""
        return None if self.queue_ms is None else max(0.0, self.late_ms - self.queue_ms)


def _run_queue_clock(tid: int) -> Callable[[], int | None]:
    """A function giving the nanoseconds thread `tid` has spent waiting on a run queue (Linux
    schedstat's second field), or always None where the kernel does not say."""
    try:
        fd = os.open(f"/proc/self/task/{tid}/schedstat", os.O_RDONLY)
    except OSError:
        return lambda: None

    def read() -> int | None:
        try:
            return int(os.pread(fd, 100, 0).split()[1])
        except (OSError, IndexError, ValueError):
            return None

    return read


def probe_figures(samples: list[ProbeSample]) -> dict[str, float | None]:
    """Percentiles of the probe's lateness, and of its run-queue and GIL parts when known."""
    late = [s.late_ms for s in samples]
    queue = [s.queue_ms for s in samples if s.queue_ms is not None]
    gil = [s.gil_ms for s in samples if s.gil_ms is not None]
    known = bool(samples) and len(queue) == len(samples)
    return {
        "probe_p50_ms": percentile(late, 0.5),
        "probe_p99_ms": percentile(late, 0.99),
        "probe_queue_p99_ms": percentile(queue, 0.99) if known else None,
        "probe_gil_p99_ms": percentile(gil, 0.99) if known else None,
    }


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Experiment:
    """Runs the cells of a spec in rounds, streaming what happens.

    Warm-up rounds come first and are not kept (pyperf's practice: the first runs pay for
    cold caches and clock ramps). Each round runs every cell once, so a cell's repeats (the
    serial baseline's included) are spread over the whole experiment instead of measured
    back to back: a slow stretch of the machine then widens every cell's spread rather than
    skewing one cell. Cells finish, one after another, in the last round.
    """

    def __init__(
        self,
        spec: ExperimentSpec,
        emit: Emitter,
        probe: GilProbe,
        live: LiveTimeline,
        echo: EchoProbe | None = None,
        deadline: TaskDeadline | None = None,
        sampler: stacks.StackSampler | None = None,
    ) -> None:
        self.spec = spec
        self.emit = emit
        self.probe = probe
        self.live = live
        self.echo = echo
        self.deadline = deadline
        self.sampler = sampler
        # A user's task has no entry in the catalogue, and needs none: nothing is calibrated.
        self.workload = WORKLOADS[spec.workload if spec.task is None else "cpu"]

    def run(self) -> None:
        with self._arg_source() as arg_for:
            given = self.spec.size is not None
            if self.spec.size is not None:
                size = self.spec.size
                task_s = self._estimate(size, arg_for)
            else:
                task_s = self.spec.task_s or TARGET_TASK_S
                size = self._calibrate(arg_for, task_s)
            # Said before any task of it runs: the size, and how long a task should take.
            self.emit.send(events.Calibrated(size, task_s, self.workload.unit, given))
            arg = arg_for(size)
            self.crossing = _Crossing(len(pickle.dumps(arg)))
            self.task_s = task_s
            expected = reference.expected_checksum(self.spec.workload, size, arg)
            batch = executors.Batch(
                self.spec.workload,
                size,
                self.spec.tasks,
                arg,
                record=self.spec.timeline,
                sample=self.sampler is not None,
            )
            runs = [_CellRuns(cell) for cell in self.spec.cells]
            self._rounds(runs, batch, matches_reference(expected))

    def _rounds(self, runs: list[_CellRuns], batch: executors.Batch, check: Check) -> None:
        """Every cell once a round, warm-up rounds first; each cell's message after its last."""
        rounds = self.spec.warmup + self.spec.repeat
        for number in range(rounds):
            repeat = number - self.spec.warmup  # warm-up rounds are negative, and not kept
            for runs_of_cell in runs:
                if runs_of_cell.failed:
                    continue
                self._run_once(runs_of_cell, batch, check, repeat)
                if number == rounds - 1 and not runs_of_cell.failed:
                    trace = self.spec.trace
                    self.emit.send(runs_of_cell.measured(batch, self.crossing.per_task, trace))

    def _estimate(self, size: int, arg_for: Any) -> float:
        """How long one task of a given size takes here, from calibration (nothing of that
        size runs); refused above an hour."""
        if self.workload.sized_in_ms:
            estimate_s = size / 1000
        else:
            calibrated = self._calibrate(arg_for, TARGET_TASK_S)
            estimate_s = size / calibrated * TARGET_TASK_S
        if estimate_s > MAX_TASK_S:
            hours = estimate_s / 3600  # pragma: no mutate (wording)
            raise Refused(
                f"size {size} would take about {hours:.1f} hours per task on this "
                f"machine (over the 1 hour limit); choose a smaller --size or leave it out "
                f"to calibrate"
            )
        return estimate_s

    @contextlib.contextmanager
    def _arg_source(self) -> Iterator[Any]:
        """Yields a function size -> the argument every task of that size gets."""
        name = self.spec.workload
        if name == "net":
            with EchoServer() as server:
                yield lambda size: server.server_address[:2]
        elif name == "payload":
            yield lambda size: reference.PAYLOAD
        elif name == "mixed":
            yield self._mixed_sleep_s
        else:
            yield lambda size: None

    def _mixed_sleep_s(self, size: int) -> float:
        """Mixed sleeps as long as its cpu part takes alone, so it is half wait, half work."""
        start = time.monotonic()
        cpu_task(size)
        return time.monotonic() - start

    def _calibrate(self, arg_for: Any, target: float) -> int:
        """A size for which one task alone takes about `target` (like pyperf's loops)."""
        if self.workload.sized_in_ms:
            return max(1, round(target * 1000))
        target = target / 2 if self.spec.workload == "mixed" else target
        size = 1  # pragma: no mutate (the search: any start and growth reach the floor)
        while True:
            arg = 0.0 if self.spec.workload == "mixed" else arg_for(size)
            start = time.monotonic()
            self.workload.task(size, arg)
            elapsed = time.monotonic() - start
            if elapsed >= CALIBRATION_FLOOR_S:  # pragma: no mutate (> is the same search)
                return max(1, round(size * target / elapsed))
            size *= 4 if elapsed < CALIBRATION_FLOOR_S / 8 else 2  # pragma: no mutate (steps)

    def _run_once(self, runs: _CellRuns, batch: executors.Batch, check: Check, repeat: int) -> None:
        """One run of a cell; a failure is sent and ends the cell."""
        cell = runs.cell
        fault = self.spec.fault
        if fault is not None and fault.executor == cell.executor:
            batch = dataclasses.replace(batch, fail_index=fault.workers)
        if cell.executor in POOLS:  # serial and asyncio hand nothing out
            chunk = chunk_size(self.task_s, batch.tasks, cell.workers)
            batch = dataclasses.replace(batch, chunk=chunk)
        try:
            self.emit.send(events.CellStarted(cell, repeat))
            streaming = batch.keeps_timeline and self.spec.live
            collector = timeline.Collector(
                max(1000, TRACE_BUDGET // cell.workers),  # pragma: no mutate (a floor)
                streaming,
            )
            tally = _Tally(check, batch.tasks, collector)
            self.probe.take()
            if self.echo is not None:
                self.echo.begin()
            if self.sampler is not None:
                self.sampler.resume(collector.add_sampled if batch.sampled_lanes else None)
            watched = self.live.watching(collector, cell) if streaming else None
            if self.deadline is not None:
                self.deadline.cell_started(cell)
            with watched or contextlib.nullcontext():
                timing = executors.run(
                    cell.executor,
                    batch,
                    cell.workers,
                    lambda record: self._on_done(record, tally, cell),
                    self.spec.start_method,
                    collector.add,
                    streaming,
                )
        except Exception as exc:
            runs.failed = True
            index = getattr(exc, "index", None)
            self.emit.send(
                events.CellFailed(
                    cell,
                    _failure_reason(exc) + usertask.failing_input(batch.inputs, index),
                    index,
                    traceback.format_exc(limit=8),  # pragma: no mutate (its length)
                )
            )
            return
        if self.deadline is not None:
            self.deadline.cell_ended()
        if self.sampler is not None:  # the runner's own threads; process workers' came back
            tally.sampled.add(self.sampler.take(pause=True))
        finished = None
        if batch.keeps_timeline:
            shared = timeline.shares_one_gil(cell.executor, environment.gil_enabled())
            finished = collector.finish(shared, cell.executor == "asyncio")
            if not finished.workers:  # nothing stamped or sampled: no timeline, not an empty one
                finished = None
        if cell.executor == "serial" and batch.tasks:  # a measured task time, for the chunks
            self.task_s = timing.wall_s / batch.tasks
        if repeat >= 0:
            runs.add(timing, tally, self.probe.take(), finished, batch.chunk)
            runs.sampled.add(tally.sampled)
            if self.echo is not None:
                runs.echo.extend(self.echo.take())
        self.emit.send(tally.progress(cell, self.probe.latest()))  # every cell run ends on one

    def _on_done(self, record: dict[str, Any], tally: _Tally, cell: Cell) -> None:
        if self.deadline is not None:
            self.deadline.task_returned()
        self.crossing.see(record["value"])
        tally.add(record)
        if self.emit.progress_due():
            self.emit.send(tally.progress(cell, self.probe.latest()))


class UserExperiment(Experiment):
    """The same rounds with a function of the user's as the workload: one task per input,
    each result checked against the serial run's for the same input."""

    def run(self) -> None:
        spec = self.spec
        assert spec.task is not None
        user = usertask.UserTask(spec.task, spec.task_path, spec.setup)
        try:
            function = usertask.callable_at(user.task, user.path)
            inputs = self._inputs(user)
            if spec.setup is not None:
                usertask.callable_at(spec.setup, user.path)
        except usertask.NotFound as exc:
            raise Refused(str(exc)) from None
        is_async = inspect.iscoroutinefunction(function)
        found = events.TaskFound(user.task, usertask.source_hash(user), len(inputs), is_async)
        self.emit.send(found)
        pickled = [len(pickle.dumps(value)) for value in inputs] or [0]
        self.crossing = _Crossing(round(sum(pickled) / len(pickled)))
        self.task_s = 0.0  # unknown until the serial baseline has run once
        batch = executors.Batch(
            spec.task,
            0,
            len(inputs),
            None,
            user=user,
            inputs=tuple(inputs),
            sample=self.sampler is not None,
            sampled_lanes=self.sampler is not None and spec.timeline,
        )
        runs = [_CellRuns(cell) for cell in spec.cells]
        for runs_of_cell in runs:
            if runs_of_cell.cell.executor == "asyncio" and not is_async:
                runs_of_cell.failed = True
                reason = (
                    f"skipped: {user.task} is a plain function, so an event loop would run its "
                    "calls one after another (asyncio helps an async def that awaits)"
                )
                self.emit.send(events.CellFailed(runs_of_cell.cell, reason))
        self._rounds(runs, batch, usertask.SameAsSerial().check)

    def _inputs(self, user: usertask.UserTask) -> list[Any]:
        spec = self.spec
        if spec.input_values is not None:
            values: list[Any] = pickle.loads(base64.b64decode(spec.input_values))
            return values
        if spec.inputs is not None:
            return usertask.inputs_at(spec.inputs, user.path)
        return list(range(spec.tasks))


class Refused(ValueError):
    """The spec asks for something the runner will not start (its reason says why)."""


POOLS = ("threads", "processes", "interpreters")
"""The executors that hand tasks to workers through a pool."""
CHUNK_WORK_S = 0.002
"""Work a pool worker is handed at once, at least, when tasks are tinier than a hand-off."""


def chunk_size(task_s: float, tasks: int, workers: int) -> int:
    """Tasks a pool worker is handed at once: one, unless a task takes under CHUNK_WORK_S;
    then enough for that much work, but never so many that a worker's share is one chunk
    (each worker gets four at least, so the load still spreads)."""
    if task_s <= 0 or task_s >= CHUNK_WORK_S:
        return 1
    return max(1, min(math.ceil(CHUNK_WORK_S / task_s), tasks // (4 * workers)))


@dataclasses.dataclass
class _Crossing:
    """Bytes a task's argument and result take pickled: what crosses to another process or
    interpreter and back (the result measured once, from the first task that returns)."""

    arg_bytes: int
    value_bytes: int | None = None

    def see(self, value: Any) -> None:
        if self.value_bytes is None:
            try:
                self.value_bytes = len(pickle.dumps(value))
            except Exception:  # serial and threads never pickle it (processes fail on it)
                self.value_bytes = 0

    @property
    def per_task(self) -> int:
        return self.arg_bytes + (self.value_bytes or 0)


@dataclasses.dataclass
class _CellRuns:
    """What the runs of one cell measured so far."""

    cell: Cell
    failed: bool = False
    walls: list[float] = dataclasses.field(default_factory=list)
    startups: list[float] = dataclasses.field(default_factory=list)
    cpu_totals: list[float] = dataclasses.field(default_factory=list)
    process_cpus: list[float] = dataclasses.field(default_factory=list)
    other_cpu_s: float | None = 0.0
    """CPU that other programs used during the runs (None: the machine cannot say)."""
    probe: list[ProbeSample] = dataclasses.field(default_factory=list)
    timelines: list[timeline.CellTimeline] = dataclasses.field(default_factory=list)
    bad: int = 0
    last: _Tally | None = None
    echo: list[float] = dataclasses.field(default_factory=list)
    """The echo probe's round trips, in ms (none unless the spec asks for it)."""
    chunk: int = 1
    """Tasks a pool worker was handed at once, in the last run."""
    sampled: stacks.Sampled = dataclasses.field(default_factory=stacks.Sampled)
    """The task threads' stack samples over the kept runs (none unless sampled)."""

    def add(
        self,
        timing: executors.Timing,
        tally: _Tally,
        probe: list[ProbeSample],
        finished: timeline.CellTimeline | None,
        chunk: int = 1,
    ) -> None:
        self.walls.append(timing.wall_s)
        self.startups.append(timing.startup_s)
        self.cpu_totals.append(tally.cpu_s)
        self.process_cpus.append(timing.usage.process_cpu_s)
        other = timing.usage.other_cpu_s
        self.other_cpu_s = (
            None if other is None or self.other_cpu_s is None else (self.other_cpu_s + other)
        )
        self.probe.extend(probe)
        if finished is not None:
            self.timelines.append(finished)
        self.bad += tally.bad
        self.last = tally
        self.chunk = chunk

    def measured(self, batch: executors.Batch, crossing: int, trace: bool) -> events.CellMeasured:
        """The cell's message once its last run is done; `crossing`: bytes a task moves,
        pickled; `trace`: also every classified interval of the last run."""
        assert self.last is not None
        crosses = self.cell.executor in ("processes", "interpreters")
        probe = probe_figures(self.probe)
        last = self.timelines[-1] if self.timelines else None
        return events.CellMeasured(
            cell=self.cell,
            tasks=batch.tasks,
            size=batch.size,
            chunk=self.chunk,
            walls=self.walls,
            startups=self.startups,
            cpu_totals=self.cpu_totals,
            process_cpus=self.process_cpus,
            other_cores=usage.other_cores(self.other_cpu_s, sum(self.walls)),
            bytes_moved=crossing * batch.tasks if crosses else 0,
            bad_checksums=self.bad,
            per_worker=self.last.per_worker_summary(),
            records=self.last.records,
            probe_p50_ms=probe["probe_p50_ms"] or 0.0,
            probe_p99_ms=probe["probe_p99_ms"] or 0.0,
            probe_queue_p99_ms=probe["probe_queue_p99_ms"],
            probe_gil_p99_ms=probe["probe_gil_p99_ms"],
            echo_p50_ms=percentile(self.echo, 0.5) if self.echo else None,
            echo_p99_ms=percentile(self.echo, 0.99) if self.echo else None,
            # The timeline's figures: medians over the runs; its lanes: the last run's.
            overlap=statistics.median(t.overlap for t in self.timelines) if last else None,
            handoffs_per_s=_median_of_known(t.handoffs_per_s for t in self.timelines),
            timeline=last.stored() if last else None,
            trace=last.intervals if last and trace else None,
            sampled=self.sampled.to_wire() if self.sampled.samples else None,
        )


def _median_of_known(values: Iterable[float | None]) -> float | None:
    """The median of the values that are known (None: none is)."""
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


class LiveTimeline(threading.Thread):
    """Sends what the running cell's workers recorded, five times a second, while a cell is
    watched; otherwise it sleeps (waking would take the runner's GIL from its threads)."""

    def __init__(self, emit: Emitter) -> None:
        super().__init__(name="gilviz-live", daemon=True)
        self.emit = emit
        self._lock = threading.Lock()
        self._watched: tuple[timeline.Collector, Cell, int] | None = None
        self._watching = threading.Event()

    @contextlib.contextmanager
    def watching(self, collector: timeline.Collector, cell: Cell) -> Iterator[None]:
        """Stream `collector` while the block runs; what is left goes out at its end."""
        with self._lock:
            self._watched = (collector, cell, time.perf_counter_ns())
            self._watching.set()
        try:
            yield
        finally:
            with self._lock:
                self._send()
                self._watched = None
                self._watching.clear()

    def run(self) -> None:  # pragma: no mutate block
        while self._watching.wait():
            time.sleep(TIMELINE_INTERVAL_S)
            with self._lock:
                self._send()

    def _send(self) -> None:
        if self._watched is None:
            return
        collector, cell, origin = self._watched
        new = collector.take_new()
        lanes = [(lane.index, lane.key[0], _relative_us(flat, origin)) for lane, flat in new]
        own = [lane.index for lane, _ in new if lane.own]
        now_us = (time.perf_counter_ns() - origin) // 1000  # pragma: no mutate (ns to µs)
        self.emit.send(events.TimelineUpdate(cell, now_us, lanes, own))


def _relative_us(flat: list[int], origin_ns: int) -> list[int]:
    """Flat [state, start_ns, end_ns, ...] as [state, start_us, end_us, ...] from `origin_ns`."""
    return [v if i % 3 == 0 else (v - origin_ns) // 1000 for i, v in enumerate(flat)]


Check = Callable[[int, Any], bool]
"""Whether task `index`'s value is right: a built-in workload's checksum against its
reference, or a user's result against the serial run's for the same input."""


def matches_reference(expected: int) -> Check:
    """A built-in task is right when its value's checksum is the reference's."""
    return lambda index, value: checksum_of(value) == expected


class _Tally:
    """What one run's finished tasks add up to, kept small whatever the task count."""

    def __init__(self, check: Check, total: int, collector: timeline.Collector) -> None:
        self.collector = collector
        self.check = check
        self.total = total
        self.done = 0
        self.bad = 0
        self.cpu_s = 0.0
        self.started = time.monotonic()
        self.workers: dict[tuple[int, int], list[float]] = {}
        self.records: list[dict[str, Any]] = []
        self.sampled = stacks.Sampled()

    def add(self, record: dict[str, Any]) -> None:
        value = record.pop("value")
        if sampled := record.pop("sampled", None):
            taken = stacks.Sampled.from_wire(sampled)
            for key, flat, own in taken.take_lanes():  # a process worker's, with its chunk
                self.collector.add_sampled(key, flat, own)
            self.sampled.add(taken)
        if recorded := record.pop("timeline", None):
            self.collector.add((record["pid"], record["tid"]), recorded)
        ok = self.check(record["index"], value)
        self.done += 1
        self.bad += not ok
        self.cpu_s += record["cpu_s"]
        key = (record["pid"], record["tid"])
        worker = self.workers.setdefault(key, [len(self.workers), 0, 0.0])
        worker[1] += 1
        worker[2] += record["cpu_s"]
        if len(self.records) < RECORDS_KEPT:
            record.update(
                worker=worker[0],
                ok=ok,
                start=record["start"] - self.started,
                end=record["end"] - self.started,
            )
            self.records.append(record)

    def per_worker_summary(self) -> list[dict[str, Any]]:
        return [
            {"worker": n, "pid": pid, "tid": tid, "tasks": tasks, "cpu_s": cpu}
            for (pid, tid), (n, tasks, cpu) in self.workers.items()
        ]

    def progress(self, cell: Cell, probe: ProbeSample) -> events.Progress:
        return events.Progress(
            cell, self.done, self.total, len(self.workers), probe.late_ms, probe.queue_ms
        )


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, BrokenExecutor):
        return f"a worker died, so the pool broke ({type(exc).__name__}: {exc})"
    return str(exc) or type(exc).__name__


def _kill_my_group_when_stdin_closes(lifeline: int) -> None:  # pragma: no mutate block
    """Our lifeline: the parent holds our stdin open; when it closes, nothing must outlive us.

    Reads a raw duplicate of stdin: blocking in sys.stdin would hold its lock, and children
    forked meanwhile deadlock when multiprocessing closes their sys.stdin.
    """
    while os.read(lifeline, 4096):
        pass
    end_my_group()


def _deadline(spec: ExperimentSpec, emit: Emitter) -> TaskDeadline | None:
    """The task deadline, started, when the spec sets one."""
    if spec.task_timeout_s is None:
        return None

    def stuck(cell: Cell, waited: float) -> None:
        emit.send(
            events.CellFailed(
                cell,
                f"no task returned for {waited:.1f} s (task timeout {spec.task_timeout_s:g} s): "
                "a thread cannot be stopped, so its runner was ended; a fresh one runs the "
                "cells left",
            )
        )

    deadline = TaskDeadline(spec.task_timeout_s, stuck)
    deadline.start()
    return deadline


def main() -> int:  # pragma: no mutate block
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt events
    emit = Emitter(out)
    spec_line = sys.stdin.readline()
    lifeline = os.dup(sys.stdin.fileno())
    nothing = os.open(os.devnull, os.O_RDONLY)  # a task that reads stdin gets end-of-file,
    os.dup2(nothing, sys.stdin.fileno())  # not the lifeline's pipe
    os.close(nothing)
    watchdog = threading.Thread(
        target=_kill_my_group_when_stdin_closes,
        args=(lifeline,),
        name="gilviz-lifeline",
        daemon=True,
    )
    watchdog.start()
    probe = GilProbe()
    probe.start()
    live = LiveTimeline(emit)
    live.start()
    try:
        spec = ExperimentSpec.from_dict(json.loads(spec_line))
        if spec.switch_interval_ms is not None:
            sys.setswitchinterval(spec.switch_interval_ms / 1000)
        echo = EchoProbe() if spec.echo_probe else None
        if echo is not None:
            echo.start()
        deadline = _deadline(spec, emit)
        sampler = None
        if (spec.stacks or spec.task is not None) and stacks.supported():
            roots, path = executors.task_roots(), spec.task_path or None
            lanes = spec.task is not None and spec.timeline  # a user's function stamps none
            sampler = stacks.StackSampler(roots, path, executors.SETUPS, lanes)
            sampler.start()
        started = [probe.native_id, watchdog.native_id, live.native_id]
        started += echo.native_ids if echo else []
        started += [sampler.native_id] if sampler else []
        started += [deadline.native_id] if deadline else []
        service_tids = [threading.get_native_id(), *(tid for tid in started if tid is not None)]
        emit.send(events.Hello(os.getpid(), environment.describe(spec.start_method), service_tids))
        experiment = Experiment if spec.task is None else UserExperiment
        experiment(spec, emit, probe, live, echo, deadline, sampler).run()
        if echo is not None:
            echo.stop()
    except Refused as exc:
        emit.send(events.Fatal(str(exc), refused=True))
        return 2
    except Exception as exc:
        emit.send(events.Fatal(f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()))
        return 1
    emit.send(events.Done())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
