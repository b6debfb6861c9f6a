"""The timeline panel: a lane per worker showing, measured, when it ran, waited and stalled.

Live, each interval is binned once, as it arrives, into columns of LIVE_COLUMN_US; the lanes
fill from the left and then page on by half a width, so a 4 Hz tick repaints only the newest
columns (`changed_regions`). Afterwards, or when a result row is chosen, the panel shows that
cell's recorded timeline fitted to its width.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from rich.text import Text

from gilviz.analysis import lanes, report
from gilviz.analysis.results import Result
from gilviz.app.widgets.repaint import LinesPanel
from gilviz.measure.timeline import STATES
from gilviz.protocol.events import TimelineUpdate

LIVE_COLUMN_US = 50_000
"""One live column is 50 ms: a 100-column lane holds 5 s."""
LABEL_WIDTH = 8
OWN_ROWS = 1 << 20
"""Keys of the live rows of the user's own threads start here, after any worker's index."""
EMPTY = "Each worker gets a lane here while a run goes: r runs one."


SAMPLING = "Sampling your function's threads: their lanes appear with the first samples."
SAMPLED = "No lanes were kept. Where the function's time went, from stack samples:"
UNSAMPLED = "No lanes: no stack sample caught this cell's threads; clock and CPU time tell."


@dataclass
class LiveLanes:
    """The running cell's raw shares per 50 ms column (absolute, from the cell's start)."""

    title: str
    shared_gil: bool
    sampled: bool = False
    """The lanes come from stack samples, classified (a user's function stamps nothing)."""
    columns: dict[int, dict[int, list[float]]] = field(default_factory=dict)
    """Per lane: column number -> share of each raw state (RUN, C, IO, STALL). A lane is a
    worker's (its index), or a row of the user's own threads (OWN_ROWS + row)."""
    pids: dict[int, int] = field(default_factory=dict)
    own_rows: dict[int, int] = field(default_factory=dict)
    """Each own thread's lane index -> its row's key: threads one after another share one."""
    row_ends: list[int] = field(default_factory=list)
    """The last column each row of own threads reaches."""
    now_us: int = 0
    ended: str = ""
    """Why the cell stopped before it finished ('cancelled', 'failed'); '' while it runs."""

    dirty_from: int = 0
    """The first column new intervals touched since the lanes were last viewed."""
    last_column: int = -1
    """The last column any interval reached: the columns after it are empty, not worked out."""
    _viewed: tuple[int, int, list[lanes.LaneView]] | None = None
    """The window last viewed (first column, width) and its lanes, reused where unchanged."""

    def add(self, update: TimelineUpdate) -> None:
        self.now_us = max(self.now_us, update.now_us)
        own = set(update.own)
        for index, pid, flat in update.lanes:
            key = self._own_row(index, flat) if index in own else index
            self.pids[key] = pid
            columns = self.columns.setdefault(key, {})
            for i in range(0, len(flat), 3):
                self.dirty_from = min(self.dirty_from, flat[i + 1] // LIVE_COLUMN_US)
                _spread(columns, flat[i], flat[i + 1], flat[i + 2])
            if flat:
                self.last_column = max(self.last_column, (flat[-1] - 1) // LIVE_COLUMN_US)

    def _own_row(self, index: int, flat: list[int]) -> int:
        """The row an own thread's intervals go to: the first free when it starts (packed as
        `timeline.pack` packs a result's)."""
        row = self.own_rows.get(index)
        if row is None:
            start = flat[1] // LIVE_COLUMN_US if flat else 0
            row = next((r for r, end in enumerate(self.row_ends) if end < start), None)
            if row is None:
                row = len(self.row_ends)
                self.row_ends.append(start)
            row = self.own_rows[index] = OWN_ROWS + row
        if flat:
            end = (flat[-1] - 1) // LIVE_COLUMN_US
            self.row_ends[row - OWN_ROWS] = max(self.row_ends[row - OWN_ROWS], end)
        return row

    def first_column(self, width: int) -> int:
        """The window's first column: 0 until the lanes are full, then half a width on."""
        now = self.now_us // LIVE_COLUMN_US
        step = max(1, width // 2)
        return 0 if now < width else ((now - width) // step + 1) * step

    def view(self, first: int, width: int) -> list[lanes.LaneView]:
        """The lanes of columns `first` to `first + width` (up to the last with anything in
        it), worked out again only from the first column that changed since the last view (a
        tick adds a column or two)."""
        for columns in self.columns.values():  # what scrolled out is forgotten
            for old in [c for c in columns if c < first]:
                del columns[old]
        kept = self._viewed
        start, end = first, max(first, min(first + width, self.last_column + 1))
        # A new lane may change any column's GIL-or-core split: then all are worked out.
        if kept is not None and kept[:2] == (first, width) and len(kept[2]) == len(self.pids):
            start = max(first, min(self.dirty_from, end))  # from the first column touched since
        empty = [0.0] * len(STATES)
        binned = {
            index: (self.pids[index], [columns.get(c, empty) for c in range(start, end)])
            for index, columns in self.columns.items()
        }
        own = frozenset(key for key in binned if key >= OWN_ROWS)
        fresh = lanes.from_live(binned, self.shared_gil, self.sampled, own)
        if start > first and kept is not None:  # the unchanged columns' glyphs too
            kept_columns = start - first
            fresh = [
                dataclasses.replace(
                    new,
                    columns=old.columns[:kept_columns] + new.columns,
                    glyphs=old.drawn()[:kept_columns] + new.drawn(),
                )
                for old, new in zip(kept[2], fresh, strict=True)
            ]
        else:
            fresh = [dataclasses.replace(view, glyphs=view.drawn()) for view in fresh]
        self._viewed = (first, width, fresh)
        self.dirty_from = end
        return fresh


def _spread(columns: dict[int, list[float]], state: int, start_us: int, end_us: int) -> None:
    """Add an interval's time to the columns it covers, as shares of each column."""
    for column in range(start_us // LIVE_COLUMN_US, (end_us - 1) // LIVE_COLUMN_US + 1):
        low = max(start_us, column * LIVE_COLUMN_US)
        high = min(end_us, (column + 1) * LIVE_COLUMN_US)
        if high > low:
            shares = columns.get(column)
            if shares is None:
                shares = columns[column] = [0.0] * len(STATES)
            shares[state] += (high - low) / LIVE_COLUMN_US


class TimelinePanel(LinesPanel):
    """Renders the live cell or a chosen result; everything it draws comes from its state."""

    BORDER_TITLE = "Timeline"
    DEFAULT_CSS = """
    TimelinePanel {
        height: auto;
        padding: 0 1;
        text-wrap: nowrap;  /* one line per lane, as its height assumes */
        border-subtitle-align: right;
        border-subtitle-color: $foreground;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.live: LiveLanes | None = None
        self.result: Result | None = None
        self._most_lanes = 16
        self._shown_titles = ("Timeline", "")
        self.rows = 0
        """Lanes the live panel keeps room for, shown or not yet."""
        self._due = False
        """A finished cell's picture waits for the next tick: in a sweep the next cell
        usually starts first, and one whole repaint is sent instead of two."""

    # --- state --------------------------------------------------------------------------

    @property
    def most_lanes(self) -> int:
        """At most this many lanes: more workers share lanes (set from the screen's height)."""
        return self._most_lanes

    @most_lanes.setter
    def most_lanes(self, most: int) -> None:
        if most != self._most_lanes:
            self._most_lanes = most
            self.redraw()

    def start_cell(
        self, title: str, shared_gil: bool, rows: int = 0, sampled: bool = False
    ) -> None:
        """A cell starts: its lanes fill in as its workers' first stamps (or, `sampled`, a
        user's function's first stack samples) arrive, in a panel kept `rows` lanes tall
        meanwhile (the run's widest cell), so that nothing below it moves as lanes appear: a
        move would repaint every panel beneath it."""
        self.live, self.result = LiveLanes(title, shared_gil, sampled), None
        self._due = False
        self.rows = min(rows, self.most_lanes)
        self.redraw()

    def add(self, update: TimelineUpdate) -> None:
        """New intervals: drawn on the next tick, not at once."""
        if self.live is not None:
            self.live.add(update)

    def tick(self) -> None:
        """Repaint what changed since the last tick: mostly the newest columns."""
        if self._due:
            self._due = False
            self.redraw()
        elif self.live is not None and self.display:
            self.repaint_changes()

    def stop(self, why: str) -> None:
        """The run ended: a cell ended without a result keeps its lanes, no longer called
        live; a finished cell's picture, waiting for a tick, is drawn now."""
        if self.live is not None:
            self.live.ended = why
            self.redraw()
        elif self._due:
            self.tick()

    def show_result(self, result: Result | None, at_tick: bool = False) -> None:
        """The recorded timeline of a finished result (None: a row without one); with
        `at_tick`, drawn on the next tick (a run's cell that just finished)."""
        self.live, self.result = None, result
        self._due = at_tick
        if not at_tick:
            self.redraw()

    # --- drawing ------------------------------------------------------------------------

    def build_lines(self, width: int) -> list[Text]:
        columns = max(1, width - LABEL_WIDTH)
        views, title, figures = self._views(columns)
        shown = lanes.aggregate(views, self.most_lanes)
        if len(shown) < len(views):
            title += f" · a lane per {-(-len(views) // len(shown))} workers"
        self._titles(f"Timeline · {title}" if title else "Timeline", figures)
        lines = [_lane_line(view) for view in shown] or [Text(w) for w in self._empty_words()]
        if self.live is not None:  # room for the lanes still to come: the height holds
            lines += [Text("")] * (self.rows - len(lines))
        legend = _legend(width, lanes.shows_lock(shown))
        return [*lines, legend] if shown or self.live is not None else lines

    def _titles(self, title: str, subtitle: str) -> None:
        """Set the border's titles only when they change: each setting repaints it all."""
        if (title, subtitle) != self._shown_titles:
            self._shown_titles = (title, subtitle)
            self.border_title, self.border_subtitle = title, subtitle

    def _empty_words(self) -> list[str]:
        """What the panel says where it has no lanes, a line each."""
        if self.live is not None and self.live.sampled:
            return [SAMPLING]
        if self.live is not None:
            return ["Starting the workers: their lanes appear with their first stamps."]
        if self.result is not None and self.result.task_hash is not None:
            sampled = report.sampled_words(self.result, 1)
            return [SAMPLED, *sampled] if sampled else [UNSAMPLED]
        if self.result is not None:
            return ["No timeline was recorded for this row."]
        return [EMPTY]

    def _views(self, columns: int) -> tuple[list[lanes.LaneView], str, str]:
        live, result = self.live, self.result
        if live is not None:
            first = live.first_column(columns)
            return live.view(first, columns), live.title, live.ended or "live"
        if result is None:
            return [], "", ""
        title = result.title
        if result.timeline is None or result.overlap is None:
            return [], title, ""
        return lanes.from_stored(result.timeline, columns), title, report.timeline_words(result)


def _lane_line(view: lanes.LaneView) -> Text:
    """A lane's glyphs, appended in runs of one state: few segments to style and send."""
    line = Text(f"{view.label:<{LABEL_WIDTH}}"[:LABEL_WIDTH])
    run: list[str] = []
    run_state = ""
    for glyph, state in view.drawn():
        if state != run_state and run:
            line.append("".join(run), lanes.STYLES[run_state])
            run = []
        run.append(glyph)
        run_state = state
    if run:
        line.append("".join(run), lanes.STYLES[run_state])
    return line


def _legend(width: int, lock: bool) -> Text:
    legend = Text()
    for glyphs, state, words in lanes.legend_items(width, lock):
        if legend:
            legend.append("  ")
        legend.append(glyphs, lanes.STYLES[state])
        legend.append(f" {words}")
    return legend
