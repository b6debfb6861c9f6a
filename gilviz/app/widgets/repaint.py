"""Repaint only what changed: a panel redrawn at 4 Hz re-renders its changed lines only, and
Textual sends each of them only as far as its last changed cell."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Span, Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class LinesPanel(Widget):
    """A panel drawn as lines of text, built once per update and reused by layout and render;
    an update repaints only the cells that changed, and each line is rendered (Textual's
    line API) only when it changed."""

    FIXED_HEIGHT: ClassVar[bool] = False
    """The panel's height is set by its CSS, not its lines: a new line count needs a
    repaint, never a layout pass."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._drawn: tuple[int, list[Text]] = (-1, [])
        """The lines last built, and the width they were built for."""
        self._strips: dict[int, tuple[Text, Strip]] = {}
        """Each line as last rendered, with the text it was rendered from."""
        self._base_style: Style | None = None
        """The panel's own style, under every line (Textual computes it anew on each call)."""

    def notify_style_update(self) -> None:
        """A theme or CSS change: the kept lines were drawn in the old style."""
        super().notify_style_update()
        self._base_style = None
        self._drawn, self._strips = (-1, []), {}  # lines may hold component styles too

    def build_lines(self, width: int) -> list[Text]:
        """The panel's lines at `width` (subclasses draw here)."""
        raise NotImplementedError

    def repaint_changes(self) -> None:
        """Rebuild the lines and repaint what changed: a layout pass when the count changed
        (in a panel of fixed height, a line that came or went is one more changed line)."""
        width = self.content_region.width or 80
        before, after = self._drawn[1], self._build(width)
        if self.FIXED_HEIGHT:
            rows = max(len(before), len(after))
            before, after = _padded(before, rows), _padded(after, rows)
        regions = changed_regions(before, after, width)
        if regions is None:  # a panel whose height follows its lines: they came or went
            self.refresh(layout=True)
        elif regions:
            self.refresh(*regions)

    def redraw(self) -> None:
        """Rebuild the lines and repaint them all (the state changed wholesale); a layout
        pass only when the panel's height changes with them."""
        lines = len(self._drawn[1])
        self._build(self.content_region.width or 80)
        self.refresh(layout=not self.FIXED_HEIGHT and len(self._drawn[1]) != lines)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._lines(width))

    def text(self) -> str:
        """What the panel shows, as plain text (its lines at its width)."""
        return "\n".join(line.plain for line in self._lines(self.content_region.width or 80))

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width or 80
        lines = self._lines(width)
        if self._base_style is None:
            self._base_style = self.rich_style
        base = self._base_style
        if y >= len(lines):
            return Strip.blank(width, base)
        line = lines[y]
        kept = self._strips.get(y)
        if kept is not None and kept[0].plain == line.plain and kept[0].spans == line.spans:
            return kept[1]
        if line.plain:  # the base under the line's style and spans, then to the panel's width
            console = self.app.console
            under = base + console.get_style(line.style) if line.style else base
            strip = Strip(line.render(console), line.cell_len).apply_style(under)
            strip = strip.crop_extend(0, width, base)
        else:  # an empty Text renders one unstyled segment, which NO_COLOR's filter refuses
            strip = Strip.blank(width, base)
        self._strips[y] = (line, strip)
        return strip

    def _lines(self, width: int) -> list[Text]:
        drawn_width, lines = self._drawn
        return lines if drawn_width == width else self._build(width)

    def _build(self, width: int) -> list[Text]:
        self._drawn = (width, self.build_lines(width))
        return self._drawn[1]


def _padded(lines: list[Text], rows: int) -> list[Text]:
    return lines + [Text()] * (rows - len(lines))


def changed_regions(before: list[Text], after: list[Text], width: int) -> list[Region] | None:
    """Where `after` differs from `before`, line by line, from the first changed cell to the
    last; None when the line count changed (the caller repaints all, with layout). Textual
    sends a changed line from its widget's left edge to the region's right end, so a region
    that stops at the last changed cell keeps a lane's unchanged tail off the wire.
    Assumes one cell per character, as the panels' glyphs are."""
    if len(before) != len(after):
        return None
    regions = []
    for y, (old, new) in enumerate(zip(before, after, strict=True)):
        if old.plain == new.plain and old.spans == new.spans:
            continue
        start, end = _changed_cells(old, new)
        start, end = min(start, width - 1), min(max(end, start + 1), width)
        regions.append(Region(start, y, end - start, 1))
    return regions


def _changed_cells(old: Text, new: Text) -> tuple[int, int]:
    """The first changed cell and one past the last, in the text or in its styles."""
    a, b = old.plain, new.plain
    start, end = _first_difference(a, b), _end_of_difference(a, b)
    for old_span, new_span in zip(old.spans, new.spans, strict=False):
        if old_span != new_span:  # one span moved: those after it may differ only by index
            low, high = _span_change(old_span, new_span)
            start, end = min(start, low), max(end, high)
    for span in old.spans[len(new.spans) :] + new.spans[len(old.spans) :]:  # in one line only
        start, end = min(start, span.start), max(end, span.end)
    return start, end


def _span_change(old: Span, new: Span) -> tuple[int, int]:
    """The cells whose style two spans in the same place disagree on: a run of one style
    that grew by a cell changes that cell only."""
    if old.style == new.style and old.start == new.start:
        return min(old.end, new.end), max(old.end, new.end)
    if old.style == new.style and old.end == new.end:
        return min(old.start, new.start), max(old.start, new.start)
    return min(old.start, new.start), max(old.end, new.end)


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def _end_of_difference(a: str, b: str) -> int:
    """One past the last cell where `a` and `b` differ (0 where they do not)."""
    if len(a) != len(b):
        return max(len(a), len(b))
    return next((i + 1 for i in range(len(a) - 1, -1, -1) if a[i] != b[i]), 0)
