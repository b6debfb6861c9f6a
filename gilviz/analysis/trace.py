"""Recorded timelines as a Chrome trace-event file, which Perfetto and chrome://tracing open.

Each cell is a process (named like "threads x2 on cpu"), each worker a thread track (and each
thread a user's function started itself, "own thread 1", after them); on every
track the cell is a parent slice and each state interval a child slice inside it. Cells follow
one another in time, as they ran. Format: the Trace Event Format's JSON object form.
"""

from __future__ import annotations

from typing import Any

from gilviz.analysis.results import Result
from gilviz.measure.timeline import STATES

STATE_NAMES = {
    "run": "running Python",
    "c": "C code, GIL released",
    "io": "waiting on I/O",
    "gil": "waiting for the GIL",
    "core": "waiting for a core",
    "lock": "waiting on a lock",
}
GAP_US = 10_000
"""Space between two cells on the time axis."""


def chrome_trace(cells: list[tuple[Result, list[list[tuple[int, int, int]]]]]) -> dict[str, Any]:
    """The trace of (result, per-worker classified intervals in µs) pairs, in run order."""
    events: list[dict[str, Any]] = []
    offset = 0
    for pid, (result, lanes) in enumerate(cells, 1):
        name = result.title
        span = round((result.timeline or {}).get("span_s", 0.0) * 1e6)
        span = max([span, *(hi for lane in lanes for _, _, hi in lane)])
        events.append(_meta("process_name", pid, 0, name=name))
        events.append(_meta("process_sort_index", pid, 0, sort_index=pid))
        figures = {
            "overlap": result.overlap,
            "handoffs_per_s": result.handoffs_per_s,
            "speedup": result.speedup,
            "wall_s": result.wall_s,
            "lanes_from": (result.timeline or {}).get("source", "stamps"),
        }
        names = _lane_names(result, len(lanes))
        for tid, (lane, lane_name) in enumerate(zip(lanes, names, strict=True), 1):
            events.append(_meta("thread_name", pid, tid, name=lane_name))
            events.append(_slice(name, "cell", pid, tid, offset, span, figures))
            for state, lo, hi in lane:
                label = STATE_NAMES[STATES[state]]
                events.append(_slice(label, STATES[state], pid, tid, offset + lo, hi - lo, {}))
        offset += span + GAP_US
    env = cells[0][0].env if cells else {}
    return {"traceEvents": events, "displayTimeUnit": "ms", "otherData": {"gilviz_env": env}}


def _lane_names(result: Result, count: int) -> list[str]:
    """'worker 1', 'worker 2', then 'own thread 1' for the threads a user's function started."""
    workers = (result.timeline or {}).get("workers", [])
    own = sum(1 for worker in workers if worker.get("own"))
    return [f"worker {i + 1}" for i in range(count - own)] + [
        f"own thread {i + 1}" for i in range(own)
    ]


def _meta(kind: str, pid: int, tid: int, **args: Any) -> dict[str, Any]:
    return {"name": kind, "ph": "M", "pid": pid, "tid": tid, "args": args}


def _slice(
    name: str, category: str, pid: int, tid: int, ts: int, dur: int, args: dict[str, Any]
) -> dict[str, Any]:
    return {
        "name": name,
        "cat": category,
        "ph": "X",
        "ts": ts,
        "dur": dur,
        "pid": pid,
        "tid": tid,
        "args": args,
    }
