"""The result of one experiment cell: statistics over its runs, and its verdict (`verdict`)."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from gilviz.measure.stacks import Sampled
from gilviz.protocol.events import CellMeasured
from gilviz.protocol.spec import Cell


@dataclass(frozen=True)
class Spread:
    """Median with min and max: what the README calls 'median (min-max)'."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        if not values:
            raise ValueError("no values to summarise")
        return cls(statistics.median(values), min(values), max(values))


@dataclass(frozen=True)
class Result:
    """One (workload, executor, workers) measured `repeat` times, with where it ran."""

    workload: str
    executor: str
    workers: int
    tasks: int
    size: int
    repeat: int
    wall_s: float
    wall_min_s: float
    wall_max_s: float
    cpu_s: float
    speedup: float | None
    efficiency: float | None
    parallelism: float
    startup_s: float
    checksum_ok: bool
    bad_checksums: int
    probe_p50_ms: float
    probe_p99_ms: float
    env: dict[str, Any]
    run_id: str = ""
    finished_at: str = ""
    walls: list[float] = field(default_factory=list)
    per_worker: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    overlap: float | None = None
    """Workers running at once, time-averaged, from the measured timeline."""
    handoffs_per_s: float | None = None
    """How often a stalled worker got to run again (GIL hand-offs, for threads)."""
    timeline: dict[str, Any] | None = None
    """The compact recorded timeline (`gilviz.measure.timeline.CellTimeline.stored`)."""
    process_cpu_s: float | None = None
    """CPU of the runner and its workers over the work: tasks, pickling, pipes, bookkeeping."""
    other_cores: float | None = None
    """Cores other programs kept busy, on average, while the cell ran (None: unknown)."""
    bytes_moved: int = 0
    """Bytes of pickled arguments and results that crossed between processes, per run."""
    probe_queue_p99_ms: float | None = None
    """The probe's p99 wait on the OS run queue (None: the kernel does not say)."""
    probe_gil_p99_ms: float | None = None
    """The probe's p99 wait for the GIL: its lateness beyond the run-queue wait."""
    echo_p99_ms: float | None = None
    """p99 of a round trip between two threads of the runner while the cell ran (measured
    only when the spec asks for the echo probe)."""
    error: str = ""
    """Why the cell failed; a failed cell's figures are zero and mean nothing."""
    speedup_low: float | None = None
    speedup_high: float | None = None
    """The lowest and highest speedup of one round (the baseline's run of that round over
    this cell's): the spread a speedup rests on (None: saved before it was measured)."""
    chunk: int = 1
    """Tasks a pool worker was handed at once: more than one only for tasks tinier than a
    hand-off (each still timed and checked)."""
    sampled: dict[str, Any] | None = None
    """From stack samples of the task threads (`gilviz.measure.stacks`): 'shares' of their
    time per state (run, c, io, gil, lock, core) and the 'samples' they rest on (None: not
    sampled)."""
    hot_lines: list[dict[str, Any]] | None = None
    """A user's function's lines by time, most first: file, line, function, run_ms (with the
    GIL), c_ms (in C without it), wait_ms and waits_ms (by kind: gil, lock, io, core), and
    the samples each rests on. The ms are of the time the samples cover: a thread is counted
    from its first sighting in a run, so they add up to less than the cell's wall time."""
    task_hash: str | None = None
    """For a user's function (its name is the workload): a short hash of its source, so
    results of an edited function do not mix with the old ones."""
    stability: str = ""
    """'stable', 'unstable', 'disturbed', 'failed' or 'unknown': judged once, when the result
    is made (`gilviz.analysis.verdict.judged`), and stored with it."""
    verdict: str = ""
    """What the result shows, in one sentence: judged once, with the stability."""

    @property
    def cell(self) -> Cell:
        return Cell(self.executor, self.workers)

    @property
    def title(self) -> str:
        """How a person reads which cell it was: 'threads x2 on cpu'."""
        return f"{self.cell.label} on {self.workload}"

    @property
    def spread(self) -> float | None:
        """The repeats' range as a share of their median (None: fewer than two repeats)."""
        if self.repeat < 2 or self.wall_s <= 0:
            return None
        return (self.wall_max_s - self.wall_min_s) / self.wall_s

    @property
    def ideal_speedup(self) -> float:
        return ideal_speedup(self.tasks, self.workers)

    def to_dict(self) -> dict[str, Any]:
        """Every field, the verdict and stability among them."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def measure(
        cls,
        *,
        workload: str,
        executor: str,
        workers: int,
        tasks: int,
        size: int,
        walls: list[float],
        startups: list[float],
        cpu_totals: list[float],
        baseline_wall_s: float | None,
        baseline_walls: list[float] | None = None,
        **rest: Any,
    ) -> Result:
        """Build a result from raw runs; speedup is against the baseline's median wall time,
        and its spread pairs each of the baseline's runs with this cell's run of that round."""
        wall = Spread.of(walls)
        cpu_s = statistics.median(cpu_totals)
        speedup = baseline_wall_s / wall.median if baseline_wall_s and wall.median > 0 else None
        rounds = Spread.of(paired_speedups(baseline_walls or [], walls) or [0.0])
        measured = speedup is not None and bool(baseline_walls)
        process_cpus = rest.pop("process_cpus", None)
        return cls(
            workload=workload,
            executor=executor,
            workers=workers,
            tasks=tasks,
            size=size,
            repeat=len(walls),
            wall_s=wall.median,
            wall_min_s=wall.low,
            wall_max_s=wall.high,
            cpu_s=cpu_s,
            speedup=speedup,
            efficiency=speedup / ideal_speedup(tasks, workers) if speedup is not None else None,
            parallelism=cpu_s / wall.median if wall.median > 0 else 0.0,
            startup_s=statistics.median(startups),
            walls=walls,
            process_cpu_s=statistics.median(process_cpus) if process_cpus else None,
            finished_at=rest.pop("finished_at", None) or now_iso(),
            speedup_low=rounds.low if measured else None,
            speedup_high=rounds.high if measured else None,
            **rest,
        )

    @classmethod
    def measured(
        cls,
        message: CellMeasured,
        workload: str,
        baseline_walls: list[float],
        env: dict[str, Any],
        run_id: str,
    ) -> Result:
        """The result of a cell the runner measured (not yet judged: the engine judges it)."""
        figures = {f.name: getattr(message, f.name) for f in fields(message)}
        for unkept in ("cell", "trace", "echo_p50_ms"):
            del figures[unkept]
        if sampled := figures.pop("sampled"):
            stack_samples = Sampled.from_wire(sampled)
            figures["sampled"] = {
                "shares": stack_samples.shares(),
                "samples": stack_samples.samples,
            }
            figures["hot_lines"] = stack_samples.hot_lines() or None
        baseline = Spread.of(baseline_walls).median if baseline_walls else None
        return cls.measure(
            workload=workload,
            executor=message.cell.executor,
            workers=message.cell.workers,
            baseline_wall_s=baseline,
            baseline_walls=baseline_walls,
            checksum_ok=message.bad_checksums == 0,
            env=env,
            run_id=run_id,
            **figures,
        )

    @classmethod
    def failed(
        cls, *, workload: str, executor: str, workers: int, tasks: int, error: str, **rest: Any
    ) -> Result:
        """A cell that did not finish: kept as a row with its reason, its figures empty."""
        return cls(
            workload=workload,
            executor=executor,
            workers=workers,
            tasks=tasks,
            size=0,
            repeat=0,
            wall_s=0.0,
            wall_min_s=0.0,
            wall_max_s=0.0,
            cpu_s=0.0,
            speedup=None,
            efficiency=None,
            parallelism=0.0,
            startup_s=0.0,
            checksum_ok=False,
            bad_checksums=0,
            probe_p50_ms=0.0,
            probe_p99_ms=0.0,
            error=error,
            finished_at=rest.pop("finished_at", None) or now_iso(),
            **rest,
        )


def ideal_speedup(tasks: int, workers: int) -> float:
    """The best speedup the task split allows: equal tasks finish in ceil(tasks/workers)
    rounds, so 40 tasks on 16 workers allow 40/3 = 13.3x, not 16x."""
    return tasks / math.ceil(tasks / workers) if tasks > 0 and workers > 0 else 1.0


def paired_speedups(baseline_walls: list[float], walls: list[float]) -> list[float]:
    """Each round's speedup: the baseline's run of a round over the cell's run of it (the
    rounds interleave them, so both ran on the machine as it was then)."""
    if len(baseline_walls) != len(walls):
        return []
    return [base / wall for base, wall in zip(baseline_walls, walls, strict=True) if wall > 0]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


TIMELINE_SHARES = ("run", "c", "io", "gil", "core", "lock", "idle")


def mean_shares(result: Result) -> dict[str, float] | None:
    """The workers' mean share of the cell in each timeline state (None: no timeline); the
    threads a user's function started itself are not workers."""
    workers = [w for w in (result.timeline or {}).get("workers", []) if not w.get("own")]
    if not workers:
        return None
    return {
        s: round(sum(w["shares"].get(s, 0.0) for w in workers) / len(workers), 4)
        for s in TIMELINE_SHARES
    }


def stamped(result: Result) -> bool:
    """Whether the result's timeline comes from its tasks' own stamps (a built-in workload),
    not from stack samples (a user's function) or nowhere."""
    return result.timeline is not None and result.timeline.get("source", "stamps") == "stamps"


def gil_wait_share(result: Result) -> float | None:
    """The workers' mean share of the cell spent waiting for the GIL (None: no timeline)."""
    shares = mean_shares(result)
    return None if shares is None else shares["gil"]


def gil_handoffs(result: Result) -> float | None:
    """GIL hand-offs a second, where threads take turns on one GIL (None elsewhere: a serial,
    process or event-loop worker resuming after a wait for a core hands no GIL to anyone)."""
    shared = result.executor == "threads" and result.env.get("gil_enabled", True)
    return result.handoffs_per_s if shared and result.workers > 1 else None


@dataclass(frozen=True)
class InFlight:
    """From the per-task records alone (a user's function has no timeline): how many tasks
    were under way at once, and the share of their time they ran on a core."""

    tasks: float
    running: float


def in_flight(result: Result) -> InFlight | None:
    """Tasks under way at once over the records' span, and their CPU over their wall time."""
    records = [r for r in result.records if r.get("end", 0) > r.get("start", 0)]
    if len(records) < 2:
        return None
    span = max(r["end"] for r in records) - min(r["start"] for r in records)
    busy = sum(r["end"] - r["start"] for r in records)
    return InFlight(busy / span, sum(r["cpu_s"] for r in records) / busy)
