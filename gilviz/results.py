"""The result of one experiment cell: statistics over its runs, and a verdict in plain words."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

WAIT_WORKLOADS = {"sleep", "net", "disk"}


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
    """The compact recorded timeline (`gilviz.timeline.CellTimeline.stored`)."""

    @property
    def title(self) -> str:
        """How a person reads which cell it was: 'threads x2 on cpu'."""
        return f"{self.executor} x{self.workers} on {self.workload}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": verdict(self)}

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
        **rest: Any,
    ) -> Result:
        """Build a result from raw runs; speedup is against the baseline's median wall time."""
        wall = Spread.of(walls)
        cpu_s = statistics.median(cpu_totals)
        speedup = baseline_wall_s / wall.median if baseline_wall_s and wall.median > 0 else None
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
            efficiency=speedup / workers if speedup is not None else None,
            parallelism=cpu_s / wall.median if wall.median > 0 else 0.0,
            startup_s=statistics.median(startups),
            walls=walls,
            finished_at=rest.pop("finished_at", None) or now_iso(),
            **rest,
        )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def verdict(result: Result) -> str:
    """One sentence, computed from the numbers, saying what the result shows."""
    if result.speedup is None:
        return f"{result.executor} on {result.workload}: no baseline to compare with"
    head = f"{result.executor} {result.speedup:.2f}x on {result.workload}"
    if not result.checksum_ok:
        return f"{head}: INVALID, {result.bad_checksums} task checksums were wrong"
    if result.executor == "serial":
        return f"serial baseline: {result.tasks} tasks one after another"
    cores = int(result.env.get("usable_cores") or result.env.get("cpu_count") or 1)
    cpu_bound = result.workload not in WAIT_WORKLOADS
    if result.workers == 1:
        return f"{head}: one worker, so only the overhead differs from serial"
    if result.efficiency is not None and result.efficiency >= 0.7:
        return f"{head}: near-ideal, {_why_parallel(result)}"
    if result.speedup < 1.2:
        return f"{head}: {_why_serial(result)}"
    if cpu_bound and result.workers > cores and result.speedup >= 0.7 * cores:
        return f"{head}: capped by this machine's {cores} cores"
    return f"{head}: partial, {result.parallelism:.1f} cores busy on average"


def _why_parallel(result: Result) -> str:
    if result.executor == "processes":
        return "each process has its own GIL"
    if result.executor == "interpreters":
        return "each interpreter has its own GIL"
    if not result.env.get("gil_enabled", True):
        return "this free-threaded build has no GIL"
    if result.workload in WAIT_WORKLOADS:
        return "waiting releases the GIL"
    return "the C code released the GIL"


TIMELINE_SHARES = ("run", "c", "io", "gil", "core", "idle")


def mean_shares(result: Result) -> dict[str, float] | None:
    """The workers' mean share of the cell in each timeline state (None: no timeline)."""
    workers = (result.timeline or {}).get("workers")
    if not workers:
        return None
    return {
        s: round(sum(w["shares"][s] for w in workers) / len(workers), 4) for s in TIMELINE_SHARES
    }


def gil_wait_share(result: Result) -> float | None:
    """The workers' mean share of the cell spent waiting for the GIL (None: no timeline)."""
    shares = mean_shares(result)
    return None if shares is None else shares["gil"]


def took_turns(result: Result) -> str | None:
    """The timeline's evidence that threads took turns on the GIL, in words, if it shows that."""
    waited = gil_wait_share(result)
    if result.overlap is None or waited is None or result.overlap > 1.15 or waited < 0.1:
        return None
    return (
        f"{result.workers} threads took turns on the GIL: {result.overlap:.1f} ran at a time, "
        f"{result.handoffs_per_s or 0:.0f} hand-offs a second"
    )


def _why_serial(result: Result) -> str:
    if result.executor == "asyncio":
        return "one event loop runs one task's CPU work at a time"
    if result.executor == "threads" and result.parallelism < 1.3:
        return took_turns(result) or "the GIL let one thread run at a time"
    if result.executor in ("processes", "interpreters"):
        return "start-up and moving data cost as much as the parallel work saved"
    return "no gain over serial"
