"""The runner's experiment: rounds, start-up apart, calibration, refusals, tallies, figures."""

from __future__ import annotations

import dataclasses
import time

import pytest

from gilviz.analysis.engine import run_experiment
from gilviz.measure import executors, runner, usage, workloads
from gilviz.measure.timeline import Collector
from gilviz.protocol.events import CellStarted
from gilviz.protocol.spec import Cell, ExperimentSpec

pytestmark = pytest.mark.usefixtures("no_leftovers")


def test_starting_the_pool_is_timed_apart_from_the_work():
    """Spawned workers take a whole interpreter start each; two 1 ms sleeps take far less."""
    spec = ExperimentSpec(
        "sleep", (Cell("processes", 2),), tasks=2, size=1, start_method="spawn", timeline=False
    )
    processes = run_experiment(spec).results[-1]
    assert processes.wall_s < processes.startup_s


def test_repeats_run_in_rounds_after_an_unkept_warm_up():
    events = []
    spec = ExperimentSpec("sleep", (Cell("threads", 2),), tasks=2, size=1, repeat=2, warmup=1)
    finished = run_experiment(spec, on_event=events.append)
    order = [(e.cell.executor, e.repeat) for e in events if isinstance(e, CellStarted)]
    assert order == [
        ("serial", -1),
        ("threads", -1),
        ("serial", 0),
        ("threads", 0),
        ("serial", 1),
        ("threads", 1),
    ]
    assert [r.repeat for r in finished.results] == [2, 2]


def test_a_size_estimated_above_an_hour_a_task_is_refused_before_it_runs():
    finished = run_experiment(ExperimentSpec("cpu", (Cell("threads", 2),), tasks=2, size=10**12))
    assert finished.refused and not finished.results
    assert "hours per task" in (finished.error or "")


def test_failure_reasons_name_the_exception():
    from concurrent.futures.process import BrokenProcessPool

    broken = runner._failure_reason(BrokenProcessPool("gone"))
    assert broken == "a worker died, so the pool broke (BrokenProcessPool: gone)"
    assert runner._failure_reason(ValueError()) == "ValueError"
    assert runner._failure_reason(ValueError("bad size")) == "bad size"


class Clock:
    """The runner's clock, injected: a unit of work takes exactly 1 ms of it, busy or not."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def work(self, size: int, arg: object = None) -> None:
        self.now += size / 1000

    def __getattr__(self, name: str) -> object:
        """The rest of the time module, real: a probe thread of this process still sleeps."""
        return getattr(time, name)


def timed_by(monkeypatch, workload: str, spec: ExperimentSpec) -> runner.Experiment:
    """An experiment whose task takes 1 ms of an injected clock per unit of work."""
    clock = Clock()
    monkeypatch.setattr(runner, "time", clock)
    experiment = runner.Experiment(spec, None, None, None)  # type: ignore[arg-type]
    experiment.workload = dataclasses.replace(workloads.WORKLOADS[workload], task=clock.work)
    return experiment


def calibrated(monkeypatch, workload: str, task_s: float | None) -> int:
    """The size calibration picks for `workload` when a unit of work takes 1 ms."""
    spec = ExperimentSpec(workload, (), tasks=1, task_s=task_s)
    experiment = timed_by(monkeypatch, workload, spec)
    return experiment._calibrate(lambda size: None, task_s or runner.TARGET_TASK_S)


def test_calibration_aims_a_task_at_the_pace_it_is_given(monkeypatch):
    assert calibrated(monkeypatch, "cpu", 0.3) == 300
    assert calibrated(monkeypatch, "cpu", None) == 200, "the quick pace: 0.2 s"
    assert calibrated(monkeypatch, "mixed", 0.3) == 150, "half of it sleeps"
    assert calibrated(monkeypatch, "sleep", 0.05) == 50, "a sleep is sized in ms, not timed"
    assert calibrated(monkeypatch, "sleep", 2.0) == 2000
    assert calibrated(monkeypatch, "sleep", 0.0004) == 1
    assert calibrated(monkeypatch, "cpu", 0.0004) == 1, "never below one unit of work"


def test_mixed_calibrates_its_cpu_part_alone_and_the_others_get_their_argument():
    args: dict[str, list] = {"mixed": [], "cpu": []}
    for name, seen in args.items():
        experiment = runner.Experiment(ExperimentSpec(name, (), tasks=1, task_s=0.02), *[None] * 3)
        experiment.workload = dataclasses.replace(
            workloads.WORKLOADS[name],
            task=lambda size, arg, seen=seen: seen.append(arg) or time.sleep(size / 1000),
        )
        experiment._calibrate(lambda size: ("arg for", size), 0.02)
    assert args["mixed"] and set(args["mixed"]) == {0.0}, "no sleep while its cpu part is timed"
    assert args["cpu"] and all(arg[0] == "arg for" for arg in args["cpu"])
    assert [arg[1] for arg in args["cpu"]] == sorted({arg[1] for arg in args["cpu"]})


def timing(wall_s: float, other_s: float | None) -> executors.Timing:
    machine = None if other_s is None else 1.0 + other_s
    return executors.Timing(0.01, wall_s, usage.Usage(1.0, 0.0, machine))


def tally_with(bad: int) -> runner._Tally:
    tally = runner._Tally(lambda index, value: value == 5, total=1, collector=Collector())
    tally.bad = bad
    return tally


def test_a_cells_runs_add_up_other_load_and_bad_checksums_over_repeats():
    batch = executors.Batch("cpu", 10, 1, None)
    crossing = runner._CellRuns(Cell("interpreters", 2))
    for other_s, bad in ((3.0, 1), (2.0, 2)):  # 20 s: enough ticks for up to 200 cores
        crossing.add(timing(10.0, other_s), tally_with(bad), [], None)
    figures = crossing.measured(dataclasses.replace(batch, tasks=2), 617, trace=False)
    assert figures.other_cores == pytest.approx(0.25), "5 s of other CPU over 20 s"
    assert (figures.bad_checksums, figures.bytes_moved) == (3, 1234), "617 bytes x 2 tasks"
    unknown = runner._CellRuns(Cell("threads", 2))
    for other_s in (None, 2.0):
        unknown.add(timing(10.0, other_s), tally_with(0), [], None)
    figures = unknown.measured(batch, 617, trace=False)
    assert figures.other_cores is None, "one run the machine could not measure"
    assert figures.bytes_moved == 0, "threads share memory: nothing crosses"


class Sent(list):
    """An emitter that keeps what the runner sends."""

    def send(self, kind: str, **fields: object) -> None:
        self.append((kind, fields))


def refusing(monkeypatch, workload: str, size: int, sent: Sent | None = None) -> str | None:
    """What the runner says of `size` before running it (None: it runs), when a unit of
    work takes 1 ms."""
    spec = ExperimentSpec(workload, (), tasks=1, task_s=1.0)  # the pace does not change it
    emit = sent if sent is not None else Sent()
    experiment = timed_by(monkeypatch, workload, spec)
    experiment.emit = emit  # type: ignore[assignment]
    try:
        estimate_s = experiment._estimate(size, lambda size: None)
    except runner.Refused as refused:
        return str(refused)
    emit.send("estimated", task_s=estimate_s)
    return None


def test_a_size_is_refused_when_its_estimate_passes_an_hour(monkeypatch):
    assert refusing(monkeypatch, "sleep", 3_600_000) is None, "exactly an hour runs"
    assert refusing(monkeypatch, "sleep", 3_600_001) == (
        "size 3600001 would take about 1.0 hours per task on this machine (over the 1 hour "
        "limit); choose a smaller --size or leave it out to calibrate"
    )
    assert refusing(monkeypatch, "cpu", 3_600_000) is None  # 1 ms units: exactly an hour
    assert refusing(monkeypatch, "cpu", 8_000_000) == (
        "size 8000000 would take about 2.2 hours per task on this machine (over the 1 hour "
        "limit); choose a smaller --size or leave it out to calibrate"
    )


def test_a_given_size_is_estimated_from_calibration_without_running_it(monkeypatch):
    sent = Sent()
    assert refusing(monkeypatch, "sleep", 1500, sent) is None
    assert sent == [("estimated", {"task_s": 1.5})]
    sent.clear()
    assert refusing(monkeypatch, "cpu", 500_000, sent) is None, "500 s, none of it run"
    assert sent == [("estimated", {"task_s": 500.0})]


def test_a_tally_sums_each_workers_tasks_and_cpu_and_keeps_times_relative():
    tally = runner._Tally(lambda index, value: value == 5, total=3, collector=Collector())
    start = tally.started
    for index, (tid, cpu) in enumerate([(11, 0.25), (12, 0.5), (11, 0.125)]):
        tally.add(
            {
                "pid": 7,
                "tid": tid,
                "start": start + index,
                "end": start + index + 0.5,
                "cpu_s": cpu,
                "index": index,
                "value": 5,
            }
        )
    assert tally.per_worker_summary() == [
        {"worker": 0, "pid": 7, "tid": 11, "tasks": 2, "cpu_s": 0.375},
        {"worker": 1, "pid": 7, "tid": 12, "tasks": 1, "cpu_s": 0.5},
    ]
    assert [(r["worker"], r["start"], r["end"]) for r in tally.records] == [
        (0, 0.0, 0.5),
        (1, 1.0, 1.5),
        (0, 2.0, 2.5),
    ]
    progress = tally.progress(Cell("threads", 2), runner.ProbeSample(3.0, 1.0))
    assert (progress.workers_seen, progress.probe_ms, progress.probe_queue_ms) == (2, 3.0, 1.0)


def test_tiny_tasks_go_to_pool_workers_in_chunks_and_each_is_still_counted():
    assert runner.chunk_size(0.2, 8, 2) == 1, "a task longer than a hand-off goes alone"
    assert runner.chunk_size(0.0, 8, 2) == 1, "unknown yet: one at a time"
    assert runner.chunk_size(0.00001, 100_000, 4) == 200, "2 ms of work a chunk"
    assert runner.chunk_size(0.00001, 800, 4) == 50, "never fewer than four chunks a worker"
    spec = ExperimentSpec(
        "cpu", (Cell("threads", 2),), tasks=20_000, size=1, fault=Cell("threads", 777)
    )
    finished = run_experiment(spec)
    serial, failed = finished.results
    assert serial.chunk == 1 and serial.checksum_ok and serial.tasks == 20_000
    assert failed.error and "task 777 raised" in failed.error
    [failure] = finished.failures
    assert failure.task == 777, "a task that raises inside a chunk is named by its own number"
    clean = run_experiment(dataclasses.replace(spec, fault=None)).results[-1]
    assert clean.chunk > 1 and clean.checksum_ok
    assert sum(w["tasks"] for w in clean.per_worker) == 20_000, "every task counted"
