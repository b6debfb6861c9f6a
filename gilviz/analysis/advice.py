"""One recommendation from a comparison: which executor and how many workers, the measured
speedup, and the figure that explains it, every word from a figure of the same results.

Where two options' rounds overlap, the difference is this machine's noise and it says so
instead of picking one; where a sweep has three worker counts or more within the usable
cores, the serial fraction (Karp-Flatt) and what it projects on more cores, labelled as a
projection with the points it rests on.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from gilviz.analysis.results import Result
from gilviz.analysis.verdict import NO_GAIN, outcome, usable_cores

PROJECTED_CORES = (8, 16, 64)


@dataclass(frozen=True)
class Advice:
    """The recommendation in words, and the serial fraction where a sweep allows one."""

    words: str
    serial_fraction: tuple[float, float, float] | None = None
    """Karp-Flatt's e: median, lowest and highest over the sweep's points."""


def _range(r: Result) -> tuple[float, float]:
    speedup = r.speedup or 0.0
    low = r.speedup_low if r.speedup_low is not None else speedup
    high = r.speedup_high if r.speedup_high is not None else speedup
    return low, high


def _runs(r: Result) -> str:
    if r.repeat < 2 or r.speedup_low is None:
        return "one run: its noise is unknown"
    return f"{r.speedup_low:.2f}-{r.speedup_high:.2f}x over {r.repeat} runs"


def serial_fraction(results: Sequence[Result]) -> tuple[list[tuple[int, float]], list[float]]:
    """Karp-Flatt's serial fraction e = (1/S - 1/p) / (1 - 1/p) at each worker count p from 2
    up to the usable cores, for the executor with the most such points."""
    by: dict[str, list[Result]] = {}
    for r in results:
        if r.speedup and not r.error and 2 <= r.workers <= usable_cores(r):
            by.setdefault(r.executor, []).append(r)
    points = max(by.values(), key=len, default=[])
    used = sorted((r.workers, r.speedup or 0.0) for r in points)
    return used, [(1 / s - 1 / p) / (1 - 1 / p) for p, s in used]


def advise(results: Sequence[Result]) -> Advice:
    """The recommendation for one comparison (one workload, one Python)."""
    measured = [r for r in results if not r.error and r.speedup is not None]
    options = [r for r in measured if r.executor != "serial" and r.checksum_ok]
    if not options:
        return Advice("No recommendation: nothing but the serial baseline was measured.")
    best = max(options, key=lambda r: r.speedup or 0.0)
    best_low, _ = _range(best)
    close = [r for r in options if r is not best and _range(r)[1] >= best_low and r.repeat > 1]
    if (best.speedup or 0.0) < NO_GAIN:
        words = (
            f"Keep it serial: the best was {best.cell.label} at {best.speedup:.2f}x "
            f"({_runs(best)}): {outcome(best)}."
        )
    elif close and best.repeat > 1:
        tied = " or ".join(f"{r.cell.label} ({r.speedup:.2f}x, {_runs(r)})" for r in [best, *close])
        words = (
            f"Either {tied}: their runs overlap, so the difference is within this machine's "
            f"noise; {best.cell.label}: {outcome(best)}."
        )
    else:
        words = f"Use {best.cell.label}: {best.speedup:.2f}x ({_runs(best)}): {outcome(best)}."
    if best.repeat < 2:
        words += " Run it with --repeat 3 or more to see how much of that is noise."
    used, fractions = serial_fraction(measured)
    if len(used) >= 3:
        e = statistics.median(fractions)
        projected = ", ".join(f"{n} cores {1 / (e + (1 - e) / n):.1f}x" for n in PROJECTED_CORES)
        points = ", ".join(f"{p} workers {s:.2f}x" for p, s in used)
        words += (
            f" Serial fraction (Karp-Flatt) {e:.2f} ({min(fractions):.2f}-{max(fractions):.2f} "
            f"over {points}); a projection, not a measurement: {projected}."
        )
        return Advice(words, (e, min(fractions), max(fractions)))
    cores = usable_cores(best)
    if cores < 4:
        words += (
            f" No projection to more cores: {cores} usable "
            f"{'core gives' if cores == 1 else 'cores give'} too few worker counts to fit "
            "one (it takes three from 2 up)."
        )
    else:
        words += (
            f" No projection to more cores: it takes three worker counts from 2 up to the "
            f"{cores} usable cores (these results have {len(used)}): try --workers 2,4,{cores}."
        )
    return Advice(words)
