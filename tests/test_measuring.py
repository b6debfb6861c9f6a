"""The measuring parts, each made to fail when what it measures is broken: checksums checked
against values worked out without the task code, task and process CPU, the probe's split,
start-up kept out of the wall time, and the machine's other load."""

from __future__ import annotations

import dataclasses
import os
import re
import statistics
import subprocess
import sys
import threading
import time

import pytest

from gilviz import executors, reference, runner, usage, workloads
from gilviz.engine import CellDone, CellStarted, TimelineUpdate, run_experiment
from gilviz.spec import Cell, ExperimentSpec
from gilviz.timeline import Collector

PINNED = [  # (workload, size, checksum), worked out once and written down
    ("cpu", 1, 0),
    ("cpu", 10, 698090275),
    ("cpu", 100_000, 282060600),
    ("mixed", 10, 698090275),
    ("sleep", 7, 7),
]
pytestmark = pytest.mark.usefixtures("no_leftovers")


@pytest.mark.parametrize(("workload", "size", "checksum"), PINNED)
def test_tasks_and_references_both_match_pinned_values(workload, size, checksum):
    assert reference.expected_checksum(workload, size) == checksum
    task = workloads.WORKLOADS[workload].task
    assert workloads.checksum_of(task(size, 0.0)) == checksum


@pytest.mark.parametrize("size", [0, 2, 3, 8191, 8192, 8193, 50_000])
def test_the_cpu_closed_form_agrees_with_the_loop(size):
    assert reference.cpu_checksum(size) == workloads.cpu_task(size)


@pytest.mark.parametrize("size", [1, 3, 65])
def test_hash_and_disk_references_agree_with_their_tasks(size):
    assert reference.hash_checksum(size) == workloads.hash_task(size)
    assert reference.disk_checksum(size) == workloads.disk_task(size)


def test_net_reference_agrees_with_a_real_round_trip():
    with workloads.EchoServer() as server:
        assert reference.net_checksum(5) == workloads.net_task(5, server.server_address[:2])


def test_the_payload_reference_is_pinned_and_rot13_by_another_route():
    rotated = bytes((b + 13) % 256 for b in reference.PAYLOAD[:256]) * (
        len(reference.PAYLOAD) // 256
    )
    assert reference.expected_checksum("payload", 1, reference.PAYLOAD) == workloads.checksum_of(
        rotated
    )
    assert workloads.checksum_of(workloads.payload_task(1, reference.PAYLOAD)) == (
        reference.PAYLOAD_RESULT_CRC
    )


def test_a_wrong_task_value_is_counted_bad():
    tally = runner._Tally(expected=5, total=2, collector=Collector())
    record = {"pid": 1, "tid": 1, "start": 0.0, "end": 1.0, "cpu_s": 0.5, "index": 0}
    tally.add({**record, "value": 5})
    tally.add({**record, "index": 1, "value": 6})
    assert (tally.done, tally.bad) == (2, 1)
    assert tally.cpu_s == 1.0 and tally.records[1]["ok"] is False


def test_a_changed_workload_formula_makes_the_run_invalid(monkeypatch):
    """The runner checks against the reference, not against the task run once: a task that
    computes something else is caught even though it agrees with itself."""
    monkeypatch.setattr(reference, "cpu_checksum", lambda size: 12345)
    batch = executors.Batch("cpu", 1000, 2, None)
    tally = runner._Tally(reference.expected_checksum("cpu", 1000), 2, Collector())
    executors.run("serial", batch, 1, tally.add)
    assert tally.bad == 2


def test_a_failed_task_cancels_the_tasks_still_queued(monkeypatch):
    """A failure ends the cell: queued tasks are cancelled, not run to the end first."""
    started = []

    def counting(*args, **kwargs):
        started.append(args[2])
        return workloads.run_task(*args, **kwargs)

    monkeypatch.setattr(executors, "run_task", counting)
    batch = executors.Batch("sleep", 20, 40, None, fail_index=0)
    with pytest.raises(executors.TaskFailed):
        executors.run("threads", batch, 1, lambda record: None)
    assert 0 in started and len(started) < 10, "one worker: the rest were still queued"


def test_a_cpu_bound_cell_reports_its_cpu_time_and_cores_busy():
    finished = run_experiment(
        ExperimentSpec("cpu", (Cell("processes", 2),), tasks=2, size=3_000_000)
    )
    serial, processes = finished.results
    for result in (serial, processes):
        assert result.cpu_s > 0.5 * result.wall_s, "a cpu task uses CPU while it runs"
        assert result.process_cpu_s is not None
        assert result.process_cpu_s >= result.cpu_s - 0.03, "clock ticks of 10 ms, 3 processes"
    assert serial.parallelism > 0.5
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


def test_the_probe_waits_for_the_gil_while_a_thread_holds_it():
    probe = runner.GilProbe()
    probe.start()
    time.sleep(0.05)
    probe.take()
    stop = time.monotonic() + 0.5
    while time.monotonic() < stop:  # pure Python: holds the GIL but for the switch interval
        pass
    figures = runner.probe_figures(probe.take())
    assert figures["probe_p99_ms"] > 1.0
    if figures["probe_gil_p99_ms"] is not None:
        assert figures["probe_gil_p99_ms"] > 1.0


def test_probe_figures_split_lateness_into_gil_and_run_queue():
    samples = [runner.ProbeSample(6.0, 1.0)] * 99 + [runner.ProbeSample(20.0, 15.0)]
    figures = runner.probe_figures(samples)
    assert figures["probe_p99_ms"] == 20.0
    assert figures["probe_queue_p99_ms"] == 15.0 and figures["probe_gil_p99_ms"] == 5.0
    unknown = runner.probe_figures([runner.ProbeSample(6.0, None)])
    assert unknown["probe_gil_p99_ms"] is None and unknown["probe_p99_ms"] == 6.0


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


def test_live_updates_come_while_a_cell_runs_and_before_it_is_done():
    events = []
    run_experiment(
        ExperimentSpec("cpu", (Cell("processes", 2),), tasks=4, task_s=0.15, live=True),
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
    assert len(updates) >= 2, "several updates during a 0.3 s cell"
    lanes = {index for update in updates for index, _, _ in update.lanes}
    assert lanes == {0, 1}
    flat = [v for update in updates for _, _, data in update.lanes for v in data]
    assert all(0 <= flat[i + 1] <= flat[i + 2] for i in range(0, len(flat), 3))
    assert max(u.now_us for u in updates) >= max(flat[2::3]) - 1000


def test_live_times_are_microseconds_from_the_cell_start_and_states_are_kept():
    assert runner._relative_us([2, 5_000, 9_000, 1, 9_000, 12_345], 1_000) == [2, 4, 8, 1, 8, 11]


async def test_a_metered_coroutine_counts_all_its_own_steps_and_gets_what_it_awaited():
    import asyncio

    async def burn_twice() -> int:
        workloads.cpu_task(200_000)
        value = await asyncio.get_running_loop().run_in_executor(None, lambda: 42)
        workloads.cpu_task(200_000)
        return value

    start = time.thread_time()
    workloads.cpu_task(200_000)
    one_burn = time.thread_time() - start
    metered = workloads._Metered(burn_twice())
    assert await metered == 42
    assert metered.cpu_s >= 1.5 * one_burn


class Trickle:
    """A socket that hands out its bytes three at a time, then nothing."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.asked: list[int] = []

    def recv(self, n: int) -> bytes:
        self.asked.append(n)
        chunk, self.data = self.data[: min(n, 3)], self.data[min(n, 3) :]
        return chunk


def test_receiving_exactly_asks_for_what_is_missing_until_it_has_it_all():
    conn = Trickle(b"12345678rest")
    assert workloads._recv_exactly(conn, 8) == b"12345678"  # type: ignore[arg-type]
    assert conn.asked == [8, 5, 2]
    with pytest.raises(ConnectionError, match=r"^echo server closed the connection$"):
        workloads._recv_exactly(Trickle(b"12"), 8)  # type: ignore[arg-type]


def test_the_echo_server_serves_from_a_named_daemon_thread_and_stops():
    with workloads.EchoServer() as server:
        serving = [t for t in threading.enumerate() if t.name == "gilviz-echo"]
        assert len(serving) == 1 and serving[0].daemon
        assert reference.net_checksum(3) == workloads.net_task(3, server.server_address[:2])
    serving[0].join(timeout=5)
    assert not serving[0].is_alive()


def test_gil_wait_share_is_the_workers_mean():
    from gilviz.results import gil_wait_share
    from tests.conftest import make_result

    shares = {"run": 0.5, "c": 0.0, "io": 0.0, "gil": 0.25, "core": 0.0, "idle": 0.25}
    other = {**shares, "gil": 0.75, "idle": 0.0, "run": 0.25}
    timeline = {"workers": [{"shares": shares}, {"shares": other}]}
    assert gil_wait_share(make_result(timeline=timeline)) == 0.5
    assert gil_wait_share(make_result()) is None
    thirds = {"workers": [{"shares": {**shares, "gil": 1 / 3}}]}
    assert gil_wait_share(make_result(timeline=thirds)) == 0.3333, "rounded to four places"


def test_every_executor_times_its_start_up_and_work_within_the_run():
    cells = tuple(Cell(e, 2) for e in ("threads", "processes", "asyncio"))
    started = time.monotonic()
    finished = run_experiment(ExperimentSpec("sleep", cells, tasks=2, size=20))
    elapsed = time.monotonic() - started
    for result in finished.results:
        assert 0.0 <= result.startup_s < elapsed, result.executor
        assert 0.02 <= result.wall_s < elapsed, result.executor
        assert sorted(r["index"] for r in result.records) == [0, 1], result.executor


def test_a_fault_drill_fails_the_asyncio_cell_at_its_task():
    spec = ExperimentSpec("sleep", (Cell("asyncio", 2),), tasks=3, size=1, fault=Cell("asyncio", 1))
    finished = run_experiment(spec)
    assert [(f.cell.executor, f.task) for f in finished.failures] == [("asyncio", 1)]
    assert finished.failures[0].reason == "task 1 raised InjectedFault: injected fault in task 1"


def test_tasks_an_event_loop_runs_inline_keep_their_index():
    finished = run_experiment(ExperimentSpec("hash", (Cell("asyncio", 2),), tasks=3, size=1))
    assert sorted(r["index"] for r in finished.results[-1].records) == [0, 1, 2]


def test_failure_reasons_name_the_exception():
    from concurrent.futures.process import BrokenProcessPool

    broken = runner._failure_reason(BrokenProcessPool("gone"))
    assert broken == "a worker died, so the pool broke (BrokenProcessPool: gone)"
    assert runner._failure_reason(ValueError()) == "ValueError"
    assert runner._failure_reason(ValueError("bad size")) == "bad size"


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


def test_a_metered_coroutine_passes_what_it_is_sent_to_what_it_awaits():
    """Driven by hand, as any event loop could: the value sent in reaches the awaiting code."""

    class Handshake:
        def __await__(self):
            return (yield "waiting")

    async def ask() -> object:
        return await Handshake()

    driving = workloads._Metered(ask()).__await__()
    assert driving.send(None) == "waiting"
    with pytest.raises(StopIteration) as finished:
        driving.send("answer")
    assert finished.value.value == "answer"


def test_live_lanes_of_threads_carry_the_runner_process_not_a_thread_id():
    events = []
    spec = ExperimentSpec("cpu", (Cell("threads", 2),), tasks=2, task_s=0.3, live=True)
    run_experiment(spec, on_event=events.append)
    runner_pid = next(e.pid for e in events if type(e).__name__ == "Hello")
    lanes = [lane for e in events if isinstance(e, TimelineUpdate) for lane in e.lanes]
    assert lanes and {pid for _, pid, _ in lanes} == {runner_pid}


def calibrated(workload: str, task_s: float | None) -> int:
    """The size calibration picks for `workload` when a unit of work sleeps 1 ms (steady
    even on a busy machine, unlike a loop)."""
    spec = ExperimentSpec(workload, (), tasks=1, task_s=task_s)
    experiment = runner.Experiment(spec, None, None, None)  # type: ignore[arg-type]
    experiment.workload = dataclasses.replace(
        workloads.WORKLOADS[workload], task=lambda size, arg: time.sleep(size / 1000)
    )
    return experiment._calibrate(lambda size: None)


def test_calibration_aims_a_task_at_the_pace_it_is_given():
    assert calibrated("cpu", 0.3) == pytest.approx(300, rel=0.15)
    assert calibrated("cpu", None) == pytest.approx(200, rel=0.15), "the quick pace: 0.2 s"
    assert calibrated("mixed", 0.3) == pytest.approx(150, rel=0.15), "half of it sleeps"
    assert calibrated("sleep", 0.05) == 50, "a sleep is sized in milliseconds, not timed"
    assert calibrated("sleep", 2.0) == 2000 and calibrated("sleep", 0.0004) == 1
    assert calibrated("cpu", 0.0004) == 1, "never below one unit of work"


def test_mixed_calibrates_its_cpu_part_alone_and_the_others_get_their_argument():
    args: dict[str, list] = {"mixed": [], "cpu": []}
    for name, seen in args.items():
        experiment = runner.Experiment(ExperimentSpec(name, (), tasks=1, task_s=0.02), *[None] * 3)
        experiment.workload = dataclasses.replace(
            workloads.WORKLOADS[name],
            task=lambda size, arg, seen=seen: seen.append(arg) or time.sleep(size / 1000),
        )
        experiment._calibrate(lambda size: ("arg for", size))
    assert args["mixed"] and set(args["mixed"]) == {0.0}, "no sleep while its cpu part is timed"
    assert args["cpu"] and all(arg[0] == "arg for" for arg in args["cpu"])
    assert [arg[1] for arg in args["cpu"]] == sorted({arg[1] for arg in args["cpu"]})


def test_mixed_sleeps_as_long_as_its_cpu_part_took():
    experiment = runner.Experiment(ExperimentSpec("mixed", (), tasks=1), *[None] * 3)
    assert 0.0 < experiment._mixed_sleep_s(1000) < 1.0


def test_a_front_end_whose_cpu_cannot_be_read_counts_as_none(monkeypatch):
    monkeypatch.setattr(usage, "process_cpu_s", lambda pid: None)
    assert usage.Reading.now().front_s == 0.0


def test_a_probe_with_no_sample_yet_reads_on_time():
    assert runner.GilProbe().latest() == runner.ProbeSample(0.0, None)


def timing(wall_s: float, other_s: float | None) -> executors.Timing:
    machine = None if other_s is None else 1.0 + other_s
    return executors.Timing(0.01, wall_s, usage.Usage(1.0, 0.0, machine))


def tally_with(bad: int) -> runner._Tally:
    tally = runner._Tally(expected=5, total=1, collector=Collector())
    tally.bad = bad
    return tally


def test_a_cells_runs_add_up_other_load_and_bad_checksums_over_repeats():
    batch = executors.Batch("cpu", 10, 1, None)
    crossing = runner._CellRuns(Cell("interpreters", 2), bytes_moved=1234)
    for other_s, bad in ((3.0, 1), (2.0, 2)):  # 20 s: enough ticks for up to 200 cores
        crossing.add(timing(10.0, other_s), tally_with(bad), [], None)
    figures = crossing.figures(batch)
    assert figures["other_cores"] == pytest.approx(0.25), "5 s of other CPU over 20 s"
    assert (figures["bad_checksums"], figures["bytes_moved"]) == (3, 1234)
    unknown = runner._CellRuns(Cell("threads", 2), bytes_moved=1234)
    for other_s in (None, 2.0):
        unknown.add(timing(10.0, other_s), tally_with(0), [], None)
    figures = unknown.figures(batch)
    assert figures["other_cores"] is None, "one run the machine could not measure"
    assert figures["bytes_moved"] == 0, "threads share memory: nothing crosses"


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
    from gilviz.usage import process_cpu_s

    ask = "from gilviz.usage import Reading; print(Reading.now().front_s)"
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


def test_references_refuse_what_they_cannot_check():
    with pytest.raises(
        ValueError, match=r"^payload tasks are checked against the standard 4 MiB payload$"
    ):
        reference.expected_checksum("payload", 1, b"other")
    with pytest.raises(ValueError, match=r"^no reference for workload 'nope'$"):
        reference.expected_checksum("nope", 1)


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


def test_a_recorded_task_hands_its_timeline_over_with_its_record():
    from gilviz import timeline

    record = workloads.run_task("cpu", 20_000, 0, None, False, record=True)
    timeline.detach()
    assert record["timeline"] and record["cpu_s"] >= 0 and record["index"] == 0


def refusing(workload: str, size: int) -> str | None:
    """What the runner says of `size` before running it (None: it runs), when a unit of
    work sleeps 1 ms."""
    spec = ExperimentSpec(workload, (), tasks=1, task_s=1.0)  # the pace does not change it
    experiment = runner.Experiment(spec, None, None, None)  # type: ignore[arg-type]
    experiment.workload = dataclasses.replace(
        workloads.WORKLOADS[workload], task=lambda size, arg: time.sleep(size / 1000)
    )
    try:
        experiment._refuse_hour_long_tasks(size, lambda size: None)
    except runner.Refused as refused:
        return str(refused)
    return None


def test_a_size_is_refused_when_its_estimate_passes_an_hour():
    assert refusing("sleep", 3_600_000) is None, "exactly an hour runs"
    assert refusing("sleep", 3_600_001) == (
        "size 3600001 would take about 1.0 hours per task on this machine (over the 1 hour "
        "limit); choose a smaller --size or leave it out to calibrate"
    )
    assert refusing("cpu", 2_000_000) is None  # about 2000 s of 1 ms units
    hours = re.search(r"about ([\d.]+) hours per task", refusing("cpu", 8_000_000) or "")
    assert hours and 1.8 <= float(hours.group(1)) <= 2.7, "about 8000 s"


def test_a_serial_task_that_raises_is_reported_with_its_index():
    batch = executors.Batch("sleep", 1, 4, None, fail_index=2)
    with pytest.raises(executors.TaskFailed) as failed:
        executors.run("serial", batch, 1, lambda record: None)
    assert failed.value.index == 2 and "injected fault in task 2" in str(failed.value)


def test_an_unknown_executor_is_named_in_the_error():
    with pytest.raises(ValueError, match="unknown executor 'fibers'"):
        executors.run("fibers", executors.Batch("sleep", 1, 1, None), 1, lambda record: None)


def test_one_process_worker_is_one_process():
    pids: set[int] = set()
    batch = executors.Batch("sleep", 20, 4, None)
    executors.run("processes", batch, 1, lambda record: pids.add(record["pid"]))
    assert len(pids) == 1 and os.getpid() not in pids


def probe_samples(seconds: float, burners: int = 0) -> list[runner.ProbeSample]:
    """What the probe records over `seconds`, alone on one core with `burners` processes
    spinning on that core too (each then waits on the run queue for its turn)."""
    probe = runner.GilProbe()
    probe.start()
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(probe.native_id, {core})
    spin = f"import os, time\nos.sched_setaffinity(0, {{{core}}})\nend = time.time() + {seconds}\n"
    spin += "while time.time() < end: pass"
    spinning = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(burners)]
    try:
        time.sleep(seconds)
        return probe.take()
    finally:
        probe.stopped.set()
        for process in spinning:
            process.wait()
        probe.join()


@pytest.mark.skipif(not os.path.exists("/proc/self/schedstat"), reason="Linux's schedstat")
def test_the_probe_reads_its_lateness_and_run_queue_wait_from_the_clocks():
    quiet = probe_samples(0.3)
    assert len(quiet) >= 20, "a sample every 5 ms"
    assert statistics.median(s.late_ms for s in quiet) < 5.0, "a 5 ms sleep, seldom late by one"
    assert all(s.queue_ms is not None and s.queue_ms >= 0.0 for s in quiet)
    # The queue clock also counts waits before each sleep, so compare the totals.
    assert sum(s.queue_ms or 0.0 for s in quiet) <= sum(s.late_ms for s in quiet) + len(quiet)
    crowded = probe_samples(0.5, burners=2)
    queued = sum(s.queue_ms or 0.0 for s in crowded)
    assert queued > 5.0, "two spinners on its core: it waited its turn"
    assert queued <= sum(s.late_ms for s in crowded) + len(crowded), "a part of the lateness"


def test_a_tally_sums_each_workers_tasks_and_cpu_and_keeps_times_relative():
    tally = runner._Tally(expected=5, total=3, collector=Collector())
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
    assert (progress["workers_seen"], progress["probe_ms"], progress["probe_queue_ms"]) == (
        2,
        3.0,
        1.0,
    )
