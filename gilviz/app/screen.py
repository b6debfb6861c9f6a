"""The app's one screen: the classes that follow its size (narrow, short, too small), which
`app.tcss` styles, and the panels' sizes that follow them."""

from __future__ import annotations

from typing import Protocol

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from gilviz.app.widgets.controls import Controls
from gilviz.app.widgets.cpu import WORKER_ROWS, CpuPanel
from gilviz.app.widgets.plot import SpeedupPlot
from gilviz.app.widgets.progress import BAR_WIDTH, NARROW_BAR_WIDTH, RunProgress
from gilviz.app.widgets.results import ResultsLog
from gilviz.app.widgets.timeline import TimelinePanel
from gilviz.app.widgets.tour import TourPanel

MIN_SIZE, WIDE_FROM, SHORT_BELOW = (60, 20), 100, 30
"""The smallest usable screen; below WIDE_FROM columns the plot starts hidden and the
controls are slimmer; below SHORT_BELOW rows they hide their explanations (errors show)."""


class Panels(Protocol):
    """The panels the app holds (it creates them; this screen places them)."""

    controls: Controls
    cpu_panel: CpuPanel
    tour_panel: TourPanel
    timeline_panel: TimelinePanel
    progress: RunProgress
    results_log: ResultsLog
    plot: SpeedupPlot
    footer: Footer


def place(p: Panels) -> ComposeResult:
    """The panels, where they go (the app composes them into `MainScreen`)."""
    yield Header(icon="≡")
    with Vertical(id="main"):
        with Horizontal(id="top"):
            yield p.controls
            yield p.cpu_panel
        yield p.tour_panel
        yield p.timeline_panel
        yield p.progress
        with Horizontal(id="bottom"):
            yield p.results_log
            yield p.plot
    yield Static("Make the window larger: gilviz needs at least 60x20.", id="too-small")
    yield p.footer


class MainScreen(Screen[None]):
    """The app's panels (`place`), fitted to the window's size."""

    def __init__(self, panels: Panels) -> None:
        super().__init__()
        self.panels = panels

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        p, narrow = self.panels, width < WIDE_FROM
        if narrow != self.has_class("narrow"):
            p.plot.display = not narrow  # p still shows it
            p.footer.compact = narrow  # every key still fits in 80 columns
            p.footer.show_command_palette = not narrow  # ctrl+p still opens it
        classes = {"too-small": width < MIN_SIZE[0] or height < MIN_SIZE[1]}
        classes |= {"short": height < SHORT_BELOW, "narrow": narrow}
        if any(self.has_class(name) != on for name, on in classes.items()):
            for name, on in classes.items():  # one restyle of every widget, not one a class
                self.set_class(on, name, update=False)
            self.app.update_styles(self)  # (update_node_styles only from textual 8)
        p.cpu_panel.worker_rows = 2 if height < SHORT_BELOW else WORKER_ROWS
        p.progress.set_bar_width(NARROW_BAR_WIDTH if narrow else BAR_WIDTH)
        p.timeline_panel.most_lanes = max(1, min(16, (height - 20) // 2))  # 60x20: a result row
