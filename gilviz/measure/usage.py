"""CPU accounting around a run: this process, its worker processes, and the whole machine.

Read from the kernel (`getrusage`, Linux's `/proc`), so what the work cost is measured rather
than inferred from task timings: pickling and pipes included, and the CPU that other programs
took meanwhile. Standard library only: this module runs inside the runner process.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_TICK_S = 1 / os.sysconf("SC_CLK_TCK")
TICKS_FOR_A_FIGURE = 10
"""Runs shorter than this many ticks per core give no other-load figure: tick rounding alone
could move it by a tenth of a core per core."""


def own_cpu_s() -> float:
    """CPU seconds this process has used, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def workers_cpu_s() -> float:
    """CPU seconds used so far by this process's live child processes (pool workers)."""
    return sum(process_cpu_s(child.pid) or 0.0 for child in multiprocessing.active_children())


def process_cpu_s(pid: int | None, proc: Path = PROC) -> float | None:
    """CPU seconds used by process `pid` (user + system), or None where /proc cannot say."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the name in parentheses may hold spaces
    return (int(fields[11]) + int(fields[12])) * _TICK_S


def machine_busy_s(proc: Path = PROC) -> float | None:
    """CPU seconds every core of the machine has spent busy since boot, or None (no /proc).

    Busy is user, nice, system, irq, softirq and steal (another guest took the core)."""
    try:
        with open(proc / "stat") as stat:
            first = stat.readline().split()
    except OSError:
        return None
    if not first or first[0] != "cpu":
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) * _TICK_S


@dataclass(frozen=True)
class Reading:
    """The counters at one moment."""

    own_s: float
    workers_s: float
    front_s: float
    """The front end's CPU (the app or CLI that started the runner): gilviz, not another
    program, so it is not counted as other load."""
    machine_s: float | None

    @classmethod
    def now(cls, with_workers: bool = False) -> Reading:
        return cls(
            own_cpu_s(),
            workers_cpu_s() if with_workers else 0.0,
            process_cpu_s(os.getppid()) or 0.0,
            machine_busy_s(),
        )


@dataclass(frozen=True)
class Usage:
    """What a run used between two readings."""

    process_cpu_s: float
    """CPU of the runner and its workers: the tasks, pickling, pipes and bookkeeping."""
    front_cpu_s: float
    """CPU the front end used meanwhile."""
    machine_cpu_s: float | None
    """CPU the whole machine used meanwhile (None: unknown)."""

    @classmethod
    def between(cls, start: Reading, end: Reading) -> Usage:
        spent = (end.own_s - start.own_s) + max(0.0, end.workers_s - start.workers_s)
        machine = (
            None
            if start.machine_s is None or end.machine_s is None
            else end.machine_s - start.machine_s
        )
        return cls(spent, max(0.0, end.front_s - start.front_s), machine)

    @property
    def other_cpu_s(self) -> float | None:
        """CPU that other programs used meanwhile (None: unknown); may read a little below
        zero, as the kernel counts in clock ticks."""
        if self.machine_cpu_s is None:
            return None
        return self.machine_cpu_s - self.process_cpu_s - self.front_cpu_s


def other_cores(other_cpu_s: float | None, wall_s: float, cpus: int | None = None) -> float | None:
    """Cores other programs kept busy on average over `wall_s`, or None where the runs were
    too short for the kernel's tick counts to say (each core's count may be a tick off)."""
    cpus = cpus or os.cpu_count() or 1
    if other_cpu_s is None or wall_s < TICKS_FOR_A_FIGURE * cpus * _TICK_S:
        return None
    return max(0.0, other_cpu_s / wall_s)
