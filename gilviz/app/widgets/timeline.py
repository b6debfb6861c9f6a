"""The timeline panel: a lane per worker showing, measured, when it ran, waited and stalled.

Live, each interval is binned once, as it arrives, into columns of LIVE_COLUMN_US; the lanes
fill from the left and then page on by half a width, so a 4 Hz tick repaints only the newest
columns (`changed_regions`). Afterwards, or when a result row is chosen, the panel shows that
cell's recorded timeline fitted to its width.
"""

from __future__ import annotations

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
EMPTY = "Each worker gets a lane here while a run goes: r runs one."


@dataclass
class LiveLanes:
    """The running cell's raw shares per 50 ms column (absolute, from the cell's start)."""

    title: str
    shared_gil: bool
    columns: dict[int, dict[int, list[float]]] = field(default_factory=dict)
    """Per lane index: column number -> share of each raw state (RUN, C, IO, STALL)."""
    pids: dict[int, int] = field(default_factory=dict)
    now_us: int = 0
    ended: str = ""
    """Why the cell stopped before it finished ('cancelled', 'failed'); '' while it runs."""

    def add(self, update: TimelineUpdate) -> None:
        self.now_us = max(self.now_us, update.now_us)
        for index, pid, flat in update.lanes:
            self.pids[index] = pid
            columns = self.columns.setdefault(index, {})
            for i in range(0, len(flat), 3):
                _spread(columns, flat[i], flat[i + 1], flat[i + 2])

    def first_column(self, width: int) -> int:
        """The window's first column: 0 until the lanes are full, then half a width on."""
        now = self.now_us // LIVE_COLUMN_US
        step = max(1, width // 2)
        return 0 if now < width else ((now - width) // step + 1) * step

    def view(self, first: int, width: int) -> list[lanes.LaneView]:
        for columns in self.columns.values():  # what scrolled out is forgotten
            for old in [c for c in columns if c < first]:
                del columns[old]
        empty = [0.0] * len(STATES)
        binned = {
            index: (self.pids[index], [columns.get(c, empty) for c in range(first, first + width)])
            for index, columns in self.columns.items()
        }
        return lanes.from_live(binned, self.shared_gil)


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

    def start_cell(self, title: str, shared_gil: bool) -> None:
        self.live, self.result = LiveLanes(title, shared_gil), None
        self.redraw()

    def add(self, update: TimelineUpdate) -> None:
        """New intervals: drawn on the next tick, not at once."""
        if self.live is not None:
            self.live.add(update)

    def tick(self) -> None:
        """Repaint what changed since the last tick: mostly the newest columns."""
        if self.live is not None and self.display:
            self.repaint_changes()

    def stop(self, why: str) -> None:
        """The running cell ended without a result: its lanes stay, no longer called live."""
        if self.live is not None:
            self.live.ended = why
            self.redraw()

    def show_result(self, result: Result | None) -> None:
        """The recorded timeline of a finished result (None: a row without one)."""
        self.live, self.result = None, result
        self.redraw()

    # --- drawing ------------------------------------------------------------------------

    def build_lines(self, width: int) -> list[Text]:
        columns = max(1, width - LABEL_WIDTH)
        views, title, figures = self._views(columns)
        shown = lanes.aggregate(views, self.most_lanes)
        if len(shown) < len(views):
            title += f" · a lane per {-(-len(views) // len(shown))} workers"
        self._titles(f"Timeline · {title}" if title else "Timeline", figures)
        lines = [_lane_line(view) for view in shown] + [_legend(width)] if shown else []
        return lines or [Text(self._empty_words())]

    def _titles(self, title: str, subtitle: str) -> None:
        """Set the border's titles only when they change: each setting repaints it all."""
        if (title, subtitle) != self._shown_titles:
            self._shown_titles = (title, subtitle)
            self.border_title, self.border_subtitle = title, subtitle

    def _empty_words(self) -> str:
        if self.live is not None:
            return "Starting the workers: their lanes appear with their first stamps."
        if self.result is not None:
            return "No timeline was recorded for this row."
        return EMPTY

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
    for glyph, state in lanes.strip(view.columns):
        if state != run_state and run:
            line.append("".join(run), lanes.STYLES[run_state])
            run = []
        run.append(glyph)
        run_state = state
    if run:
        line.append("".join(run), lanes.STYLES[run_state])
    return line


def _legend(width: int) -> Text:
    legend = Text()
    for glyphs, state, words in lanes.legend_items(width):
        if legend:
            legend.append("  ")
        legend.append(glyphs, lanes.STYLES[state])
        legend.append(f" {words}")
    return legend
