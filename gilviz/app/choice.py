"""One experiment as a person picks it in the app, and the runs it takes."""

from __future__ import annotations

from dataclasses import dataclass

from gilviz.protocol.spec import (
    Cell,
    ExperimentSpec,
    Variant,
    is_task_name,
    task_seconds,
    variants,
)


@dataclass(frozen=True)
class Choice:
    """What the Experiment panel's fields say: a single executor and worker count."""

    workload: str = "cpu"
    """A built-in workload, or a function of the user's as 'module:function'."""
    executor: str = "threads"
    workers: int = 2
    tasks: int | None = None
    """None means 2 x workers."""
    size: int | None = None
    """None means calibrated."""
    pace: str = "watch"
    repeat: int = 3
    """Measured runs of each cell (each round runs the baseline once too)."""
    pythons: tuple[str, ...] = ()
    """Interpreters to run under, each with its own baseline; none means gilviz's own."""
    switch_ms: tuple[float, ...] = ()
    """Switch intervals to run with (a sweep when several); none keeps Python's."""
    task_path: str = ""
    """Where a user's function is imported from (the folder gilviz was started in)."""
    inputs: str | None = None
    """'module:name' of a user's function's inputs (None: task i gets i)."""
    setup: str | None = None
    """'module:function' each worker calls once first, for a user's function."""
    task_timeout_s: float | None = None
    """A user's function's cell whose tasks stop returning for this long fails."""

    @property
    def is_task(self) -> bool:
        """The workload is a function of the user's (imported in the runner, never here)."""
        return is_task_name(self.workload)

    def runs(self, cells: tuple[Cell, ...], most_workers: int) -> list[Variant]:
        """These cells as runners: one per Python and switch interval, streamed live."""
        tasks = self.tasks or 2 * most_workers
        task = self.workload if self.is_task else None
        spec = ExperimentSpec(
            workload=self.workload,
            task=task,
            task_path=self.task_path,
            inputs=self.inputs if task else None,
            setup=self.setup if task else None,
            task_timeout_s=self.task_timeout_s if task else None,
            cells=cells,
            tasks=tasks,
            size=None if task else self.size,
            repeat=self.repeat,
            task_s=task_seconds(self.pace, tasks, self.repeat),
            live=True,  # the timeline panel draws it as it happens
        )
        return variants(spec, self.pythons, self.switch_ms)
