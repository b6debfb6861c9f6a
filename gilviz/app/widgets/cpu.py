"""The CPU panel: a sparkline per core, the experiment's true load in cores, and its workers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from gilviz.app.sampler import CpuHistory, Snapshot
from gilviz.app.widgets.repaint import LinesPanel

BARS = " ▁▂▃▄▅▆▇█"
HEAT_STRIP_FROM = 17
"""From this many cores on, one character per core instead of a sparkline per core."""
WORKER_ROWS = 6
"""Busiest workers listed (fewer on a short screen, where the timeline shows each worker)."""


def spark(values: Sequence[float], width: int) -> str:
    """The last `width` percentages as bars on a fixed 0-100 scale (Textual's Sparkline
    rescales to the data's own min and max, which would draw a steady 50% as full)."""
    recent = list(values)[-width:] if width > 0 else []
    return " " * (width - len(recent)) + "".join(_bar(v) for v in recent)


def _bar(percent: float) -> str:
    return BARS[round(max(0.0, min(100.0, percent)) / 100 * (len(BARS) - 1))]


def _load_style(percent: float) -> str:
    return "red" if percent >= 85 else "yellow" if percent >= 40 else "green"


@dataclass(frozen=True)
class ProbeReading:
    """How late the runner's probe last woke, and the part of that on the OS run queue."""

    late_ms: float
    queue_ms: float | None = None
    """None: the kernel does not say, so the lateness is not split."""

    def words(self) -> str:
        if self.queue_ms is None:
            return f"probe {self.late_ms:.1f} ms late (GIL or run queue)"
        gil = max(0.0, self.late_ms - self.queue_ms)
        return f"probe {self.late_ms:.1f} ms late: GIL {gil:.1f}, run queue {self.queue_ms:.1f}"


class CpuPanel(LinesPanel):
    """Renders the latest snapshot; everything it draws comes from `show`."""

    BORDER_TITLE = "CPU"
    FIXED_HEIGHT = True
    DEFAULT_CSS = """
    CpuPanel {
        height: 100%;  /* the fields' height: workers coming and going never move a panel */
        min-height: 7;
        padding: 0 1;
        text-wrap: nowrap;  /* one line per row, as its height assumes */
        text-overflow: ellipsis;
    }
    """

    def __init__(self, granted: int | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.granted = granted
        """Cores the machine grants gilviz (affinity and CPU quota); None: every core shown."""
        self.history: CpuHistory | None = None
        self.snapshot = Snapshot([])
        self.probe: ProbeReading | None = None
        self.running: str | None = None
        self.worker_rows = WORKER_ROWS

    def show(
        self,
        snapshot: Snapshot,
        history: CpuHistory,
        probe: ProbeReading | None,
        running: str | None = None,
    ) -> None:
        """Draw a sample; `running` names what runs now ("threads x2", "starting"), or None.

        The load line names the cell, not the border: Textual repaints a whole panel when its
        title changes, and in a sweep at the watch pace the cell changes every second or two."""
        self.snapshot, self.history, self.probe = snapshot, history, probe
        self.running = running
        self.repaint_changes()

    def build_lines(self, width: int) -> list[Text]:
        per_core = self.snapshot.per_core
        lines = (
            self._heat_strip(per_core, width)
            if len(per_core) >= HEAT_STRIP_FROM
            else [self._core_line(i, width) for i in range(len(per_core))]
        )
        lines.append(self._summary(per_core, width))
        if self.probe is not None:
            lines.append(Text(self.probe.words()))
        lines.extend(self._workers())
        return lines

    def _core_line(self, index: int, width: int) -> Text:
        percent = self.snapshot.per_core[index]
        history = self.history.cores[index] if self.history else [percent]
        label = f"cpu{index:<3}"
        bars = spark(history, max(0, width - len(label) - 7))
        return Text.assemble(label, (bars, _load_style(percent)), f" {percent:4.0f}%")

    def _heat_strip(self, per_core: list[float], width: int) -> list[Text]:
        per_row = max(8, width - 8)
        lines = []
        for start in range(0, len(per_core), per_row):
            row = Text(f"{start:>5}-  ")
            for percent in per_core[start : start + per_row]:
                row.append(_bar(percent) if percent > 0 else "·", _load_style(percent))
            lines.append(row)
        return lines

    def _summary(self, per_core: list[float], width: int) -> Text:
        """The load in cores, of the cores granted, in the longest wording that fits the width."""
        shown = len(per_core)
        cores = min(shown, self.granted or shown)
        machine = sum(per_core) / 100
        busy = self.snapshot.experiment_cores
        if busy is None:
            idle = "; no experiment running" if self.running is None else "; runner starting"
            load, label, aside, style = machine, "machine: ", idle, ""
        else:
            cell = self.running if self.running not in (None, "starting") else "experiment"
            load, label, aside, style = busy, f"{cell}: ", f" (machine {machine:.1f})", "bold"
        usable = " usable" if cores < shown else ""
        words = f"{load:.1f} of {cores}{usable} cores busy"
        for tail in (aside, ""):
            if len(label) + len(words) + len(tail) <= width:
                return Text.assemble(label, (words, style), tail)
        return Text(f"{load:.1f}/{cores} cores busy", style)

    def _workers(self) -> list[Text]:
        workers = self.snapshot.workers
        lines = [
            Text.assemble(
                f"  {w.label:<16}",
                (spark([w.percent], 1), _load_style(w.percent)),
                f" {w.percent:5.1f}%",
            )
            for w in workers[: self.worker_rows]
        ]
        if len(workers) > self.worker_rows:
            more = len(workers) - self.worker_rows
            lines.append(Text(f"  +{more} more threads/processes", "dim"))
        return lines
