"""Repaint only what changed: panels redrawn at 4 Hz send a few cells, not whole lines."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget


class LinesPanel(Widget):
    """A panel drawn as lines of text, built once per update and reused by layout and render;
    an update repaints only the cells that changed."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._drawn: tuple[int, list[Text]] = (-1, [])
        """The lines last built, and the width they were built for."""

    def build_lines(self, width: int) -> list[Text]:
        """The panel's lines at `width` (subclasses draw here)."""
        raise NotImplementedError

    def repaint_changes(self) -> None:
        """Rebuild the lines and repaint what changed: a layout pass when the count changed."""
        width = self.content_region.width or 80
        before = self._drawn[1]
        regions = changed_regions(before, self._build(width), width)
        if regions is None:
            self.refresh(layout=True)
        elif regions:
            self.refresh(*regions)

    def redraw(self) -> None:
        """Rebuild the lines and lay the panel out again (its state changed wholesale)."""
        self._build(self.content_region.width or 80)
        self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.content_region.width or 80))

    def _lines(self, width: int) -> list[Text]:
        drawn_width, lines = self._drawn
        return lines if drawn_width == width else self._build(width)

    def _build(self, width: int) -> list[Text]:
        self._drawn = (width, self.build_lines(width))
        return self._drawn[1]


def changed_regions(before: list[Text], after: list[Text], width: int) -> list[Region] | None:
    """Where `after` differs from `before`, line by line, from the first changed cell to the
    end of the line; None when the line count changed (the caller repaints all, with layout).
    Assumes one cell per character, as the panels' glyphs are."""
    if len(before) != len(after):
        return None
    regions = []
    for y, (old, new) in enumerate(zip(before, after, strict=True)):
        if old.plain == new.plain and old.spans == new.spans:
            continue
        x = _first_difference(old.plain, new.plain)
        for old_span, new_span in zip(old.spans, new.spans, strict=False):
            if old_span != new_span:
                x = min(x, old_span.start, new_span.start)
                break
        else:
            if len(old.spans) != len(new.spans):
                x = min(
                    x,
                    *(s.start for s in old.spans[len(new.spans) :] or new.spans[len(old.spans) :]),
                )
        regions.append(Region(x, y, max(1, width - x), 1))
    return regions


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))
