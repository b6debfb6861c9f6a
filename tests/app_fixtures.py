"""Apps with frozen inputs: a fixed CPU reading, a fixed environment line, a private store."""

from __future__ import annotations

import sys
from pathlib import Path

from gilviz.analysis.pythons import Python
from gilviz.analysis.store import ResultStore
from gilviz.app.app import GilvizApp
from gilviz.app.choice import Choice
from gilviz.app.sampler import Sampler

ENV = {"implementation": "CPython", "python": "3.12.0", "gil_enabled": True, "usable_cores": 4}
PYTHONS = [Python(sys.executable, "3.12.0", "CPython")]
"""Recorded: gilviz's own Python, as the Python field offers it."""
CORE_LOADS = [12.0, 97.0, 48.0, 3.0]
NEVER_S = 24 * 3600.0
"""A refresh interval no test lasts: the app's own timers never fire (pictures stay frozen)."""


class FakeClock:
    """A clock that advances `step` seconds per reading (one: the idle refresh)."""

    def __init__(self, step: float = 1.0) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def frozen_sampler(history_s: int = 0) -> Sampler:
    """A sampler that always reads CORE_LOADS, with `history_s` seconds of history behind it;
    then its clock stops, so however often it is sampled its history never grows."""
    clock = FakeClock()
    sampler = Sampler(per_core=lambda: list(CORE_LOADS), clock=clock)
    for _ in range(history_s):
        sampler.sample()
    clock.step = 0.0
    return sampler


def make_app(
    tmp_path: Path,
    choice: Choice | None = None,
    store: ResultStore | None = None,
    *,
    history_s: int = 0,
    frozen: bool = False,
) -> GilvizApp:
    """The app on recorded inputs. `frozen` (for pictures): a frozen sampler and no timer of
    its own redraws it; else the cores read CORE_LOADS, and a runner's workers are timed by
    the real clock."""
    return GilvizApp(
        choice=choice or Choice("sleep", "threads", 2, tasks=2, size=5, repeat=1),
        store=store if store is not None else ResultStore(tmp_path / "results.jsonl"),
        sampler=frozen_sampler(history_s) if frozen else Sampler(per_core=lambda: list(CORE_LOADS)),
        refresh_s=NEVER_S if frozen else 1.0,
        export_dir=tmp_path,
        env=ENV,
        pythons=PYTHONS,
    )
