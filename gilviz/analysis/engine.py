"""The parent side of an experiment: start and cancel a runner process, turn its events into
typed events and results. Never imports Textual: the CLI, the app and tests all use it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gilviz.analysis.results import Result, Spread
from gilviz.protocol.spec import Cell, ExperimentSpec

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
STDERR_KEPT = 4000
RUNNER_COMMAND = "from gilviz.measure.runner import main; raise SystemExit(main())"
"""How a runner starts: imported rather than run as __main__, so its code keeps its module's
name (what pickling, tracebacks and mutation testing go by)."""


@dataclass(frozen=True)
class Hello:
    pid: int
    env: dict[str, Any]
    service_tids: list[int]


@dataclass(frozen=True)
class Calibrated:
    """The task size, before any task of it runs, and how long one should take alone."""

    size: int
    task_s: float
    unit: str
    given: bool = False
    """The size was given (task_s is calibration's estimate for it), not calibrated."""


@dataclass(frozen=True)
class CellStarted:
    cell: Cell
    repeat: int


@dataclass(frozen=True)
class Progress:
    cell: Cell
    done: int
    total: int
    workers_seen: int
    probe_ms: float
    """How late the runner's probe last woke."""
    probe_queue_ms: float | None = None
    """The part of that it waited on the OS run queue (None: unknown); the rest is the GIL."""


@dataclass(frozen=True)
class TimelineUpdate:
    """What the workers of the running cell recorded since the last update (live view).

    `lanes`: (lane index, pid, flat [state, start_us, end_us, ...]) with times from the cell's
    start and raw states (a STALL is not yet classified); `now_us`: the runner's clock then.
    """

    cell: Cell
    now_us: int
    lanes: list[tuple[int, int, list[int]]]


@dataclass(frozen=True)
class CellDone:
    result: Result
    trace: list[list[tuple[int, int, int]]] = field(default_factory=list)
    """The last repeat's classified intervals per worker, in µs (for a trace file)."""


@dataclass(frozen=True)
class CellFailed:
    cell: Cell
    reason: str
    task: int | None = None
    traceback: str = ""
    result: Result | None = None
    """The failed cell as a result row (its reason in `error`), kept like any other."""


@dataclass(frozen=True)
class Finished:
    """Always the last event: the results kept, and why the run ended if not by finishing."""

    results: list[Result] = field(default_factory=list)
    """Finished cells and failed ones (with `error` set), in the spec's order of cells."""
    failures: list[CellFailed] = field(default_factory=list)
    cancelled: bool = False
    error: str | None = None
    refused: bool = False
    """The runner refused the spec before running anything (`error` says why)."""

    @property
    def ok(self) -> bool:
        return not (self.cancelled or self.error or self.failures)

    @classmethod
    def of(cls, runs: list[Finished]) -> Finished:
        """Several runs (one per interpreter) as one: everything each kept, every reason."""
        errors = [run.error for run in runs if run.error]
        return cls(
            results=[result for run in runs for result in run.results],
            failures=[failure for run in runs for failure in run.failures],
            cancelled=any(run.cancelled for run in runs),
            error="; ".join(errors) or None,
            refused=any(run.refused for run in runs),
        )


Event = (
    Hello | Calibrated | CellStarted | Progress | TimelineUpdate | CellDone | CellFailed | Finished
)


class ExperimentRun:
    """One runner process running one spec. `events()` yields until a Finished event."""

    def __init__(self, spec: ExperimentSpec, python: str | None = None) -> None:
        self.spec = spec.with_baseline()
        self.python = python or sys.executable
        self.run_id = uuid.uuid4().hex[:12]
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the run)
        self._cancelled = threading.Event()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(_python_path()), "PYTHONUNBUFFERED": "1"}
        if self.spec.gil is not None:  # read at start-up by a free-threaded build
            env["PYTHON_GIL"] = "1" if self.spec.gil else "0"
        self._process = subprocess.Popen(
            [self.python, "-c", RUNNER_COMMAND],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            start_new_session=True,
        )
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(self.spec.to_dict()).encode() + b"\n")
        self._process.stdin.flush()
        threading.Thread(target=self._reap, name="gilviz-reaper", daemon=True).start()

    def cancel(self) -> None:
        """Stop the runner and every worker now; safe to call from any thread, any time."""
        self._cancelled.set()
        self._kill_group()

    def events(self) -> Iterator[Event]:
        """Typed events as they arrive; always ends with one Finished."""
        if self._process is None:
            self.start()
        assert self._process is not None and self._process.stdout is not None
        builder = _ResultBuilder(self.run_id, self.spec.workload, self.spec.tasks)
        finished_cleanly = False
        error: str | None = None
        refused = False
        try:
            for line in self._process.stdout:
                raw = json.loads(line)
                if raw["type"] == "done":
                    finished_cleanly = True
                    break
                if raw["type"] == "fatal":
                    error = raw["reason"]
                    refused = bool(raw.get("refused"))
                    break
                yield builder.event(raw)
        finally:
            if finished_cleanly:
                _wait_briefly(self._process)
            self._kill_group()
            self._process.wait()
            self._process.stdin.close()  # type: ignore[union-attr]
            self._process.stdout.close()
        if not finished_cleanly and error is None and not self._cancelled.is_set():
            error = self._death_reason()
        order = {cell: n for n, cell in enumerate(self.spec.cells)}
        results = sorted(builder.results, key=lambda r: order.get(Cell(r.executor, r.workers), 0))
        yield Finished(results, builder.failures, self._cancelled.is_set(), error, refused)

    def _reap(self) -> None:
        """When the runner exits, however it exits, no worker of its group may outlive it."""
        assert self._process is not None
        self._process.wait()
        self._kill_group()

    def _kill_group(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)

    def _death_reason(self) -> str:
        assert self._process is not None
        code = self._process.returncode
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        self._stderr.seek(0)
        tail = self._stderr.read()[-STDERR_KEPT:].decode(errors="replace").strip()
        return f"the runner process {how} before the experiment finished" + (
            f": {tail.splitlines()[-1]}" if tail else ""
        )


def run_experiment(
    spec: ExperimentSpec,
    python: str | None = None,
    on_event: Callable[[Event], None] | None = None,
) -> Finished:
    """Run a spec to the end (headless); Ctrl-C cancels the runner and is raised again."""
    run = ExperimentRun(spec, python)
    try:
        for event in run.events():
            if on_event is not None:
                on_event(event)
            if isinstance(event, Finished):
                return event
    except BaseException:
        run.cancel()
        raise
    raise AssertionError("events() always ends with Finished")


def _wait_briefly(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _python_path() -> list[str]:
    existing = os.environ.get("PYTHONPATH")
    return [PACKAGE_ROOT, *([existing] if existing else [])]


class _ResultBuilder:
    """Turns wire events into typed ones, and finished cells into Results."""

    def __init__(self, run_id: str, workload: str, tasks: int) -> None:
        self.run_id = run_id
        self.workload = workload
        self.tasks = tasks
        self.env: dict[str, Any] = {}
        self.baseline_walls: list[float] = []
        self.results: list[Result] = []
        self.failures: list[CellFailed] = []

    def event(self, raw: dict[str, Any]) -> Event:
        kind = raw["type"]
        if kind == "hello":
            self.env = raw["env"]
            return Hello(raw["pid"], raw["env"], raw["service_tids"])
        if kind == "calibrated":
            return Calibrated(raw["size"], raw["task_s"], raw["unit"], raw.get("given", False))
        cell = Cell(**raw["cell"])
        if kind == "cell_started":
            return CellStarted(cell, raw["repeat"])
        if kind == "progress":
            return Progress(
                cell,
                raw["done"],
                raw["total"],
                raw["workers_seen"],
                raw["probe_ms"],
                raw.get("probe_queue_ms"),
            )
        if kind == "timeline":
            return TimelineUpdate(cell, raw["now_us"], raw["lanes"])
        if kind == "cell_failed":
            result = Result.failed(
                workload=self.workload,
                executor=cell.executor,
                workers=cell.workers,
                tasks=self.tasks,
                error=raw["reason"],
                env=self.env,
                run_id=self.run_id,
            )
            self.results.append(result)
            failure = CellFailed(
                cell, raw["reason"], raw.get("task"), raw.get("traceback", ""), result
            )
            self.failures.append(failure)
            return failure
        if kind == "cell_finished":
            return CellDone(self._result(cell, raw), raw.get("trace", []))
        raise ValueError(f"unknown event from the runner: {kind!r}")

    def _result(self, cell: Cell, raw: dict[str, Any]) -> Result:
        if cell == Cell("serial", 1):
            self.baseline_walls = raw["walls"]
        result = Result.measure(
            workload=self.workload,
            executor=cell.executor,
            workers=cell.workers,
            tasks=raw["tasks"],
            size=raw["size"],
            walls=raw["walls"],
            startups=raw["startups"],
            cpu_totals=raw["cpu_totals"],
            baseline_wall_s=Spread.of(self.baseline_walls).median if self.baseline_walls else None,
            baseline_walls=self.baseline_walls,
            checksum_ok=raw["bad_checksums"] == 0,
            bad_checksums=raw["bad_checksums"],
            probe_p50_ms=raw["probe_p50_ms"],
            probe_p99_ms=raw["probe_p99_ms"],
            env=self.env,
            run_id=self.run_id,
            per_worker=raw["per_worker"],
            records=raw["records"],
            overlap=raw.get("overlap"),
            handoffs_per_s=raw.get("handoffs_per_s"),
            timeline=raw.get("timeline"),
            process_cpus=raw.get("process_cpus"),
            other_cores=raw.get("other_cores"),
            bytes_moved=raw.get("bytes_moved", 0),
            probe_queue_p99_ms=raw.get("probe_queue_p99_ms"),
            probe_gil_p99_ms=raw.get("probe_gil_p99_ms"),
            echo_p99_ms=raw.get("echo_p99_ms"),
        )
        self.results.append(result)
        return result
