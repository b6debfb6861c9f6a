"""The recommendation: which executor and how many workers, the speedup, and the figure that
explains it, all from the results; within the noise it says so instead of picking one."""

from __future__ import annotations

import pytest

from gilviz.analysis.advice import advise, serial_fraction
from tests.conftest import TOOK_TURNS_SHARES, make_result

TWO = {"python": "3.11.7", "gil_enabled": True, "usable_cores": 2}
SIXTEEN = {**TWO, "usable_cores": 16}
SERIAL = {"executor": "serial", "workers": 1, "speedup": 1.0, "efficiency": 1.0}


def cell(executor: str, workers: int, speedup: float, spread: float = 0.05, **figures):
    return make_result(
        executor=executor,
        workers=workers,
        speedup=speedup,
        speedup_low=figures.pop("speedup_low", speedup - spread),
        speedup_high=figures.pop("speedup_high", speedup + spread),
        efficiency=speedup / workers,
        repeat=figures.pop("repeat", 3),
        env=figures.pop("env", TWO),
        **figures,
    )


def test_a_clear_winner_is_named_with_its_speedup_and_why():
    results = [
        make_result(env=TWO, **SERIAL),
        cell("threads", 2, 1.01, parallelism=1.0),
        cell("processes", 2, 1.93, parallelism=1.95),
    ]
    words = advise(results).words
    assert words.startswith("Use processes x2: 1.93x (1.88-1.98x over 3 runs)")
    assert "near-ideal (96% of what 2 workers allow), each process has its own GIL" in words
    assert "No projection to more cores: 2 usable cores give too few worker counts" in words


def test_with_many_cores_and_one_worker_count_it_says_which_counts_to_run():
    words = advise([make_result(env=SIXTEEN, **SERIAL), cell("processes", 2, 1.9, env=SIXTEEN)])
    assert "(these results have 1): try --workers 2,4,16." in words.words


def test_no_gain_says_keep_it_serial_with_the_measured_reason():
    threads = cell("threads", 2, 1.02, parallelism=1.01, overlap=1.0, **TOOK_TURNS_SHARES)
    words = advise([make_result(env=TWO, **SERIAL), threads]).words
    assert words.startswith("Keep it serial: the best was threads x2 at 1.02x")
    assert "no gain, 2 threads took turns on the GIL: 1.0 ran at a time" in words


def test_tiny_tasks_say_to_batch_them():
    tiny = cell("processes", 2, 0.9, cpu_s=0.3, tasks=100_000)
    words = advise([make_result(env=TWO, **SERIAL), tiny]).words
    assert "a task takes 3 µs of CPU: too little to share out" in words


def test_waiting_tasks_are_explained_by_their_waiting_not_by_turns():
    sleeping = cell("threads", 2, 2.0, parallelism=0.01)
    words = advise([make_result(env=TWO, **SERIAL), sleeping]).words
    assert "the tasks mostly waited, which needs neither a core nor the GIL" in words


def test_overlapping_runs_are_called_noise_not_a_choice():
    threads = cell("threads", 2, 1.80, spread=0.15, parallelism=1.8)
    processes = cell("processes", 2, 1.85, spread=0.15, parallelism=1.85)
    words = advise([make_result(env=TWO, **SERIAL), threads, processes]).words
    assert words.startswith(
        "Either processes x2 (1.85x, 1.70-2.00x over 3 runs) or threads x2 (1.80x"
    )
    assert "their runs overlap, so the difference is within this machine's noise" in words


def test_a_single_run_says_its_noise_is_unknown():
    once = cell("processes", 2, 1.9, repeat=1, speedup_low=None, speedup_high=None)
    assert "one run: its noise is unknown" in advise([once]).words


def test_three_worker_counts_within_the_cores_project_with_their_serial_fraction():
    # Amdahl with e = 0.1: S(p) = 1 / (0.1 + 0.9 / p)
    sweep = [cell("processes", p, 1 / (0.1 + 0.9 / p), env=SIXTEEN) for p in (2, 4, 8)]
    used, fractions = serial_fraction(sweep)
    assert [p for p, _ in used] == [2, 4, 8]
    assert fractions == pytest.approx([0.1, 0.1, 0.1])
    advice = advise(sweep)
    assert advice.serial_fraction == pytest.approx((0.1, 0.1, 0.1))
    assert "a projection, not a measurement" in advice.words and "16 cores 6.4x" in advice.words
    assert "2 workers 1.82x, 4 workers 3.08x, 8 workers 4.71x" in advice.words


def test_on_two_cores_it_never_projects():
    sweep = [cell("processes", p, 1.9, env=TWO) for p in (2, 4, 8)]
    assert advise(sweep).serial_fraction is None
