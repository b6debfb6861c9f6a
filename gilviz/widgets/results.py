"""The results log: one row per finished (or failed) experiment, newest at the bottom."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from gilviz import report
from gilviz.results import Result
from gilviz.verdict import verdict

COLUMNS = (
    "time",
    "workload",
    "executor",
    "workers",
    "status",
    "wall s",
    "speedup",
    "eff.",
    "busy",
    "GIL p99",
    "verdict",
)
"""'GIL p99' is the probe's p99 wait for the GIL, its run-queue wait taken out."""
MAX_ROWS = 1000


class ResultsLog(DataTable[str | Text]):
    """Rows of figures and a verdict, grouped under headings (workload, Python, cores);
    keeps the last MAX_ROWS."""

    BORDER_TITLE = "Results"

    class Chosen(Message):
        """The cursor moved to a row: its result (None for a heading)."""

        def __init__(self, result: Result | None) -> None:
            super().__init__()
            self.result = result

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.row_results: dict[RowKey, Result | None] = {}
        self._group: report.GroupKey | None = None

    @property
    def result_count(self) -> int:
        """Rows that hold a result (the others head a group)."""
        return sum(result is not None for result in self.row_results.values())

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(*COLUMNS)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The chosen row's verdict goes in the bottom border, in full: its column is far right."""
        verdict_cell = self.get_row_at(event.cursor_row)[-1]
        self.border_subtitle = (
            verdict_cell.plain if isinstance(verdict_cell, Text) else verdict_cell
        )
        self.post_message(self.Chosen(self.row_results.get(event.row_key)))

    def add_result(self, result: Result) -> None:
        """A row for a finished or failed cell (a failed one shows its reason as its verdict),
        under a heading row whenever its workload or environment differs from the row above."""
        group = report.group_key(result)
        if group != self._group:
            self._group = group
            self._append(None, *_heading(group))
        flag = report.flag(result)
        # A badge, not a colour: red text turns dark grey on dark under NO_COLOR.
        status = Text(flag, "bold reverse") if flag else Text("ok", "green")
        words = verdict(result)
        if result.error:
            figures = ["-"] * 5
        else:
            gil = result.probe_gil_p99_ms
            figures = [
                f"{result.wall_s:.3f}",
                report.fmt_ratio(result.speedup),
                report.fmt_ratio(result.efficiency),
                f"{result.parallelism:.2f}",
                "-" if gil is None else f"{gil:.1f}ms",
            ]
        self._append(
            result,
            _clock(result.finished_at),
            result.workload,
            result.executor,
            str(result.workers),
            status,
            *figures,
            words,
        )

    def _append(self, result: Result | None, *cells: str | Text) -> None:
        if self.row_count >= MAX_ROWS:
            oldest = next(iter(self.rows))
            self.remove_row(oldest)
            self.row_results.pop(oldest, None)
        self.row_results[self.add_row(*cells)] = result
        self.move_cursor(row=self.row_count - 1)


def _heading(group: report.GroupKey) -> list[str | Text]:
    """A group's heading row: its parts in the first columns (seen on any screen), the whole
    label where the verdicts go (seen in the bottom border when the row is chosen)."""
    workload, implementation, python, _, gil, cores, _ = report.group_tags(group)
    parts = ["──", workload, f"{implementation} {python}", gil, cores]
    blanks = [""] * (len(COLUMNS) - len(parts) - 1)
    heading = (Text(part, "bold", justify="left") for part in parts)
    return [*heading, *blanks, report.group_label(group)]


def _clock(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return "?"
