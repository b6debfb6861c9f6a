"""Repaint only what changed: panels redrawn at 4 Hz send a few cells, not whole lines."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region


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
