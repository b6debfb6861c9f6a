"""The Textual app: layout, key bindings, and the wiring from runner events to panels.

Experiments run in a runner process; a thread worker here only reads its events and posts
them as messages, so the UI's event loop never does experiment work.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import datetime
from pathlib import Path

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import var
from textual.widgets import Footer, Header, Input, Select, Static

from gilviz.analysis import report, tour
from gilviz.analysis.engine import CellDone, Event, ExperimentRun, Finished
from gilviz.analysis.pythons import Describer, Python, candidates
from gilviz.analysis.results import Result
from gilviz.analysis.store import ResultStore
from gilviz.app.commands import GilvizCommands
from gilviz.app.live_run import LiveRun
from gilviz.app.sampler import Sampler
from gilviz.app.widgets.controls import Controls
from gilviz.app.widgets.cpu import WORKER_ROWS, CpuPanel
from gilviz.app.widgets.plot import SpeedupPlot
from gilviz.app.widgets.progress import RunProgress
from gilviz.app.widgets.results import ResultsLog
from gilviz.app.widgets.timeline import TimelinePanel
from gilviz.app.widgets.tour import TourPanel
from gilviz.measure import environment
from gilviz.measure.timeline import shares_one_gil
from gilviz.protocol.events import CellStarted, Hello, TimelineUpdate
from gilviz.protocol.spec import (
    Cell,
    Choice,
    ExperimentSpec,
    Variant,
    default_workers,
    sweep_cells,
    task_seconds,
    variants,
)

REFRESH_S = 1.0
"""Sampling and redraw interval while idle: calm on screen and cheap over SSH."""
LIVE_REFRESH_S = 0.25
"""Sampling and redraw interval while a run goes: the timeline and CPU panel move at 4 Hz."""
MIN_SIZE = (60, 20)
WIDE_FROM = 100
"""Narrower than this, the plot starts hidden and the controls are slimmer."""
SHORT_BELOW = 30
"""Shorter than this, the controls hide their explanations (errors still show)."""


class RunnerEvent(Message):
    """An engine event, posted from the thread that reads the runner."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


TYPED_IN_A_FIELD = ("run", "sweep", "tour", "quit", "workers", "cycle", "toggle_timeline")
TYPED_IN_A_FIELD += ("toggle_plot", "export", "tour_next", "tour_back", "help")
"""Actions whose keys are letters or signs: while a text field has focus it types them, so
the footer does not offer them (enter runs, escape leaves the field)."""
WORKERS = Binding.Group("Workers", compact=True)
"""+ and - share one footer entry."""


class GilvizApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "gilviz"
    COMMANDS = App.COMMANDS | {GilvizCommands}
    BINDINGS = [
        # In footer order: at the 60-column minimum the last ones are cut off (help lists all).
        Binding("r", "run", "Run"),
        Binding("s", "sweep", "Sweep"),
        Binding("escape", "cancel", "Cancel"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("t", "tour", "Tour", show=False),  # the ready line offers it: the footer is full
        Binding("q", "quit", "Quit"),
        Binding("plus,equals_sign", "workers(1)", "More workers", key_display="+", group=WORKERS),
        Binding("minus", "workers(-1)", "Fewer workers", key_display="-", group=WORKERS),
        Binding("w", "cycle('workload')", "Workload"),
        Binding("e", "cycle('executor')", "Executor"),
        Binding("l", "toggle_timeline", "Timeline", show=False),  # the footer is full at 80
        Binding("p", "toggle_plot", "Plot"),
        Binding("x", "export", "Export"),
        Binding("n", "tour_next", "Next step"),
        Binding("b", "tour_back", "Back"),
    ]

    live: var[LiveRun | None] = var(None, bindings=True)
    """The experiment running now; the footer offers r and s without one, escape with one."""

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
        self.store = store
        self.sampler = sampler or Sampler()
        self.refresh_s = refresh_s
        self.export_dir = export_dir or Path.cwd()
        self.results: list[Result] = []
        env = env or environment.describe()
        self.usable_cores = int(env["usable_cores"])  # type: ignore[call-overload]
        self.sub_title = f"{environment.python_label(env)} · {self.usable_cores} cores"

    def compose(self) -> ComposeResult:
        # Held directly: timers and runner messages update them while a help screen is on top.
        self.controls = Controls(self.choice, id="controls")
        self.cpu_panel = CpuPanel(self.usable_cores, id="cpu")
        self.timeline_panel = TimelinePanel(id="timeline")
        self.tour_panel = TourPanel(id="tour")
        self.tour_panel.display = False
        self.progress = RunProgress(id="progress")
        self.results_log = ResultsLog(id="results")
        self.plot = SpeedupPlot(id="plot")
        self.footer = Footer()
        yield Header(icon="≡")
        with Vertical(id="main"):
            with Horizontal(id="top"):
                yield self.controls
                yield self.cpu_panel
            yield self.tour_panel
            yield self.timeline_panel
            yield self.progress
            with Horizontal(id="bottom"):
                yield self.results_log
                yield self.plot
        yield Static("Make the window larger: gilviz needs at least 60x20.", id="too-small")
        yield self.footer

    def on_mount(self) -> None:
        if self.found_pythons is None:
            self._find_pythons()
        else:
            self.controls.set_pythons(self.found_pythons)
        self._load_saved_results()
        self.idle_timer = self.set_interval(self.refresh_s, self.sample)
        self.live_timer = self.set_interval(LIVE_REFRESH_S, self.sample, pause=True)
        self.sampling_s = self.refresh_s
        """How often the CPU and timeline panels are redrawn now."""
        self.sample()
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
        self.action_cancel()
        self.exit()

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        screen, narrow = self.screen, width < WIDE_FROM
        if narrow != screen.has_class("narrow"):
            self.plot.display = not narrow  # p still shows it
            self.footer.compact = narrow  # every key still fits in 80 columns
            self.footer.show_command_palette = not narrow  # ctrl+p still opens it
        classes = {
            "too-small": width < MIN_SIZE[0] or height < MIN_SIZE[1],
            "short": height < SHORT_BELOW,
            "narrow": narrow,
        }
        if any(screen.has_class(name) != on for name, on in classes.items()):
            for name, on in classes.items():  # one restyle of every widget, not one a class
                screen.set_class(on, name, update=False)
            screen.update_node_styles()
        self.cpu_panel.worker_rows = 2 if height < SHORT_BELOW else WORKER_ROWS
        self.timeline_panel.most_lanes = max(2, min(16, (height - 20) // 2))

    def _load_saved_results(self) -> None:
        if self.store is None:
            return
        loaded = self.store.load()
        for warning in loaded.warnings:
            self.notify(warning, title="results file", severity="warning")
        for result in loaded.results:
            self._show_result(result)

    def sample(self) -> None:
        snapshot = self.sampler.sample()
        live = self.live
        probe = live.probe if live else None
        running = None if live is None else (live.cell if live.running else "starting")
        self.cpu_panel.show(snapshot, self.sampler.history, probe, running)
        if live is not None:
            self.timeline_panel.tick()
            self.progress.total, self.progress.done = live.all_tasks, live.all_done
            self.progress.status = live.status()

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer run and sweep while idle and cancel while running (False hides a key); over
        the help screen, only its own keys."""
        if self.screen.is_modal:
            return False
        if action in TYPED_IN_A_FIELD and isinstance(self.focused, Input):
            return False  # the field takes the key as text (Workers takes + and - itself)
        if action in ("tour_next", "tour_back"):
            return self.tour_panel.display and self.live is None
        if action in ("run", "sweep"):
            return self.live is None
        if action == "cancel":
            return self.live is not None
        return True

    def action_run(self) -> None:
        if (choice := self._valid_choice()) is not None:
            self._start(choice, sweep_cells([choice.executor], [choice.workers]), choice.workers)

    def action_sweep(self) -> None:
        if (choice := self._valid_choice()) is not None:
            workers = default_workers(2 * environment.usable_cores())
            self._start(choice, sweep_cells([choice.executor], workers), max(workers))

    def action_tour(self) -> None:
        """Start the guided tour, or end it."""
        touring = not self.tour_panel.display
        self.tour_panel.display = touring
        self.screen.set_class(touring, "touring")
        if touring:
            self.tour_panel.begin(self.controls.pythons or [])
        self.refresh_bindings()

    def action_tour_next(self) -> None:
        choice = self.controls.choice()
        pace = tour.Pace(choice.repeat, choice.pace) if choice else tour.Pace()
        job = self.tour_panel.next_job(self.usable_cores, pace)
        if job is not None:  # the fields follow, so the audience sees what runs
            spec = job[1]
            self.controls.set_field("workload", spec.workload)
            self.controls.set_field("executor", spec.cells[0].executor)
            self._launch([job])

    def action_tour_back(self) -> None:
        self.tour_panel.back()

    def action_cancel(self) -> None:
        if self.live is not None:
            self.live.run.cancel()

    def action_workers(self, delta: int) -> None:
        self.controls.bump_workers(delta)

    def action_cycle(self, name: str) -> None:
        self.controls.cycle(name)

    def action_toggle_plot(self) -> None:
        self.plot.display = not self.plot.display

    def action_toggle_timeline(self) -> None:
        self.timeline_panel.display = not self.timeline_panel.display

    def action_help(self) -> None:
        from gilviz.app.widgets.help import (
            HelpScreen,  # Markdown is slow to import: not at start-up
        )

        self.push_screen(HelpScreen())

    def action_export(self) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        base = self.export_dir / f"gilviz-results-{stamp}"
        try:
            base.with_suffix(".csv").write_text(report.to_csv(self.results))
            base.with_suffix(".md").write_text(report.to_markdown(self.results))
        except OSError as exc:
            self.notify(f"export failed: {exc}", severity="error")
            return
        self.notify(f"{len(self.results)} results written to {base}.csv and .md", title="exported")

    async def action_quit(self) -> None:
        self._hang_up()

    @on(Controls.Submitted)
    def run_what_the_fields_say(self) -> None:
        self.action_run()

    @on(Select.Changed, "#workload")
    def plot_the_chosen_workload(self, event: Select.Changed) -> None:
        self.plot.show_results(self.results, str(event.value))

    @on(ResultsLog.Chosen)
    def show_the_chosen_rows_timeline(self, message: ResultsLog.Chosen) -> None:
        """A result row was chosen: the timeline shows what that cell recorded (while a cell
        runs, it stays live)."""
        if self.live is None or not self.live.running:
            self.timeline_panel.show_result(message.result)

    # --- running ---------------------------------------------------------------------------

    def _valid_choice(self) -> Choice | None:
        if self.live is not None:
            self.notify("An experiment is running: escape cancels it.", severity="warning")
            return None
        controls = self.controls
        choice = controls.choice()
        if choice is None:
            self.bell()
            self.notify("Nothing started: " + "; ".join(controls.errors.values()), severity="error")
        return choice

    def _start(self, choice: Choice, cells: tuple[Cell, ...], max_workers: int) -> None:
        tasks = choice.tasks or 2 * max_workers
        spec = ExperimentSpec(
            workload=choice.workload,
            cells=cells,
            tasks=tasks,
            size=choice.size,
            repeat=choice.repeat,
            task_s=task_seconds(choice.pace, tasks, choice.repeat),
            live=True,  # the timeline panel draws it as it happens
        )
        self._launch(variants(spec, choice.pythons, choice.switch_ms))

    def _launch(self, runs: list[Variant]) -> None:
        """Run these one after another, the first now."""
        (python, first), *rest = runs
        # The bar is determinate from the start: an indeterminate one animates at 60 Hz.
        run = ExperimentRun(first, python)
        self.live = LiveRun(run, queue=rest, variants=1 + len(rest), python=python)
        self._sample_live(True)
        self.progress.total, self.progress.done = self.live.all_tasks, 0
        self.progress.status = "Starting the runner process…"
        self._read_events(self.live.run)

    @work(thread=True, group="runner", exit_on_error=False)
    def _read_events(self, run: ExperimentRun) -> None:
        """The runner's events, as messages; if reading them fails, the run ends with why
        (the app carries on)."""
        try:
            for event in run.events():
                self.post_message(RunnerEvent(event))
        except Exception as exc:
            run.cancel()
            reason = f"reading the runner's events failed ({type(exc).__name__}: {exc})"
            self.post_message(RunnerEvent(Finished(error=reason)))

    def on_runner_event(self, message: RunnerEvent) -> None:
        event, live = message.event, self.live
        if live is None:
            return
        live.apply(event)
        if isinstance(event, Hello):
            self.sampler.attach(event.pid, event.service_tids)
        elif isinstance(event, CellStarted):
            self.sampler.cell_started(event.cell.executor)
            gil = bool(live.env.get("gil_enabled", True))
            title = f"{live.cell} on {live.run.spec.workload}"
            self.timeline_panel.start_cell(title, shares_one_gil(event.cell.executor, gil))
            self.progress.total, self.progress.done = live.all_tasks, live.all_done
            self.progress.status = live.status()  # a new cell shows now, not on the next tick
        elif isinstance(event, TimelineUpdate):  # drawn on the next refresh tick, not at 5 Hz
            self.timeline_panel.add(event)
        elif isinstance(event, CellDone):
            self._keep(event.result)
            if event.failure is None:  # exact, until the next cell starts
                self.timeline_panel.show_result(event.result)
            else:
                where = f"{event.failure.cell.label} failed"
                self.notify(event.failure.reason, title=where, severity="error")
        elif isinstance(event, Finished):
            if (runner := live.next_runner(event)) is not None:
                self.sampler.detach()
                self._read_events(runner)
            else:
                self._finish(live, event)

    def _sample_live(self, live: bool) -> None:
        """4 Hz while a run goes, the calm idle rate otherwise."""
        (self.idle_timer if live else self.live_timer).pause()
        (self.live_timer if live else self.idle_timer).resume()
        self.sampling_s = LIVE_REFRESH_S if live else self.refresh_s

    def _keep(self, result: Result) -> None:
        self._show_result(result)
        if self.store is None:
            return
        try:
            self.store.append(result)
        except OSError as exc:
            self.notify(
                f"Results kept in memory only: cannot write {self.store.path} ({exc.strerror})",
                severity="error",
            )
            self.store = None

    def _show_result(self, result: Result) -> None:
        self.results.append(result)
        self.results_log.add_result(result)
        self.plot.show_results(self.results, self.controls.workload)

    def _finish(self, live: LiveRun, finished: Finished) -> None:
        self.live = None
        self.timeline_panel.stop("cancelled" if finished.cancelled else "stopped")
        if self.tour_panel.running:
            self.tour_panel.finished(finished.results)
        self._sample_live(False)
        self.sampler.detach()
        self.sample()  # redraw now, so no stale worker rows stay until the next tick
        ended, words = live.ending(finished)  # where it ended, not the last tick's view
        self.progress.total, self.progress.done = live.all_tasks, ended
        self.progress.status = words
        if finished.error:
            self.notify(finished.error, title="experiment failed", severity="error")
