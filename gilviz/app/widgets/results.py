"""The results log: one row per finished (or failed) experiment, newest at the bottom."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from gilviz.analysis import report
from gilviz.analysis.results import Result

COLUMNS = (
    "time",
    "workload",
    "executor",
    "workers",
    "status",
    "noise",
    "wall s",
    "speedup",
    "eff.",
    "busy",
    "GIL p99",
    "verdict",
)
"""'GIL p99' is the probe's p99 wait for the GIL, its run-queue wait taken out."""
PRIORITY: tuple[str, ...] = (
    "executor",
    "workers",
    "speedup",
    "status",
    "noise",
    "GIL p99",
    "eff.",
    "wall s",
)
PRIORITY += ("busy",)
PRIORITY += ("workload", "time", "verdict")
"""Which columns stay as the log narrows: the last ones go first. A number is never cut: a
column is shown whole or not at all (the chosen row's verdict is in the bottom border, and
enter shows it in full)."""
MAX_ROWS = 1000
SCROLLBAR = 2
Row = tuple[Result | None, tuple[str | Text, ...]]


class ResultsLog(DataTable[str | Text]):
    """Rows of figures and a verdict, grouped under headings (workload, Python, cores);
    keeps the last MAX_ROWS, and shows the columns that fit whole."""

    BORDER_TITLE = "Results"
    DEFAULT_CSS = """
    /* The chosen row: Textual's cursor is bright white on cyan in a 16-colour xterm (2:1);
       the screen's own colours, swapped, read in every terminal. */
    ResultsLog > .datatable--cursor, ResultsLog:focus > .datatable--cursor {
        background: $foreground;
        color: $background;
        text-style: bold;
    }
    """

    class Chosen(Message):
        """The cursor moved to a row: its result (None for a heading)."""

        def __init__(self, result: Result | None) -> None:
            super().__init__()
            self.result = result

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.row_results: dict[RowKey, Result | None] = {}
        self._group: report.GroupKey | None = None
        self.kept: list[Row] = []
        """Every row in full, whatever columns are shown now."""
        self.shown: tuple[int, ...] = ()
        """The indices of the columns on screen (none before the log has a size)."""
        self.widest = [len(name) for name in COLUMNS]
        """Each column's widest name or result cell so far (headings may be cut)."""
        self.widths: list[int] = []
        """The widths the columns on screen were drawn with."""

    @property
    def result_count(self) -> int:
        """Rows that hold a result (the others head a group)."""
        return sum(result is not None for result in self.row_results.values())

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True

    def on_resize(self) -> None:
        self._fit()

    @on(DataTable.RowHighlighted)
    def show_the_verdict(self, event: DataTable.RowHighlighted) -> None:
        """The chosen row's verdict goes in the bottom border."""
        self.border_subtitle = self._verdict_at(event.cursor_row)
        self.post_message(self.Chosen(self.row_results.get(event.row_key)))

    @on(DataTable.RowSelected)
    def show_the_whole_verdict(self, event: DataTable.RowSelected) -> None:
        """Enter shows the chosen row's verdict in full, however narrow the log, and where
        its time went when its stacks were sampled (a function of the user's)."""
        row = event.cursor_row
        result = self.kept[row][0] if 0 <= row < len(self.kept) else None
        sampled = report.sampled_words(result) if result is not None else []
        where = ["", report.SAMPLED_HEADING, *sampled] if sampled else []
        text = "\n".join([self._verdict_at(row), *where])
        self.notify(text, title="verdict", timeout=8 + 2 * len(sampled), markup=False)

    def _verdict_at(self, row: int) -> str:
        cell = self.kept[row][1][-1] if 0 <= row < len(self.kept) else ""
        return cell.plain if isinstance(cell, Text) else cell

    def add_result(self, result: Result) -> None:
        """A row for a finished or failed cell (a failed one shows its reason as its verdict),
        under a heading row whenever its workload or environment differs from the row above."""
        group = report.group_key(result)
        if group != self._group:
            self._group = group
            self._append(None, _heading(group))
        self._append(result, _cells(result))

    def _append(self, result: Result | None, cells: tuple[str | Text, ...]) -> None:
        if self.row_count >= MAX_ROWS:
            oldest = next(iter(self.rows))
            self.remove_row(oldest)
            self.row_results.pop(oldest, None)
            self.kept.pop(0)
        self.kept.append((result, cells))
        if result is not None:
            self.widest = [max(w, _width(cell)) for w, cell in zip(self.widest, cells, strict=True)]
        if not self._fit() and self.shown:
            self.row_results[self.add_row(*self._visible(result, cells))] = result
        self.move_cursor(row=self.row_count - 1)

    def _fit(self) -> bool:
        """Show the columns that fit whole; True when that rebuilt the table."""
        width = self.scrollable_content_region.width
        if not width:
            return False
        shown, widths = fitting_columns(self.widest, width), list(self.widest)
        if (shown, widths) == (self.shown, self.widths):
            return False
        row = self.cursor_row if self.shown else len(self.kept) - 1
        self.shown, self.widths = shown, widths
        self.clear(columns=True)
        self.row_results.clear()
        figures = sum(widths[i] + 2 for i in shown if COLUMNS[i] != "verdict")
        rest = max(10, width - SCROLLBAR - figures - 2)  # the verdict ends at the edge
        for i in shown:  # fixed widths: a heading's words are cut, never a figure
            self.add_column(COLUMNS[i], width=rest if COLUMNS[i] == "verdict" else widths[i])
        for result, cells in self.kept:
            self.row_results[self.add_row(*self._visible(result, cells))] = result
        if self.row_count:  # the same row, in view after a resize (none: not the header)
            self.move_cursor(row=min(max(row, 0), self.row_count - 1))
        return True

    def _visible(self, result: Result | None, cells: tuple[str | Text, ...]) -> list[str | Text]:
        if result is not None:
            return [cells[i] for i in self.shown]
        # A heading: its parts in order, each in the first column left that holds it whole,
        # or cut to this one where none left would (a long function name).
        parts, label = list(cells[:-1]), cells[-1]
        figures = [i for i in self.shown if COLUMNS[i] != "verdict"]
        visible: list[str | Text] = []
        for i in self.shown:
            if COLUMNS[i] == "verdict":
                visible.append(label)
            elif parts and _width(parts[0]) <= self.widths[i]:
                visible.append(parts.pop(0))
            elif parts and all(_width(parts[0]) > self.widths[j] for j in figures if j > i):
                part = parts.pop(0)
                cut = part.copy() if isinstance(part, Text) else Text(part)
                cut.truncate(self.widths[i], overflow="ellipsis")
                visible.append(cut)
            else:
                visible.append("")
        return visible


def _width(cell: str | Text) -> int:
    return len(cell.plain if isinstance(cell, Text) else cell)


def fitting_columns(widths: list[int], width: int) -> tuple[int, ...]:
    """The columns, by priority, whose widest cell (`widths`) fits whole in `width`."""
    width -= SCROLLBAR  # the rows may outgrow the height at any time
    chosen: list[int] = []
    used = 0
    for name in PRIORITY:
        i = COLUMNS.index(name)
        need = widths[i] + 2  # a cell's padding
        if name == "verdict":
            need = min(need, 40)  # the verdict may run on past the edge: it is words
        if used + need <= width:
            chosen.append(i)
            used += need
    return tuple(sorted(chosen))


def _cells(result: Result) -> tuple[str | Text, ...]:
    flag = report.flag(result)
    # A badge, not a colour: red text turns dark grey on dark under NO_COLOR.
    status = Text(flag, "bold reverse") if flag else Text("ok", "green")
    if result.error:
        figures = ["-"] * 6
    else:
        gil = result.probe_gil_p99_ms
        figures = [
            report.noise(result),
            f"{result.wall_s:.3f}",
            report.fmt_ratio(result.speedup),
            report.fmt_ratio(result.efficiency),
            f"{result.parallelism:.2f}",
            "-" if gil is None else f"{gil:.1f}ms",
        ]
    clock = _clock(result.finished_at)
    return (
        clock,
        result.workload,
        result.executor,
        str(result.workers),
        status,
        *figures,
        result.verdict,
    )


def _heading(group: report.GroupKey) -> tuple[str | Text, ...]:
    """A group's heading row: its parts in the first columns shown (seen on any screen), the
    whole label where the verdicts go (and in the bottom border when the row is chosen)."""
    workload, implementation, python, _, gil, cores, _ = report.group_tags(group)
    build = python if implementation == "CPython" else f"{implementation} {python}"
    short = workload.rpartition(":")[2]  # a user's 'module:function' by its function's name
    parts = ["──", short, build, gil, cores]
    heading = tuple(Text(part, "bold", justify="left") for part in parts)
    return (*heading, report.group_label(group))


def _clock(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return "?"
