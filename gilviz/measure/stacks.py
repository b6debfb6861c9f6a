"""Where task threads spend their time, sampled from their stacks: for code gilviz did not write.

Built-in workloads stamp their own progress (`timeline`); a user's function cannot. Instead a
sampler thread wakes every 5-12 ms (at random, so it never keeps step with the 5 ms switch
interval) and, holding the GIL, takes a snapshot of every thread's stack
(`sys._current_frames()`). Holding the GIL is what makes a snapshot say something: a thread
caught inside a call into C is in C that let the GIL go (C that keeps it cannot be caught
midway), and a thread caught between two bytecodes was stopped to hand the GIL over.

Time comes from the kernel, exactly: each task thread's CPU clock and its run-queue time
(`/proc/self/task/TID/schedstat`) since the last sample; the rest of that interval it slept.
The snapshot names the interval, from where the thread stands, whether its CPU clock runs
while the sampler holds the GIL (watched for WATCH_US, only for a thread inside a call and in
no system call), and its system call (`/proc/self/task/TID/syscall`, read with the GIL kept):

- CPU time: `c` (C with the GIL released) when it runs inside a call into C while the
  sampler holds the GIL, `run` (holding the GIL: Python, or C that keeps it) when it stands
  between two bytecodes; waiting inside a call, what it last ran;
- run-queue time: `core`;
- sleep: in a futex wait on the GIL, `gil`; on another futex, `lock` (a Lock, Queue or
  Condition of the user's); in any other system call, `io`; between two bytecodes, `gil`;
  running, or between one wait and the next, what it last slept in (an interval whose two
  ends differ is split between them).

A thread counts while a task runs in it (a frame of the task roots on its stack), or while it
stands in the user's files outside a worker's setup (threads the user's function started).

The GIL's futex addresses are learned, not assumed: at start a helper thread spins in Python
while this one reads where it sleeps, and each thread seen asleep between two bytecodes adds
its address; until one is known, a futex wait inside a call is no lock, only unknown. Linux
only (elsewhere nothing is sampled). Standard library only.
"""

from __future__ import annotations

import contextlib
import ctypes
import dis
import functools
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from gilviz.measure import timeline

INTERVAL_S = (0.005, 0.012)
"""The sampler sleeps a random time in this range between samples."""
STATES = ("run", "c", "io", "gil", "lock", "core")
GIL_SPAN = 512
"""A futex within this many bytes of a learned GIL address is one of the GIL's own words
(its mutex and condition variables lie together in one small struct)."""
FUTEX_CALLS = {"x86_64": {"202", "449"}, "aarch64": {"98", "449"}}.get(os.uname().machine, set())
"""System call numbers of futex and futex_waitv, which every lock and the GIL sleep in."""
CALLS = frozenset(
    [name for name in dis.opname if "CALL" in name] + ["BEFORE_WITH", "BEFORE_ASYNC_WITH"]
)
"""Opcodes a frame stands on while it waits for what it called (PRECALL on 3.11; `with
lock:` calls the lock's `__enter__` from BEFORE_WITH)."""
TOP_LINES = 10
THREAD_CPU_CLOCK = 6
"""Linux's clock id bits for a thread's CPU clock (CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD_MASK)."""
WATCH_US = 60
"""How long a sample watches the task threads' CPU clocks while it holds the GIL (asleep, so
it takes no core): a thread whose clock runs a third of that time or more runs without the
GIL (one that just handed the GIL over also runs, a few µs, on its way back to sleep)."""


LaneSink = Callable[[tuple[int, int], list[int], bool], None]
"""Receives a thread's key (pid, tid), new flat intervals, and whether it is an own thread."""


def supported() -> bool:
    return sys.platform == "linux" and os.path.exists(
        f"/proc/self/task/{threading.get_native_id()}"
    )


@dataclass
class Sampled:
    """What the samples add up to: nanoseconds per state, and per user line."""

    states: Counter[str] = field(default_factory=Counter)
    samples: int = 0
    lines: dict[tuple[str, int, str], Counter[str]] = field(default_factory=dict)
    """(file, line, function) -> ns per state, and 'samples'."""
    lanes: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    """(pid, tid) -> the thread's intervals, flat [state, start_ns, end_ns, ...] in
    `timeline.STATES` codes (kept only when the sampler is asked for lanes)."""
    own: set[tuple[int, int]] = field(default_factory=set)
    """The lanes that are threads the user's function started itself."""

    def add(self, other: Sampled) -> None:
        self.states.update(other.states)
        self.samples += other.samples
        for where, counts in other.lines.items():
            self.lines.setdefault(where, Counter()).update(counts)
        for key, flat in other.lanes.items():
            self.lanes.setdefault(key, []).extend(flat)
        self.own |= other.own

    def to_wire(self) -> dict[str, Any]:
        """A plain form, for a pipe or JSON."""
        return {
            "states": dict(self.states),
            "samples": self.samples,
            "lines": [[*where, dict(counts)] for where, counts in self.lines.items()],
            "lanes": [[*key, key in self.own, flat] for key, flat in self.lanes.items()],
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Sampled:
        lines = {(f, n, fn): Counter(counts) for f, n, fn, counts in data["lines"]}
        lanes = {(pid, tid): flat for pid, tid, _, flat in data.get("lanes", [])}
        own = {(pid, tid) for pid, tid, own, _ in data.get("lanes", []) if own}
        return cls(Counter(data["states"]), data["samples"], lines, lanes, own)

    def take_lanes(self) -> list[tuple[tuple[int, int], list[int], bool]]:
        """The lanes' intervals, each with whether it is an own thread's, given up."""
        taken = [(key, flat, key in self.own) for key, flat in self.lanes.items()]
        self.lanes, self.own = {}, set()
        return taken

    def shares(self) -> dict[str, float]:
        """Each state's share of the sampled time (empty when nothing was sampled)."""
        total = sum(self.states.values())
        return {s: self.states[s] / total for s in STATES} if total else {}

    def hot_lines(self) -> list[dict[str, Any]]:
        """The user's lines by time, most first: ms with the GIL (`run`), in C without it
        (`c`), waiting (all the rest, and each kind of wait), and the samples each rests on."""
        rows = []
        for (path, line, function), counts in self.lines.items():
            run, c = counts["run"], counts["c"]
            waits = {s: counts[s] / 1e6 for s in STATES if s not in ("run", "c")}
            row: dict[str, Any] = {"file": path, "line": line, "function": function}
            row |= {"run_ms": run / 1e6, "c_ms": c / 1e6, "wait_ms": sum(waits.values())}
            row |= {"waits_ms": waits, "samples": counts["samples"]}
            rows.append((run + c + sum(counts[s] for s in waits), row))
        rows.sort(key=lambda total_row: -total_row[0])
        return [row for _, row in rows[:TOP_LINES]]


def label(
    running: bool, in_call: bool, syscall: str, gil: GilWords
) -> tuple[str | None, str | None]:
    """What a thread's CPU time and its sleep since the last sample were, from how the
    snapshot found it: running (while the sampler held the GIL) or not, inside a call into C
    or between bytecodes, and, not running, its system call as /proc gives it ('NR arg0 ...',
    or 'running' for one on its way into or out of a wait). None where the snapshot cannot
    tell: the CPU time of a thread waiting inside a call (it may have run C without the GIL
    before it had to wait), the sleep of one that runs now or is between two waits."""
    if running:
        return ("c" if in_call else "run"), None
    if not in_call:
        return "run", "gil"
    blocked = blocked_in(syscall)
    if blocked is None:
        return None, None
    number, first = blocked
    if number not in FUTEX_CALLS:
        return None, "io"
    if not gil.addresses:  # a futex, but whose is not known yet
        return None, None
    return None, "gil" if gil.holds(first) else "lock"


def blocked_in(syscall: str) -> tuple[str, int] | None:
    """The system call a thread sleeps in, from /proc's 'NR arg0 ...': its number and first
    argument (a futex's address); None for 'running', a thread in none."""
    number, _, rest = syscall.partition(" ")
    if not number.isdigit():
        return None
    return number, int(rest.split(" ", 1)[0], 16) if rest else 0


class GilWords:
    """The futex addresses the GIL's waiters sleep on, as learned."""

    def __init__(self) -> None:
        self.addresses: set[int] = set()

    def learn(self, syscall: str) -> None:
        blocked = blocked_in(syscall)
        if blocked is not None and blocked[0] in FUTEX_CALLS:
            self.addresses.add(blocked[1])

    def holds(self, address: int) -> bool:
        return any(abs(address - known) <= GIL_SPAN for known in self.addresses)


@functools.cache
def _keeping_gil() -> _KeepingGil:
    """Made when first sampled, not when imported (the app imports `Sampled` only)."""
    return _KeepingGil()


class _KeepingGil:
    """libc's pread and usleep, called with the GIL kept (ctypes.PyDLL): os.pread lets the
    GIL go, and a waiting thread would take it mid-sample and change what the sample reads;
    usleep lets the CPU go while the GIL stays, so threads in C without it run meanwhile."""

    def __init__(self) -> None:
        libc = ctypes.PyDLL(None, use_errno=True)
        self.pread = libc.pread
        self.pread.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]
        self.pread.restype = ctypes.c_ssize_t
        self.usleep = libc.usleep
        self.usleep.argtypes = [ctypes.c_uint]


def read_keeping_gil(fd: int, buffer: ctypes.Array[ctypes.c_char]) -> bytes:
    """A /proc file's text, read without letting the GIL go."""
    size = _keeping_gil().pread(fd, buffer, len(buffer), 0)
    if size < 0:
        raise OSError(ctypes.get_errno(), "pread failed")
    return buffer.raw[:size]


def sleep_keeping_gil(microseconds: int) -> None:
    _keeping_gil().usleep(microseconds)


def cpu_clock(tid: int) -> int:
    """A thread's CPU clock id (what pthread_getcpuclockid gives)."""
    return (~tid << 3) | THREAD_CPU_CLOCK


class _Thread:
    """One thread's clocks and /proc files, and its counters at the last sample."""

    def __init__(self, tid: int, own: bool, since: tuple[int, int | None] | None = None) -> None:
        """`own`: a thread of the user's function, found outside any task; `since`: when the
        sampler last looked (not finding it at work) and the thread's CPU clock then (None:
        it was not alive), to count the CPU it used since (and its run-queue time, if it
        started since), but no sleep: when it began is not known. None: from now."""
        self.tid, self.own = tid, own
        self.clock = cpu_clock(tid)
        base = f"/proc/self/task/{tid}/"
        self.fds = [os.open(base + name, os.O_RDONLY) for name in ("schedstat", "syscall")]
        self.buffer = ctypes.create_string_buffer(512)
        self.wall, self.cpu, self.queue = self.counters()
        if since is not None:  # a short-lived helper may be seen only once
            looked, cpu_then = since
            ran = self.cpu - (cpu_then or 0)
            queued = self.queue if cpu_then is None else 0
            self.wall = max(looked, self.wall - ran - queued)
            self.cpu, self.queue = self.cpu - ran, self.queue - queued
        self.on_cpu, self.asleep = "run", ""
        """What it last ran and slept in: the labels when a snapshot cannot tell ('': not
        seen asleep yet, so its first sleep is labelled by what this sample sees)."""

    def counters(self) -> tuple[int, int, int]:
        """When read, and the thread's CPU and run-queue ns so far."""
        queued = int(read_keeping_gil(self.fds[0], self.buffer).split()[1])
        return time.perf_counter_ns(), self.cpu_ns(), queued

    def cpu_ns(self) -> int:
        """Its CPU clock, exact even while it runs (schedstat's lags by up to a tick)."""
        return time.clock_gettime_ns(self.clock)

    def syscall(self) -> str:
        return read_keeping_gil(self.fds[1], self.buffer).decode().strip()

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)


class StackSampler(threading.Thread):
    """Samples the threads running tasks (a frame of `roots` on their stack) and any thread
    standing in a file under `user_path` (threads the user's function started itself).
    With `lanes`, it also lays each thread's time out as timeline intervals: they go to the
    sink given to `resume`, or else with what `take` returns."""

    def __init__(
        self,
        roots: Iterable[CodeType],
        user_path: str | None = None,
        setups: Iterable[CodeType] = (),
        lanes: bool = False,
    ) -> None:
        super().__init__(name="gilviz-stacks", daemon=True)
        self._roots = frozenset(roots)
        self._setups = frozenset(setups)
        """A worker's setup before its first task: the user's code, but no task's time."""
        self._user = os.path.join(os.path.abspath(user_path), "") if user_path else None
        self._skip = tuple(
            {os.path.dirname(os.path.dirname(__file__)), sys.prefix, sys.base_prefix}
        )  # gilviz itself and the Python's own files (a venv inside the user's folder too)
        self.gil = GilWords()
        self._threads: dict[int, _Thread] = {}
        self._sampled = Sampled()
        self._lock = threading.Lock()
        self._active = threading.Event()
        self._fresh: Look | None = None
        """Set by `resume`: the sampler starts afresh, from this look."""
        self._stopping = False
        self._lanes = lanes
        self._sink: LaneSink | None = None
        self._looked: Look | None = None
        """The last sample's look (None: none since resumed)."""
        self._pid = os.getpid()

    def run(self) -> None:
        self._learn_gil()
        while self._active.wait():
            time.sleep(random.uniform(*INTERVAL_S))
            if self._stopping:
                return
            if self._active.is_set():  # not paused while it slept
                self.sample()

    def resume(self, sink: LaneSink | None = None) -> None:
        """Sample from now on, forgetting what was sampled before (and where each thread's
        counters stood: the time while paused is no task's); lanes go to `sink` if given."""
        alive = {t.native_id for t in threading.enumerate() if t.native_id is not None}
        with self._lock:
            self._sampled = Sampled()
            self._fresh = self._look(alive)
            self._sink = sink
        self._active.set()

    def take(self, pause: bool = False) -> Sampled:
        """What was sampled since the last take; with `pause`, sample no more until resumed."""
        if pause:
            self._active.clear()
        with self._lock:
            taken, self._sampled = self._sampled, Sampled()
        return taken

    def stop(self) -> None:
        self._stopping = True
        self._active.set()
        self.join()
        for thread in self._threads.values():
            thread.close()

    def sample(self) -> None:
        """One snapshot: each task thread's interval since its last sample, labelled."""
        with self._lock:
            fresh, self._fresh = self._fresh, None
        if fresh is not None:
            self._forget(list(self._threads))
            self._looked = fresh
        seen = self._task_threads(sys._current_frames())
        taken = Sampled()
        try:
            readings = [thread.counters() for thread, _, _ in seen]
            # Between bytecodes, a thread waits for the GIL: its system call only teaches
            # where the GIL's waiters sleep, until that is known.
            learning = not self.gil.addresses
            syscalls = [t.syscall() if c or learning else "" for t, c, _ in seen]
            # Only a thread inside a call and in no system call may be running C without the
            # GIL: watch, if there is one.
            maybe = [
                in_call and blocked_in(syscall) is None
                for (_, in_call, _), syscall in zip(seen, syscalls, strict=True)
            ]
            start = time.perf_counter_ns()
            if any(maybe):
                sleep_keeping_gil(WATCH_US)
            watched = time.perf_counter_ns() - start
            for (thread, in_call, line), syscall, could, reading in zip(
                seen, syscalls, maybe, readings, strict=True
            ):
                running = could and thread.cpu_ns() - reading[1] >= watched // 3
                self._count(thread, (in_call, running, syscall), line, reading, taken)
        except (OSError, ValueError, IndexError):
            return  # a thread ended while it was read: this sample is lost
        with self._lock:
            if self._fresh is not None:  # resumed meanwhile: this sample is the last cell's
                return
            if self._sink is not None:
                for key, flat, own in taken.take_lanes():
                    self._sink(key, flat, own)
            self._sampled.add(taken)

    def _task_threads(
        self, frames: dict[int, FrameType]
    ) -> list[tuple[_Thread, bool, tuple[str, int, str] | None]]:
        """The threads a snapshot finds running tasks (or the user's own code): each with
        whether it stands inside a call, and its innermost user line. A thread seen for the
        first time only has its counters set, but one of the user's own (a helper that may
        live 40 ms) is counted from the last sample; one in a worker's setup has them set at
        each sample (a setup's time is no task's)."""
        # Looked up at every sample: a thread that ends leaves its ident to the next one
        # started, often at once (a function starting a helper per call).
        native = {t.ident: t.native_id for t in threading.enumerate()}
        alive = {tid for tid in native.values() if tid is not None}
        self._forget([tid for tid in self._threads if tid not in alive])
        last = self._looked
        seen = []
        for ident, frame in frames.items():
            tid = native.get(ident)
            if tid is None or tid == self.native_id:
                continue
            line, doing = self._where(frame)
            if not doing and line is None:
                continue
            thread = self._threads.get(tid)
            if thread is None:
                counted = not doing and last is not None  # one of the user's, not a task's
                since = (last[0], last[1].get(tid)) if counted and last else None
                with contextlib.suppress(OSError):  # it ended meanwhile
                    thread = self._threads[tid] = _Thread(tid, not doing, since)
                if not counted or thread is None:
                    continue
            elif doing == "setup":
                with contextlib.suppress(OSError):  # it ended meanwhile
                    thread.wall, thread.cpu, thread.queue = thread.counters()
                continue
            seen.append((thread, _in_call(frame), line))
        self._looked = self._look(alive - self._threads.keys())
        return seen

    def _count(
        self,
        thread: _Thread,
        standing: tuple[bool, bool, str],
        line: tuple[str, int, str] | None,
        reading: tuple[int, int, int],
        taken: Sampled,
    ) -> None:
        """Adds a thread's interval since its last sample, labelled by how it stands now:
        inside a call or not, running or not, and its system call."""
        now, cpu, queue = reading
        in_call, running, syscall = standing
        if not running and not in_call:
            self.gil.learn(syscall)
        seen_on_cpu, seen_asleep = label(running, in_call, syscall, self.gil)
        cpu_state = thread.on_cpu = seen_on_cpu or thread.on_cpu
        sleep_state = seen_asleep or thread.asleep or "gil"
        before = thread.asleep or sleep_state
        queued = queue - thread.queue
        slept = max(0, (now - thread.wall) - (cpu - thread.cpu) - queued)
        # It changed somewhere in between: half the sleep to each. In this order, as a thread
        # sleeps, queues for a core, runs and sleeps again (the order within one interval,
        # 5-12 ms, is not known).
        parts = [
            (before, slept // 2),
            ("core", queued),
            (cpu_state, cpu - thread.cpu),
            (sleep_state, slept - slept // 2),
        ]
        if self._lanes:
            key = (self._pid, thread.tid)
            taken.lanes.setdefault(key, []).extend(lay_out(thread.wall, now, parts))
            if thread.own:
                taken.own.add(key)
        spent: Counter[str] = Counter()
        for state, ns in parts:
            spent[state] += ns
        thread.wall, thread.cpu, thread.queue, thread.asleep = now, cpu, queue, sleep_state
        taken.states.update(spent)
        taken.samples += 1
        if line is not None:
            counts = taken.lines.setdefault(line, Counter())
            counts.update(spent)
            counts["samples"] += 1

    def _forget(self, tids: list[int]) -> None:
        for tid in tids:
            self._threads.pop(tid).close()

    def _look(self, tids: set[int]) -> Look:
        """Now, and these threads' CPU clocks: only where a thread of the user's own can be
        found (a user's path), the one kind counted from the look before its first sighting."""
        return look(tids if self._user is not None else ())

    def _where(self, frame: FrameType | None) -> tuple[tuple[str, int, str] | None, str]:
        """The innermost user line on a stack (None: none), and what the thread does: runs a
        task ('task'), a worker's setup before its tasks ('setup'), or neither ('')."""
        line, setup = None, False
        while frame is not None:
            code = frame.f_code
            if line is None and self._is_users(code.co_filename):
                line = (code.co_filename, frame.f_lineno or 0, code.co_name)
            if code in self._roots:
                return line, "task"
            setup = setup or code in self._setups
            frame = frame.f_back
        return line, "setup" if setup else ""

    def _is_users(self, path: str) -> bool:
        return (
            self._user is not None
            and path.startswith(self._user)
            and not path.startswith(self._skip)
            and "site-packages" not in path
        )

    def _learn_gil(self) -> None:
        """Find the GIL's futex: a helper spins in Python, so whenever this thread has the
        GIL back and reads the helper's system call, the helper is asleep waiting for it."""
        if not FUTEX_CALLS:
            return
        spinning = True

        def spin() -> None:
            while spinning:
                pass

        helper = threading.Thread(target=spin, name="gilviz-gil-finder", daemon=True)
        helper.start()
        assert helper.native_id is not None
        try:
            fd = os.open(f"/proc/self/task/{helper.native_id}/syscall", os.O_RDONLY)
        except OSError:
            spinning = False
            return
        try:
            buffer = ctypes.create_string_buffer(512)
            for _ in range(50):  # pragma: no mutate (a bound: one read is usually enough)
                time.sleep(0.001)  # the helper runs; this thread waits to get the GIL back
                sleep_keeping_gil(200)  # the helper, on a core, goes to sleep on the GIL
                self.gil.learn(read_keeping_gil(fd, buffer).decode())
                if self.gil.addresses:
                    return
        finally:
            spinning = False
            os.close(fd)
            helper.join()


def lay_out(start: int, end: int, parts: list[tuple[str, int]]) -> list[int]:
    """Parts of an interval (state, ns) laid end to end from `start`, as flat timeline
    intervals (the last cut at `end`: the kernel's clocks and the wall clock differ a little)."""
    flat: list[int] = []
    at = start
    for state, ns in parts:
        until = min(end, at + ns)
        if until > at:
            code = timeline.STATES.index(state)
            if flat and flat[-3] == code:
                flat[-1] = until
            else:
                flat += [code, at, until]
            at = until
    return flat


Look = tuple[int, dict[int, int]]
"""When a sample looked, and the CPU clock then of each thread it did not count."""


def look(tids: Iterable[int]) -> Look:
    """Now, and the CPU clocks of these threads (one that ended meanwhile is left out)."""
    clocks = {}
    for tid in tids:
        with contextlib.suppress(OSError):
            clocks[tid] = time.clock_gettime_ns(cpu_clock(tid))
    return time.perf_counter_ns(), clocks


def _in_call(frame: FrameType) -> bool:
    """Whether the innermost frame waits for a call into C to return."""
    lasti = frame.f_lasti
    code = frame.f_code.co_code
    return 0 <= lasti < len(code) and dis.opname[code[lasti]] in CALLS


_worker_sampler: list[StackSampler] = []


def start_in_worker(
    roots: Iterable[CodeType], user_path: str | None, setups: Iterable[CodeType], lanes: bool
) -> None:
    """Sample this process (a pool worker) for as long as it lives; its lanes, if asked for,
    come with what it takes."""
    if supported():
        sampler = StackSampler(roots, user_path, setups, lanes)
        sampler.start()
        sampler.resume()
        _worker_sampler.append(sampler)


def in_this_worker() -> StackSampler | None:
    """This pool worker's sampler (None in the runner, or where nothing is sampled)."""
    return _worker_sampler[0] if _worker_sampler else None
