"""The experiment the app runs: its runners started one after another, their events read off the
UI's thread, and what each event changes drawn in the panels.

The app's thread only draws: a thread worker reads the runner's events and posts each as a
`RunnerEvent`, so the UI's event loop never waits on a runner or does experiment work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.message import Message
from textual.notifications import SeverityLevel
from textual.worker import Worker

from gilviz.analysis.engine import CellDone, Event, ExperimentRun, Finished
from gilviz.app.kept import KeptResults
from gilviz.app.live_run import LiveRun
from gilviz.app.pacing import Pacing
from gilviz.app.sampler import Sampler
from gilviz.app.widgets.controls import Controls
from gilviz.app.widgets.progress import RunProgress
from gilviz.app.widgets.timeline import TimelinePanel
from gilviz.app.widgets.tour import TourPanel
from gilviz.measure.timeline import shares_one_gil
from gilviz.protocol.events import CellStarted, Hello, TimelineUpdate
from gilviz.protocol.spec import Variant, default_workers, sweep_cells


class RunnerEvent(Message):
    """An engine event, posted from the thread that reads the runner."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class Host(Protocol):
    """What a run needs of the app: its fields, panels, sampler, pacing and kept results, and a
    way to run a thread worker, post a message and say something (the app, seen from here)."""

    live: LiveRun | None
    usable_cores: int
    controls: Controls
    sampler: Sampler
    pacing: Pacing
    timeline_panel: TimelinePanel
    progress: RunProgress
    tour_panel: TourPanel
    kept: KeptResults

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...

    def post_message(self, message: Message) -> bool: ...

    def run_worker(
        self,
        work: Callable[[], None],
        name: str | None = "",
        group: str = "default",
        description: str = "",
        exit_on_error: bool = True,
        start: bool = True,
        exclusive: bool = False,
        thread: bool = False,
    ) -> Worker[None]: ...

    def bell(self) -> None: ...


class Running:
    """Starts an experiment's runners and applies their events to the panels."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def start_from_fields(self, *, sweep: bool) -> None:
        """What the fields say: their cell (r), or their executor over worker counts up to
        twice the cores (s); with a run going or a field wrong, nothing starts and it says why."""
        host = self.host
        if host.live is not None:
            host.notify("An experiment is running: escape cancels it.", severity="warning")
        elif (choice := host.controls.choice()) is None:
            host.bell()
            errors = "; ".join(host.controls.errors.values())
            host.notify(f"Nothing started: {errors}", severity="error")
        else:
            workers = default_workers(2 * host.usable_cores) if sweep else [choice.workers]
            self.start(choice.runs(sweep_cells([choice.executor], workers), max(workers)))

    def start(self, runs: list[Variant]) -> None:
        """Run these one after another (each Python, GIL setting or interval), the first now."""
        host = self.host
        (python, first), *rest = runs
        run = ExperimentRun(first, python)
        host.live = live = LiveRun(run, queue=rest, variants=1 + len(rest), python=python)
        host.pacing.go_live(True)
        # The bar counts the whole experiment's tasks from the start: it never goes back.
        host.progress.show(0, live.all_tasks, "Starting the runner process…")
        self._read(run)

    def cancel(self) -> None:
        if self.host.live is not None:
            self.host.live.run.cancel()

    def _read(self, run: ExperimentRun) -> None:
        self.host.run_worker(
            lambda: self._read_events(run), thread=True, group="runner", exit_on_error=False
        )

    def _read_events(self, run: ExperimentRun) -> None:
        """The runner's events, as messages; if reading them fails, the run ends with why
        (the app carries on)."""
        post = self.host.post_message
        try:
            for event in run.events():
                post(RunnerEvent(event))
        except Exception as exc:
            run.cancel()
            reason = f"reading the runner's events failed ({type(exc).__name__}: {exc})"
            post(RunnerEvent(Finished(error=reason)))

    def apply(self, event: Event) -> None:
        """What an event changes on screen (the run's own state changes in LiveRun)."""
        host, live = self.host, self.host.live
        if live is None:
            return
        live.apply(event)
        if isinstance(event, Hello):
            host.sampler.attach(event.pid, event.service_tids)
        elif isinstance(event, CellStarted):
            host.sampler.cell_started(event.cell.executor)
            gil = bool(live.env.get("gil_enabled", True))
            title = f"{live.cell} on {live.run.spec.workload}"
            widest = max(cell.workers for cell in live.run.spec.cells)
            shared = shares_one_gil(event.cell.executor, gil)
            sampled = live.run.spec.task is not None  # a user's function stamps no states
            host.timeline_panel.start_cell(title, shared, rows=widest, sampled=sampled)
            # A new cell shows now, not on the next tick.
            host.progress.show(live.all_done, live.all_tasks, live.status())
        elif isinstance(event, TimelineUpdate):  # drawn on the next refresh tick, not at 5 Hz
            host.timeline_panel.add(event)
        elif isinstance(event, CellDone):
            host.kept.keep(event.result)
            if event.failure is None:  # exact, until the next cell starts
                host.timeline_panel.show_result(event.result, at_tick=True)
            else:
                where = f"{event.failure.cell.label} failed"
                host.notify(event.failure.reason, title=where, severity="error")
        elif isinstance(event, Finished):
            if (runner := live.next_runner(event)) is not None:
                host.sampler.detach()
                self._read(runner)
            else:
                self._finish(live, event)

    def _finish(self, live: LiveRun, finished: Finished) -> None:
        host = self.host
        host.live = None
        host.timeline_panel.stop("cancelled" if finished.cancelled else "stopped")
        again = None
        if host.tour_panel.running:
            again = host.tour_panel.finished(finished.results, finished.cancelled)
        host.sampler.detach()
        host.pacing.go_live(False)  # and redraw now: no stale worker rows until the next tick
        ended, words = live.ending(finished)  # where it ended, not the last tick's view
        host.progress.show(ended, live.all_tasks, words)
        if finished.error:
            host.notify(finished.error, title="experiment failed", severity="error")
        if again is not None:  # a tour step too noisy to say runs once more
            self.start([again])
