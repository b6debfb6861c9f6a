"""The floor under gilviz's idle cost: a bare Textual app with a header, a footer and one
bordered panel whose two lines change once a second, as the CPU panel's do (`redraw`), or
that never changes (`still`). `python -m benchmarks.run terminal` measures both beside gilviz.

Run: python -m benchmarks.textual_floor redraw|still
"""

from __future__ import annotations

import itertools
import sys

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

BARS = " ▁▂▃▄▅▆▇█"


class Floor(App[None]):
    CSS = "#panel { border: round green; height: 8; }"
    TITLE = "textual floor"

    def __init__(self, redraw: bool) -> None:
        super().__init__()
        self.redraw = redraw
        self.step = itertools.count()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("two lines, once a second" if self.redraw else "still", id="panel")
        yield Footer()

    def on_mount(self) -> None:
        if self.redraw:
            self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        n = next(self.step)
        lines = (
            f"cpu{core} {BARS[(n + core) % 9] * 60} {(n * 7 + core) % 100:3d}%" for core in (0, 1)
        )
        self.query_one("#panel", Static).update("\n".join(lines))


if __name__ == "__main__":
    Floor(redraw=sys.argv[1:] != ["still"]).run()
