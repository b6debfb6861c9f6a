"""What each worker was doing, measured from inside: activity stamps become state intervals.

Workloads do their work in small chunks (about 0.3 ms) and call `mark(state)` after each one.
A mark reads the wall clock, and the thread's own CPU clock when the chunk was slow: time off
the CPU is a *stall* (waiting for the GIL, or for a core). Intervals go to the runner with
tasks' records (at most every 10 ms: tiny tasks hand theirs over in batches), and live (through
a sink) when the app watches.

The runner's `Collector` keeps a cell's intervals bounded (older stretches are downsampled,
never dropped) while adding up exact totals, then works out the figures: how many workers ran
at once (`overlap`), how often a stalled worker resumed (`handoffs_per_s`), each worker's
shares, and whether a stall was a wait for the GIL (another worker of the same interpreter was
running meanwhile) or for a core. Standard library only: this module runs in the runner and in
pool workers, under any Python >= 3.11.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

RUN, C, IO, STALL = 0, 1, 2, 3
"""What a worker recorded: running Python, running C with the GIL released, waiting on I/O,
stalled (it had work but was off the CPU)."""
GIL, CORE = 3, 4
"""A stall, once classified: waiting for the GIL, or for a core (or anything but a worker)."""
LOCK = 5
"""Waiting on a lock of the user's: only stack samples tell it (`stacks`), never a stamp."""
STATES = ("run", "c", "io", "gil", "core", "lock")
"""Names of the classified states, indexed by code; time in none of them is idle."""

STALL_MIN_NS = 100_000
"""Off-CPU time within a chunk below this is noise (interrupts, page faults), not a stall."""
FLUSH_NS = 100_000_000
"""A worker hands its intervals to the live sink at most ten times a second."""
TAKE_NS = 10_000_000
"""A task's record carries what its worker recorded at most every 10 ms (a pool worker's
chunk ends with the rest): tiny tasks hand their intervals over in batches."""
LANE_CAP = 20_000
"""Intervals a lane keeps before its older half is downsampled."""
STORED_BINS = 240
"""Columns of the compact timeline kept with a result (enough for a 200-column terminal)."""
STORED_LANES = 16
"""Above this many workers, stored lanes each average several workers."""
LEVELS = "0123456789"
"""A stored share of a bin, from 0 to 9 tenths (rounded)."""

Sink = Callable[[tuple[int, int], list[int]], None]
"""Receives (worker key, flat intervals [state, start_ns, end_ns, ...])."""


class Recorder:
    """One worker thread's stamps, as flat intervals [state, start_ns, end_ns, ...].

    The wall clock is read after every chunk (it costs ~40 ns). The thread's CPU clock is a
    system call whose true cost is ~12 µs (it disturbs the caches), so it is read only when a
    chunk took longer than the fastest chunk of its kind, and at least every FLUSH_NS: the
    off-CPU time since the last reading is then measured and placed in that chunk.
    """

    def __init__(
        self,
        sink: Sink | None = None,
        wall_ns: Callable[[], int] = time.perf_counter_ns,
        cpu_ns: Callable[[], int] = time.thread_time_ns,
    ) -> None:
        self.key = thread_key()
        self.sink = sink
        self.wall_ns, self.cpu_ns = wall_ns, cpu_ns
        self.data: list[int] = []
        self.fastest: dict[int, int] = {}
        """The shortest chunk seen, per state, that ran straight through."""
        self.last_flush = wall_ns()
        self.taken_at = self.last_flush - TAKE_NS  # the first task's record carries its own
        self.t = self.last_flush
        self.read_at, self.cpu = self.t, cpu_ns()
        """When the CPU clock was last read, and what it said."""

    def begin(self) -> None:
        """Work starts now: the time since the last mark was not this worker's work."""
        self.t = self.wall_ns()
        self.read_at, self.cpu = self.t, self.cpu_ns()

    def mark(self, state: int) -> None:
        """The time since the last mark (or begin) was spent in `state`."""
        now = self.wall_ns()
        start, self.t = self.t, now
        wall = now - start
        fastest = self.fastest.get(state)
        if state == IO or (
            fastest is not None and wall <= fastest + STALL_MIN_NS and now - self.read_at < FLUSH_NS
        ):
            self._add(state, start, now)  # on the CPU throughout (or waiting on I/O)
        else:
            cpu = self.cpu_ns()
            off = min(wall, (now - self.read_at) - (cpu - self.cpu))
            self.read_at, self.cpu = now, cpu
            if off > STALL_MIN_NS:
                # Where in the chunk it stalled is unknown; its CPU time either side of it.
                half = (wall - off) // 2
                self._add(state, start, start + half)
                self._add(STALL, start + half, now - (wall - off - half))
                self._add(state, now - (wall - off - half), now)
            else:
                self._add(state, start, now)
                self.fastest[state] = min(wall, fastest or wall)
        if self.sink is not None and now - self.last_flush >= FLUSH_NS:
            self.flush()

    def _add(self, state: int, start: int, end: int) -> None:
        data = self.data
        if data and data[-3] == state and data[-1] == start:
            data[-1] = end
        elif end > start:
            data.extend((state, start, end))

    def flush(self) -> None:
        """Hand what was recorded since the last flush to the live sink."""
        self.last_flush = self.wall_ns()
        if self.data and self.sink is not None:
            self.sink(self.key, self.take())

    def take(self) -> list[int]:
        data, self.data = self.data, []
        return data

    def take_due(self) -> list[int] | None:
        """What was recorded since the last take, if TAKE_NS have passed since (else None)."""
        now = self.wall_ns()
        if now - self.taken_at < TAKE_NS:
            return None
        self.taken_at = now
        return self.take()


class _NoRecorder:
    """Recording off: marks cost one call and nothing else."""

    def begin(self) -> None:
        pass

    def mark(self, state: int) -> None:
        pass


_local = threading.local()
_OFF = _NoRecorder()
_here = threading.local()


def thread_key() -> tuple[int, int]:
    """This thread's (process id, native thread id): each a system call, so read once per
    thread (and again in a child process after a fork)."""
    try:
        key: tuple[int, int] = _here.key
    except AttributeError:
        key = _here.key = (os.getpid(), threading.get_native_id())
    return key


os.register_at_fork(after_in_child=lambda: vars(_here).clear())


def attach(sink: Sink | None = None) -> None:
    """Record this thread's marks from now on (a pool initializer or the runner calls it)."""
    _local.recorder = Recorder(sink)


def detach() -> tuple[tuple[int, int], list[int]]:
    """Stop recording in this thread; returns its key and what was not yet handed over."""
    current: Recorder | None = getattr(_local, "recorder", None)
    _local.recorder = None
    if current is None:
        return thread_key(), []
    return current.key, current.take()


def recording() -> bool:
    """Whether this thread records its marks."""
    return getattr(_local, "recorder", None) is not None


def recorder() -> Recorder | _NoRecorder:
    """This thread's recorder, or one that records nothing."""
    return getattr(_local, "recorder", None) or _OFF


def marker() -> Callable[[int], None]:
    """For a workload: work starts now; returns the mark function to call after each chunk."""
    current = recorder()
    current.begin()
    return current.mark


def take_pending() -> list[int] | None:
    """What this thread recorded since its last flush (None: it records nothing)."""
    current = getattr(_local, "recorder", None)
    return current.take() if current is not None else None


def take_due() -> list[int] | None:
    """What a task's record carries: what this thread recorded since the last take, once
    TAKE_NS have passed since (None: not yet, or it records nothing)."""
    current = getattr(_local, "recorder", None)
    return current.take_due() if current is not None else None


# --- the runner side ---------------------------------------------------------------------


@dataclass
class Lane:
    """One worker's intervals (bounded) and its exact totals."""

    index: int
    key: tuple[int, int]
    intervals: list[tuple[int, int, int]]
    totals: list[int]
    """Nanoseconds recorded in each state, STALL in GIL's place until classified (exact,
    whatever was downsampled)."""
    sampled: bool = False
    """Its intervals come from stack samples, already classified (STATES), not from stamps."""
    own: bool = False
    """A thread the user's function started itself, not a worker."""
    resumes: int = 0
    """Stalls this worker came back from (stamped lanes only)."""
    last: tuple[int, int] = (-1, -1)
    """The state and end of the interval added last (a stall split by a flush is one)."""
    pending: list[int] = field(default_factory=list)
    """Flat intervals not yet sent in a live update."""


class Collector:
    """A cell's timeline as it arrives from its workers (from any thread)."""

    def __init__(self, lane_cap: int = LANE_CAP, streaming: bool = False) -> None:
        self.lane_cap = lane_cap
        self.streaming = streaming
        """Keep what arrives for `take_new` (live updates); else only the lanes."""
        self.lanes: dict[tuple[int, int], Lane] = {}
        self._lock = threading.Lock()

    def add(
        self, key: tuple[int, int], flat: Sequence[int], sampled: bool = False, own: bool = False
    ) -> None:
        """A worker's new intervals: stamped (raw states), or `sampled` (classified, from
        stack samples), and then perhaps a thread of the user's `own`."""
        with self._lock:
            lane = self.lanes.get(key)
            if lane is None:
                totals = [0] * len(STATES)
                lane = self.lanes[key] = Lane(len(self.lanes), key, [], totals, sampled, own)
            if self.streaming and len(lane.pending) < 3 * self.lane_cap:
                lane.pending.extend(flat)
            for i in range(0, len(flat), 3):
                state, start, end = flat[i], flat[i + 1], flat[i + 2]
                lane.intervals.append((state, start, end))
                lane.totals[state] += end - start
                lane.resumes += not sampled and state == STALL and lane.last != (STALL, start)
                lane.last = (state, end)
            while len(lane.intervals) > self.lane_cap:
                _downsample(lane, self.lane_cap)

    def add_sampled(self, key: tuple[int, int], flat: Sequence[int], own: bool) -> None:
        """A thread's intervals from stack samples (`stacks.LaneSink`)."""
        self.add(key, flat, sampled=True, own=own)

    def take_new(self) -> list[tuple[Lane, list[int]]]:
        """Flat intervals not yet sent live, per lane (what a 4 Hz update carries)."""
        with self._lock:
            new = []
            for lane in self.lanes.values():
                if lane.pending:
                    new.append((lane, lane.pending))
                    lane.pending = []
            return new

    def finish(self, shared_gil: bool, gaps_are_io: bool = False) -> CellTimeline:
        """The cell's figures and lanes. `shared_gil`: the workers take turns on one GIL."""
        with self._lock:
            lanes = sorted(self.lanes.values(), key=lambda lane: (lane.own, lane.index))
        return analyse(lanes, shared_gil, gaps_are_io)


def _downsample(lane: Lane, cap: int) -> None:
    """Coarsen the older half of a lane onto a grid (each cell keeps its main state)."""
    ordered = sorted(lane.intervals, key=itemgetter(1))
    half = len(ordered) // 2
    old, recent = ordered[:half], ordered[half:]
    start, end = old[0][1], old[-1][2]
    cells = max(1, cap // 8)
    width = max(1, (end - start) // cells + 1)
    kinds = len(STATES)
    spent = [0] * (cells * kinds)
    """Nanoseconds in each state, per cell (integers: the cells' main states, exactly)."""
    for state, left, right in old:
        first = (left - start) // width
        if (right - start) // width == first:  # most intervals lie inside one cell
            spent[first * kinds + state] += right - left
            continue
        for column in range(first, min(cells - 1, (right - start) // width) + 1):
            lo = max(left, start + column * width)
            hi = min(right, start + (column + 1) * width)
            spent[column * kinds + state] += max(0, hi - lo)
    merged: list[tuple[int, int, int]] = []
    for column in range(cells):
        row = spent[column * kinds : (column + 1) * kinds]
        most = max(row)
        if not most:
            continue
        state = row.index(most)
        left = start + column * width
        if merged and merged[-1][0] == state and merged[-1][2] == left:
            merged[-1] = (state, merged[-1][1], left + width)
        else:
            merged.append((state, left, left + width))
    lane.intervals = merged + recent


def _bin(
    intervals: Iterable[tuple[int, int, int]],
    start: int,
    width: float,
    columns: int,
    kinds: int,
) -> list[list[float]]:
    """Share of each column, `width` long, spent in each state (0..1)."""
    shares = [[0.0] * kinds for _ in range(columns)]
    for state, left, right in intervals:
        if right <= start:
            continue
        first = max(0, int((left - start) // width))
        last = min(columns - 1, int((right - start) // width))
        for column in range(first, last + 1):
            lo = max(left, start + column * width)
            hi = min(right, start + (column + 1) * width)
            if hi > lo:
                shares[column][state] += (hi - lo) / width
    return shares


def bin_intervals(
    intervals: Iterable[tuple[int, int, int]], start: int, end: int, columns: int
) -> list[list[float]]:
    """Classified intervals (codes of STATES) as `columns` columns of shares, start to end."""
    columns = max(1, columns)
    width = max(1, end - start) / columns
    return _bin(intervals, start, width, columns, kinds=len(STATES))


@dataclass(frozen=True)
class CellTimeline:
    """A cell's timeline: figures, the classified intervals (µs from the start), and lanes."""

    span_s: float
    overlap: float
    handoffs_per_s: float | None
    """GIL hand-offs a second, counted from stamps (None: lanes from stack samples)."""
    workers: list[dict[str, Any]]
    """Per worker: key, shares of each state (and idle) over the span, resumes, and `own`
    for a thread the user's function started."""
    intervals: list[list[tuple[int, int, int]]]
    """Per lane, classified intervals in µs from the span's start (for a trace file)."""
    own: int = 0
    """How many of the lanes, the last ones, are threads the user's function started."""
    sampled: bool = False
    """The lanes come from stack samples (a user's function), not from stamps."""

    def stored(self) -> dict[str, Any]:
        """The compact form kept with a result: figures and at most 16 lanes of 240 bins
        (a state a lane was never in is left out of its bins)."""
        end = round(self.span_s * 1e6)
        workers = len(self.intervals) - self.own
        own_rows = pack(self.intervals[workers:])
        drawn = self.intervals[:workers] + [intervals for intervals, _ in own_rows]
        lanes = []
        for first, last, label in stored_groups(workers, len(own_rows)):
            columns = [[0.0] * len(STATES) for _ in range(STORED_BINS)]
            for intervals in drawn[first:last]:
                for column, shares in zip(
                    columns, bin_intervals(intervals, 0, end, STORED_BINS), strict=True
                ):
                    for state, share in enumerate(shares):
                        column[state] += share / (last - first)
            bins = {
                name: "".join(LEVELS[min(9, round(c[s] * 9))] for c in columns)
                for s, name in enumerate(STATES)
            }
            kept: dict[str, Any] = {"label": label, "workers": last - first}
            if first >= workers:
                threads = sum(count for _, count in own_rows[first - workers : last - workers])
                kept |= {"own": True, "threads": threads}
            lanes.append(kept | {"bins": {s: b for s, b in bins.items() if b.strip("0")}})
        return {
            "source": "samples" if self.sampled else "stamps",
            "span_s": self.span_s,
            "overlap": self.overlap,
            "handoffs_per_s": self.handoffs_per_s,
            "workers": self.workers,
            "lanes": lanes,
        }


def pack(
    lanes: list[list[tuple[int, int, int]]],
) -> list[tuple[list[tuple[int, int, int]], int]]:
    """Lanes (sorted intervals) packed into as few rows as keep each row's lanes apart in
    time, and how many lanes each row holds: a function that starts a helper per call gets
    one row of helpers, one after another, not a row per helper."""
    rows: list[list[tuple[int, int, int]]] = []
    counts: list[int] = []
    for lane in sorted((lane for lane in lanes if lane), key=lambda lane: lane[0][1]):
        free = next((i for i, row in enumerate(rows) if row[-1][2] <= lane[0][1]), None)
        if free is None:
            rows.append(list(lane))
            counts.append(1)
        else:
            rows[free].extend(lane)  # in place: a helper per call may make thousands
            counts[free] += 1
    return list(zip(rows, counts, strict=True))


def group_lanes(
    count: int, most: int, prefix: str = "w", offset: int = 0
) -> list[tuple[int, int, str]]:
    """`count` lanes (from `offset`) as at most `most` runs of neighbours: (first, last + 1,
    label), labelled by `prefix` and the lanes' numbers ('w3', 'w1-4', 'own1')."""
    groups = min(count, most)
    bounds = [(g * count // groups, (g + 1) * count // groups) for g in range(groups)]
    return [
        (
            offset + first,
            offset + last,
            f"{prefix}{first + 1}" if last - first == 1 else f"{prefix}{first + 1}-{last}",
        )
        for first, last in bounds
    ]


def stored_groups(workers: int, own: int, most: int = STORED_LANES) -> list[tuple[int, int, str]]:
    """Workers' lanes then the user's own threads' ('own1'), at most `most` in all: the own
    threads get up to a quarter of them."""
    own_most = min(own, max(1, most // 4)) if own else 0
    return group_lanes(workers, most - own_most) + group_lanes(own, own_most, "own", workers)


def shares_one_gil(executor: str, gil_enabled: bool) -> bool:
    """Whether an executor's workers take turns on one GIL (threads of one interpreter)."""
    return gil_enabled and executor in ("serial", "threads", "asyncio")


def analyse(lanes: list[Lane], shared_gil: bool, gaps_are_io: bool = False) -> CellTimeline:
    """Figures from the lanes. A stall is a GIL wait only for the part of it during which
    another worker of the same process was running Python (and the workers share a GIL);
    sampled lanes come classified. Hand-offs are counted from stamps only (a sample every
    5-12 ms misses most of them): with sampled lanes there is no count."""
    if not lanes or not any(lane.intervals for lane in lanes):
        return CellTimeline(0.0, 0.0, 0.0, [], [])
    ordered = [sorted(lane.intervals, key=lambda iv: iv[1]) for lane in lanes]
    start = min(lane[0][1] for lane in ordered if lane)
    end = max(iv[2] for lane in ordered for iv in lane)
    span = max(1, end - start)
    if gaps_are_io:  # an event loop waits for I/O whenever no coroutine is running
        ordered = [
            lane if lanes[i].sampled else _fill_gaps(lane, start, end, IO)
            for i, lane in enumerate(ordered)
        ]
    runs = [_runs(lane) for lane in ordered]
    classified = []
    for i, ordered_lane in enumerate(ordered):
        others = [
            runs[j]
            for j in range(len(ordered))
            if j != i and shared_gil and lanes[j].key[0] == lanes[i].key[0]
        ]
        classified.append(
            ordered_lane if lanes[i].sampled else _classify(ordered_lane, _union(others))
        )
    workers = []
    working = 0.0
    for lane, intervals in zip(lanes, classified, strict=True):
        spent = [float(ns) for ns in lane.totals] if lane.sampled else _stamped(lane, intervals)
        working += spent[RUN] + spent[C]
        shares = {name: spent[s] / span for s, name in enumerate(STATES)}
        shares["idle"] = max(0.0, 1.0 - sum(shares.values()))
        worker: dict[str, Any] = {"pid": lane.key[0], "tid": lane.key[1], "resumes": lane.resumes}
        worker |= {"own": True} if lane.own else {}
        workers.append(worker | {"shares": {k: round(v, 4) for k, v in shares.items()}})
    micro = [
        [(s, (lo - start) // 1000, (hi - start) // 1000) for s, lo, hi in c] for c in classified
    ]
    sampled = any(lane.sampled for lane in lanes)
    return CellTimeline(
        span_s=span / 1e9,
        overlap=working / span,
        handoffs_per_s=None if sampled else sum(lane.resumes for lane in lanes) / (span / 1e9),
        workers=workers,
        intervals=micro,
        own=sum(lane.own for lane in lanes),
        sampled=sampled,
    )


def _stamped(lane: Lane, intervals: list[tuple[int, int, int]]) -> list[float]:
    """A stamped lane's ns per state: its exact totals (downsampling coarsens the picture,
    never these), the stall time split into GIL and core waits as the classified intervals
    split it."""
    drawn = [0] * len(STATES)
    for state, left, right in intervals:
        drawn[state] += right - left
    spent = [float(lane.totals[RUN]), float(lane.totals[C]), float(max(lane.totals[IO], drawn[IO]))]
    stalled = lane.totals[STALL]
    gil_part = drawn[GIL] / (drawn[GIL] + drawn[CORE]) if drawn[GIL] + drawn[CORE] else 0.0
    return [*spent, stalled * gil_part, stalled * (1 - gil_part), 0.0]


def _fill_gaps(
    lane: list[tuple[int, int, int]], start: int, end: int, state: int
) -> list[tuple[int, int, int]]:
    filled = []
    at = start
    for interval in lane:
        if interval[1] > at:
            filled.append((state, at, interval[1]))
        filled.append(interval)
        at = max(at, interval[2])
    if end > at:
        filled.append((state, at, end))
    return filled


def _runs(lane: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    return [(lo, hi) for state, lo, hi in lane if state == RUN]


def _union(spans: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Where at least one of the given (sorted) span lists covers, as sorted disjoint spans."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(span for spans_of_one in spans for span in spans_of_one):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _classify(
    lane: list[tuple[int, int, int]], others_running: list[tuple[int, int]]
) -> list[tuple[int, int, int]]:
    """Split each stall into GIL waits (others running) and core waits (nobody running)."""
    out: list[tuple[int, int, int]] = []
    j = 0
    for state, lo, hi in lane:
        if state != STALL:
            out.append((state, lo, hi))
            continue
        while j < len(others_running) and others_running[j][1] <= lo:
            j += 1
        at, k = lo, j
        while at < hi:
            if k < len(others_running) and others_running[k][0] < hi:
                run_lo, run_hi = others_running[k]
                if run_lo > at:
                    out.append((CORE, at, run_lo))
                    at = run_lo
                cut = min(hi, run_hi)
                if cut > at:
                    out.append((GIL, at, cut))
                    at = cut
                if run_hi <= hi:
                    k += 1
                else:
                    break
            else:
                out.append((CORE, at, hi))
                at = hi
    return out
