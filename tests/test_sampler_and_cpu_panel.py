"""Sampling stays bounded over a long session; the CPU panel reads right from 1 to 256 cores."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator

import psutil
import pytest

from gilviz.analysis.engine import Event, ExperimentRun
from gilviz.app import sampler as sampler_module
from gilviz.app.sampler import HISTORY, CpuHistory, Sampler, _descendant_pids, descendants
from gilviz.app.widgets.cpu import HEAT_STRIP_FROM, CpuPanel, spark
from gilviz.protocol.events import CellStarted, Hello, Progress
from gilviz.protocol.spec import Cell, ExperimentSpec
from tests.app_fixtures import FakeClock


def test_spark_uses_a_fixed_zero_to_hundred_scale():
    assert spark([50.0, 50.0, 50.0], 3) == "▄▄▄"  # a steady half load is half height, not full
    assert spark([0.0, 100.0], 4) == "   █"
    assert spark([100.0] * 10, 3) == "███"


def test_history_is_a_ring_buffer():
    history = CpuHistory(2, history=5)
    for i in range(100):
        history.add([i, i])
    assert list(history.cores[0]) == [95, 96, 97, 98, 99]


def test_an_hour_of_sampling_keeps_memory_flat():
    sampler = Sampler(per_core=lambda: [37.0] * 64, clock=FakeClock())
    for _ in range(600):  # ten minutes to settle the buffers
        sampler.sample()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(3600):  # one hour at the default one-second refresh
        sampler.sample()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert all(len(core) == HISTORY for core in sampler.history.cores)
    assert grown < 64 * 1024, f"memory grew by {grown} bytes over an hour"


def _follow(run: ExperimentRun, sampler: Sampler) -> Iterator[Event]:
    """Feed the runner's events to the sampler as the app does."""
    for event in run.events():
        if isinstance(event, Hello):
            sampler.attach(event.pid, event.service_tids)
        if isinstance(event, CellStarted):
            sampler.cell_started(event.cell.executor)
        yield event


def test_the_experiment_watch_sees_the_runner_and_its_workers():
    run = ExperimentRun(ExperimentSpec("cpu", (Cell("processes", 2),), tasks=4, size=3_000_000))
    sampler = Sampler(per_core=lambda: [100.0, 100.0])
    for event in _follow(run, sampler):
        if isinstance(event, Progress) and event.cell.executor == "processes":
            snapshot = sampler.sample()
            run.cancel()
    labels = [w.label for w in snapshot.workers]
    assert "runner main" in labels and "gil probe" in labels
    assert sum(label.startswith("process ") for label in labels) >= 2
    assert snapshot.experiment_cores is not None and snapshot.experiment_cores > 0.3


def test_the_experiment_never_reads_above_the_machine():
    run = ExperimentRun(ExperimentSpec("cpu", (Cell("threads", 2),), tasks=4, size=3_000_000))
    sampler = Sampler(per_core=lambda: [20.0, 30.0])  # the machine says half a core
    for event in _follow(run, sampler):
        if isinstance(event, Progress) and event.cell.executor == "threads":
            snapshot = sampler.sample()
            run.cancel()
    assert sum(w.percent for w in snapshot.workers) > 50, "the runner itself was busy"
    assert snapshot.experiment_cores == 0.5


def test_history_keeps_a_point_a_second_however_often_it_samples():
    clock = FakeClock(step=0.25)
    loads = iter(range(1000))
    sampler = Sampler(per_core=lambda: [float(next(loads))], clock=clock)
    for _ in range(8):  # two seconds at 4 Hz
        sampler.sample()
    assert list(sampler.history.cores[0]) == [1.5, 5.5], "the mean of each second's samples"


def test_a_core_coming_online_starts_its_history_at_once():
    """The history follows the cores read, from the first sample: the panel never reads a
    core that has no history, and old samples of fewer cores are not averaged with new ones."""
    loads = [[50.0, 50.0], [10.0, 20.0, 30.0]]
    clock = FakeClock(step=0.0)
    sampler = Sampler(per_core=lambda: loads[0], clock=clock)
    sampler.sample()
    loads.pop(0)
    sampler.sample()
    assert [list(core) for core in sampler.history.cores] == [[], [], []]
    clock.step = 1.0
    sampler.sample()
    assert [list(core) for core in sampler.history.cores] == [[10.0], [20.0], [30.0]]


def test_child_processes_are_looked_for_only_in_processes_cells(monkeypatch):
    scans: list[str] = []
    executor = {"now": ""}

    def counted(process: psutil.Process) -> list[psutil.Process]:
        scans.append(executor["now"])
        return descendants(process)

    monkeypatch.setattr(sampler_module, "descendants", counted)
    cells = (Cell("threads", 2), Cell("processes", 2))
    run = ExperimentRun(ExperimentSpec("sleep", cells, tasks=4, size=50))
    sampler = Sampler(per_core=lambda: [0.0])
    for event in _follow(run, sampler):
        if isinstance(event, CellStarted):
            executor["now"] = event.cell.executor
        if isinstance(event, Progress):
            sampler.sample()
    assert "processes" in scans
    assert set(scans) == {"processes"}, "looking for child processes is for pool processes only"


def test_descendants_finds_children_and_grandchildren():
    grandchild = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'input()'])"
    child = subprocess.Popen([sys.executable, "-c", grandchild], stdin=subprocess.PIPE)
    try:
        me = psutil.Process()
        while len(me.children(recursive=True)) < 2:  # the grandchild is starting
            psutil.wait_procs([], timeout=0.01)
        found = {p.pid for p in descendants(me)}
        assert found == {p.pid for p in me.children(recursive=True)}
        assert child.pid in found and len(found) == 2
        if os.path.exists(f"/proc/{me.pid}/task/{me.pid}/children"):  # Linux: the cheap way
            assert set(_descendant_pids(me.pid)) == found
    finally:
        child.communicate(b"\n", timeout=10)  # the grandchild inherits stdin: both leave


@pytest.mark.parametrize("cores", [1, 2, 16, HEAT_STRIP_FROM, 64, 256])
def test_panel_stays_within_its_width_and_a_sane_height(cores):
    from gilviz.app.sampler import Snapshot, WorkerLoad

    panel = CpuPanel()
    history = CpuHistory(cores)
    loads = [float((i * 37) % 101) for i in range(cores)]
    history.add(loads)
    panel.snapshot = Snapshot(loads, 1.0, [WorkerLoad(f"thread {i}", 50.0) for i in range(9)])
    panel.history = history
    lines = panel._lines(70)
    assert all(line.cell_len <= 70 for line in lines)
    assert len(lines) <= 8 + 2 + max(cores if cores < HEAT_STRIP_FROM else 0, cores // 62 + 1)
    assert any("of" in line.plain and "cores busy" in line.plain for line in lines)
    assert any("+3 more" in line.plain for line in lines)


@pytest.mark.parametrize(
    "experiment_cores, aside", [(None, "; no experiment running"), (1.0, " (machine 1.0)")]
)
def test_the_load_line_drops_its_aside_rather_than_wrap(experiment_cores, aside):
    from gilviz.app.sampler import Snapshot

    panel = CpuPanel()
    panel.snapshot = Snapshot([50.0, 50.0], experiment_cores)
    wide, narrow, tiny = (panel._summary([50.0, 50.0], width).plain for width in (70, 34, 12))
    assert wide.endswith("1.0 of 2 cores busy" + aside)
    assert wide.startswith(narrow) and "1.0 of 2 cores busy" in narrow and len(narrow) <= 34
    assert tiny.startswith("1.0/2 cores"), "the figure itself survives the smallest window"


def test_a_thread_started_between_samples_shows_its_cpu_at_once():
    """No 0% first reading for a new pool's workers: all their CPU time is since the last look."""
    import os
    import threading

    from gilviz.measure.workloads import cpu_task

    sampler = Sampler(per_core=lambda: [0.0], clock=FakeClock())
    sampler.attach(os.getpid(), [])
    burnt, leave = threading.Event(), threading.Event()

    def worker() -> None:
        cpu_task(1_000_000)  # ~0.1 s here: several 10 ms ticks of thread CPU time
        burnt.set()
        leave.wait()

    thread = threading.Thread(target=worker)
    thread.start()
    burnt.wait()
    loads = {w.label: w.percent for w in sampler.sample().workers}
    leave.set()
    thread.join()
    assert loads[f"thread {thread.native_id}"] > 0


def test_a_busy_worker_never_reads_above_one_core():
    """One thread uses at most one core, whatever the kernel's accounting rounds to."""
    spec = ExperimentSpec("cpu", (Cell("processes", 1),), tasks=2, size=10_000_000)  # ~1 s a task
    run = ExperimentRun(spec)
    sampler = Sampler(per_core=lambda: [100.0, 100.0], clock=time.monotonic)
    readings: list[float] = []
    for event in _follow(run, sampler):
        if isinstance(event, Progress) and event.cell.executor == "processes":
            for _ in range(12):
                time.sleep(0.1)  # a real window between samples: ticks would round by 10%
                readings += [w.percent for w in sampler.sample().workers if "process" in w.label]
            run.cancel()
    assert readings and max(readings) <= 102.0, readings


def test_the_load_is_read_against_the_cores_granted_not_every_core_on_the_host():
    from gilviz.app.sampler import Snapshot

    panel = CpuPanel(granted=4)
    loads = [100.0] * 4 + [0.0] * 60
    panel.snapshot = Snapshot(loads, 3.9)
    assert "3.9 of 4 usable cores busy" in panel._summary(loads, 70).plain
    panel.granted = 64
    assert "3.9 of 64 cores busy" in panel._summary(loads, 70).plain


def test_the_probe_line_splits_the_gil_from_the_run_queue_when_the_kernel_says():
    from gilviz.app.widgets.cpu import ProbeReading

    assert ProbeReading(5.2, 0.3).words() == "probe 5.2 ms late: GIL 4.9, run queue 0.3"
    assert "GIL or run queue" in ProbeReading(5.2).words()
