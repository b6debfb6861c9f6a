"""How the app looks at fixed sizes, with every live figure injected so pictures are stable."""

from __future__ import annotations

import time

import pytest

from gilviz.analysis.store import ResultStore
from gilviz.app.choice import Choice
from gilviz.app.sampler import Snapshot, WorkerLoad
from gilviz.app.widgets.cpu import ProbeReading
from gilviz.measure.timeline import GIL, IO, LOCK, RUN, STALL, Collector
from gilviz.protocol.events import TimelineUpdate
from gilviz.protocol.spec import Cell
from tests.app_fixtures import CORE_LOADS, make_app
from tests.conftest import make_result

SWEEP = [
    ("serial", 1, 1.0, 0.99),
    ("threads", 2, 1.02, 1.0),
    ("threads", 4, 0.98, 1.0),
    ("processes", 2, 1.93, 1.95),
    ("processes", 4, 3.7, 3.8),
]


MS = 1_000_000


def turns(workers: int, span_ms: int, slice_ms: int = 5) -> list[list[int]]:
    """Flat intervals of `workers` threads taking turns on one GIL, `slice_ms` each."""
    lanes: list[list[int]] = [[] for _ in range(workers)]
    for slot in range(span_ms // slice_ms):
        for worker, flat in enumerate(lanes):
            state = RUN if slot % workers == worker else STALL
            flat.extend((state, slot * slice_ms * MS, (slot + 1) * slice_ms * MS))
    return lanes


def recorded(executor: str, workers: int) -> dict[str, object]:
    """A fixed timeline: threads take turns, processes run side by side."""
    collector = Collector()
    if executor == "threads":
        for worker, flat in enumerate(turns(workers, 800)):
            collector.add((1, worker), flat)
    else:
        for worker in range(workers):
            collector.add((worker + 1, 1), [RUN, 0, (800 - 40 * worker) * MS])
    cell = collector.finish(shared_gil=executor != "processes")
    return {
        "timeline": cell.stored(),
        "overlap": cell.overlap,
        "handoffs_per_s": cell.handoffs_per_s,
    }


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
                **recorded(executor, workers),
            )
        )
    choice = Choice("cpu", "threads", 2, tasks=2, size=5)
    yield make_app(tmp_path, choice, store=store, history_s=40, frozen=True)
    monkeypatch.delenv("TZ")
    time.tzset()


async def mid_run(pilot) -> None:
    """Show what a threads run on cpu looks like halfway, from injected figures."""
    app = pilot.app
    await pilot.pause()  # the chosen row's timeline is shown first; the live cell replaces it
    workers = [
        WorkerLoad("thread 4242", 51.0),
        WorkerLoad("thread 4243", 48.0),
        WorkerLoad("gil probe", 0.4),
    ]
    app.cpu_panel.show(
        Snapshot(CORE_LOADS, 1.0, workers),
        app.sampler.history,
        ProbeReading(4.8, 0.3),
        "threads x4",
    )
    app.timeline_panel.start_cell("threads x4 on cpu", shared_gil=True)
    live = [[v // 1000 if i % 3 else v for i, v in enumerate(f)] for f in turns(4, 1200, 40)]
    lanes = [(index, 1, flat) for index, flat in enumerate(live)]
    app.timeline_panel.add(TimelineUpdate(Cell("threads", 4), 1_200_000, lanes))
    app.timeline_panel.tick()
    app.progress.show(3, 8, "Running threads x4 on cpu · 3/8 tasks · 1.2 s")
    await pilot.pause()


def test_main_view_120x36(snap_compare, app):
    assert snap_compare(app, terminal_size=(120, 36))


def test_main_view_80x24(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24))


def test_mid_run_120x36(snap_compare, app):
    assert snap_compare(app, terminal_size=(120, 36), run_before=mid_run)


def test_mid_run_80x24(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24), run_before=mid_run)


def test_recorded_timeline_of_a_chosen_row_120x36(snap_compare, app):
    assert snap_compare(app, terminal_size=(120, 36), press=["up", "up"])  # threads x4


def test_recorded_timeline_of_a_chosen_row_80x24(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24), press=["up", "up"])


def test_help_80x24(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"])


def test_too_small_40x12(snap_compare, app):
    assert snap_compare(app, terminal_size=(40, 12))


def test_invalid_workers_120x36(snap_compare, app):
    async def type_bad(pilot) -> None:
        pilot.app.controls.query_one("#workers").value = "abc"
        log = pilot.app.results_log  # the fields grow; the log shrinks and keeps its row in view
        for _ in range(200):
            await pilot.pause()
            top, rows = log.scroll_offset.y, log.scrollable_content_region.height
            if top <= log.cursor_row < top + rows and not log._layout_required:
                break

    assert snap_compare(app, terminal_size=(120, 36), run_before=type_bad)


def test_two_pythons_side_by_side_200x50(snap_compare, tmp_path, monkeypatch):
    """A GIL build and a free-threaded build (recorded: none can be installed here) under
    the same experiment: each has its own heading rows, and each executor a line per build."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    store = ResultStore(tmp_path / "results.jsonl")
    builds = [
        {"python": "3.13.0", "gil_enabled": True, "usable_cores": 4},
        {"python": "3.13.0", "build": "free-threaded", "gil_enabled": False, "usable_cores": 4},
    ]
    speedups = {True: {1: 1.0, 2: 1.01, 4: 0.97}, False: {1: 1.0, 2: 1.96, 4: 3.81}}
    for env in builds:
        for workers, speedup in speedups[env["gil_enabled"]].items():
            executor = "serial" if workers == 1 else "threads"
            figures = {"efficiency": speedup / workers, "parallelism": 0.99 * speedup}
            store.append(
                make_result(executor=executor, workers=workers, speedup=speedup, env=env, **figures)
            )
    choice = Choice("cpu", "threads", 4, tasks=8)
    app = make_app(tmp_path, choice, store=store, history_s=40, frozen=True)
    assert snap_compare(app, terminal_size=(200, 50))
    monkeypatch.delenv("TZ")
    time.tzset()


def test_main_view_200x50(snap_compare, app):
    assert snap_compare(app, terminal_size=(200, 50))


def sampled_lanes() -> dict[str, object]:
    """A user's function's timeline from stack samples: two workers taking turns on a lock
    of its own, and the helper threads it starts, packed into two rows."""
    collector = Collector()
    steps = {
        (1, 1): [(RUN, 0, 100), (LOCK, 100, 300), (RUN, 300, 400), (IO, 400, 500)],
        (1, 2): [(LOCK, 0, 100), (RUN, 100, 300), (GIL, 300, 400), (RUN, 400, 500)],
    }
    for key, lane in steps.items():
        for state, start, end in lane + [(s, a + 500, b + 500) for s, a, b in lane if b <= 300]:
            collector.add_sampled(key, [state, start * MS, end * MS], own=False)
    for tid, (start, end) in enumerate([(150, 350), (400, 550), (450, 700)], 9):
        collector.add_sampled((1, tid), [RUN, start * MS, end * MS], own=True)
    cell = collector.finish(shared_gil=True)
    return {"timeline": cell.stored(), "overlap": cell.overlap, "handoffs_per_s": None}


@pytest.fixture
def own_function_app(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    store = ResultStore(tmp_path / "results.jsonl")
    task = {"workload": "mymod:work", "task_hash": "0123456789ab"}
    store.append(make_result(executor="serial", workers=1, speedup=1.0, **task))
    shares = {"run": 0.55, "c": 0.0, "io": 0.1, "gil": 0.05, "lock": 0.3, "core": 0.0}
    threads = {"speedup": 1.1, "efficiency": 0.55, "parallelism": 1.1, **task}
    threads |= {"sampled": {"shares": shares, "samples": 64}}
    store.append(make_result(**threads, **sampled_lanes()))
    choice = Choice("mymod:work", "threads", 2, tasks=4)
    yield make_app(tmp_path, choice, store=store, history_s=40, frozen=True)
    monkeypatch.delenv("TZ")
    time.tzset()


def test_own_function_lanes_from_samples_120x36(snap_compare, own_function_app):
    assert snap_compare(own_function_app, terminal_size=(120, 36))


def test_own_function_lanes_from_samples_80x24(snap_compare, own_function_app):
    assert snap_compare(own_function_app, terminal_size=(80, 24))
