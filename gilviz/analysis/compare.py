"""`gilviz.compare`: the same comparison as `gilviz run --task`, from a script or a notebook.

    >>> import gilviz, mymodule
    >>> gilviz.compare(mymodule.parse, documents, executors=["threads", "processes"])

The function travels by name (the runner and every worker import it), so it must live at the
top level of an importable module; the inputs travel pickled. It returns a Comparison: every
Result, the recommendation, and a markdown report (a notebook shows it as one).
"""

from __future__ import annotations

import base64
import inspect
import pickle
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gilviz.analysis import report
from gilviz.analysis.advice import advise
from gilviz.analysis.engine import run_experiment
from gilviz.analysis.results import Result
from gilviz.analysis.store import ResultStore
from gilviz.measure.environment import usable_cores
from gilviz.measure.usertask import NotFound, name_of
from gilviz.protocol.spec import ExperimentSpec, default_workers, sweep_cells

DEFAULT_EXECUTORS = ("threads", "processes")
"""The serial baseline is always measured first."""


@dataclass(frozen=True)
class Comparison:
    """What one comparison measured, and what it recommends."""

    results: list[Result]
    recommendation: str
    error: str | None = None
    """Why the experiment stopped early, if it did (the results kept are still here)."""

    def __str__(self) -> str:
        return self._repr_markdown_()

    def _repr_markdown_(self) -> str:
        """A notebook shows the comparison as its markdown report."""
        failed = f"\n\nThe experiment stopped early: {self.error}\n" if self.error else ""
        return report.to_markdown(self.results) + failed


def compare(
    function: Callable[..., Any],
    inputs: Iterable[Any] | None = None,
    *,
    executors: Sequence[str] = DEFAULT_EXECUTORS,
    workers: Sequence[int] | None = None,
    repeat: int = 3,
    warmup: int = 1,
    setup: Callable[[], Any] | None = None,
    python: str | None = None,
    results: str | Path | None = None,
    task_timeout_s: float | None = None,
) -> Comparison:
    """Run `function` once per input, serially and on each executor at each worker count,
    and say which to use. Without inputs, task i gets i (as many tasks as twice the most
    workers). `setup` runs once in each worker first; `python` names another interpreter;
    `results` appends every result to that results file; a cell whose tasks stop returning
    for `task_timeout_s` fails, and the cells left run in a fresh runner."""
    task = name_of(function)
    counts = list(workers) if workers is not None else default_workers(usable_cores())
    values = None if inputs is None else list(inputs)
    if values is not None and not values:
        raise ValueError("no inputs: give at least one (one input is one task)")
    spec = ExperimentSpec(
        workload=task,
        task=task,
        task_path=import_root(function),
        setup=None if setup is None else name_of(setup),
        input_values=None if values is None else _packed(values),
        cells=sweep_cells(list(executors), counts),
        tasks=len(values) if values is not None else 2 * max(counts),
        repeat=repeat,
        warmup=warmup,
        task_timeout_s=task_timeout_s,
    )
    finished = run_experiment(spec, python)
    if finished.refused:
        raise NotFound(str(finished.error))
    if results is not None:
        store = ResultStore(Path(results))
        for result in finished.results:
            store.append(result)
    return Comparison(finished.results, advise(finished.results).words, finished.error)


def import_root(function: Callable[..., Any]) -> str:
    """The folder that, first on sys.path, makes the function's module importable by name."""
    module = sys.modules.get(function.__module__)
    source = inspect.getsourcefile(module) if module is not None else None
    if source is None:
        raise NotFound(f"{function.__module__} has no file a worker could import it from")
    folder = Path(source).resolve().parent
    levels = function.__module__.count(".") + (Path(source).name == "__init__.py")
    return str(folder.parents[levels - 1] if levels else folder)


def _packed(values: list[Any]) -> str:
    try:
        return base64.b64encode(pickle.dumps(values)).decode("ascii")
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise ValueError(f"the inputs cannot be pickled to reach the runner: {exc}") from None
