"""Results as text: JSON, CSV, Markdown, a terminal table, and a speedup plot."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from collections.abc import Sequence
from typing import Any

from gilviz.analysis.advice import advise
from gilviz.analysis.results import (
    TIMELINE_SHARES,
    Result,
    gil_handoffs,
    mean_shares,
    stamped,
)
from gilviz.measure.environment import python_label

FORMATS = ("table", "json", "csv", "markdown")
SUMMARY_COLUMNS = (
    "workload",
    "executor",
    "workers",
    "tasks",
    "wall_s",
    "wall_min_s",
    "wall_max_s",
    "cpu_s",
    "process_cpu_s",
    "speedup",
    "efficiency",
    "parallelism",
    "startup_s",
    "probe_p99_ms",
    "probe_gil_p99_ms",
    "probe_queue_p99_ms",
    "echo_p99_ms",
    "overlap",
    "handoffs_per_s",
    "bytes_moved",
    "other_cores",
    "checksum_ok",
    "stability",
    "error",
    "finished_at",
)


def summary_row(result: Result) -> dict[str, object]:
    """The flat fields of a result plus its verdict: what CSV and Markdown show."""
    data = result.to_dict()
    row = {name: data[name] for name in SUMMARY_COLUMNS}
    shares = mean_shares(result)
    for state in TIMELINE_SHARES:
        row[f"share_{state}"] = "" if shares is None else shares[state]
    row["handoffs_per_s"] = gil_handoffs(result)
    row["python"] = result.env.get("python")
    row["build"] = result.env.get("build", "default")
    row["gil_enabled"] = result.env.get("gil_enabled")
    row["usable_cores"] = result.env.get("usable_cores")
    row["verdict"] = result.verdict
    return {name: "" if value is None else value for name, value in row.items()}


def to_json(results: Sequence[Result]) -> str:
    return json.dumps([r.to_dict() for r in results], indent=2)


def to_csv(results: Sequence[Result]) -> str:
    out = io.StringIO()
    rows = [summary_row(r) for r in results]
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else list(SUMMARY_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


MARKDOWN_HEADER = (
    "workload",
    "executor",
    "workers",
    "wall (s)",
    "noise",
    "speedup",
    "eff.",
    "cores busy",
    "overlap",
    "hand-offs/s",
    "verdict",
)


def to_markdown(results: Sequence[Result]) -> str:
    """One table per group of comparable results, under a heading naming the group."""
    parts = []
    for label, members in grouped(results):
        lines = [f"### {label}", "", "| " + " | ".join(MARKDOWN_HEADER) + " |"]
        lines.append("|---" * len(MARKDOWN_HEADER) + "|")
        lines.extend("| " + " | ".join(_markdown_cells(r)) + " |" for r in members)
        lines.extend(["", f"**Recommendation:** {advise(members).words}"])
        parts.append("\n".join(lines) + "\n")
    sweep = switch_sweep_rows(results)
    if sweep:
        lines = ["### switch interval sweep", "", "| " + " | ".join(SWITCH_HEADER) + " |"]
        lines.append("|---" * len(SWITCH_HEADER) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in sweep)
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


SWITCH_HEADER = (
    "switch ms",
    "Python",
    "cell",
    "speedup",
    "tasks/s",
    "probe GIL p99 ms",
    "echo p99 ms",
)


def switch_sweep_rows(results: Sequence[Result]) -> list[tuple[str, ...]]:
    """Results under several switch intervals side by side, by interval: each cell's
    throughput beside the latency an I/O thread saw meanwhile (the probe's GIL wait and a
    round trip between two threads). Empty unless the results hold several intervals."""
    measured = [r for r in results if not r.error]
    if len({switch_interval_ms(r) for r in measured}) < 2:
        return []
    return [
        (
            f"{switch_interval_ms(r):g}",
            python_label(r.env),
            r.cell.label,
            fmt_ratio(r.speedup),
            f"{r.tasks / r.wall_s:.1f}" if r.wall_s > 0 else "-",
            fmt_ms(r.probe_gil_p99_ms),
            fmt_ms(r.echo_p99_ms),
        )
        for r in sorted(measured, key=switch_interval_ms)
    ]


def timeline_words(result: Result) -> str:
    """A recorded timeline's figures: 'overlap 1.00 · 160 hand-offs/s · 1.20 s' (hand-offs
    only where threads take turns on one GIL, and counted: lanes from stack samples say so)."""
    assert result.timeline is not None and result.overlap is not None
    handoffs = gil_handoffs(result)
    turns = "" if handoffs is None else f" · {handoffs:.0f} hand-offs/s"
    source = "" if stamped(result) else " · from stack samples"
    return f"overlap {result.overlap:.2f}{turns} · {result.timeline['span_s']:.2f} s{source}"


SAMPLED_WORDS = {
    "run": "with the GIL",
    "c": "in C without it",
    "io": "on I/O",
    "gil": "waiting for the GIL",
    "lock": "on a lock",
    "core": "for a core",
}
"""How a person reads each sampled state (`gilviz.measure.stacks`)."""


SAMPLED_HEADING = "where the time went, from stack samples (ms: of the time they cover):"


def sampled_words(result: Result, top: int = 3) -> list[str]:
    """Where a cell's task threads spent their time, from stack samples: the shares, then its
    hottest lines of the user's ('' lines: nothing was sampled)."""
    if result.sampled is None:
        return []
    shares = result.sampled["shares"]
    parts = [f"{SAMPLED_WORDS[s]} {share:.0%}" for s, share in shares.items() if share >= 0.005]
    words = [f"{result.cell.label}: {' · '.join(parts)} ({result.sampled['samples']} samples)"]
    for row in (result.hot_lines or [])[:top]:
        where = f"{os.path.relpath(row['file'])}:{row['line']} in {row['function']}"
        waits = {s: ms for s, ms in row["waits_ms"].items() if ms >= 0.5}
        waiting = ", ".join(f"{SAMPLED_WORDS[s]} {ms:.0f}" for s, ms in waits.items())
        words.append(
            f"  {where}: with the GIL {row['run_ms']:.0f} ms · in C without it "
            f"{row['c_ms']:.0f} ms · waiting {row['wait_ms']:.0f} ms"
            f"{f' ({waiting})' if waiting else ''} · {row['samples']} samples"
        )
    return words


def duration_words(seconds: float) -> str:
    """'0.35 s', '4.2 min', '1.5 h': a duration in the unit a person reads it in."""
    if seconds < 60:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _markdown_cells(r: Result) -> list[str]:
    if r.error:
        figures = ["-"] * 7
    else:
        figures = [
            f"{r.wall_s:.3f} ({r.wall_min_s:.3f}-{r.wall_max_s:.3f})",
            f"{noise(r)} {flag(r)}".strip(),
            fmt_ratio(r.speedup),
            fmt_ratio(r.efficiency),
            f"{r.parallelism:.2f}",
            fmt_ratio(r.overlap),
            "-" if (handoffs := gil_handoffs(r)) is None else f"{handoffs:.0f}",
        ]
    return [r.workload, r.executor, str(r.workers), *figures, r.verdict]


GroupKey = tuple[str, str, str, str, bool, int, float]
GROUP_PARTS = (
    "workload",
    "implementation",
    "python",
    "build",
    "gil_enabled",
    "usable_cores",
    "switch_interval_ms",
)
"""What a group key holds, in order."""
DEFAULT_SWITCH_MS = 5.0
"""CPython's switch interval unless set (results saved before it was recorded had it)."""


def group_key(result: Result) -> GroupKey:
    """What makes results comparable: the workload, and the Python and cores they ran on."""
    env = result.env
    return (
        result.workload,
        str(env.get("implementation", "CPython")),
        str(env.get("python", "?")),
        str(env.get("build", "default")),
        bool(env.get("gil_enabled", True)),
        int(env.get("usable_cores") or env.get("cpu_count") or 0),
        switch_interval_ms(result),
    )


def switch_interval_ms(result: Result) -> float:
    """The switch interval a result ran with (results saved before it was recorded: 5 ms)."""
    return float(result.env.get("switch_interval_ms") or DEFAULT_SWITCH_MS)


def group_label(key: GroupKey) -> str:
    """'cpu · CPython 3.11.7, GIL on · 2 cores', plus the switch interval where it was set."""
    workload, implementation, python, build, gil, cores, switch_ms = key
    env = {"python": python, "build": build, "gil_enabled": gil, "implementation": implementation}
    switch = "" if switch_ms == DEFAULT_SWITCH_MS else f" · switch {switch_ms:g} ms"
    return f"{workload} · {python_label(env)} · {cores} cores{switch}"


def grouped(results: Sequence[Result]) -> list[tuple[str, list[Result]]]:
    """Results split into groups of comparable ones, in order of first appearance."""
    groups: dict[GroupKey, list[Result]] = {}
    for r in results:
        groups.setdefault(group_key(r), []).append(r)
    return [(group_label(key), members) for key, members in groups.items()]


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def noise(result: Result) -> str:
    """The repeats' spread around their median ('±4%'), or how few runs there were."""
    if result.error:
        return "-"
    if result.spread is None:
        return "1 run"
    return f"±{result.spread / 2:.0%}"


def flag(result: Result) -> str:
    """'' for a result to read as it is; else what is wrong with it, in capitals."""
    if not result.error and not result.checksum_ok:
        return "INVALID"
    state = result.stability
    return state.upper() if state in ("failed", "disturbed", "unstable") else ""


def speedup_series(results: Sequence[Result]) -> dict[str, list[tuple[int, float]]]:
    """Speedup by worker count, one series per executor and group (the latest result wins
    per point). A series is named by its executor, plus what tells its group apart from the
    others: 'threads', or 'threads · sleep', 'threads · 3.13.1t', 'threads · 4 cores'."""
    measured = [r for r in results if r.speedup is not None and r.executor != "serial"]
    tagged = [group_tags(group_key(r)) for r in measured]
    differs = [len({tags[i] for tags in tagged}) > 1 for i in range(len(GROUP_PARTS))]
    differs[GROUP_PARTS.index("build")] = False  # the version's "t" says it, and legends are narrow
    series: dict[str, dict[int, float]] = {}
    for r, tags in zip(measured, tagged, strict=True):
        name = " · ".join(dict.fromkeys([r.executor, *itertools.compress(tags, differs)]))
        series.setdefault(name, {})[r.workers] = r.speedup  # type: ignore[assignment]
    return {name: sorted(points.items()) for name, points in series.items()}


def group_tags(key: GroupKey) -> tuple[str, ...]:
    """Each part of a group key in words: 'cpu', 'CPython', '3.13.1t', 'free-threaded',
    'GIL off', '4 cores' (series names and the app's heading rows show them)."""
    workload, implementation, python, build, gil, cores, switch_ms = key
    free_threaded = "t" if build == "free-threaded" else ""
    return (
        workload,
        implementation,
        python + free_threaded,
        build,
        f"GIL {'on' if gil else 'off'}",
        f"{cores} cores",
        f"switch {switch_ms:g} ms",
    )


MARKERS = ("dot", "x", "+", "o", "*", "#")
"""One per series, so series differ without colour too (NO_COLOR, a piped plot)."""


def draw_speedup(plt: Any, results: Sequence[Result], title: str) -> None:
    """Draw speedup vs workers with the ideal line on a plotext module or textual-plotext plot."""
    series = speedup_series(results)
    top = max([n for points in series.values() for n, _ in points], default=1)
    ideal = list(range(1, top + 1))
    plt.title(title)
    plt.xlabel("workers")
    plt.plot(ideal, ideal, label="ideal", color="gray")
    for (name, points), marker in zip(series.items(), itertools.cycle(MARKERS), strict=False):
        plt.plot([n for n, _ in points], [s for _, s in points], label=name, marker=marker)
    highest = max([s for points in series.values() for _, s in points], default=1.0)
    plt.ylim(0, max(top, highest) * 1.1)
    plt.xticks(sorted({1, top, *(n for points in series.values() for n, _ in points)}))
