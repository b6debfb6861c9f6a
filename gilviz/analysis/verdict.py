"""The verdict: one sentence saying what a result shows, with a cause only where a figure of
the same result backs it, and that figure in the sentence.

The order matters: a result that could not be trusted (failed, wrong checksums, disturbed by
other programs) says so instead of naming a cause; then the outcome (near-ideal, capped, no
gain, partial) picks its cause from the measured figures, never from the executor's name alone.
"""

from __future__ import annotations

import dataclasses
import os

from gilviz.analysis.results import (
    Result,
    gil_handoffs,
    gil_wait_share,
    in_flight,
    mean_shares,
    stamped,
)

NEAR_IDEAL = 0.9
"""Efficiency (of what the task split allows) from which a result reads 'near-ideal'."""
NO_GAIN = 1.2
"""Speedups below this read 'no gain'."""
CAPPED_BUSY = 0.8
"""More workers than cores, with this share of the cores busy, reads 'capped'."""
DISTURBED_CORES = 0.25
"""Other programs' load (in cores) below which a result is never called disturbed."""
UNSTABLE_SPREAD = 0.25
"""Repeats spread over more than this share of their median make a result 'unstable'."""
STABLE_REPEATS = 3
"""Fewer repeats than this cannot say whether a result is stable."""


def usable_cores(result: Result) -> int:
    """Cores the machine granted the run (affinity and CPU quota), as recorded."""
    return int(result.env.get("usable_cores") or result.env.get("cpu_count") or 1)


def needed_cores(result: Result) -> float:
    """Cores the cell kept busy: what other programs had to leave it (a cell that waits
    needs none, so other load cannot disturb it)."""
    return min(usable_cores(result), result.parallelism)


def disturbed(result: Result) -> bool:
    """Other programs took cores this cell needed: its figures say more about them than it."""
    other = result.other_cores
    if other is None or other < DISTURBED_CORES:
        return False
    return needed_cores(result) + other > usable_cores(result) - DISTURBED_CORES


def stability(result: Result) -> str:
    """'failed', 'disturbed', 'unstable', 'stable', or 'unknown' (too few repeats to tell)."""
    if result.error:
        return "failed"
    if disturbed(result):
        return "disturbed"
    if result.repeat < STABLE_REPEATS or result.spread is None:
        return "unknown"
    return "unstable" if result.spread > UNSTABLE_SPREAD else "stable"


def judged(result: Result, source_hash: str | None = None) -> Result:
    """The result with its stability and verdict: the one place a result is judged (the
    engine as it makes results, the store for lines saved before verdicts were). A user's
    task also keeps the hash of its source."""
    if source_hash is not None:
        result = dataclasses.replace(result, task_hash=source_hash)
    return dataclasses.replace(result, stability=stability(result), verdict=verdict(result))


def verdict(result: Result) -> str:
    """One sentence, computed from the result's own figures, saying what it shows."""
    if result.error:
        return f"{result.title}: failed, {result.error}"
    if result.speedup is None:
        return f"{result.executor} on {result.workload}: no baseline to compare with"
    head = f"{result.executor} {result.speedup:.2f}x on {result.workload}"
    if not result.checksum_ok and result.task_hash is not None:
        return (
            f"{head}: INVALID, {result.bad_checksums} results differed from the serial run's "
            "for the same inputs (shared state, or a result that is not the same each time)"
        )
    if not result.checksum_ok:
        return f"{head}: INVALID, {result.bad_checksums} task checksums were wrong"
    if disturbed(result):
        return (
            f"{head}: disturbed, other programs kept {result.other_cores:.1f} of "
            f"{usable_cores(result)} cores busy while it ran; run it again on a quiet machine"
        )
    if result.executor == "serial":
        words = f"serial baseline: {result.tasks} tasks one after another"
    else:
        words = f"{head}: {outcome(result)}"
    return words + _above_cores(result) + _noise(result)


WORDS = (
    ("near-ideal", f"efficiency {NEAR_IDEAL:.0%} or more of what the task split allows"),
    ("no gain", f"speedup below {NO_GAIN:.2f}x"),
    ("capped", f"more workers than cores, and {CAPPED_BUSY:.0%} of the cores busy or more"),
    ("partial", "any other speedup"),
)
"""The outcome's words and the figures that pick them, first match first (README: Reading a
result). Each is judged on the figure as printed (two decimals), so the words never disagree
with the numbers beside them."""


def outcome(r: Result) -> str:
    """What a measured result shows and the figure that explains it, in words."""
    cores = usable_cores(r)
    busy = f"{r.parallelism:.2f} cores busy"
    assert r.speedup is not None and r.efficiency is not None  # pragma: no mutate (types)
    if r.workers == 1:
        return f"one worker, so only the overhead differs from serial{_startup(r)}"
    if round(r.efficiency, 2) >= NEAR_IDEAL:
        return f"near-ideal ({r.efficiency:.0%} of what {_allowed(r)}), {_why_parallel(r)}"
    if round(r.speedup, 2) < NO_GAIN:
        return f"no gain, {_why_no_gain(r)}"
    if r.workers > cores and r.parallelism >= CAPPED_BUSY * cores:
        return f"capped by this machine's {cores} usable cores ({busy})"
    partial = f"partial, {r.efficiency:.0%} of what {_allowed(r)}, {busy}"
    turns = took_turns(r) if r.executor == "threads" else None
    causes = [cause for cause in (turns, _startup_cost(r), _transfer_cost(r)) if cause]
    return "; ".join([partial, *causes])


def _allowed(r: Result) -> str:
    """What bounds the ideal: the workers, or the task split when it leaves workers idle."""
    if r.ideal_speedup < r.workers:
        return f"{r.tasks} tasks on {r.workers} workers allow ({r.ideal_speedup:.2f}x)"
    return f"{r.workers} workers allow"


RELEASED_BUSY = 1.5
"""Cores a GIL build's threads keep busy at once only when the GIL is let go (no timeline)."""


def _why_parallel(r: Result) -> str:
    busy = f"{r.parallelism:.1f} cores busy"
    if r.speedup and r.parallelism < 0.5 * r.speedup:
        whole = r.process_cpu_s / r.wall_s if r.process_cpu_s and r.wall_s else 0.0
        if whole >= 0.5 * r.speedup:  # the work ran in threads the tasks' threads waited for
            return (
                f"the tasks' threads mostly waited ({busy}) while the run kept {whole:.1f} "
                "cores busy: the work ran in threads of the function's own"
            )
        return f"the tasks mostly waited, which needs neither a core nor the GIL ({busy})"
    if r.executor == "processes":
        return f"each process has its own GIL ({busy})"
    if r.executor == "interpreters":
        return f"each interpreter has its own GIL ({busy})"
    if not r.env.get("gil_enabled", True):
        return f"the GIL is off in this free-threaded build ({busy})"
    shares = mean_shares(r) if stamped(r) else None  # else the samples' words, with a line
    if shares is not None and shares["c"] >= 0.5:
        return f"the C code ran without the GIL ({shares['c']:.0%} of the time in C, {busy})"
    sampled = sampled_shares(r)
    if sampled is not None and sampled["c"] >= 0.5:
        return (
            f"the C code ran without the GIL ({sampled['c']:.0%} of its threads' time"
            f"{_at_hottest(r)}, {busy})"
        )
    if shares is None and r.executor == "threads" and r.parallelism >= RELEASED_BUSY:
        return f"the GIL was let go: one process's threads kept {busy} at once"
    return f"{busy} at once"


def _why_no_gain(r: Result) -> str:
    cores = usable_cores(r)
    busy = f"{r.parallelism:.2f} cores busy"
    if cores == 1:
        return f"capped by the 1 usable core ({busy})"
    if r.executor == "threads" and (
        turns := took_turns(r) or _sampled_waits(r) or _waited_in_turn(r)
    ):
        return turns
    if r.executor == "asyncio" and r.parallelism <= 1.1:
        return f"one event loop ran one task's CPU work at a time ({busy})"
    costs = [cost for cost in (_tiny_tasks(r), _startup_cost(r), _transfer_cost(r)) if cost]
    if costs:
        return "; ".join(costs)
    return f"and no measured figure shows why ({busy}{_startup(r)})"


def took_turns(r: Result) -> str | None:
    """The stamped timeline's evidence that threads took turns on the GIL, in words, if it
    shows that (lanes from samples count no hand-offs: their samples speak instead)."""
    waited = gil_wait_share(r)
    if not stamped(r) or r.overlap is None or waited is None or r.overlap > 1.15 or waited < 0.1:
        return None
    return (
        f"{r.workers} threads took turns on the GIL: {r.overlap:.1f} ran at a time, "
        f"{gil_handoffs(r) or 0:.0f} hand-offs a second"
    )


SAMPLES_CITED = 5
"""Stack samples a share must rest on before a verdict cites it."""


def sampled_shares(r: Result) -> dict[str, float] | None:
    """The stack samples' shares of the task threads' time, when enough to cite."""
    if r.sampled is None or r.sampled["samples"] < SAMPLES_CITED:
        return None
    shares: dict[str, float] = r.sampled["shares"]
    return shares


def _sampled_waits(r: Result) -> str | None:
    """A user's function's threads seen waiting, from stack samples: on the GIL, or on a
    lock of its own."""
    shares = sampled_shares(r)
    if shares is None:
        return None
    samples = f"{r.sampled['samples'] if r.sampled else 0} stack samples"
    if shares["lock"] >= 0.2 and shares["lock"] >= shares["gil"]:
        return (
            f"its threads waited on a lock of its own {shares['lock']:.0%} of their time"
            f"{_at_hottest(r, 'lock')} ({samples})"
        )
    if shares["gil"] >= 0.2:
        return (
            f"its threads held the GIL {shares['run']:.0%} of their time and waited for it "
            f"{shares['gil']:.0%}{_at_hottest(r)} ({samples})"
        )
    return None


def _at_hottest(r: Result, wait: str | None = None) -> str:
    """', most at json_parse.py:11': the user's line with the most time (or the most of
    one kind of wait), when the samples name one."""
    rows = r.hot_lines or []
    if wait is not None:
        rows = sorted(rows, key=lambda row: -float(row["waits_ms"][wait]))
    if not rows:
        return ""
    return f", most at {os.path.basename(rows[0]['file'])}:{rows[0]['line']}"


TOOK_TURNS_IN_FLIGHT = 1.5
"""Tasks under way at once, on average, from which threads that kept one core busy took turns."""


def _waited_in_turn(r: Result) -> str | None:
    """Without a stamped timeline (a user's function), the per-task records' evidence of turns:
    several tasks under way at once, each on a core only part of its time, one core busy."""
    flight = in_flight(r)
    if stamped(r) or flight is None or r.parallelism > 1.15:
        return None
    if flight.tasks < TOOK_TURNS_IN_FLIGHT:
        return None
    return (
        f"{flight.tasks:.1f} tasks were under way at once, but each ran on a core only "
        f"{flight.running:.0%} of its time and {r.parallelism:.2f} cores were busy: they took "
        "turns (on the GIL, or on a lock they share)"
    )


def _startup(r: Result) -> str:
    return f", start-up {r.startup_s:.3f} s" if r.startup_s >= 0.001 else ""


TINY_TASK_S = 0.0001
"""A task's CPU below this is too little to share out: handing it over costs as much."""


def _tiny_tasks(r: Result) -> str | None:
    per_task = r.cpu_s / r.tasks if r.tasks else 0.0
    if not 0 < per_task < TINY_TASK_S:
        return None
    chunks = f", even handed out {r.chunk} at a time" if r.chunk > 1 else ""
    return (
        f"a task takes {per_task * 1e6:.0f} µs of CPU: too little to share out{chunks} "
        "(batch more work into each task)"
    )


def _startup_cost(r: Result) -> str | None:
    share = r.startup_s / (r.startup_s + r.wall_s)  # a result with a speedup has a wall time
    if share < 0.2:
        return None
    return f"starting the workers took {share:.0%} of the time ({r.startup_s:.2f} s)"


TRANSFER_FLOOR_S = 0.01
"""Extra CPU below this is too little to name as the cost of moving data, whatever its share."""


def _amount(count: int) -> str:
    return f"{count / 1e6:.0f} MB" if count >= 1e6 else f"{count / 1e3:.0f} KB"


def _transfer_cost(r: Result) -> str | None:
    """Moving data counts as a cause only with bytes moved and CPU beyond the tasks' own."""
    if not r.bytes_moved or r.process_cpu_s is None:
        return None
    extra = r.process_cpu_s - r.cpu_s
    if extra < max(0.2 * r.cpu_s, TRANSFER_FLOOR_S):
        return None
    return (
        f"moving {_amount(r.bytes_moved)} cost {extra:.2f} s of CPU beside the tasks' "
        f"{r.cpu_s:.2f} s"
    )


def _above_cores(r: Result) -> str:
    """A speedup above the usable cores is never printed bare."""
    cores = usable_cores(r)
    if r.speedup is None or r.speedup <= cores * 1.05:
        return ""
    if r.parallelism < 0.5 * cores:
        return f" (above the {cores} usable cores: possible only because the tasks waited)"
    return (
        f" (above the {cores} usable cores while {r.parallelism:.1f} were busy: the baseline "
        "was probably slowed; run it again)"
    )


def _noise(r: Result) -> str:
    if stability(r) == "unstable":
        return f"; unstable: its {r.repeat} runs spread {r.spread:.0%}, so read it with care"
    low, high = r.speedup_low, r.speedup_high
    if r.executor != "serial" and low is not None and high is not None and low < NO_GAIN <= high:
        return (
            f"; its runs read {low:.2f}-{high:.2f}x, on both sides of {NO_GAIN:.2f}x: within "
            "this machine's noise"
        )
    return ""
