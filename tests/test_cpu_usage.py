"""CPU accounting: task and process CPU, /proc readers, readings, usage, other cores' load."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from gilviz.analysis.engine import run_experiment
from gilviz.measure import reference, usage, workloads
from gilviz.protocol.spec import Cell, ExperimentSpec

pytestmark = pytest.mark.usefixtures("no_leftovers")


def test_a_cpu_bound_cell_reports_its_cpu_time_and_cores_busy():
    finished = run_experiment(
        ExperimentSpec("cpu", (Cell("processes", 2),), tasks=2, size=3_000_000)
    )
    serial, processes = finished.results
    # The same work takes at least the CPU it took alone, in a worker process too (more when
    # both cores run at once: they may share caches, or be one physical core's two threads),
    # and never more than two workers' wall time allows.
    assert serial.cpu_s > 0.1 and serial.cpu_s * 0.8 <= processes.cpu_s
    assert processes.cpu_s <= 2 * processes.wall_s + 0.03, "clock ticks of 10 ms"
    for result in (serial, processes):
        assert result.process_cpu_s is not None
        assert result.process_cpu_s >= result.cpu_s - 0.03, "clock ticks of 10 ms, 3 processes"
        assert result.parallelism == pytest.approx(result.cpu_s / result.wall_s)
    long_enough = usage.TICKS_FOR_A_FIGURE * (os.cpu_count() or 1) * usage._TICK_S
    assert (serial.other_cores is not None) == (sum(serial.walls) >= long_enough)


def test_process_cpu_includes_pickling_the_payload_in_runner_and_workers():
    """Pickling 4 MiB each way is CPU the tasks never see; the processes' own CPU does."""
    spec = ExperimentSpec("payload", (Cell("processes", 2), Cell("threads", 2)), tasks=8, size=1)
    _, processes, threads = run_experiment(spec).results
    assert processes.bytes_moved >= 8 * 2 * len(reference.PAYLOAD)
    assert threads.bytes_moved == 0
    assert processes.process_cpu_s is not None and processes.process_cpu_s > processes.cpu_s


def test_usage_between_readings_adds_the_workers_and_leaves_out_the_front_end():
    start = usage.Reading(own_s=1.0, workers_s=2.0, front_s=5.0, machine_s=10.0)
    end = usage.Reading(own_s=1.5, workers_s=3.0, front_s=5.25, machine_s=13.0)
    used = usage.Usage.between(start, end)
    assert used.process_cpu_s == pytest.approx(1.5)
    assert used.other_cpu_s == pytest.approx(3.0 - 1.5 - 0.25)
    assert usage.Usage(1.0, 0.0, None).other_cpu_s is None


def test_other_cores_need_runs_long_enough_for_the_tick_counts():
    assert usage.other_cores(1.25, 1.0, cpus=2) == pytest.approx(1.25)
    assert usage.other_cores(-0.01, 1.0, cpus=2) == 0.0
    assert usage.other_cores(0.5, 0.05, cpus=2) is None, "5 ticks: too short to say"
    assert usage.other_cores(5.0, 1.0, cpus=64) is None
    assert usage.other_cores(None, 10.0) is None


def test_proc_readers_parse_the_kernel_formats(tmp_path):
    (tmp_path / "42").mkdir()
    name_with_spaces = "(a (b) c)"
    fields = ["S"] + ["0"] * 10 + ["150", "50"] + ["0"] * 30
    (tmp_path / "42" / "stat").write_text(f"42 {name_with_spaces} " + " ".join(fields))
    assert usage.process_cpu_s(42, tmp_path) == pytest.approx(200 * usage._TICK_S)
    (tmp_path / "stat").write_text("cpu  100 10 20 9999 5 1 2 3 0 0\ncpu0 1 2 3\n")
    assert usage.machine_busy_s(tmp_path) == pytest.approx(136 * usage._TICK_S)
    assert usage.process_cpu_s(7, tmp_path) is None


def test_the_machine_reading_sees_a_burning_thread():
    before = usage.machine_busy_s()
    if before is None:
        pytest.skip("no /proc/stat here")
    spent = time.thread_time()
    while time.thread_time() - spent < 0.3:
        pass
    after = usage.machine_busy_s()
    assert after is not None and after - before >= 0.2


def test_a_front_end_whose_cpu_cannot_be_read_counts_as_none(monkeypatch):
    monkeypatch.setattr(usage, "process_cpu_s", lambda pid: None)
    assert usage.Reading.now().front_s == 0.0


def test_own_cpu_is_user_plus_system_time():
    system_before = os.times().system
    while os.times().system - system_before < 0.1:  # time in the kernel: reading /proc
        (usage.PROC / "self" / "stat").read_bytes()
    assert usage.own_cpu_s() == pytest.approx(time.process_time(), abs=0.05)


def _burn_then_wait(burnt, leave) -> None:
    workloads.cpu_task(3_000_000)
    burnt.set()
    leave.wait(30)


def test_readings_count_worker_processes_only_when_asked():
    import multiprocessing

    context = multiprocessing.get_context("fork")
    burnt, leave = context.Event(), context.Event()
    worker = context.Process(target=_burn_then_wait, args=(burnt, leave))
    worker.start()
    try:
        assert burnt.wait(30)
        with_workers, without = usage.Reading.now(True), usage.Reading.now()
    finally:
        leave.set()
        worker.join(10)
    assert with_workers.workers_s > 0.05
    assert without.workers_s == 0.0


def test_a_reading_counts_the_front_end_that_started_this_process():
    """The runner's parent is the app or CLI: its CPU is gilviz's, not another program's."""
    from gilviz.measure.usage import process_cpu_s

    ask = "from gilviz.measure.usage import Reading; print(Reading.now().front_s)"
    mine_before = process_cpu_s(os.getpid()) or 0.0
    front = float(
        subprocess.run([sys.executable, "-c", ask], capture_output=True, text=True).stdout
    )
    mine_after = process_cpu_s(os.getpid()) or 0.0
    assert mine_before - 0.02 <= front <= mine_after + 0.02 and front > 0


def test_other_cores_divide_by_the_wall_time_and_need_ten_ticks_a_core(monkeypatch):
    long_enough = usage.TICKS_FOR_A_FIGURE * 2 * usage._TICK_S
    assert usage.other_cores(1.25, 2.0, cpus=2) == pytest.approx(0.625)
    assert usage.other_cores(0.5, long_enough, cpus=2) is not None, "exactly ten ticks a core"
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert usage.other_cores(0.5, 0.3) is None, "four cores need 0.4 s"
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert usage.other_cores(0.5, 0.15) == pytest.approx(0.5 / 0.15), "unknown: one core"


def test_the_machine_reading_needs_the_cpu_line(tmp_path):
    (tmp_path / "stat").write_text("intr 1 2 3 4 5 6 7 8 9\n")
    assert usage.machine_busy_s(tmp_path) is None
    (tmp_path / "stat").write_text("")
    assert usage.machine_busy_s(tmp_path) is None


def test_usage_adds_only_what_the_workers_used_and_needs_both_machine_readings():
    start = usage.Reading(own_s=1.0, workers_s=2.0, front_s=0.0, machine_s=None)
    end = usage.Reading(own_s=1.5, workers_s=2.25, front_s=0.0, machine_s=13.0)
    used = usage.Usage.between(start, end)
    assert used.process_cpu_s == pytest.approx(0.75) and used.machine_cpu_s is None
    gone = usage.Reading(own_s=1.5, workers_s=0.0, front_s=0.0, machine_s=13.0)  # a worker left
    assert usage.Usage.between(start, gone).process_cpu_s == pytest.approx(0.5)
