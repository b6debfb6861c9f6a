"""The parent side of an experiment: start and cancel a runner process, turn its events into
typed events and results. Never imports Textual: the CLI, the app and tests all use it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gilviz.analysis.results import Result
from gilviz.analysis.verdict import judged
from gilviz.protocol import events
from gilviz.protocol.spec import Cell, ExperimentSpec

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
STDERR_KEPT = 4000
RUNNER_COMMAND = "from gilviz.measure.runner import main; raise SystemExit(main())"
"""How a runner starts: imported rather than run as __main__, so its code keeps its module's
name (what pickling, tracebacks and mutation testing go by)."""


@dataclass(frozen=True)
class CellDone:
    """A cell's one Result: finished, or failed (its reason in `error`, the runner's message
    in `failure`)."""

    result: Result
    trace: list[list[tuple[int, int, int]]] | None = None
    """The last run's classified intervals per worker, in µs (only when the spec asks)."""
    failure: events.CellFailed | None = None


@dataclass(frozen=True)
class Finished:
    """Always the last event: the results kept, and why the run ended if not by finishing."""

    results: list[Result] = field(default_factory=list)
    """Finished cells and failed ones (with `error` set), in the spec's order of cells."""
    failures: list[events.CellFailed] = field(default_factory=list)
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
    events.Hello
    | events.Calibrated
    | events.TaskFound
    | events.CellStarted
    | events.Progress
    | events.TimelineUpdate
    | CellDone
    | Finished
)
"""What a run yields: the runner's messages as they come, its cells as Results, the end."""


BASELINE = Cell("serial", 1)


@dataclass(frozen=True)
class RunnerEnd:
    """How one runner process ended: it finished, it said why not (`error`; `refused` when
    before anything ran), or neither: it died."""

    finished: bool
    error: str | None
    refused: bool


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

    def _start(self, spec: ExperimentSpec) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(_python_path()), "PYTHONUNBUFFERED": "1"}
        if spec.gil is not None:  # read at start-up by a free-threaded build
            env["PYTHON_GIL"] = "1" if spec.gil else "0"
        self._process = subprocess.Popen(
            [self.python, "-c", RUNNER_COMMAND],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            start_new_session=True,
        )
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(spec.to_dict()).encode() + b"\n")
        self._process.stdin.flush()
        reaper = threading.Thread(target=self._reap, args=(self._process,), name="gilviz-reaper")
        reaper.daemon = True
        reaper.start()

    def cancel(self) -> None:
        """Stop the runner and every worker now; safe to call from any thread, any time."""
        self._cancelled.set()
        self._kill_group()

    def events(self) -> Iterator[Event]:
        """Typed events as they arrive; always ends with one Finished. A line the runner
        should not send, or a runner of another gilviz version, ends the run with why.

        A user's function can end its runner (os._exit, a crash in C, the task deadline):
        the cell that was running fails with why, and a fresh runner runs the cells left,
        its own baseline run kept out of the results (the first one stands)."""
        builder = _ResultBuilder(self.run_id, self.spec)
        spec = self.spec
        while True:
            end = yield from self._read_runner(spec, builder)
            error, refused = end.error, end.refused
            if end.finished or error is not None or self._cancelled.is_set():
                break
            died, running = self._death_reason(), builder.running
            if spec.task is None or running is None or running == BASELINE:
                error = died
                break
            if running not in builder.ended:
                failed = builder.event(events.CellFailed(running, f"{died}, while this cell ran"))
                assert failed is not None  # a failure is always yielded
                yield failed
            left = builder.cells_left()
            if not left:
                break
            builder.running = None  # a runner that dies before its first cell is not retried
            spec = dataclasses.replace(self.spec, cells=tuple(left)).with_baseline()
        self._stderr.close()
        order = {cell: n for n, cell in enumerate(self.spec.cells)}
        results = sorted(builder.results, key=lambda r: order.get(r.cell, 0))
        yield Finished(results, builder.failures, self._cancelled.is_set(), error, refused)

    def _read_runner(
        self, spec: ExperimentSpec, builder: _ResultBuilder
    ) -> Generator[Event, None, RunnerEnd]:
        """Start a runner on `spec` and yield its events until it ends, and how it ended."""
        self._start(spec)
        assert self._process is not None and self._process.stdout is not None
        finished_cleanly = False
        error: str | None = None
        refused = False
        try:
            for line in self._process.stdout:
                try:
                    message = events.decode(line.decode(errors="replace"))
                    _check_protocol(message)
                except events.ProtocolError as exc:
                    error = f"the runner sent {exc}"
                    break
                if isinstance(message, events.Done):
                    finished_cleanly = True
                    break
                if isinstance(message, events.Fatal):
                    error, refused = message.reason, message.refused
                    break
                event = builder.event(message)
                if event is not None:
                    yield event
        finally:
            if finished_cleanly:
                _wait_briefly(self._process)
            self._kill_group()
            self._process.wait()
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.stdout.close()
        return RunnerEnd(finished_cleanly, error, refused)

    @staticmethod
    def _reap(process: subprocess.Popen[bytes]) -> None:
        """When a runner exits, however it exits, no worker of its group may outlive it."""
        process.wait()
        _kill_group_of(process)

    def _kill_group(self) -> None:
        if self._process is not None:
            _kill_group_of(self._process)

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


def _kill_group_of(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _wait_briefly(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _python_path() -> list[str]:
    existing = os.environ.get("PYTHONPATH")
    return [PACKAGE_ROOT, *([existing] if existing else [])]


def _check_protocol(message: events.Message) -> None:
    if isinstance(message, events.Hello) and message.protocol != events.PROTOCOL:
        raise events.ProtocolError(
            f"protocol {message.protocol} where this gilviz speaks {events.PROTOCOL}: it is "
            "another gilviz version (install the same one for that Python)"
        )


class _ResultBuilder:
    """Turns the runner's messages into the events a run yields: each cell's one Result,
    judged (verdict and stability) as it is made."""

    def __init__(self, run_id: str, spec: ExperimentSpec) -> None:
        self.run_id = run_id
        self.spec = spec
        self.env: dict[str, Any] = {}
        self.baseline_walls: list[float] = []
        self.results: list[Result] = []
        self.failures: list[events.CellFailed] = []
        self.task: events.TaskFound | None = None
        self.running: Cell | None = None
        """The cell whose run started last (the one running, if the runner dies)."""
        self.ended: set[Cell] = set()
        """Cells measured or failed."""

    def cells_left(self) -> list[Cell]:
        """The spec's cells neither measured nor failed yet (the baseline aside)."""
        return [c for c in self.spec.cells if c not in self.ended and c != BASELINE]

    def event(self, message: events.Message) -> Event | None:
        """The event to yield for a runner's message (None: one to keep out of the run)."""
        if isinstance(message, events.Hello):
            self.env = message.env
        elif isinstance(message, events.TaskFound):
            self.task = message
        elif isinstance(message, events.CellStarted):
            self.running = message.cell
        elif isinstance(message, events.CellMeasured):
            if message.cell == BASELINE:
                self.baseline_walls = message.walls
                if BASELINE in self.ended:  # a fresh runner's baseline: the first one stands
                    return None
            self.ended.add(message.cell)
            result = judged(
                Result.measured(
                    message, self.spec.workload, self.baseline_walls, self.env, self.run_id
                ),
                self._source(),
            )
            self.results.append(result)
            return CellDone(result, message.trace)
        elif isinstance(message, events.CellFailed):
            self.ended.add(message.cell)
            result = judged(
                Result.failed(
                    workload=self.spec.workload,
                    executor=message.cell.executor,
                    workers=message.cell.workers,
                    tasks=self.spec.tasks,
                    error=message.reason,
                    env=self.env,
                    run_id=self.run_id,
                ),
                self._source(),
            )
            self.results.append(result)
            self.failures.append(message)
            return CellDone(result, failure=message)
        elif isinstance(message, events.Done | events.Fatal):
            raise AssertionError("the run's end is read in events()")
        return message

    def _source(self) -> str | None:
        """The hash of the user's function's source, for a user's task."""
        return self.task.source_hash if self.task else None
