"""When the app draws what it observes: the CPU panel once a second, and the live panels (the
timeline and the progress line) four times a second while a run goes, never without one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.timer import Timer

from gilviz.app.live_run import LiveRun
from gilviz.app.sampler import Sampler
from gilviz.app.widgets.cpu import CpuPanel
from gilviz.app.widgets.progress import RunProgress
from gilviz.app.widgets.timeline import TimelinePanel

REFRESH_S = 1.0
"""How often the CPU panel samples and redraws: its history keeps a point a second, and
htop-like figures read best calm (and cost least over SSH)."""
LIVE_REFRESH_S = 0.25
"""How often the timeline and progress line redraw while a run goes: lanes move at 4 Hz."""


class Host(Protocol):
    """What the drawing needs of the app: the run, the sampler and the panels it draws."""

    live: LiveRun | None
    sampler: Sampler
    cpu_panel: CpuPanel
    timeline_panel: TimelinePanel
    progress: RunProgress

    def set_interval(
        self, interval: float, callback: Callable[[], None], *, pause: bool = False
    ) -> Timer: ...


class Pacing:
    """Owns the app's two timers and what each draws."""

    def __init__(self, host: Host, refresh_s: float = REFRESH_S) -> None:
        self.host = host
        self.refresh_s = refresh_s
        self.live_s: float | None = None
        """How often the live panels redraw now (None: no run, nothing live to draw)."""

    def start(self) -> None:
        """The timers (once the app is mounted), and the CPU panel's first picture at once."""
        self.sample_timer = self.host.set_interval(self.refresh_s, self.sample)
        self.live_timer = self.host.set_interval(LIVE_REFRESH_S, self.tick, pause=True)
        self.sample()

    def sample(self) -> None:
        """The CPU panel: the cores, the experiment's workers and the probe."""
        host, live = self.host, self.host.live
        running = None if live is None else (live.cell if live.running else "starting")
        probe = None if live is None else live.probe
        host.cpu_panel.show(host.sampler.sample(), host.sampler.history, probe, running)

    def tick(self) -> None:
        """The live panels while a run goes: only what changed repaints."""
        if (live := self.host.live) is not None:
            self.host.timeline_panel.tick()
            self.host.progress.show(live.all_done, live.all_tasks, live.status())

    def go_live(self, live: bool) -> None:
        """Start or stop the live panels' ticks; at the end, the CPU panel redraws at once."""
        (self.live_timer.resume if live else self.live_timer.pause)()
        self.live_s = LIVE_REFRESH_S if live else None
        if not live:
            self.sample()
