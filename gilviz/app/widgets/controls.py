"""The controls panel: workload, executor, workers, tasks and size, each explained or refused."""

from __future__ import annotations

import os
from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from gilviz.analysis.pythons import Python, pick
from gilviz.app.choice import Choice
from gilviz.measure.executors import availability
from gilviz.measure.workloads import WORKLOADS
from gilviz.protocol.spec import (
    EXECUTORS,
    MAX_REPEAT,
    MAX_SIZE,
    MAX_TASKS,
    MAX_WORKERS,
    PACES,
    is_task_name,
    parse_count,
    parse_switch_intervals,
)

TASK_HELP = "your function, once per input; imported in the runner, never here"


class WorkersInput(Input):
    """The Workers field: + and - change the count here too, instead of typing a sign."""

    BINDINGS = [
        Binding("plus,equals_sign", "step(1)", "More workers", show=False, priority=True),
        Binding("minus", "step(-1)", "Fewer workers", show=False, priority=True),
    ]

    def action_step(self, delta: int) -> None:
        try:
            current = parse_count(self.value, "workers", MAX_WORKERS)
        except ValueError:
            current = 1
        self.value = str(min(MAX_WORKERS, max(1, current + delta)))


class Controls(Vertical):
    """Holds the current choice; `choice()` is None while any field is invalid."""

    BORDER_TITLE = "Experiment"
    DEFAULT_CSS = """
    Controls .field { height: 1; }
    Controls .field Label { width: 9; color: $text-muted; }
    Controls .field Select, Controls .field Input { width: 1fr; }
    Controls .explain { color: $text-muted; padding-left: 9; height: auto; }
    Controls .explain.-invalid { color: $error; text-style: bold; }
    /* The focused field's label in reverse: plain in every theme and under NO_COLOR, where a
       background shade alone is lost. The row's own rule makes Textual restyle its label
       when focus enters or leaves. */
    Controls .field:focus-within { background: $boost; }
    Controls .field:focus-within Label { text-style: reverse bold; color: $foreground; }
    Controls .field Label.inline { width: 8; padding-left: 1; }
    Controls .field Input#repeat { width: 5; }
    /* The Python, Switch and Repeat hints show only to say what is wrong: the plot needs the
       rows. */
    Controls #python-help, Controls #switch-help, Controls #repeat-help { display: none; }
    Controls #python-help.-invalid, Controls #switch-help.-invalid,
    Controls #repeat-help.-invalid { display: block; }
    """
    BINDINGS = [Binding("escape", "leave", "Leave field")]

    class Submitted(Message):
        """Enter was pressed in a field: run with what is there."""

    def __init__(self, choice: Choice, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.initial = choice
        self.errors: dict[str, str] = {}
        self.pythons: list[Python] | None = None
        """The interpreters found (None: still looking)."""
        self.tasks: list[str] = [choice.workload] if choice.is_task else []
        """Functions of the user's offered beside the built-in workloads ('module:function')."""

    def set_pythons(self, found: list[Python]) -> None:
        """The interpreters the Python field may name (those that can run the runner)."""
        self.pythons = [p for p in found if p.runs_gilviz]
        self.validate()

    def compose(self) -> ComposeResult:
        c = self.initial
        yield from _row(
            "Workload",
            Select(_options(self._workloads()), value=c.workload, compact=True, id="workload"),
        )
        yield Static(id="workload-help", classes="explain")
        yield from _row(
            "Executor", Select(_options(EXECUTORS), value=c.executor, compact=True, id="executor")
        )
        yield Static(id="executor-help", classes="explain")
        yield from _row("Workers", WorkersInput(str(c.workers), compact=True, id="workers"))
        yield Static(id="workers-help", classes="explain")
        tasks = "" if c.tasks is None else str(c.tasks)
        yield from _row("Tasks", Input(tasks, placeholder="2 x workers", compact=True, id="tasks"))
        yield Static(id="tasks-help", classes="explain")
        size = "" if c.size is None else str(c.size)
        yield from _row("Size", Input(size, placeholder="auto: by pace", compact=True, id="size"))
        yield Static(id="size-help", classes="explain")
        with Horizontal(classes="field"):  # the pace and how often: one row, for the plot
            yield Label("Pace")
            yield Select(_options(PACES), value=c.pace, compact=True, id="pace")
            yield Label("Repeat", classes="inline")
            yield Input(str(c.repeat), compact=True, id="repeat")
        yield Static(id="pace-help", classes="explain")
        yield Static(id="repeat-help", classes="explain")
        yield from _row(
            "Python", Input(placeholder="this one; e.g. 3.12,3.13", compact=True, id="python")
        )
        yield Static(id="python-help", classes="explain")
        switch = ",".join(f"{ms:g}" for ms in c.switch_ms)
        yield from _row("Switch", Input(switch, placeholder="5 ms", compact=True, id="switch"))
        yield Static(id="switch-help", classes="explain")

    def on_mount(self) -> None:
        self.validate()

    @on(Select.Changed)
    @on(Input.Changed)
    def revalidate(self) -> None:
        self.validate()

    @on(Input.Submitted)
    def submit(self) -> None:
        self.post_message(self.Submitted())

    @property
    def workload(self) -> str:
        return str(self.query_one("#workload", Select).value)

    def _workloads(self) -> list[str]:
        return [*WORKLOADS, *self.tasks]

    def add_task(self, name: str) -> None:
        """Offer a function of the user's as a workload, and choose it."""
        if name not in self.tasks:
            self.tasks.append(name)
            self.query_one("#workload", Select).set_options(_options(self._workloads()))
        self.set_field("workload", name)

    def choice(self) -> Choice | None:
        """The current choice, or None when a field is invalid (its message says why)."""
        return self.validate()

    def validate(self) -> Choice | None:
        self.errors = {}
        workload = self.workload
        executor = str(self.query_one("#executor", Select).value)
        task = is_task_name(workload)
        self._explain("workload", TASK_HELP if task else WORKLOADS[workload].summary)
        available, reason = availability(executor)
        self._explain(
            "executor",
            EXECUTORS[executor] if available else f"unavailable: {reason}",
            not available,
        )
        workers = self._count("workers", MAX_WORKERS, "+/- changes it; s sweeps 1..2x cores")
        tasks = self._count("tasks", MAX_TASKS, "tasks per run", optional=True)
        given = self.initial
        inputs = given.inputs if workload == given.workload else None
        if inputs and "tasks" not in self.errors:
            self._explain("tasks", f"not used: one task per input of {inputs}")
        if task:
            size = None
            self._explain("size", "does not apply to your function: one input is one task")
        else:
            unit = WORKLOADS[workload].unit
            size = self._count("size", MAX_SIZE, f"{unit} per task", optional=True)
        pace = str(self.query_one("#pace", Select).value)
        self._explain("pace", PACES[pace] if size is None else "size is set: pace is not used")
        repeat = self._count("repeat", MAX_REPEAT, "runs of each cell")
        pythons = self._pythons()
        switch_ms = self._switch_ms()
        if self.errors or workers is None or repeat is None:
            return None
        return Choice(
            workload,
            executor,
            workers,
            tasks,
            size,
            pace,
            repeat,
            pythons,
            switch_ms,
            task_path=given.task_path or os.getcwd(),
            inputs=inputs,
            setup=given.setup if workload == given.workload else None,
            task_timeout_s=given.task_timeout_s,
        )

    def _pythons(self) -> tuple[str, ...]:
        text = self.query_one("#python", Input).value
        if self.pythons is None:
            self._explain("python", "looking for Pythons…" if text.strip() else "this Python")
            return ()
        found = ", ".join(p.label.split()[-1] for p in self.pythons) or "none"
        try:
            chosen = pick(self.pythons, text)
        except ValueError as exc:
            self._explain("python", f"{exc}; found: {found}", invalid=True)
            return ()
        self._explain("python", f"found: {found}")
        return tuple(p.path for p in chosen)

    def _switch_ms(self) -> tuple[float, ...]:
        text = self.query_one("#switch", Input).value
        hint = "ms between GIL hand-offs; commas sweep"
        if not text.strip():
            self._explain("switch", hint)
            return ()
        try:
            intervals = tuple(parse_switch_intervals(text))
        except ValueError as exc:
            self._explain("switch", str(exc), invalid=True)
            return ()
        self._explain("switch", hint)
        return intervals

    def _count(self, name: str, limit: int, hint: str, optional: bool = False) -> int | None:
        text = self.query_one(f"#{name}", Input).value
        if optional and not text.strip():
            self._explain(name, hint)
            return None
        try:
            value = parse_count(text, name, limit)
        except ValueError as exc:
            self._explain(name, str(exc), invalid=True)
            return None
        self._explain(name, hint)
        return value

    def _explain(self, name: str, text: str, invalid: bool = False) -> None:
        if invalid:
            self.errors[name] = text
        line = self.query_one(f"#{name}-help", Static)
        line.update(text)
        line.set_class(invalid, "-invalid")

    def cycle(self, name: str) -> None:
        """Select the next workload or executor."""
        select = self.query_one(f"#{name}", Select)
        names = self._workloads() if name == "workload" else list(EXECUTORS)
        select.value = names[(names.index(str(select.value)) + 1) % len(names)]

    def set_field(self, name: str, value: str) -> None:
        """Set a field as if typed or chosen (the command palette's choices)."""
        field = self.query_one(f"#{name}", Select | Input)  # type: ignore[arg-type]
        field.value = value

    def bump_workers(self, delta: int) -> None:
        self.query_one("#workers", WorkersInput).action_step(delta)

    def action_leave(self) -> None:
        """Escape leaves a field for the results (a second escape cancels a run)."""
        self.screen.focus_next("#results")


def _row(label: str, widget: Select[str] | Input) -> ComposeResult:
    with Horizontal(classes="field"):
        yield Label(label)
        yield widget


def _options(names: Iterable[str]) -> list[tuple[str, str]]:
    return [(name, name) for name in names]
