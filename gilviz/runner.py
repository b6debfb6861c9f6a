"""The runner process: runs one experiment spec in its own interpreter and streams events.

Started by the engine as `python -m gilviz.runner` in a new process session. It reads the
spec as one JSON line on stdin and writes events as JSON lines on stdout. When stdin closes
(the parent cancelled, or died) it kills its whole process group, pool workers included.
Standard library only, so it runs under any Python >= 3.11 (`gilviz run --python PATH`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import statistics
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from typing import IO, Any

from gilviz import environment, executors, timeline
from gilviz.spec import Cell, ExperimentSpec
from gilviz.workloads import PAYLOAD_BYTES, TARGET_TASK_S, WORKLOADS, EchoServer, checksum_of

PROGRESS_INTERVAL_S = 0.1
"""At most ten progress events a second, however many tasks finish."""
RECORDS_KEPT = 1000
"""Per-task records sent with a result (the last repeat's first tasks); counts cover all."""
PROBE_INTERVAL_S = 0.005
CALIBRATION_FLOOR_S = 0.02
TIMELINE_INTERVAL_S = 0.2
"""Live timeline updates go out five times a second."""
TRACE_BUDGET = 50_000
"""Intervals a cell's timeline keeps over all its lanes before downsampling older stretches."""


class Emitter:
    """Writes events as JSON lines; progress is coalesced to PROGRESS_INTERVAL_S."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._last_progress = 0.0

    def send(self, kind: str, **fields: Any) -> None:
        line = json.dumps({"type": kind, **fields}, separators=(",", ":"))
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()

    def progress(self, force: bool = False, **fields: Any) -> None:
        now = time.monotonic()
        if force or now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self.send("progress", **fields)


class GilProbe(threading.Thread):
    """Sleeps 5 ms in a loop and records how late it wakes: the wait for the GIL."""

    def __init__(self) -> None:
        super().__init__(name="gilviz-probe", daemon=True)
        self._lateness_ms: deque[float] = deque(maxlen=200_000)
        self._lock = threading.Lock()

    def run(self) -> None:
        while True:
            before = time.monotonic()
            time.sleep(PROBE_INTERVAL_S)
            late_ms = (time.monotonic() - before - PROBE_INTERVAL_S) * 1000
            with self._lock:
                self._lateness_ms.append(max(0.0, late_ms))

    def take(self) -> list[float]:
        """The samples since the last take."""
        with self._lock:
            samples = list(self._lateness_ms)
            self._lateness_ms.clear()
        return samples

    def latest_ms(self) -> float:
        with self._lock:
            return self._lateness_ms[-1] if self._lateness_ms else 0.0


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Experiment:
    """Runs the cells of a spec in order, streaming what happens."""

    def __init__(
        self, spec: ExperimentSpec, emit: Emitter, probe: GilProbe, live: LiveTimeline
    ) -> None:
        self.spec = spec
        self.emit = emit
        self.probe = probe
        self.live = live
        self.workload = WORKLOADS[spec.workload]

    def run(self) -> None:
        with self._arg_source() as arg_for:
            size = self.spec.size or self._calibrate(arg_for)
            arg = arg_for(size)
            reference_start = time.monotonic()
            reference = checksum_of(self.workload.task(size, arg))
            reference_s = time.monotonic() - reference_start
            self.emit.send("calibrated", size=size, task_s=reference_s, unit=self.workload.unit)
            batch = executors.Batch(
                self.spec.workload, size, self.spec.tasks, arg, record=self.spec.timeline
            )
            for cell in self.spec.cells:
                self._run_cell(cell, batch, reference)

    @contextlib.contextmanager
    def _arg_source(self) -> Iterator[Any]:
        """Yields a function size -> the argument every task of that size gets."""
        name = self.spec.workload
        if name == "net":
            with EchoServer() as server:
                yield lambda size: server.server_address[:2]
        elif name == "payload":
            payload = bytes(range(256)) * (PAYLOAD_BYTES // 256)
            yield lambda size: payload
        elif name == "mixed":
            yield self._mixed_sleep_s
        else:
            yield lambda size: None

    def _mixed_sleep_s(self, size: int) -> float:
        """Mixed sleeps as long as its cpu part takes alone, so it is half wait, half work."""
        start = time.monotonic()
        WORKLOADS["cpu"].task(size, None)
        return time.monotonic() - start

    def _calibrate(self, arg_for: Any) -> int:
        """A size for which one task alone takes about TARGET_TASK_S (like pyperf's loops)."""
        target = self.spec.task_s or TARGET_TASK_S
        if self.workload.sized_in_ms:
            return max(1, round(target * 1000))
        target = target / 2 if self.spec.workload == "mixed" else target
        size = 1
        while True:
            arg = 0.0 if self.spec.workload == "mixed" else arg_for(size)
            start = time.monotonic()
            self.workload.task(size, arg)
            elapsed = time.monotonic() - start
            if elapsed >= CALIBRATION_FLOOR_S:
                return max(1, round(size * target / elapsed))
            size *= 4 if elapsed < CALIBRATION_FLOOR_S / 8 else 2

    def _run_cell(self, cell: Cell, batch: executors.Batch, reference: int) -> None:
        walls: list[float] = []
        startups: list[float] = []
        cpu_totals: list[float] = []
        probe_ms: list[float] = []
        timelines: list[timeline.CellTimeline] = []
        bad = 0
        try:
            fault = self.spec.fault
            if fault is not None and fault.executor == cell.executor:
                batch = dataclasses.replace(batch, fail_index=fault.workers)
            for repeat in range(self.spec.repeat):
                self.emit.send("cell_started", cell=_cell_dict(cell), repeat=repeat)
                streaming = batch.record and self.spec.live
                collector = timeline.Collector(max(1000, TRACE_BUDGET // cell.workers), streaming)
                tally = _Tally(reference, batch.tasks, collector)
                self.probe.take()
                watched = self.live.watching(collector, cell) if streaming else None
                with watched or contextlib.nullcontext():
                    timing = executors.run(
                        cell.executor,
                        batch,
                        cell.workers,
                        lambda record, tally=tally: self._on_done(record, tally, cell),
                        self.spec.start_method,
                        collector.add,
                        streaming,
                    )
                probe_ms.extend(self.probe.take())
                walls.append(timing.wall_s)
                startups.append(timing.startup_s)
                cpu_totals.append(tally.cpu_s)
                bad += tally.bad
                if batch.record:
                    shared = timeline.shares_one_gil(cell.executor, environment.gil_enabled())
                    timelines.append(collector.finish(shared, cell.executor == "asyncio"))
                self.emit.progress(force=True, **tally.progress(cell, self.probe.latest_ms()))
        except Exception as exc:
            self.emit.send(
                "cell_failed",
                cell=_cell_dict(cell),
                reason=_failure_reason(exc),
                task=getattr(exc, "index", None),
                traceback=traceback.format_exc(limit=8),
            )
            return
        self.emit.send(
            "cell_finished",
            cell=_cell_dict(cell),
            tasks=batch.tasks,
            size=batch.size,
            walls=walls,
            startups=startups,
            cpu_totals=cpu_totals,
            bad_checksums=bad,
            probe_p50_ms=percentile(probe_ms, 0.5),
            probe_p99_ms=percentile(probe_ms, 0.99),
            per_worker=tally.per_worker_summary(),
            records=tally.records,
            **_timeline_fields(timelines),
        )

    def _on_done(self, record: dict[str, Any], tally: _Tally, cell: Cell) -> None:
        tally.add(record)
        self.emit.progress(**tally.progress(cell, self.probe.latest_ms()))


def _timeline_fields(timelines: list[timeline.CellTimeline]) -> dict[str, Any]:
    """The figures (median over repeats) and the last repeat's lanes, for cell_finished."""
    if not timelines:
        return {}
    last = timelines[-1]
    return {
        "overlap": statistics.median(t.overlap for t in timelines),
        "handoffs_per_s": statistics.median(t.handoffs_per_s for t in timelines),
        "timeline": last.stored(),
        "trace": last.intervals,
    }


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

    def run(self) -> None:
        while self._watching.wait():
            time.sleep(TIMELINE_INTERVAL_S)
            with self._lock:
                self._send()

    def _send(self) -> None:
        if self._watched is None:
            return
        collector, cell, origin = self._watched
        lanes = [
            [lane.index, lane.key[0], _relative_us(flat, origin)]
            for lane, flat in collector.take_new()
        ]
        now_us = (time.perf_counter_ns() - origin) // 1000
        self.emit.send("timeline", cell=_cell_dict(cell), now_us=now_us, lanes=lanes)


def _relative_us(flat: list[int], origin_ns: int) -> list[int]:
    """Flat [state, start_ns, end_ns, ...] as [state, start_us, end_us, ...] from `origin_ns`."""
    return [v if i % 3 == 0 else (v - origin_ns) // 1000 for i, v in enumerate(flat)]


class _Tally:
    """What one run's finished tasks add up to, kept small whatever the task count."""

    def __init__(self, reference: int, total: int, collector: timeline.Collector) -> None:
        self.collector = collector
        self.reference = reference
        self.total = total
        self.done = 0
        self.bad = 0
        self.cpu_s = 0.0
        self.started = time.monotonic()
        self.workers: dict[tuple[int, int], list[float]] = {}
        self.records: list[dict[str, Any]] = []

    def add(self, record: dict[str, Any]) -> None:
        value = record.pop("value")
        if recorded := record.pop("timeline", None):
            self.collector.add((record["pid"], record["tid"]), recorded)
        ok = checksum_of(value) == self.reference
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

    def progress(self, cell: Cell, probe_ms: float) -> dict[str, Any]:
        return {
            "cell": _cell_dict(cell),
            "done": self.done,
            "total": self.total,
            "workers_seen": len(self.workers),
            "probe_ms": probe_ms,
        }


def _cell_dict(cell: Cell) -> dict[str, Any]:
    return {"executor": cell.executor, "workers": cell.workers}


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, executors.cf.BrokenExecutor):
        return f"a worker died, so the pool broke ({type(exc).__name__}: {exc})"
    return str(exc) or type(exc).__name__


def _kill_my_group_when_stdin_closes(lifeline: int) -> None:
    """Our lifeline: the parent holds our stdin open; when it closes, nothing must outlive us.

    Reads a raw duplicate of stdin: blocking in sys.stdin would hold its lock, and children
    forked meanwhile deadlock when multiprocessing closes their sys.stdin.
    """
    while os.read(lifeline, 4096):
        pass
    if os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(1)


def main() -> int:
    events = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt events
    emit = Emitter(events)
    spec_line = sys.stdin.readline()
    lifeline = os.dup(sys.stdin.fileno())
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
        emit.send(
            "hello",
            pid=os.getpid(),
            env=environment.describe(spec.start_method),
            service_tids=[
                threading.get_native_id(),
                probe.native_id,
                watchdog.native_id,
                live.native_id,
            ],
        )
        Experiment(spec, emit, probe, live).run()
    except Exception as exc:
        emit.send("fatal", reason=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
        return 1
    emit.send("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
