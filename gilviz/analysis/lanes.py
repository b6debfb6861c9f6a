"""Timelines drawn as lanes of glyphs: one row per worker, one column per slice of time.

Shared by the app's timeline panel and `gilviz run --timeline`. Every state has its own glyph
as well as its own colour, so lanes read the same under NO_COLOR and on a 16-colour terminal.
Running Python is drawn as a bar whose height is the share of the column the worker ran: two
threads taking turns on the GIL are two half-height lanes; two processes, two full ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gilviz.measure.timeline import CORE, GIL, LOCK, STALL, STATES, STORED_LANES, stored_groups

HEIGHTS = "▁▂▃▄▅▆▇█"
GLYPHS = {"c": "▒", "io": "·", "gil": "─", "core": "~", "lock": "═", "idle": " "}
PART_C = "░"
"""C code for part of the column (under half): lighter, like the lower run bars."""
STYLES = {
    "run": "green",
    "c": "cyan",
    "io": "blue",
    "gil": "red",
    "core": "yellow",
    "lock": "magenta",
    "idle": "",
}
LEGEND = (
    ("▁▄█", "run", "running Python (height: share of the time)", "Python"),
    ("▒░", "c", "C code, GIL released", "C"),
    ("·", "io", "waiting on I/O", "I/O"),
    ("─", "gil", "waiting for the GIL", "GIL wait"),
    ("~", "core", "waiting for a core", "core wait"),
    ("═", "lock", "waiting on a lock", "lock wait"),
)
"""(glyphs, state, long words, short words) in the order the legend shows them; a lock wait
only where a lane shows one (only a user's function, sampled, can)."""


@dataclass(frozen=True)
class LaneView:
    """One lane ready to draw: a label and, per column, the share of each state (STATES)."""

    label: str
    columns: list[list[float]]
    own: bool = False
    """A thread the user's function started itself, not a worker."""
    glyphs: list[tuple[str, str]] | None = field(default=None, compare=False, repr=False)
    """Each column's glyph and state, where already worked out (a live view keeps them)."""

    def drawn(self) -> list[tuple[str, str]]:
        """Each column's glyph and state name."""
        return self.glyphs if self.glyphs is not None else strip(self.columns)


def glyph(shares: Sequence[float]) -> tuple[str, str]:
    """The glyph and state name that stand for one column's shares."""
    run, c = shares[0], shares[1]
    if 1.0 - sum(shares) >= 0.5:
        return GLYPHS["idle"], "idle"
    if run >= 0.1:
        return HEIGHTS[max(0, min(7, round(run * 8) - 1))], "run"
    if c >= 0.1:
        return (GLYPHS["c"] if c >= 0.5 else PART_C), "c"
    name = STATES[max(range(1, len(STATES)), key=lambda s: shares[s])]
    return GLYPHS[name], name


def strip(columns: Iterable[Sequence[float]]) -> list[tuple[str, str]]:
    return [glyph(shares) for shares in columns]


def from_stored(stored: dict[str, Any], width: int) -> list[LaneView]:
    """Lanes of a result's stored timeline, fitted to `width` columns."""
    views = []
    for lane in stored.get("lanes", []):
        bins = lane["bins"]  # a state the lane was never in has none
        count = len(next(iter(bins.values()), ""))
        zeros = "0" * count
        decoded = [[int(bins.get(name, zeros)[i]) / 9 for name in STATES] for i in range(count)]
        views.append(LaneView(lane["label"], _refit(decoded, width), lane.get("own", False)))
    return views


def _refit(columns: list[list[float]], width: int) -> list[list[float]]:
    """Average (or repeat) columns so there are `width` of them."""
    count = len(columns)
    if not count or width <= 0:
        return []
    out = []
    for j in range(width):
        first = j * count // width
        last = max(first + 1, (j + 1) * count // width)
        group = columns[first:last]
        out.append([sum(c[s] for c in group) / len(group) for s in range(len(STATES))])
    return out


def from_live(
    binned: dict[int, tuple[int, list[list[float]]]],
    shared_gil: bool,
    sampled: bool = False,
    own: frozenset[int] = frozenset(),
) -> list[LaneView]:
    """Lanes from live columns of raw shares ({index: (pid, columns)}, a STALL still unsorted
    in the GIL slot), workers first, then the user's `own` threads.

    A stall is drawn as a GIL wait where another worker of the same process ran Python in the
    same column (and the workers share a GIL), else as a wait for a core: the runner's exact
    classification, at the resolution of a column. `sampled` lanes come classified.
    """
    workers = sorted(i for i in binned if i not in own)
    threads = sorted(i for i in binned if i in own)
    labels = {i: f"w{n + 1}" for n, i in enumerate(workers)}
    labels |= {i: f"own{n + 1}" for n, i in enumerate(threads)}
    if sampled:
        return [LaneView(labels[i], binned[i][1], i in own) for i in workers + threads]
    indices = workers + threads
    ran: dict[int, list[float]] = {}  # per process, the Python run by all its lanes, by column
    for i in indices:
        pid, columns = binned[i]
        total = ran.setdefault(pid, [0.0] * len(columns))
        for column, shares in enumerate(columns):
            total[column] += shares[0]
    views = []
    for i in indices:
        pid, columns = binned[i]
        resolved = []
        for column, shares in enumerate(columns):
            shares = list(shares)
            stalled, shares[STALL] = shares[STALL], 0.0
            others_ran = shared_gil and ran[pid][column] - shares[0] > 1e-9
            shares[GIL if others_ran else CORE] += stalled
            resolved.append(shares)
        views.append(LaneView(labels[i], resolved, i in own))
    return views


def aggregate(views: list[LaneView], most: int = STORED_LANES) -> list[LaneView]:
    """At most `most` lanes: above that, each lane averages a run of neighbouring workers
    (and of the user's own threads, which come last)."""
    if len(views) <= most:
        return views
    own = sum(view.own for view in views)
    out = []
    for first, last, label in stored_groups(len(views) - own, own, most):
        group = views[first:last]
        columns = [
            [sum(v.columns[c][s] for v in group) / len(group) for s in range(len(STATES))]
            for c in range(len(group[0].columns))
        ]
        out.append(LaneView(label, columns, group[0].own))
    return out


def shows_lock(views: Iterable[LaneView]) -> bool:
    """Whether any lane shows a lock wait somewhere (the legend then explains it)."""
    return any(column[LOCK] > 0 for view in views for column in view.columns)


def legend_items(width: int, lock: bool = False) -> list[tuple[str, str, str]]:
    """(glyphs, state, words) for a legend fitting `width` columns: long words if they fit;
    the lock wait's only with `lock`."""
    shown = LEGEND if lock else LEGEND[:-1]
    for words in (2, 3):
        items = [(item[0], item[1], item[words]) for item in shown]
        if sum(len(g) + len(w) + 3 for g, _, w in items) <= width:
            return items
    return items


def text_block(title: str, views: list[LaneView], width: int) -> str:
    """Plain lanes with a title and a legend: what `gilviz run --timeline` prints per cell."""
    label_width = max((len(v.label) for v in views), default=2) + 1
    lines = [title]
    for view in views:
        lines.append(f"  {view.label:<{label_width}}" + "".join(g for g, _ in view.drawn()))
    items = legend_items(width - 2, shows_lock(views))
    lines.append("  " + "   ".join(f"{g} {w}" for g, _, w in items))
    return "\n".join(lines)
