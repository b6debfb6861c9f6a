"""The command palette (ctrl+p) as a second keyboard: every action and choice by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from gilviz.measure.workloads import WORKLOADS
from gilviz.protocol.spec import EXECUTORS, default_workers

if TYPE_CHECKING:
    from gilviz.app.app import GilvizApp

Command = tuple[str, Callable[[], object], str]


class GilvizCommands(Provider):
    """Run, sweep, cancel, export, the panels, and every workload, executor, Python and
    worker count, each with a line of help."""

    @property
    def gilviz(self) -> GilvizApp:
        return self.app  # type: ignore[return-value]

    def commands(self) -> list[Command]:
        app = self.gilviz
        run = partial(app.run_action, "run")
        commands: list[Command] = [
            ("Run", run, "run the experiment as the fields say (r)"),
            ("Sweep workers", partial(app.run_action, "sweep"), "workers 1..2x cores (s)"),
            (
                "Cancel the run",
                partial(app.run_action, "cancel"),
                "stop runner and workers (escape)",
            ),
            ("Export results", partial(app.run_action, "export"), "CSV and Markdown here (x)"),
            ("Toggle plot", partial(app.run_action, "toggle_plot"), "show or hide speedup (p)"),
            ("Toggle timeline", partial(app.run_action, "toggle_timeline"), "lanes per worker (l)"),
            ("Help", partial(app.run_action, "help"), "the GIL, the panels, the keys (?)"),
            (
                "Tour",
                partial(app.run_action, "tour"),
                "the GIL's claims, tried here one by one (t)",
            ),
        ]
        set_field = app.controls.set_field
        commands += [
            (f"Workload {name}", partial(set_field, "workload", name), w.summary)
            for name, w in WORKLOADS.items()
        ]
        commands += [
            (f"Executor {name}", partial(set_field, "executor", name), summary)
            for name, summary in EXECUTORS.items()
        ]
        commands += [
            (f"Workers {n}", partial(set_field, "workers", str(n)), "worker count")
            for n in default_workers(2 * app.usable_cores)
        ]
        commands += [
            (f"Python {p.label}", partial(set_field, "python", p.version), p.path)
            for p in app.controls.pythons or []
        ]
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
