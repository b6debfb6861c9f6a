"""Results as text: JSON, CSV, Markdown, a terminal table, and a speedup plot."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from gilviz.results import TIMELINE_SHARES, Result, mean_shares, verdict

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
    "speedup",
    "efficiency",
    "parallelism",
    "startup_s",
    "probe_p99_ms",
    "overlap",
    "handoffs_per_s",
    "checksum_ok",
    "finished_at",
)


def summary_row(result: Result) -> dict[str, object]:
    """The flat fields of a result plus its verdict: what CSV and Markdown show."""
    data = result.to_dict()
    row = {name: data[name] for name in SUMMARY_COLUMNS}
    shares = mean_shares(result)
    for state in TIMELINE_SHARES:
        row[f"share_{state}"] = "" if shares is None else shares[state]
    row["python"] = result.env.get("python", "")
    row["gil_enabled"] = result.env.get("gil_enabled", "")
    row["verdict"] = verdict(result)
    return row


def to_json(results: Sequence[Result]) -> str:
    return json.dumps([r.to_dict() for r in results], indent=2)


def to_csv(results: Sequence[Result]) -> str:
    out = io.StringIO()
    rows = [summary_row(r) for r in results]
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else list(SUMMARY_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_markdown(results: Sequence[Result]) -> str:
    header = [
        "executor",
        "workers",
        "wall (s)",
        "speedup",
        "eff.",
        "cores busy",
        "overlap",
        "hand-offs/s",
        "verdict",
    ]
    lines = ["| workload | " + " | ".join(header) + " |", "|---" * (len(header) + 1) + "|"]
    for r in results:
        cells = [
            r.workload,
            r.executor,
            str(r.workers),
            f"{r.wall_s:.3f} ({r.wall_min_s:.3f}-{r.wall_max_s:.3f})",
            fmt_ratio(r.speedup),
            fmt_ratio(r.efficiency),
            f"{r.parallelism:.2f}",
            fmt_ratio(r.overlap),
            "-" if r.handoffs_per_s is None else f"{r.handoffs_per_s:.0f}",
            verdict(r),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def speedup_series(results: Sequence[Result]) -> dict[str, list[tuple[int, float]]]:
    """Speedup by worker count for each executor (the latest result wins per point)."""
    series: dict[str, dict[int, float]] = {}
    for r in results:
        if r.speedup is not None and r.executor != "serial":
            series.setdefault(r.executor, {})[r.workers] = r.speedup
    return {name: sorted(points.items()) for name, points in series.items()}


def draw_speedup(plt: Any, results: Sequence[Result], title: str) -> None:
    """Draw speedup vs workers with the ideal line on a plotext module or textual-plotext plot."""
    series = speedup_series(results)
    top = max([n for points in series.values() for n, _ in points], default=1)
    ideal = list(range(1, top + 1))
    plt.title(title)
    plt.xlabel("workers")
    plt.plot(ideal, ideal, label="ideal", color="gray")
    for name, points in series.items():
        plt.plot([n for n, _ in points], [s for _, s in points], label=name, marker="dot")
    highest = max([s for points in series.values() for _, s in points], default=1.0)
    plt.ylim(0, max(top, highest) * 1.1)
    plt.xticks(sorted({1, top, *(n for points in series.values() for n, _ in points)}))
