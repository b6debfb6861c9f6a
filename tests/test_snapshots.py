"""How the app looks at fixed sizes, with every live figure injected so pictures are stable."""

from __future__ import annotations

import time

import pytest

from gilviz.sampler import Snapshot, WorkerLoad
from gilviz.spec import Choice
from gilviz.store import ResultStore
from tests.app_fixtures import CORE_LOADS, make_app
from tests.conftest import make_result

SWEEP = [
    ("serial", 1, 1.0, 0.99),
    ("threads", 2, 1.02, 1.0),
    ("threads", 4, 0.98, 1.0),
    ("processes", 2, 1.93, 1.95),
    ("processes", 4, 3.7, 3.8),
]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    store = ResultStore(tmp_path / "results.jsonl")
    for executor, workers, speedup, busy in SWEEP:
        store.append(
            make_result(
                executor=executor,
                workers=workers,
                speedup=speedup,
                efficiency=speedup / workers,
                parallelism=busy,
                wall_s=0.8 / speedup,
            )
        )
    app = make_app(tmp_path, Choice("cpu", "threads", 2, tasks=2, size=5), store=store)
    for _ in range(40):  # forty seconds of frozen CPU history
        app.sampler.sample()
    yield app
    monkeypatch.delenv("TZ")
    time.tzset()


async def mid_run(pilot) -> None:
    """Show what a threads run on cpu looks like halfway, from injected figures."""
    app = pilot.app
    workers = [
        WorkerLoad("thread 4242", 51.0),
        WorkerLoad("thread 4243", 48.0),
        WorkerLoad("gil probe", 0.4),
    ]
    app.cpu_panel.show(Snapshot(CORE_LOADS, 1.0, workers), app.sampler.history, 4.8)
    app.progress.set_tasks(3, 8)
    app.progress.set_status("Running threads x4 on cpu · 3/8 tasks · 1.2 s")
    await pilot.pause()


def test_main_view_120x36(snap_compare, app):
    assert snap_compare(app, terminal_size=(120, 36))


def test_main_view_80x24(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24))


def test_mid_run_120x36(snap_compare, app):
    assert snap_compare(app, terminal_size=(120, 36), run_before=mid_run)


def test_mid_run_80x24(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24), run_before=mid_run)


def test_help_80x24(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"])


def test_too_small_40x12(snap_compare, app):
    assert snap_compare(app, terminal_size=(40, 12))


def test_invalid_workers_120x36(snap_compare, app):
    async def type_bad(pilot) -> None:
        pilot.app.controls.query_one("#workers").value = "abc"
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=type_bad)
