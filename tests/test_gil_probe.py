"""The GIL probe: its lateness, split into run-queue and GIL waits, and the figures made of it."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import pytest

from gilviz.measure import runner

pytestmark = pytest.mark.usefixtures("no_leftovers")


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
    if os.path.exists("/proc/self/task"):  # Linux: schedstat splits off the run queue
        assert figures["probe_gil_p99_ms"] is not None
        assert figures["probe_gil_p99_ms"] > 1.0
    else:  # elsewhere the split is unknown
        assert figures["probe_gil_p99_ms"] is None


def test_probe_figures_split_lateness_into_gil_and_run_queue():
    samples = [runner.ProbeSample(6.0, 1.0)] * 99 + [runner.ProbeSample(20.0, 15.0)]
    figures = runner.probe_figures(samples)
    assert figures["probe_p99_ms"] == 20.0
    assert figures["probe_queue_p99_ms"] == 15.0 and figures["probe_gil_p99_ms"] == 5.0
    unknown = runner.probe_figures([runner.ProbeSample(6.0, None)])
    assert unknown["probe_gil_p99_ms"] is None and unknown["probe_p99_ms"] == 6.0


def test_a_probe_with_no_sample_yet_reads_on_time():
    assert runner.GilProbe().latest() == runner.ProbeSample(0.0, None)


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
