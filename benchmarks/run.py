"""gilviz's benchmarks: the physics it shows, its own overhead, and the app's budgets.

Run: .venv/bin/python -m benchmarks.run [--quick]
Prints figures as medians with min-max; compare within one run, since this machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import pty
import select
import signal
import statistics
import subprocess
import sys
import threading
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import psutil

from gilviz.analysis.engine import run_experiment
from gilviz.app.choice import Choice
from gilviz.measure.environment import usable_cores
from gilviz.measure.workloads import cpu_task
from gilviz.protocol.spec import Cell, ExperimentSpec

ROOT = Path(__file__).resolve().parent.parent


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def check(value: float, target: float) -> str:
    """'ok', or 'MISSES by 1.4x', for a figure whose target is at most `target`."""
    return "ok" if value <= target else f"MISSES by {value / target:.1f}x"


def physics(repeat: int) -> None:
    cores = usable_cores()
    print(
        f"\n## Speedup at {cores} workers (tasks = 2 x workers, repeat {repeat}), median (min-max)"
    )
    print(f"{'workload':<9}{'threads':>22}{'processes':>22}   timeline: overlap, hand-offs/s")
    for workload in ("cpu", "hash", "sleep"):
        cells = (Cell("threads", cores), Cell("processes", cores))
        spec = ExperimentSpec(workload, cells, tasks=2 * cores, repeat=repeat)
        finished = run_experiment(spec)
        baseline = finished.results[0].walls
        row = [workload]
        seen = []
        for result in finished.results[1:]:
            speedups = [statistics.median(baseline) / w for w in result.walls]
            row.append(spread(speedups, "{:.2f}x"))
            seen.append(f"{result.executor} {result.overlap:.2f}, {result.handoffs_per_s:.0f}")
        print(f"{row[0]:<9}{row[1]:>22}{row[2]:>22}   {'; '.join(seen)}")


def stability(runs: int) -> None:
    """The default headless experiment, run again and again: its speedups should agree with
    each other within their own reported noise, and flags should mark the runs that do not."""
    from gilviz.analysis.report import flag, noise

    print(f"\n## Stability: {runs} default runs (threads,processes x2 on cpu, warm-up + 3 runs)")
    print(f"{'run':<5}{'threads':>10}{'processes':>11}{'noise':>8}  flags")
    speedups: list[float] = []
    for n in range(runs):
        spec = ExperimentSpec(
            "cpu", (Cell("threads", 2), Cell("processes", 2)), tasks=4, repeat=3, warmup=1
        )
        results = run_experiment(spec).results
        threads, processes = results[1], results[2]
        speedups.append(processes.speedup or 0.0)
        flags = ", ".join(f"{r.executor} {flag(r)}" for r in results if flag(r)) or "-"
        print(
            f"{n + 1:<5}{threads.speedup or 0:>9.2f}x{processes.speedup or 0:>10.2f}x"
            f"{noise(processes):>8}  {flags}"
        )
    print(f"processes x2 over the runs: {spread(speedups, '{:.2f}x')}")


def scaling() -> None:
    """The timeline's figures as workers grow, up to the usable cores: threads on cpu keep
    one running at a time, processes and threads on hash run as many as there are cores."""
    from gilviz.analysis.results import gil_wait_share
    from gilviz.protocol.spec import default_workers

    workers = default_workers(usable_cores())
    print(f"\n## Scaling, workers {workers}, tasks = 2 x most workers, tasks ~0.1 s alone")
    print(f"{'cell':<22}{'speedup':>9}{'overlap':>9}{'busy':>7}{'hand-offs/s':>13}{'GIL wait':>10}")
    for workload in ("cpu", "hash"):
        cells = tuple(Cell(e, n) for e in ("threads", "processes") for n in workers)
        spec = ExperimentSpec(workload, cells, tasks=2 * max(workers), task_s=0.1)
        for r in run_experiment(spec).results[1:]:
            print(
                f"{workload + ' ' + r.executor + ' x' + str(r.workers):<22}{r.speedup:>8.2f}x"
                f"{r.overlap:>9.2f}{r.parallelism:>7.2f}{r.handoffs_per_s:>13.0f}"
                f"{gil_wait_share(r):>9.0%}"
            )


def overhead(pairs: int) -> None:
    """gilviz's serial wall time against a plain script timing the same loop, in pairs."""
    size = 1_500_000
    tasks = 4
    plain = (
        "import time; from gilviz.measure.workloads import cpu_task\n"
        f"t = time.monotonic()\nfor _ in range({tasks}): cpu_task({size})\n"
        "print(time.monotonic() - t)"
    )
    ratios = []
    for _ in range(pairs):
        out = subprocess.run(
            [sys.executable, "-c", plain], capture_output=True, text=True, cwd=ROOT, check=True
        )
        plain_s = float(out.stdout)
        finished = run_experiment(ExperimentSpec("cpu", (), tasks=tasks, size=size))
        ratios.append(finished.results[0].wall_s / plain_s)
    print(f"\n## Overhead: gilviz serial wall / plain script, {pairs} pairs (target <= 1.05)")
    print(f"ratio {spread(ratios, '{:.3f}')}  {check(statistics.median(ratios), 1.05)}")


def timeline_cost(pairs: int) -> None:
    """What recording the timeline costs: a task alone in this process, then whole cells."""
    from gilviz.measure import timeline
    from gilviz.measure.workloads import hash_task

    print(
        f"\n## Timeline recording: time with / time without (target <= 1.02), {pairs} pairs;"
        " 'live' also streams it to the app as it happens"
    )
    tasks = {"cpu task": lambda: cpu_task(3_000_000), "hash task": lambda: hash_task(40)}

    def best_of_5(task: Callable[[], object], record: bool) -> float:
        if record:
            timeline.attach()
        seconds = min(timeit.repeat(task, number=1, repeat=5))
        if record:
            timeline.detach()
        return seconds

    for name, task in tasks.items():
        ratios = []
        for pair in range(pairs):  # which goes first alternates: order biases a pair
            order = (True, False) if pair % 2 else (False, True)
            seconds = {record: best_of_5(task, record) for record in order}
            ratios.append(seconds[True] / seconds[False])
        print(
            f"{name + ', in process':<30} {spread(ratios, '{:.3f}')}  {check(statistics.median(ratios), 1.02)}"
        )
    cells = (Cell("threads", 2), Cell("processes", 2))
    # One size for both: each experiment would otherwise calibrate its own (and differ).
    size = run_experiment(ExperimentSpec("cpu", (), tasks=1, task_s=0.25)).results[0].size
    ratios_of: dict[str, list[float]] = {}
    for pair in range(pairs):
        walls = {}
        for mode in ("off", "recorded", "live") if pair % 2 else ("live", "recorded", "off"):
            spec = ExperimentSpec(
                "cpu", cells, tasks=4, size=size, timeline=mode != "off", live=mode == "live"
            )
            walls[mode] = run_experiment(spec).results
        for mode in ("recorded", "live"):
            for on, off in zip(walls[mode], walls["off"], strict=True):
                name = f"cpu {on.executor} x{on.workers}, {mode}"
                ratios_of.setdefault(name, []).append(on.wall_s / off.wall_s)
    for name, values in ratios_of.items():
        print(f"{name:<30} {spread(values, '{:.3f}')}")


def stack_cost(pairs: int) -> None:
    """What sampling the stacks costs a cell: its wall time sampled / not, in interleaved pairs
    (the order alternates), on a workload that holds the GIL and one that lets it go. Each side
    is its cell's best of three runs: this machine's speed drifts more than the cost."""
    print(
        f"\n## Stack samples: cell wall sampled / not, best of 3 each (target <= 1.03), {pairs} pairs"
    )
    for workload in ("cpu", "hash"):
        ratios: dict[str, list[float]] = {}
        for pair in range(pairs):
            walls: dict[bool, dict[str, float]] = {}
            for sampled in (pair % 2 == 0, pair % 2 == 1):
                spec = ExperimentSpec(
                    workload, (Cell("threads", 2),), tasks=4, repeat=3, task_s=0.2, stacks=sampled
                )
                results = run_experiment(spec).results
                walls[sampled] = {r.cell.label: min(r.walls) for r in results}
            for label, wall in walls[True].items():
                ratios.setdefault(label, []).append(wall / walls[False][label])
        for label, values in ratios.items():
            median = statistics.median(values)
            print(f"{workload:<5} {label:<11} {spread(values, '{:.3f}')}  {check(median, 1.03)}")
    _stack_cost_in_process(2 * pairs)


def _stack_cost_in_process(windows: int) -> None:
    """The same cost without whole cells' noise: two threads spin in Python in this process,
    and the loops they count in 0.5 s windows, sampled and not in turn, are compared. Sampled
    as a user's function is: its lanes laid out too, into a collector."""
    from gilviz.measure.stacks import StackSampler
    from gilviz.measure.timeline import Collector

    counts = [0, 0]
    stop = threading.Event()

    def spin(slot: int) -> None:
        while not stop.is_set():
            counts[slot] += 1

    sampler = StackSampler([spin.__code__], lanes=True)
    sampler.start()
    collector = Collector(streaming=True)
    spinners = [threading.Thread(target=spin, args=(slot,)) for slot in (0, 1)]
    for spinner in spinners:
        spinner.start()
    loops: dict[bool, list[int]] = {True: [], False: []}
    for window in range(2 * windows):
        sampled = window % 4 in (1, 2)  # off, on, on, off, ...: each side as often first
        if sampled:
            sampler.resume(collector.add_sampled)
        before = sum(counts)
        time.sleep(0.5)
        loops[sampled].append(sum(counts) - before)
        sampler.take(pause=True)
    stop.set()
    for spinner in spinners:
        spinner.join()
    sampler.stop()
    ratios = [off / on for off, on in zip(loops[False], loops[True], strict=True)]
    median = statistics.median(ratios)
    print(
        f"two threads spinning in one process, {windows} pairs of 0.5 s windows: "
        f"loops unsampled / sampled {spread(ratios, '{:.3f}')}  {check(median, 1.03)}"
    )
    intervals = sum(len(lane.intervals) for lane in collector.lanes.values())
    print(f"  lanes laid out meanwhile: {intervals:,} intervals over {windows * 0.5:.0f} s sampled")


def timeline_memory() -> None:
    """A long cell's timeline stays bounded: ten minutes of 8 threads taking 5 ms turns."""
    import tracemalloc

    from gilviz.measure.runner import TRACE_BUDGET
    from gilviz.measure.timeline import RUN, STALL, Collector

    ms = 1_000_000
    tracemalloc.start()
    collector = Collector(max(1000, TRACE_BUDGET // 8), streaming=True)  # as the app streams
    for second in range(600):
        for worker in range(8):
            flat = []
            for slot in range(second * 200, (second + 1) * 200):
                state = RUN if slot % 8 == worker else STALL
                flat.extend((state, slot * 5 * ms, (slot + 1) * 5 * ms))
            collector.add((1, worker), flat)
        collector.take_new()  # what the live updates take, five times a second
    held = sum(len(lane.intervals) for lane in collector.lanes.values())
    cell = collector.finish(shared_gil=True)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print("\n## Timeline memory: a 10-minute cell, 8 threads taking 5 ms turns (960,000 intervals)")
    print(
        f"kept {held} intervals (bounded by the lane cap), peak {peak:.0f} MiB traced; "
        f"overlap {cell.overlap:.2f}, {cell.handoffs_per_s:.0f} hand-offs/s still exact"
    )


def lateness(windows: int, seconds: float) -> None:
    """Event-loop lateness of the app while an 8-thread cpu experiment runs."""
    from gilviz.app.app import GilvizApp

    async def measure(in_process: bool, timeline: bool = True) -> list[float]:
        app = GilvizApp(choice=Choice("cpu", "threads", 8, tasks=400, size=200_000), store=None)
        late: list[float] = []
        stop = threading.Event()
        async with app.run_test(size=(120, 36)) as pilot:
            if not timeline:
                await pilot.press("l")
            if in_process:
                burners = [
                    threading.Thread(target=_burn, args=(stop,), daemon=True) for _ in range(8)
                ]
                for burner in burners:
                    burner.start()
            else:
                await pilot.press("r")
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                before = time.monotonic()
                await asyncio.sleep(0.01)
                late.append((time.monotonic() - before - 0.01) * 1000)
            stop.set()
            app.action_cancel()
            await app.workers.wait_for_complete()
        return late

    def p99(late: list[float]) -> float:
        return sorted(late)[int(0.99 * (len(late) - 1))]

    print(
        f"\n## Event-loop lateness with 8 CPU-bound threads, {windows} windows of {seconds:.0f} s (target p99 <= 16 ms)"
    )
    for label, shown in (("gilviz, timeline shown", True), ("gilviz, timeline hidden", False)):
        runs = [asyncio.run(measure(in_process=False, timeline=shown)) for _ in range(windows)]
        p99s = [p99(r) for r in runs]
        print(
            f"{label:<36} p50 {spread([statistics.median(r) for r in runs], '{:.1f}')} ms"
            f"  p99 {spread(p99s, '{:.1f}')} ms  max {max(max(r) for r in runs):.1f} ms"
            f"  {check(statistics.median(p99s), 16.0)}"
        )
    late = asyncio.run(measure(in_process=True))
    print(
        f"{'same threads in the app (1 window)':<36} p50 {statistics.median(late):.1f} ms"
        f"  p99 {p99(late):.1f} ms  max {max(late):.1f} ms"
    )


def _burn(stop: threading.Event) -> None:
    while not stop.is_set():
        cpu_task(10_000)


APP_ARGS = (
    *("--workload", "cpu", "--executor", "threads", "--workers", "8", "--tasks", "200"),
    *("--pace", "quick"),  # 40 s of serial baseline: the run outlasts every window
)


def _launch_app(
    args: tuple[str, ...] = APP_ARGS, results: Path | None = None, module: str = "gilviz"
) -> tuple[int, int, float]:
    """Start the real app (or another module's) in a 120x36 pty; return its pid, the pty's fd
    and the launch time. Results go to `results`, else nowhere."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="36")
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # cache bytecode, as a user's Python does
        if module == "gilviz":
            args = (*args, *(["--results", str(results)] if results else ["--no-save"]))
        os.execv(sys.executable, [sys.executable, "-m", module, *args])
    _set_size(fd, 120, 36)
    return pid, fd, time.monotonic()


def _quit_app(pid: int, fd: int, key: bytes = b"q") -> None:
    """q, as a user quits; an app still there 10 s later fails the benchmark (and is killed)."""
    os.write(fd, key)
    end = time.monotonic() + 10.0
    while time.monotonic() < end:
        _drain(fd, 0.2)
        if os.waitpid(pid, os.WNOHANG)[0]:
            os.close(fd)
            return
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    raise RuntimeError("the app did not quit on q within 10 s")


def first_frame(launches: int) -> None:
    """Seconds from launch until the app's first frame is on the terminal.

    One launch first, not counted, so that bytecode is cached as after a user's first launch.
    """
    import shutil

    for cache in ROOT.glob("gilviz/**/__pycache__"):  # as just installed: nothing compiled
        shutil.rmtree(cache)
    times = []
    first = 0.0
    for launch in range(launches + 1):
        pid, fd, started = _launch_app()
        frame = _read_until(fd, b"Experiment", 10.0) - started
        _quit_app(pid, fd)
        if launch:
            times.append(frame)
        else:
            first = frame
    print(f"\n## First frame of the real app at 120x36, {launches} launches (target <= 0.5 s)")
    print(f"first launch after a bytecode cache was cleared: {first:.2f} s")
    print(f"first frame {spread(times)} s after launch  {check(statistics.median(times), 0.5)}")


def terminal(seconds: float) -> None:
    """The real app in a 120x36 pty: its CPU and the bytes it writes, idle and during a
    sweep of threads on cpu at the watch pace (what a room watches), timeline shown and not;
    then, idle the same way, a bare Textual app redrawing a panel once a second, and one still."""
    print(
        f"\n## The real app in a 120x36 terminal, {seconds:.0f} s windows, idle twice that (targets: idle <= 0.3% "
        "of a core and <= 8 KB/s; during a sweep <= 3% and <= 8 KB/s)"
    )
    args = ("--workload", "cpu", "--executor", "threads", "--pace", "watch")
    for shown in (True, False):
        pid, fd, _ = _launch_app(args)
        _read_until(fd, b"Experiment", 10.0)
        if not shown:
            os.write(fd, b"l")
        _drain(fd, 5.0)  # start-up ends: Pythons found, modules loaded after the first frame
        timeline = "timeline shown" if shown else "timeline hidden"
        # Idle costs a few ms a second and the kernel counts CPU in 10 ms ticks: a longer window.
        for label, key, cpu_target, window in (
            ("idle", b"", 0.3, 2 * seconds),
            ("during a sweep", b"s", 3.0, seconds),
        ):
            if key:
                os.write(fd, key)
                _drain(fd, 1.0)
            cpu, main, rate = _cpu_and_bytes(pid, fd, window)
            print(
                f"{label:<15} {timeline:<16} app CPU {cpu:4.2f}% of one core "
                f"{check(cpu, cpu_target)}, terminal {rate:5.1f} KB/s {check(rate, 8.0)}\n"
                f"{'':<32} main thread {main:4.2f}%, the others {cpu - main:4.2f}%"
            )
        os.write(fd, b"\x1b")
        _drain(fd, 1.0)  # escape then q at once reads as alt+q
        _quit_app(pid, fd)
    for floor in ("redraw", "still"):
        pid, fd, _ = _launch_app((floor,), module="benchmarks.textual_floor")
        _read_until(fd, b"textual floor", 10.0)
        _drain(fd, 5.0)
        cpu, main, rate = _cpu_and_bytes(pid, fd, 2 * seconds)
        what = "redrawing two lines a second" if floor == "redraw" else "never redrawing"
        print(
            f"idle floor: a bare Textual app {what}: {cpu:4.2f}% of one core (main thread "
            f"{main:4.2f}%, the others {cpu - main:4.2f}%), {rate:4.1f} KB/s"
        )
        _quit_app(pid, fd, key=b"\x11")  # ctrl+q quits a bare Textual app


def _cpu_and_bytes(pid: int, fd: int, window: float) -> tuple[float, float, float]:
    """Over `window` seconds: the process's CPU and its main thread's, in % of one core, and
    the KB/s it wrote to the terminal."""
    process = psutil.Process(pid)
    cpu_before, threads_before = sum(process.cpu_times()[:2]), _thread_cpu(process)
    count = _drain(fd, window)
    cpu = (sum(process.cpu_times()[:2]) - cpu_before) / window * 100
    main = (_thread_cpu(process).get(pid, 0.0) - threads_before.get(pid, 0.0)) / window * 100
    return cpu, main, count / window / 1024


def _thread_cpu(process: psutil.Process) -> dict[int, float]:
    """Each thread's CPU seconds so far, by thread id (the main thread's id is the pid)."""
    return {thread.id: thread.user_time + thread.system_time for thread in process.threads()}


def _set_size(fd: int, cols: int, rows: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _read_until(fd: int, marker: bytes, timeout: float) -> float:
    seen = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if select.select([fd], [], [], 0.05)[0]:
            seen += os.read(fd, 65536)
            if marker in seen:
                return time.monotonic()
    raise RuntimeError("the app drew no first frame")


def _drain(fd: int, seconds: float) -> int:
    count = 0
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if select.select([fd], [], [], min(left, 0.1))[0]:
            try:
                count += len(os.read(fd, 65536))
            except OSError:
                break
    return count


PLAIN_TINY = """
import time
from concurrent.futures import ThreadPoolExecutor
from gilviz.measure.workloads import cpu_task
for _ in range(100_000):
    cpu_task(1)
with ThreadPoolExecutor(4) as pool:
    for future in [pool.submit(cpu_task, 1) for _ in range(100_000)]:
        future.result()
"""
"""The same calls as `gilviz run ... --tasks 100000 --size 1`, in a plain script."""


def many_tiny_tasks(pairs: int) -> None:
    """100,000 tiny tasks, serial then threads x4, as whole processes: gilviz against a plain
    script making the same calls, in pairs (target <= 1.3x)."""
    gilviz = [sys.executable, "-m", "gilviz", "run", "--workload", "cpu", "--executor", "threads"]
    gilviz += ["--workers", "4", "--tasks", "100000", "--size", "1", "--repeat", "1"]
    gilviz += ["--warmup", "0", "--no-save", "--format", "json"]
    ratios, took = [], {"gilviz": [], "plain": []}
    for pair in range(pairs):
        seconds = {}
        for who in ("gilviz", "plain") if pair % 2 else ("plain", "gilviz"):
            command = gilviz if who == "gilviz" else [sys.executable, "-c", PLAIN_TINY]
            started = time.monotonic()
            subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
            seconds[who] = time.monotonic() - started
            took[who].append(seconds[who])
        ratios.append(seconds["gilviz"] / seconds["plain"])
    print(f"\n## 100,000 tiny tasks, serial then threads x4, whole processes, {pairs} pairs")
    print(
        f"gilviz {spread(took['gilviz'])} s, plain script {spread(took['plain'])} s: "
        f"ratio {spread(ratios)}  {check(statistics.median(ratios), 1.3)} (target <= 1.3)"
    )
    counted = {"events": 0}

    def on_event(event: object) -> None:
        counted["events"] += type(event).__name__ == "Progress"

    finished = run_experiment(
        ExperimentSpec("cpu", (Cell("threads", 4),), tasks=100_000, size=1), on_event=on_event
    )
    rss = psutil.Process().memory_info().rss / 2**20
    threads = finished.results[-1]
    print(
        f"{counted['events']} progress events reached the parent, checksums ok={threads.checksum_ok}, "
        f"tasks handed out {threads.chunk} at a time, parent RSS {rss:.0f} MiB"
    )


def disturbance(pairs: int) -> None:
    """Does watching disturb the experiment? processes x2 on cpu (no spare core for the app)
    headless, then under the real app with its timeline shown, interleaved; the ratio of the
    medians of their walls (target <= 1.03)."""
    import json as json_module
    import tempfile

    headless, watched = [], []
    for pair in range(pairs):
        for who in ("app", "headless") if pair % 2 else ("headless", "app"):
            if who == "headless":
                spec = ExperimentSpec("cpu", (Cell("processes", 2),), tasks=4, size=SIZE_1S)
                headless.append(run_experiment(spec).results[-1].wall_s)
                continue
            with tempfile.TemporaryDirectory() as folder:
                results = Path(folder) / "results.jsonl"
                args = ("--workload", "cpu", "--executor", "processes", "--workers", "2")
                args += ("--tasks", "4", "--size", str(SIZE_1S), "--repeat", "1")
                pid, fd, _ = _launch_app(args, results)
                _read_until(fd, b"Experiment", 10.0)
                os.write(fd, b"r")
                end = time.monotonic() + 120
                while time.monotonic() < end and (
                    not results.exists() or results.read_text().count("\n") < 2
                ):
                    _drain(fd, 0.2)
                _quit_app(pid, fd)
                rows = [json_module.loads(line) for line in results.read_text().splitlines()]
                watched.append(rows[-1]["wall_s"])
    ratio = statistics.median(watched) / statistics.median(headless)
    pair_ratios = [w / h for w, h in zip(watched, headless, strict=True)]
    print(f"\n## Watching disturbs the experiment? processes x2 on cpu, {pairs} interleaved pairs")
    print(
        f"headless {spread(headless)} s, under the app {spread(watched)} s: ratio of medians "
        f"{ratio:.3f} (pairs {min(pair_ratios):.3f}-{max(pair_ratios):.3f})  {check(ratio, 1.03)}"
    )


SIZE_1S = 7_000_000
"""About a second of the cpu task here (0.15 µs a loop iteration)."""


def gil_helpers(seconds: float) -> None:
    """Who holds the runner's GIL during a threads cell, by py-spy --gil at 1000 Hz: the two
    workers, and how much the runner's own threads (main, probe, live streaming, lifeline)
    take from them (target <= 2%)."""
    import collections
    import shutil

    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not os.path.exists(py_spy):
        print("\n## GIL held by the runner's own threads: needs py-spy (pip install py-spy)")
        return
    from gilviz.analysis.engine import ExperimentRun
    from gilviz.protocol.events import CellStarted

    spec = ExperimentSpec("cpu", (Cell("threads", 2),), tasks=4, task_s=seconds / 2, live=True)
    run = ExperimentRun(spec)
    recording = None
    with tempfile_path() as raw:
        for event in run.events():
            if (
                isinstance(event, CellStarted)
                and event.cell.executor == "threads"
                and not recording
            ):
                options = ["--gil", "-r", "1000", "-d", str(seconds), "--threads", "--nonblocking"]
                recording = subprocess.Popen(
                    [py_spy, "record", *options, "-p", str(run.pid), "-f", "raw", "-o", str(raw)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
        assert recording is not None
        recording.wait()
        held: collections.Counter[str] = collections.Counter()
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            held[stack.split(";")[0].split(": ")[-1]] += int(count)
    total = sum(held.values())
    helpers = sum(n for name, n in held.items() if not name.startswith("gilviz-worker"))
    share = helpers / total * 100 if total else 0.0
    print(
        f"\n## GIL held during a threads x2 cell on cpu, py-spy --gil at 1000 Hz, {seconds:.0f} s"
    )
    print(
        f"{total} samples: "
        + ", ".join(f"{name} {n / total:.1%}" for name, n in held.most_common())
    )
    print(f"the runner's own threads {share:.2f}% of the GIL  {check(share, 2.0)} (target <= 2%)")


@contextlib.contextmanager
def tempfile_path():
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "out"


def finding_workers(calls: int) -> None:
    """Finding a run's pool processes once a tick: Linux's children lists against a full scan."""
    from gilviz.app.sampler import descendants

    me = psutil.Process()
    cheap = timeit.repeat(lambda: descendants(me), number=calls, repeat=5)
    scan = timeit.repeat(lambda: me.children(recursive=True), number=calls, repeat=5)
    print(f"\n## Finding pool processes, {len(psutil.pids())} processes on this machine")
    print(f"children lists {spread([t / calls * 1000 for t in cheap], '{:.3f}')} ms a call")
    print(f"psutil scan    {spread([t / calls * 1000 for t in scan], '{:.3f}')} ms a call")


def wire() -> None:
    """Bytes the runner sends for one cell, with every trace interval (--trace) and without
    (what the app and a plain run get): the protocol's cost, read off the wire itself."""
    import json as json_module

    from gilviz.analysis.engine import RUNNER_COMMAND, _python_path
    from gilviz.protocol import events

    print("\n## Bytes the runner sends per cell (cpu, 8 tasks of 0.4 s, one run; cell_measured)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(_python_path())}
    for trace in (True, False):
        cells = (Cell("threads", 4), Cell("processes", 2))
        spec = ExperimentSpec("cpu", cells, tasks=8, task_s=0.4, trace=trace).with_baseline()
        runner = subprocess.Popen(
            [sys.executable, "-c", RUNNER_COMMAND],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert runner.stdin is not None and runner.stdout is not None
        runner.stdin.write(json_module.dumps(spec.to_dict()) + "\n")
        runner.stdin.flush()  # and held open: the runner's lifeline
        sizes, total = {}, 0
        for line in runner.stdout:
            total += len(line)
            message = events.decode(line)
            if isinstance(message, events.CellMeasured):
                sizes[message.cell.label] = len(line)
            if isinstance(message, events.Done | events.Fatal):
                break
        runner.stdin.close()
        runner.wait()
        said = ", ".join(f"{label} {size:,}" for label, size in sizes.items())
        print(f"{'with --trace' if trace else 'without':<13} {said}; all lines {total:,} bytes")


def tours(count: int) -> None:
    """Headless tours in a row: what each step concluded, counted (steps 1-4 and 7 should
    hold on a quiet machine with two cores, and never be contradicted)."""
    from collections import Counter

    from gilviz.analysis import tour
    from gilviz.analysis.pythons import Describer, candidates

    pythons = Describer().describe(candidates())
    seen: list[Counter[str]] = [Counter() for _ in tour.TITLES]
    took: list[float] = []
    for _ in range(count):
        start = time.monotonic()
        outcomes = tour.run_tour(
            lambda spec, python: run_experiment(spec, python).results, usable_cores(), pythons
        )
        took.append(time.monotonic() - start)
        for counter, outcome in zip(seen, outcomes, strict=True):
            counter[outcome.status] += 1
            counter["second try"] += outcome.tries > 1
    print(
        f"\n## {count} headless tours (repeat {tour.REPEAT}, quick pace), "
        f"each {spread(took, '{:.1f}')} s: what each step concluded"
    )
    columns = (*tour.STATUSES, "second try")
    print(f"{'step':<34}" + "".join(f"{status:>14}" for status in columns))
    for n, (title, counter) in enumerate(zip(tour.TITLES, seen, strict=True), 1):
        print(f"{f'{n}. {title}':<34}" + "".join(f"{counter[s]:>14}" for s in columns))
    held = sum(seen[n - 1]["holds"] for n in (1, 2, 3, 4, 7))
    wrong = sum(seen[n - 1]["contradicted"] for n in (1, 2, 3, 4, 7))
    quiet = "ok" if held == 5 * count else f"MISSES: {5 * count - held} of {5 * count} did not hold"
    print(
        f"steps 1-4 and 7 held {held} of {5 * count}, contradicted {wrong}: {quiet} on a quiet machine"
    )


SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {
    "physics": lambda a: physics(1 if a.quick else 3),
    "stability": lambda a: stability(2 if a.quick else 4),
    "timeline-cost": lambda a: timeline_cost(3 if a.quick else 7),
    "timeline-memory": lambda a: timeline_memory(),
    "stacks": lambda a: stack_cost(3 if a.quick else 6),
    "scaling": lambda a: scaling(),
    "overhead": lambda a: overhead(3 if a.quick else 7),
    "lateness": lambda a: lateness(3, 5) if a.quick else lateness(5, 10),
    "first-frame": lambda a: first_frame(5 if a.quick else 9),
    "terminal": lambda a: terminal(5 if a.quick else 15),
    "tiny": lambda a: many_tiny_tasks(2 if a.quick else 5),
    "disturbance": lambda a: disturbance(4 if a.quick else 10),
    "gil-helpers": lambda a: gil_helpers(3 if a.quick else 6),
    "workers": lambda a: finding_workers(50 if a.quick else 200),
    "tours": lambda a: tours(3 if a.quick else 20),
    "wire": lambda a: wire(),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter windows, fewer repeats")
    parser.add_argument(
        "--busy", action="store_true", help="keep one core busy meanwhile (another program)"
    )
    parser.add_argument("sections", nargs="*", choices=[*SECTIONS, []], help="default: all")
    args = parser.parse_args()
    print(f"# gilviz benchmarks: Python {sys.version.split()[0]}, {usable_cores()} usable cores")
    burner = None
    if args.busy:
        burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        print(f"# one core kept busy by another program (pid {burner.pid})")
    try:
        for name in args.sections or SECTIONS:
            SECTIONS[name](args)
    finally:
        if burner is not None:
            burner.kill()


if __name__ == "__main__":
    main()
