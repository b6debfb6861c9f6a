"""Shared fixtures: a private results file, and a check that no process is left behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from gilviz.analysis.results import Result
from gilviz.analysis.verdict import judged

ROOT = Path(__file__).resolve().parent.parent
"""The repository root."""

pytest_plugins = ["tests.mutmut_hits"]  # idle unless mutmut is mapping tests to code


@pytest.fixture(autouse=True)
def private_results(tmp_path, monkeypatch) -> None:
    """No test ever touches the user's results file."""
    monkeypatch.setenv("GILVIZ_RESULTS", str(tmp_path / "results.jsonl"))


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    """Fails the test if any child process of this test process outlives it."""
    yield
    me = psutil.Process()
    alive = [p for p in me.children(recursive=True) if _alive(p)]
    _, alive = psutil.wait_procs(alive, timeout=2)
    assert not alive, f"processes left behind: {alive}"


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def make_result(**overrides: object) -> Result:
    """A plausible finished result with fixed numbers and time, judged as the engine does."""
    fields: dict[str, object] = {
        "workload": "cpu",
        "executor": "threads",
        "workers": 2,
        "tasks": 4,
        "size": 1000,
        "repeat": 1,
        "wall_s": 0.8,
        "wall_min_s": 0.8,
        "wall_max_s": 0.8,
        "cpu_s": 0.79,
        "speedup": 1.0,
        "efficiency": 0.5,
        "parallelism": 0.99,
        "startup_s": 0.002,
        "checksum_ok": True,
        "bad_checksums": 0,
        "probe_p50_ms": 4.9,
        "probe_p99_ms": 10.2,
        "env": {"python": "3.11.7", "gil_enabled": True, "cpu_count": 2, "usable_cores": 2},
        "finished_at": "2026-11-24T12:00:00+00:00",
    }
    fields.update(overrides)
    return judged(Result(**fields))  # type: ignore[arg-type]


TOOK_TURNS_SHARES = {
    "timeline": {
        "workers": [
            {"shares": {"run": 0.5, "c": 0.0, "io": 0.0, "gil": 0.5, "core": 0.0, "idle": 0.0}}
        ]
    }
}
"""A timeline whose one worker waited for the GIL half the time: threads taking turns."""
