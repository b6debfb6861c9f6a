"""The timeline panel: a lane per worker showing, measured, when it ran, waited and stalled.

Live, time scrolls left as the cell runs (a column is LIVE_COLUMN_US); afterwards, or when a
result row is chosen, it shows that cell's recorded timeline fitted to the panel's width.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.widget import Widget

from gilviz import lanes
from gilviz.engine import TimelineUpdate
from gilviz.results import Result

LIVE_COLUMN_US = 50_000
"""One live column is 50 ms: a 100-column lane holds the last 5 s."""
LABEL_WIDTH = 8
EMPTY = "Each worker gets a lane here while a run goes: r runs one."


@dataclass
class LiveLanes:
    """The running cell's raw intervals, as they arrive; older than the window is dropped."""

    title: str
    shared_gil: bool
    lanes: dict[int, tuple[int, list[tuple[int, int, int]]]] = field(default_factory=dict)
    now_us: int = 0

    def add(self, update: TimelineUpdate) -> None:
        self.now_us = max(self.now_us, update.now_us)
        for index, pid, flat in update.lanes:
            kept = self.lanes.setdefault(index, (pid, []))[1]
            kept.extend((flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3))

    def window(self, columns: int) -> tuple[int, int]:
        """The span the lanes show: the first `columns` columns, then the latest ones."""
        span = columns * LIVE_COLUMN_US
        end = max(span, self.now_us)
        return end - span, end

    def drop_before(self, start_us: int) -> None:
        """Forget intervals that ended before the window: memory stays bounded."""
        for index, (pid, kept) in self.lanes.items():
            if kept and kept[0][2] < start_us:
                self.lanes[index] = (pid, [iv for iv in kept if iv[2] >= start_us])


class TimelinePanel(Widget):
    """Renders the live cell or a chosen result; everything it draws comes from its state."""

    BORDER_TITLE = "Timeline"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.live: LiveLanes | None = None
        self.result: Result | None = None
        self._most_lanes = 16
        self.rows = 0

    # --- state --------------------------------------------------------------------------

    @property
    def most_lanes(self) -> int:
        """At most this many lanes: more workers share lanes (set from the screen's height)."""
        return self._most_lanes

    @most_lanes.setter
    def most_lanes(self, most: int) -> None:
        if most != self._most_lanes:
            self._most_lanes = most
            self._redraw(layout=True)

    def start_cell(self, title: str, shared_gil: bool) -> None:
        self.live, self.result = LiveLanes(title, shared_gil), None
        self._redraw(layout=True)

    def add(self, update: TimelineUpdate) -> None:
        """New intervals: drawn on the next tick, not at once."""
        if self.live is not None:
            self.live.add(update)

    def tick(self) -> None:
        if self.live is not None:
            self._redraw()

    def show_result(self, result: Result | None) -> None:
        """The recorded timeline of a finished result (None: a row without one)."""
        self.live, self.result = None, result
        self._redraw(layout=True)

    def _redraw(self, layout: bool = False) -> None:
        """Live ticks take a layout pass only when the height changes: 4 Hz stays cheap."""
        rows = len(self._lines(self.content_region.width or 80))
        self.refresh(layout=layout or rows != self.rows)
        self.rows = rows

    # --- drawing ------------------------------------------------------------------------

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.content_region.width or 80))

    def _lines(self, width: int) -> list[Text]:
        columns = max(1, width - LABEL_WIDTH)
        views, title, figures = self._views(columns)
        shown = lanes.aggregate(views, self.most_lanes)
        if len(shown) < len(views):
            title += f" · a lane per {-(-len(views) // len(shown))} workers"
        self.border_title = f"Timeline · {title}" if title else "Timeline"
        self.border_subtitle = figures
        if not shown:
            return [Text(self._empty_words())]
        lines = [_lane_line(view) for view in shown]
        lines.append(_legend(width))
        return lines

    def _empty_words(self) -> str:
        if self.live is not None:
            return "Starting the workers: their lanes appear with their first stamps."
        if self.result is not None:
            return "No timeline was recorded for this row."
        return EMPTY

    def _views(self, columns: int) -> tuple[list[lanes.LaneView], str, str]:
        live, result = self.live, self.result
        if live is not None:
            start, end = live.window(columns)
            live.drop_before(start)
            views = lanes.from_live(live.lanes, start, end, columns, live.shared_gil)
            return views, live.title, f"live · {live.now_us / 1e6:.1f} s"
        if result is None:
            return [], "", ""
        title = f"{result.executor} x{result.workers} on {result.workload}"
        if result.timeline is None or result.overlap is None:
            return [], title, ""
        figures = (
            f"overlap {result.overlap:.2f} · {result.handoffs_per_s or 0:.0f} hand-offs/s"
            f" · {result.timeline['span_s']:.2f} s"
        )
        return lanes.from_stored(result.timeline, columns), title, figures


def _lane_line(view: lanes.LaneView) -> Text:
    line = Text(f"{view.label:<{LABEL_WIDTH}}"[:LABEL_WIDTH])
    for glyph, state in lanes.strip(view.columns):
        line.append(glyph, lanes.STYLES[state])
    return line


def _legend(width: int) -> Text:
    legend = Text()
    for glyphs, state, words in lanes.legend_items(width):
        if legend:
            legend.append("  ")
        legend.append(glyphs, lanes.STYLES[state])
        legend.append(f" {words}")
    return legend
