"""Apps with frozen inputs: a fixed CPU reading, a fixed environment line, a private store."""

from __future__ import annotations

import sys
from pathlib import Path

from gilviz.app import GilvizApp
from gilviz.pythons import Python
from gilviz.sampler import Sampler
from gilviz.spec import Choice
from gilviz.store import ResultStore

ENV = {"implementation": "CPython", "python": "3.12.0", "gil_enabled": True, "usable_cores": 4}
PYTHONS = [Python(sys.executable, "3.12.0", "CPython")]
"""Recorded: gilviz's own Python, as the Python field offers it."""
CORE_LOADS = [12.0, 97.0, 48.0, 3.0]


class FakeClock:
    """A clock that advances `step` seconds per reading (one: the idle refresh)."""

    def __init__(self, step: float = 1.0) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def frozen_sampler() -> Sampler:
    return Sampler(per_core=lambda: list(CORE_LOADS), clock=FakeClock())


def make_app(
    tmp_path: Path, choice: Choice | None = None, store: ResultStore | None = None
) -> GilvizApp:
    return GilvizApp(
        choice=choice or Choice("sleep", "threads", 2, tasks=2, size=5),
        store=store if store is not None else ResultStore(tmp_path / "results.jsonl"),
        sampler=frozen_sampler(),
        export_dir=tmp_path,
        env=ENV,
        pythons=PYTHONS,
    )
