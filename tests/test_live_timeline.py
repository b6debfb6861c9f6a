"""The live timeline the runner streams while a cell runs, and a recorded task's timeline."""

from __future__ import annotations

import time

import pytest

from gilviz.analysis.engine import CellDone, run_experiment
from gilviz.measure import runner, workloads
from gilviz.protocol.events import TimelineUpdate
from gilviz.protocol.spec import Cell, ExperimentSpec

pytestmark = pytest.mark.usefixtures("no_leftovers")


def test_live_updates_come_while_a_cell_runs_and_before_it_is_done():
    events = []
    run_experiment(
        ExperimentSpec("cpu", (Cell("processes", 2),), tasks=4, task_s=0.3, live=True),
        on_event=events.append,
    )
    done_at = next(
        i for i, e in enumerate(events) if isinstance(e, CellDone) and e.result.workers == 2
    )
    updates = [
        e
        for e in events[:done_at]
        if isinstance(e, TimelineUpdate) and e.cell == Cell("processes", 2) and e.lanes
    ]
    assert len(updates) >= 2, "several updates during a cell of 0.6 s or more (5 a second)"
    lanes = {index for update in updates for index, _, _ in update.lanes}
    assert lanes == {0, 1}
    flat = [v for update in updates for _, _, data in update.lanes for v in data]
    assert all(0 <= flat[i + 1] <= flat[i + 2] for i in range(0, len(flat), 3))
    assert max(u.now_us for u in updates) >= max(flat[2::3]) - 1000


def test_live_times_are_microseconds_from_the_cell_start_and_states_are_kept():
    assert runner._relative_us([2, 5_000, 9_000, 1, 9_000, 12_345], 1_000) == [2, 4, 8, 1, 8, 11]


def test_live_lanes_name_the_worker_process_and_arrive_before_any_task_is_done():
    """Process workers stream through a queue while their first task still runs."""
    events = []
    started = time.monotonic()
    spec = ExperimentSpec("cpu", (Cell("processes", 2),), tasks=2, task_s=0.6, live=True)
    finished = run_experiment(spec, on_event=events.append)
    elapsed_us = (time.monotonic() - started) * 1e6
    processes = finished.results[-1]
    pids = {record["pid"] for record in processes.records}
    cell = Cell("processes", 2)
    first_done = next(
        i
        for i, e in enumerate(events)
        if type(e).__name__ == "Progress" and e.cell == cell and e.done >= 1
    )
    early = [e for e in events[:first_done] if isinstance(e, TimelineUpdate) and e.cell == cell]
    assert any(update.lanes for update in early), "lanes while the first tasks still ran"
    assert {pid for update in early for _, pid, _ in update.lanes} <= pids
    assert all(isinstance(u.now_us, int) and 0 <= u.now_us < elapsed_us for u in early)


def test_live_lanes_of_threads_carry_the_runner_process_not_a_thread_id():
    events = []
    spec = ExperimentSpec("cpu", (Cell("threads", 2),), tasks=2, task_s=0.3, live=True)
    run_experiment(spec, on_event=events.append)
    runner_pid = next(e.pid for e in events if type(e).__name__ == "Hello")
    lanes = [lane for e in events if isinstance(e, TimelineUpdate) for lane in e.lanes]
    assert lanes and {pid for _, pid, _ in lanes} == {runner_pid}


@pytest.mark.parametrize("executor", ["serial", "threads", "processes"])
def test_tiny_tasks_hand_their_timeline_over_in_batches_and_none_is_lost(executor):
    from gilviz.measure import executors
    from gilviz.measure.timeline import RUN

    handed: list[list[int]] = []
    records: list[dict] = []
    batch = executors.Batch("cpu", 1, 3000, None, record=True, chunk=100)
    sink = lambda key, flat: handed.append(flat)  # noqa: E731
    workers = 1 if executor == "serial" else 2
    executors.run(executor, batch, workers, records.append, sink=sink, live=False)
    carried = [record["timeline"] for record in records if record["timeline"]]
    assert 0 < len(carried) < len(records) / 4, "batches, not a hand-off a task"
    runs = sum(flat[i] == RUN for flat in carried + handed for i in range(0, len(flat), 3))
    assert runs >= 3000, "each task's run arrives: a chunk's last record carries the rest"


def test_a_recorded_task_hands_its_timeline_over_with_its_record():
    from gilviz.measure import timeline

    record = workloads.run_task("cpu", 20_000, 0, None, False, record=True)
    timeline.detach()
    assert record["timeline"] and record["cpu_s"] >= 0 and record["index"] == 0
