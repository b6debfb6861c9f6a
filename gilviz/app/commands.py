"""The command palette (ctrl+p) as a second keyboard: every action and choice by name, then
Textual's own commands (theme, keys, screenshot, quit) after them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from gilviz.analysis.pythons import Python
from gilviz.measure.workloads import WORKLOADS
from gilviz.protocol.spec import EXECUTORS, default_workers

Command = tuple[str, Callable[[], object], str]


class Fields(Protocol):
    """What the palette sets: the Experiment panel's fields."""

    pythons: list[Python] | None

    def set_field(self, name: str, value: str) -> None: ...


class Commanded(Protocol):
    """What the palette needs of the app (the app itself, seen from here without a circle)."""

    usable_cores: int

    @property
    def controls(self) -> Fields: ...

    def run_action(self, action: str) -> object: ...


class GilvizCommands(Provider):
    """Run, sweep, cancel, export, the panels, and every workload, executor, Python and
    worker count, each with a line of help; Textual's own commands come last."""

    def commands(self) -> list[Command]:
        app = cast(Commanded, self.app)
        act = app.run_action
        commands: list[Command] = [
            ("Run", partial(act, "run"), "Run the experiment as the fields say (r)"),
            ("Sweep workers", partial(act, "sweep"), "Workers 1..2x cores (s)"),
            ("Cancel the run", partial(act, "cancel"), "Stop the runner and its workers (escape)"),
            ("Export results", partial(act, "export"), "CSV and Markdown in this folder (x)"),
            ("Toggle plot", partial(act, "toggle_plot"), "Show or hide the speedup plot (p)"),
            ("Toggle timeline", partial(act, "toggle_timeline"), "A lane per worker (l)"),
            ("Help", partial(act, "help"), "The GIL, the panels, the keys (?)"),
            ("Tour", partial(act, "tour"), "The GIL's claims, tried here one by one (t)"),
            (
                "Your own function…",
                partial(act, "own_task"),
                "module:function as the workload, imported in the runner",
            ),
        ]
        set_field = app.controls.set_field
        commands += [
            (f"Workload {name}", partial(set_field, "workload", name), _capital(w.summary))
            for name, w in WORKLOADS.items()
        ]
        commands += [
            (f"Executor {name}", partial(set_field, "executor", name), _capital(summary))
            for name, summary in EXECUTORS.items()
        ]
        commands += [
            (f"Workers {n}", partial(set_field, "workers", str(n)), "The worker count")
            for n in default_workers(2 * app.usable_cores)
        ]
        commands += [
            (f"Python {p.label}", partial(set_field, "python", p.version), p.path)
            for p in app.controls.pythons or []
        ]
        textual = self.app.get_system_commands(self.screen)
        return commands + [(c.title, c.callback, c.help) for c in textual if c.discover]

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]
