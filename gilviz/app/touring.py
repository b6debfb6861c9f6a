"""The guided tour in the app: `t` shows its panel, `n` runs the next claim live with the
fields following it (at the fields' pace and repeat), `b` shows the previous one again."""

from __future__ import annotations

from typing import Protocol

from textual.screen import Screen

from gilviz.analysis.tour import Pace
from gilviz.app.running import Running
from gilviz.app.widgets.controls import Controls
from gilviz.app.widgets.tour import TourPanel


class Host(Protocol):
    """What the tour needs of the app (the app itself, seen from here)."""

    usable_cores: int
    controls: Controls
    tour_panel: TourPanel
    running: Running

    @property
    def screen(self) -> Screen[object]: ...

    def refresh_bindings(self) -> None: ...


class Touring:
    """Steps the tour panel through its claims, running each step's experiment."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def toggle(self) -> None:
        """Start the tour, or end it (its panel needs rows: the fields' explanations hide)."""
        host = self.host
        touring = not host.tour_panel.display
        host.tour_panel.display = touring
        host.screen.set_class(touring, "touring")
        if touring:
            host.tour_panel.begin(host.controls.pythons or [])
        host.refresh_bindings()

    def next(self) -> None:
        host = self.host
        choice = host.controls.choice()
        pace = Pace(choice.repeat, choice.pace) if choice else Pace()
        if (job := host.tour_panel.next_job(host.usable_cores, pace)) is not None:
            host.controls.set_field("workload", job[1].workload)  # the fields follow it
            host.controls.set_field("executor", job[1].cells[0].executor)
            host.running.start([job])

    def back(self) -> None:
        self.host.tour_panel.back()
