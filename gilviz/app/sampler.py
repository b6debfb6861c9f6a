"""psutil sampling: per-core load history, and the CPU of a running experiment's workers.

Everything kept is bounded (ring buffers), so a long session uses constant memory.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

HISTORY = 120
"""Points kept per core: two minutes, one point a second however often it samples."""
HISTORY_STEP_S = 1.0
"""A sparkline point is the mean of the samples taken over this long (4 while a run goes)."""


@dataclass(frozen=True)
class WorkerLoad:
    """One thread or process of the running experiment and its CPU over the last interval."""

    label: str
    percent: float


@dataclass(frozen=True)
class Snapshot:
    """One sample: per-core percentages, and the experiment's share when one is running."""

    per_core: list[float]
    experiment_cores: float | None = None
    workers: list[WorkerLoad] = field(default_factory=list)


class CpuHistory:
    """The last `history` load samples of each core."""

    def __init__(self, cores: int, history: int = HISTORY) -> None:
        self.history = history
        self.cores = [deque[float](maxlen=history) for _ in range(cores)]

    def follow(self, cores: int) -> bool:
        """Start afresh if the machine now has another number of cores; True if it did."""
        if cores == len(self.cores):
            return False
        self.cores = [deque[float](maxlen=self.history) for _ in range(cores)]
        return True

    def add(self, per_core: list[float]) -> None:
        self.follow(len(per_core))
        for series, value in zip(self.cores, per_core, strict=True):
            series.append(value)


class ExperimentWatch:
    """CPU of a runner process and its children, as deltas between calls."""

    def __init__(self, pid: int, service_tids: list[int], clock: Callable[[], float]) -> None:
        self.process = psutil.Process(pid)
        self.names = dict(
            zip(service_tids, ("runner main", "gil probe", "lifeline", "timeline"), strict=False)
        )
        self.clock = clock
        self.last_time = clock()
        self.last: dict[tuple[str, int], float] = {}
        self.has_pool_processes = False
        """True while a cell of the processes executor runs: only then look for child processes,
        since finding them reads every process's /proc entry."""

    def sample(self) -> tuple[float, list[WorkerLoad]]:
        current = self._cpu_times()
        now = self.clock()  # after the reads: the window ends where the CPU times were taken
        elapsed = max(now - self.last_time, 1e-6)
        self.last_time = now
        # A thread not seen last time started since then: all its CPU time is new. One thread
        # uses at most one core: above 100% is the kernel's accounting catching up (it brings a
        # running thread's time up to date at scheduler ticks), so each thread is capped there.
        loads: dict[str, float] = {}
        for (label, tid), seconds in current.items():
            used = max(0.0, seconds - self.last.get((label, tid), 0.0))
            loads[label] = loads.get(label, 0.0) + min(100.0, used / elapsed * 100)
        self.last = current
        rows = sorted(
            (WorkerLoad(label, percent) for label, percent in loads.items()),
            key=lambda load: load.percent,
            reverse=True,
        )
        return sum(load.percent for load in rows) / 100, rows

    def _cpu_times(self) -> dict[tuple[str, int], float]:
        """CPU seconds per (row label, thread id): a process's threads share its row."""
        times: dict[tuple[str, int], float] = {}
        try:
            for tid, seconds in _thread_seconds(self.process).items():
                times[self.names.get(tid, f"thread {tid}"), tid] = seconds
            children = descendants(self.process) if self.has_pool_processes else []
            for child in children:
                try:
                    for tid, seconds in _thread_seconds(child).items():
                        times[f"process {child.pid}", tid] = seconds
                except psutil.Error:
                    continue
        except psutil.Error:
            pass  # the runner is gone: nothing more to sample
        return times


def _thread_seconds(process: psutil.Process) -> dict[int, float]:
    """Each thread's CPU seconds: from Linux's schedstat (nanoseconds, brought up to date at
    scheduler ticks), else psutil's (10 ms ticks: 4% of a 250 ms sample)."""
    try:
        seconds = {}
        for tid in os.listdir(f"/proc/{process.pid}/task"):
            with open(f"/proc/{process.pid}/task/{tid}/schedstat") as stat:
                seconds[int(tid)] = int(stat.read().split()[0]) / 1e9
        return seconds
    except (OSError, ValueError, IndexError):  # not Linux, or a thread ended as we read
        return {t.id: t.user_time + t.system_time for t in process.threads()}


def descendants(process: psutil.Process) -> list[psutil.Process]:
    """All processes below `process`: from Linux's per-thread `children` lists (a few small reads),
    else, where those are missing or change under us, psutil's scan of every process."""
    try:
        return [psutil.Process(pid) for pid in _descendant_pids(process.pid)]
    except (OSError, psutil.Error):
        return process.children(recursive=True)


def _descendant_pids(pid: int) -> list[int]:
    children: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as listing:
            children.extend(int(child) for child in listing.read().split())
    return children + [grandchild for child in children for grandchild in _descendant_pids(child)]


class Sampler:
    """Takes one Snapshot per call: system-wide per-core load plus the attached experiment."""

    def __init__(
        self,
        per_core: Callable[[], list[float]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_core = per_core or (lambda: psutil.cpu_percent(percpu=True))
        self.clock = clock
        self.history = CpuHistory(psutil.cpu_count() or 1)
        self.watch: ExperimentWatch | None = None
        self._pending: list[list[float]] = []
        self._pending_since = clock()

    def attach(self, pid: int, service_tids: list[int]) -> None:
        try:
            self.watch = ExperimentWatch(pid, service_tids, self.clock)
            self.watch.sample()  # the baseline the first delta is taken from
            self.per_core()  # the machine's window starts at the same moment
        except psutil.Error:
            self.watch = None

    def cell_started(self, executor: str) -> None:
        if self.watch is not None:
            self.watch.has_pool_processes = executor == "processes"

    def detach(self) -> None:
        self.watch = None

    def sample(self) -> Snapshot:
        per_core = self.per_core()
        self._add_to_history(per_core)
        if self.watch is None:
            return Snapshot(per_core)
        cores, workers = self.watch.sample()
        # Both come from tick counters over the same window: past the machine is rounding.
        return Snapshot(per_core, min(cores, sum(per_core) / 100), workers)

    def _add_to_history(self, per_core: list[float]) -> None:
        if self.history.follow(len(per_core)):  # a core came online or went away
            self._pending = []  # samples of the old cores do not add up with the new
        self._pending.append(per_core)
        now = self.clock()
        if now - self._pending_since >= HISTORY_STEP_S:
            count = len(self._pending)
            self.history.add([sum(core) / count for core in zip(*self._pending, strict=True)])
            self._pending, self._pending_since = [], now
