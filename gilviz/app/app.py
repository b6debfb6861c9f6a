"""The Textual app: it creates the panels (`screen.place` lays them out), binds the keys, and wires
the parts together: the fields (`Controls`), the run (`Running`), the results (`KeptResults`),
the timers that draw what the sampler sees (`Pacing`) and the tour (`Touring`).

Experiments run in a runner process; a thread worker only reads its events, so the UI's event
loop never does experiment work.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.driver import Driver
from textual.reactive import var
from textual.widgets import Footer, Input, Select

from gilviz.analysis.pythons import Describer, Python, candidates
from gilviz.analysis.store import ResultStore
from gilviz.app import keys
from gilviz.app.choice import Choice
from gilviz.app.commands import GilvizCommands
from gilviz.app.kept import KeptResults
from gilviz.app.live_run import LiveRun
from gilviz.app.pacing import REFRESH_S, Pacing
from gilviz.app.running import RunnerEvent, Running
from gilviz.app.sampler import Sampler
from gilviz.app.screen import MainScreen, place
from gilviz.app.touring import Touring
from gilviz.app.widgets.controls import Controls
from gilviz.app.widgets.cpu import CpuPanel
from gilviz.app.widgets.plot import SpeedupPlot
from gilviz.app.widgets.progress import RunProgress
from gilviz.app.widgets.results import ResultsLog
from gilviz.app.widgets.timeline import TimelinePanel
from gilviz.app.widgets.tour import TourPanel
from gilviz.measure import environment


class GilvizApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "gilviz"
    COMMANDS = {GilvizCommands}  # Textual's own commands come after gilviz's, from it
    BINDINGS = keys.BINDINGS

    live: var[LiveRun | None] = var(None, bindings=True)
    """The experiment running now; the footer offers r and s without one, escape with one."""

    def get_driver_class(self) -> type[Driver]:
        """Textual's choice, but on a POSIX terminal one whose input thread does not poll."""
        chosen = super().get_driver_class()
        if chosen.__name__ != "LinuxDriver":  # a browser's, Windows', or one asked for
            return chosen
        from gilviz.app.driver import QuietLinuxDriver  # termios: POSIX only

        return QuietLinuxDriver

    def __init__(
        self,
        choice: Choice | None = None,
        store: ResultStore | None = None,
        sampler: Sampler | None = None,
        refresh_s: float = REFRESH_S,
        export_dir: Path | None = None,
        env: dict[str, object] | None = None,
        pythons: list[Python] | None = None,
    ) -> None:
        super().__init__()
        self.found_pythons = pythons
        """The interpreters to offer; None looks for them once the app is up."""
        self.choice = choice or Choice(workers=environment.usable_cores())
        self.sampler = sampler or Sampler()
        self.export_dir = export_dir or Path.cwd()
        env = env or environment.describe()
        self.usable_cores = int(env["usable_cores"])  # type: ignore[call-overload]
        self.sub_title = f"{environment.python_label(env)} · {self.usable_cores} cores"
        # The panels, held here: timers and runner messages update them under the help screen.
        self.controls = Controls(self.choice, id="controls")
        self.cpu_panel = CpuPanel(self.usable_cores, id="cpu")
        self.timeline_panel, self.tour_panel = TimelinePanel(id="timeline"), TourPanel(id="tour")
        self.progress, self.results_log = RunProgress(id="progress"), ResultsLog(id="results")
        self.plot, self.footer = SpeedupPlot(id="plot"), Footer()
        self.tour_panel.display = False  # t shows it
        self.kept = KeptResults(
            store, self.results_log, self.plot, lambda: self.controls.workload, self.notify
        )
        self.running, self.touring = Running(self), Touring(self)
        self.pacing = Pacing(self, refresh_s)

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self)

    def compose(self) -> ComposeResult:
        return place(self)  # into the default screen, before on_mount

    def on_mount(self) -> None:
        if self.found_pythons is None:
            self._find_pythons()
        else:
            self.controls.set_pythons(self.found_pythons)
        self.kept.load_saved()
        self.pacing.start()
        self.results_log.focus()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, self._hang_up)

    @work(thread=True, group="pythons")
    def _find_pythons(self) -> None:
        """Each Python is asked to describe itself (cached): off the UI's thread."""
        found = Describer().describe(candidates())
        self.call_from_thread(self.controls.set_pythons, found)

    def _hang_up(self) -> None:
        """SIGTERM or SIGHUP (an SSH session dropped): stop the runner, then leave."""
        self.running.cancel()
        self.exit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """False hides a key from the footer and ignores it (`keys.offered` says when)."""
        return keys.offered(
            action,
            modal=self.screen.is_modal,
            typing=isinstance(self.focused, Input),
            touring=self.tour_panel.display,
            running=self.live is not None,
        )

    def action_run(self) -> None:
        self.running.start_from_fields(sweep=False)

    def action_sweep(self) -> None:
        self.running.start_from_fields(sweep=True)

    def action_tour(self) -> None:
        self.touring.toggle()

    def action_tour_next(self) -> None:
        self.touring.next()

    def action_tour_back(self) -> None:
        self.touring.back()

    def action_cancel(self) -> None:
        self.running.cancel()

    def action_workers(self, delta: int) -> None:
        self.controls.bump_workers(delta)

    def action_cycle(self, name: str) -> None:
        self.controls.cycle(name)

    def action_toggle_plot(self) -> None:
        self.plot.display = not self.plot.display

    def action_toggle_timeline(self) -> None:
        self.timeline_panel.display = not self.timeline_panel.display

    def action_help(self) -> None:
        from gilviz.app.widgets.help import HelpScreen  # Markdown loads slowly: not at start

        self.push_screen(HelpScreen())

    def action_export(self) -> None:
        self.kept.export(self.export_dir)

    def action_own_task(self) -> None:
        """Ask for a function of the user's and choose it as the workload."""
        from gilviz.app.widgets.task_prompt import TaskPrompt

        def chosen(name: str | None) -> None:
            if name is not None:
                self.controls.add_task(name)

        self.push_screen(TaskPrompt(), chosen)

    async def action_quit(self) -> None:
        self._hang_up()

    @on(Controls.Submitted)
    def run_what_the_fields_say(self) -> None:
        self.action_run()

    @on(Select.Changed, "#workload")
    def plot_the_chosen_workload(self, event: Select.Changed) -> None:
        self.kept.plot_workload(str(event.value))

    @on(ResultsLog.Chosen)
    def show_the_chosen_rows_timeline(self, message: ResultsLog.Chosen) -> None:
        """A result row was chosen: the timeline shows what that cell recorded (while a cell
        runs, it stays live)."""
        if self.live is None or not self.live.running:
            self.timeline_panel.show_result(message.result)

    @on(RunnerEvent)
    def apply_the_runners_event(self, message: RunnerEvent) -> None:
        self.running.apply(message.event)
