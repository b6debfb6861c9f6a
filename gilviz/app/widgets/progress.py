"""The progress line: a bar of the tasks done of all, and what is running, in one line."""

from __future__ import annotations

from rich.text import Text

from gilviz.app.widgets.repaint import LinesPanel

READY = "Ready: r runs, s sweeps workers, t tours, ? explains."
BAR_WIDTH = 36
NARROW_BAR_WIDTH = 16


def bar_glyphs(fraction: float, width: int) -> tuple[str, str]:
    """The bar's done part and its track, in half cells, drawn as Textual's ProgressBar draws
    them: once begun, the done part ends in a half cell (╸) or the track starts with one (╺)."""
    halves = round(max(0.0, min(1.0, fraction)) * width * 2)
    full, half = divmod(halves, 2)
    left = width - full - half
    track = "━" * left if half or not left or not fraction else "╺" + "━" * (left - 1)
    return "━" * full + "╸" * half, track


class RunProgress(LinesPanel):
    """One line drawn from what the app shows: `done` of `total` tasks, and `status`.

    Textual's ProgressBar and a Label drew this line before: each update re-rendered both
    through their content pipeline, most of the app's cost at 4 Hz during a run; one line
    repaints only the cells that changed (`LinesPanel`)."""

    FIXED_HEIGHT = True
    COMPONENT_CLASSES = {"progress--bar", "progress--complete", "progress--track"}
    DEFAULT_CSS = """
    RunProgress { height: 1; }
    RunProgress > .progress--bar { color: $primary; }
    RunProgress > .progress--complete { color: $success; }
    /* The empty track; $surface (Textual's default) vanishes on a 16-colour xterm. */
    RunProgress > .progress--track { color: $foreground 25%; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.done, self.total, self.status = 0, 1, READY
        self.bar_width = BAR_WIDTH
        """Cells of the bar (fewer on a narrow screen: the words need them)."""

    def show(self, done: int, total: int, status: str) -> None:
        """Tasks done of all (the bar) and what runs (the words): only changed cells repaint."""
        if (done, total, status) != (self.done, self.total, self.status):
            self.done, self.total, self.status = done, total, status
            self.repaint_changes()

    @property
    def fraction(self) -> float:
        """How much of the bar is done."""
        return self.done / self.total if self.total > 0 else 0.0

    def set_bar_width(self, width: int) -> None:
        if width != self.bar_width:
            self.bar_width = width
            self.redraw()

    def build_lines(self, width: int) -> list[Text]:
        done, track = bar_glyphs(self.fraction, self.bar_width)
        part = "progress--complete" if self.fraction >= 1.0 else "progress--bar"
        return [
            Text.assemble(
                (done, self.get_component_rich_style(part)),
                (track, self.get_component_rich_style("progress--track")),
                " ",
                self.status,
            )
        ]
