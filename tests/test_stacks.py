"""The stack sampler: what it calls each thread's time, for code that stamps nothing."""

from __future__ import annotations

import concurrent.futures as cf
import inspect
import json
import os
import threading
import time
import zlib
from collections.abc import Callable

import pytest

from gilviz.analysis.engine import run_experiment
from gilviz.analysis.results import Result
from gilviz.measure import stacks, timeline
from gilviz.measure.stacks import GilWords, Sampled, StackSampler, label
from gilviz.protocol.spec import Cell, ExperimentSpec
from tests.conftest import ROOT
from tests.fixtures import usertasks

pytestmark = pytest.mark.skipif(not stacks.supported(), reason="samples Linux's /proc")
MAIN_TID = threading.get_native_id()
FUTEX = next(iter(stacks.FUTEX_CALLS), "202")


def test_a_label_follows_where_the_thread_stands_and_what_it_sleeps_in():
    gil = GilWords()
    gil.learn(f"{FUTEX} 0x7f0000001000 0x89 0x0")
    assert gil.holds(0x7F0000001000 + 64), "the GIL's mutex and condition lie together"
    assert not gil.holds(0x5600000000)
    assert label(True, True, "", gil) == ("c", None), "on a CPU inside C: the GIL let go"
    assert label(True, False, "", gil) == ("run", None), "its sleep: unknown, as it runs"
    assert label(False, False, f"{FUTEX} 0x5600000000", gil) == ("run", "gil"), "between bytecodes"
    assert label(False, True, f"{FUTEX} 0x7f0000001040 0x0", gil) == (None, "gil")
    assert label(False, True, f"{FUTEX} 0x5600000000 0x0", gil) == (None, "lock")
    assert label(False, True, "230 0x1 0x0", gil) == (None, "io"), "clock_nanosleep"
    assert label(False, True, "running", gil) == (None, None), "on its way into a wait"
    assert label(False, False, "running", gil) == ("run", "gil"), "to or from the GIL"
    unknown = GilWords()
    assert label(False, True, f"{FUTEX} 0x5600000000 0x0", unknown) == (None, None), (
        "a futex, before the GIL's is known, is no lock"
    )


def spin(stop: threading.Event) -> None:
    while not stop.is_set():
        pass


def squeeze(stop: threading.Event) -> None:
    block = os.urandom(1 << 16) * 64  # 4 MB: each call is milliseconds in C without the GIL
    while not stop.is_set():
        zlib.compress(block, 6)


def keep(stop: threading.Event) -> None:
    numbers = list(range(300_000, 0, -1))
    while not stop.is_set():
        sorted(numbers)  # C that keeps the GIL: milliseconds a call


def doze(stop: threading.Event) -> None:
    while not stop.is_set():
        time.sleep(0.002)


def queue_for(lock: threading.Lock) -> Callable[[threading.Event], None]:
    def wait(stop: threading.Event) -> None:
        with lock:
            pass

    return wait


def sampled(
    *targets: Callable[[threading.Event], None], seconds: float = 0.5, lines: bool = False
) -> Sampled:
    """What a sampler makes of threads running `targets` for `seconds`; with `lines`, this
    folder is the user's (this test's own thread, waiting, then has a line too)."""
    stop = threading.Event()
    user_path = os.path.dirname(__file__) if lines else None
    sampler = StackSampler((target.__code__ for target in targets), user_path)
    sampler.start()
    threads = [threading.Thread(target=target, args=(stop,)) for target in targets]
    for thread in threads:
        thread.start()
    sampler.resume()
    stop.wait(seconds)
    taken = sampler.take(pause=True)
    stop.set()
    sampler.stop()
    return taken


def off_the_queue(taken: Sampled) -> dict[str, float]:
    """Shares of the time not spent waiting for a core (a busy machine's, not the code's)."""
    states = {s: taken.states[s] for s in stacks.STATES if s != "core"}
    total = sum(states.values())
    return {s: ns / total for s, ns in states.items()}


def test_python_alone_runs_with_the_gil():
    shares = off_the_queue(sampled(spin))
    assert shares["run"] > 0.8, shares


def test_two_python_threads_take_turns_on_the_gil():
    taken = sampled(spin, spin)
    shares = off_the_queue(taken)
    # Quiet, about half and half. On a busy machine a waiter whose GIL wait timed out may
    # wait for a core (left out here) while the holder runs on: the split then leans to
    # running, 0.65/0.35 in 3 of 80 runs with a core kept busy (the code of 2026-12-04 too).
    assert shares["run"] == pytest.approx(0.5, abs=0.2), shares
    assert shares["gil"] == pytest.approx(0.5, abs=0.2), shares
    assert taken.samples >= 6, "the sampler gets the GIL at hand-offs"


def in_c(taken: Sampled, function: Callable[..., object]) -> float:
    """The share of a function's CPU time its lines spent in C without the GIL."""
    lines = [row for row in taken.hot_lines() if row["function"] == function.__name__]
    run, c = sum(row["run_ms"] for row in lines), sum(row["c_ms"] for row in lines)
    assert run + c > 0, f"{function.__name__} was sampled running: {taken.hot_lines()}"
    return float(c / (run + c))


def test_zlib_runs_in_c_without_the_gil_beside_python_that_holds_it():
    taken = sampled(spin, squeeze, lines=True)
    assert in_c(taken, squeeze) > 0.5, taken.hot_lines()
    assert in_c(taken, spin) < 0.1, taken.hot_lines()


def test_c_that_keeps_the_gil_is_not_taken_for_c_that_lets_it_go():
    """Caught inside the call it just returned from, on its way back to wait for the GIL: its
    CPU clock stands still while the sampler holds the GIL."""
    taken = sampled(keep, lines=True)
    assert in_c(taken, keep) < 0.2, taken.hot_lines()


def test_a_sleep_is_io_and_a_held_lock_is_a_lock_wait():
    lock = threading.Lock()
    lock.acquire()
    try:
        dozing, queuing = off_the_queue(sampled(doze)), off_the_queue(sampled(queue_for(lock)))
    finally:
        lock.release()
    assert dozing["io"] > 0.8, dozing
    assert queuing["lock"] > 0.8, queuing


def test_the_sampler_learns_the_gils_futex_before_it_samples():
    sampler = StackSampler([])
    sampler.start()
    sampler.stop()
    assert sampler.gil.addresses, "a helper spinning in Python showed where GIL waiters sleep"


def recorder_shares(result: Result) -> dict[str, float]:
    """The recorder's shares of the workers' busy time (idle left out, as the sampler does)."""
    assert result.timeline is not None
    totals = {state: 0.0 for state in timeline.STATES}
    for worker in result.timeline["workers"]:
        for state in timeline.STATES:
            totals[state] += worker["shares"][state]
    busy = sum(totals.values())
    return {state: share / busy for state, share in totals.items()}


@pytest.mark.parametrize("workload", ["cpu", "hash", "sleep", "mixed"])
def test_the_samples_agree_with_the_recorders_stamps_in_the_same_cells(workload):
    cells = (Cell("threads", 2), Cell("processes", 2))
    spec = ExperimentSpec(workload, cells, tasks=8, repeat=1, warmup=0, task_s=0.1, stacks=True)
    for result in run_experiment(spec).results:
        assert result.sampled is not None, f"{result.title} was sampled"
        sampled, stamped = result.sampled["shares"], recorder_shares(result)
        for state in ("run", "c", "io"):
            assert sampled[state] == pytest.approx(stamped[state], abs=0.1), (result.title, state)
        # A stall is the GIL's or a core's: the recorder tells them apart by whether another
        # worker ran meanwhile, the kernel by its run queue; on a busy machine they differ.
        stalled = sampled["gil"] + sampled["core"] + sampled["lock"]
        assert stalled == pytest.approx(stamped["gil"] + stamped["core"], abs=0.1), result.title


def test_a_users_lock_is_a_lock_wait_on_the_line_that_waits():
    task = f"{usertasks.__name__}:waits_its_turn"
    cells = (Cell("serial", 1), Cell("threads", 2))
    spec = ExperimentSpec(task, cells, tasks=8, repeat=1, warmup=0, task=task, task_path=str(ROOT))
    serial, threads = run_experiment(spec).results
    assert serial.sampled is not None and threads.sampled is not None
    assert serial.sampled["shares"]["lock"] < 0.05, "alone, nothing waits for the lock"
    assert threads.sampled["shares"]["lock"] > 0.25, "two threads: one waits while one sleeps"
    assert threads.sampled["shares"]["io"] > 0.25
    waiting = max(threads.hot_lines or [], key=lambda row: row["waits_ms"]["lock"])
    source = inspect.getsource(usertasks.waits_its_turn).splitlines()
    first = usertasks.waits_its_turn.__code__.co_firstlineno
    assert waiting["line"] - first in {i for i, text in enumerate(source) if "with _turn" in text}
    assert waiting["function"] == "waits_its_turn" and waiting["samples"] > 0


def test_hot_lines_put_a_zlib_call_in_c_and_say_what_they_rest_on():
    task = f"{usertasks.__name__}:compress"
    cells = (Cell("serial", 1), Cell("threads", 2))  # the serial runs wait between theirs
    # Ten tasks: a threads round of six lasts 20 ms, and a task thread counts from its second
    # sample (5-12 ms apart), so about one run in 40 sampled nothing; ten give 11 or more.
    spec = ExperimentSpec(task, cells, tasks=10, repeat=2, warmup=1, task=task, task_path=str(ROOT))
    serial, threads = run_experiment(spec).results
    assert threads.sampled is not None, "a new pool's threads, though they reuse dead idents"
    top = (serial.hot_lines or [{}])[0]
    assert top["file"].endswith("usertasks.py") and top["function"] == "compress"
    assert top["c_ms"] > top["run_ms"], top
    assert top["wait_ms"] < 0.2 * top["c_ms"], "alone, it waits for nothing, round after round"
    assert top["samples"] >= 1
    assert json.loads(json.dumps(serial.to_dict()))["hot_lines"][0] == top, "kept in the JSON"


def test_a_workers_setup_before_its_first_task_is_no_tasks_time():
    task, setup = f"{usertasks.__name__}:compress", f"{usertasks.__name__}:slow_setup"
    cells = (Cell("threads", 2), Cell("processes", 2))
    spec = ExperimentSpec(
        task, cells, tasks=12, repeat=1, warmup=0, task=task, setup=setup, task_path=str(ROOT)
    )
    for result in run_experiment(spec).results:
        functions = {row["function"] for row in result.hot_lines or []}
        assert "slow_setup" not in functions and "compress" in functions, result.title


def test_lay_out_puts_the_parts_end_to_end_and_cuts_them_at_the_end():
    parts = [("io", 3), ("core", 0), ("run", 4), ("run", 2), ("gil", 5)]
    code = timeline.STATES.index
    assert stacks.lay_out(10, 20, parts) == [
        code("io"),
        10,
        13,
        code("run"),
        13,
        19,
        code("gil"),
        19,
        20,
    ]


def user_cells(task: str, *cells: Cell, tasks: int = 4) -> list[Result]:
    spec = ExperimentSpec(
        task, cells, tasks=tasks, repeat=1, warmup=0, task=task, task_path=str(ROOT)
    )
    return run_experiment(spec).results


def phases(bins: dict[str, str]) -> list[tuple[str, int]]:
    """A stored lane as its phases: each bin is 'io' or 'busy' (running Python or waiting to:
    for the GIL or a core), whichever it holds more of; runs of one kind shorter than 6 bins
    (the samples place a change within 5-12 ms) join their neighbours."""
    zeros = "0" * timeline.STORED_BINS
    level = {state: bins.get(state, zeros) for state in ("io", "run", "gil", "core")}
    kinds = []
    for i in range(timeline.STORED_BINS):
        io = int(level["io"][i])
        busy = sum(int(level[state][i]) for state in ("run", "gil", "core"))
        if io or busy:
            kinds.append("io" if io >= busy else "busy")
    runs: list[list] = []
    for kind in kinds:
        if runs and runs[-1][0] == kind:
            runs[-1][1] += 1
        else:
            runs.append([kind, 1])
    merged: list[list] = []
    for kind, length in runs:
        if merged and (length < 6 or merged[-1][0] == kind):
            merged[-1][1] += length
        else:
            merged.append([kind, length])
    return [(kind, length) for kind, length in merged]


@pytest.mark.parametrize("cell", [Cell("serial", 1), Cell("processes", 1)])
def test_a_users_lane_shows_each_state_when_it_happened(cell):
    result = user_cells(f"{usertasks.__name__}:sleeps_then_spins", cell)[-1]  # after serial
    assert result.timeline is not None and result.timeline["source"] == "samples"
    [lane] = result.timeline["lanes"]
    # 4 tasks of 60 ms on I/O then 60 ms in Python: 8 phases, alternating, each about an
    # eighth of the span (on a busy machine Python waits for a core part of its time).
    drawn = phases(lane["bins"])
    assert [kind for kind, _ in drawn] == ["io", "busy"] * 4, drawn
    assert all(15 <= length <= 45 for _, length in drawn[1:]), drawn
    assert result.handoffs_per_s is None


@pytest.mark.parametrize("cell", [Cell("serial", 1), Cell("processes", 2)])
def test_threads_the_function_starts_get_lanes_of_their_own(cell):
    result = user_cells(f"{usertasks.__name__}:spins_in_a_helper", cell, tasks=6)[-1]
    assert result.timeline is not None
    workers = result.timeline["workers"]
    own = [w for w in workers if w.get("own")]
    span = result.timeline["span_s"]
    # Each helper spins 40 ms by the clock: on a core, or waiting for one (or for the GIL,
    # while another thread of its process holds it), all of it busy.
    busy = sum(w["shares"][s] for w in own for s in ("run", "gil", "core")) * span
    assert len(own) >= 3, "a helper a task, each a thread of its own (seen at least once)"
    assert busy >= 0.35 * 6 * 0.04, "most of the helpers' 6 x 40 ms is sampled (59-86% here)"
    assert sum(w["shares"]["run"] for w in own) > 0, "and some of it in Python"
    # The task sleeps 10 ms, then waits for the GIL (the helper holds it) or in join (a lock).
    tasks = [w["shares"] for w in workers if not w.get("own")]
    assert max(t["run"] for t in tasks) < 0.2, "the task itself barely runs"
    assert max(t["lock"] for t in tasks) > 0.03, "and join is a lock wait"
    labels = [lane["label"] for lane in result.timeline["lanes"]]
    assert labels[: cell.workers] == [f"w{i + 1}" for i in range(cell.workers)]
    own_lanes = [lane for lane in result.timeline["lanes"] if lane.get("own")]
    assert own_lanes and own_lanes[0]["label"] == "own1"
    assert sum(lane["threads"] for lane in own_lanes) == len(own), "packed, none lost"
    assert len(own_lanes) <= cell.workers + 1, "one after another, helpers share a row"


def test_a_cell_no_sample_caught_has_no_timeline_rather_than_an_empty_one():
    task = f"{usertasks.__name__}:square"  # microseconds a task: over before any sample
    for result in user_cells(task, Cell("serial", 1), Cell("threads", 2), tasks=4):
        assert (result.timeline, result.overlap, result.handoffs_per_s) == (None, None, None)


def spin_then_wait(cpu_ns: int, spun: threading.Event, stop: threading.Event) -> None:
    """Runs Python until this thread has used `cpu_ns` of CPU, says so, then waits."""
    while time.thread_time_ns() < cpu_ns:
        pass
    spun.set()
    stop.wait()


@pytest.mark.parametrize("started", ["after the sample before", "before it, idle in a pool"])
def test_a_users_thread_first_seen_is_counted_from_the_sample_before(started):
    """A helper may live between two samples or be seen once: what it ran since the sample
    before it was seen counts (CPU read from its clock), not only what follows."""
    spun, stop = threading.Event(), threading.Event()
    here = os.path.dirname(__file__)  # the user's: a thread in this file is one of theirs
    sampler = StackSampler([], here, lanes=True)  # driven by hand: not started
    pool = cf.ThreadPoolExecutor(1)
    if started != "after the sample before":
        pool.submit(int).result()  # its thread waits for work in the pool's code, not here
    sampler.resume()
    sampler.sample()  # the sample before: no thread of this file at work but this one
    pool.submit(spin_then_wait, 30_000_000, spun, stop)
    spun.wait()
    sampler.sample()  # the helper's first sighting
    taken = sampler.take()
    stop.set()
    pool.shutdown()
    [lane] = [flat for key, flat, own in taken.take_lanes() if own and key[1] != MAIN_TID]
    ran = taken.lines[next(where for where in taken.lines if where[2] == "spin_then_wait")]["run"]
    assert ran >= 25_000_000, "the 30 ms it ran before it was first seen"
    drawn = sum(
        lane[i + 2] - lane[i + 1] for i in range(0, len(lane), 3) if lane[i] == timeline.RUN
    )
    assert drawn == ran, "its lane lays out what its line counts"


def test_a_sample_the_next_cell_resumed_during_is_dropped_not_handed_to_it():
    """The runner may end a cell and start the next while a sample is being taken (it holds
    the GIL, but hands it over every switch interval): that sample is the last cell's."""
    stop = threading.Event()
    worker = threading.Thread(target=spin, args=(stop,))
    sampler = StackSampler([spin.__code__], lanes=True)  # driven by hand
    worker.start()
    last_cell: list[object] = []
    sampler.resume(lambda *lane: last_cell.append(lane))
    sampler.sample()  # sees the worker first
    next_cell: list[object] = []
    looking = sampler._task_threads

    def next_cell_starts(frames):  # the runner's thread, meanwhile
        seen = looking(frames)
        sampler.take(pause=True)
        sampler.resume(lambda *lane: next_cell.append(lane))
        return seen

    sampler._task_threads = next_cell_starts  # type: ignore[method-assign]
    sampler.sample()
    stop.set()
    worker.join()
    assert next_cell == [] and sampler.take().samples == 0, "nothing of the last cell's"
