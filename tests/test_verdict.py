"""The verdict names a cause only when a figure of the same result backs it."""

from __future__ import annotations

import pytest

from gilviz.analysis.results import InFlight, in_flight
from gilviz.analysis.verdict import disturbed, stability, verdict
from tests.conftest import TOOK_TURNS_SHARES, make_result

GIL_BUILD = {"python": "3.11.7", "gil_enabled": True, "cpu_count": 2, "usable_cores": 2}
FREE_THREADED = {
    "python": "3.13.1",
    "build": "free-threaded",
    "gil_enabled": False,
    "cpu_count": 4,
    "usable_cores": 4,
}


def timeline(**shares: float) -> dict[str, object]:
    """A recorded timeline whose two workers spent the cell in these shares."""
    full = {"run": 0.0, "c": 0.0, "io": 0.0, "gil": 0.0, "core": 0.0, "idle": 0.0, **shares}
    return {"workers": [{"shares": full}, {"shares": full}]}


TOOK_TURNS = {"overlap": 1.0, "handoffs_per_s": 180.0, "timeline": timeline(run=0.5, gil=0.5)}

# (case, the result's figures, words the verdict must hold, words it must not hold)
CASES = [
    (
        "threads on cpu, the timeline shows turns on the GIL",
        {"speedup": 1.02, "efficiency": 0.51, **TOOK_TURNS},
        "2 threads took turns on the GIL: 1.0 ran at a time, 180 hand-offs",
        "near-ideal",
    ),
    (
        "threads with no gain and no timeline: no cause is invented",
        {"speedup": 1.02, "efficiency": 0.51},
        "no measured figure shows why",
        "GIL",
    ),
    (
        "hash on threads: C code, backed by the time in C",
        {
            "workload": "hash",
            "speedup": 1.96,
            "efficiency": 0.98,
            "parallelism": 1.95,
            "timeline": timeline(c=0.9, run=0.05),
        },
        "the C code ran without the GIL (90% of the time in C, 1.9 cores busy)",
        "took turns",
    ),
    (
        "hash on threads while another program burned a core: disturbed, not the GIL",
        {"workload": "hash", "speedup": 1.05, "efficiency": 0.52, "other_cores": 1.0},
        "disturbed, other programs kept 1.0 of 2 cores busy",
        "GIL",
    ),
    (
        "one usable core (taskset -c 0): capped by it, not the GIL",
        {
            "speedup": 1.0,
            "efficiency": 0.5,
            "env": {**GIL_BUILD, "usable_cores": 1},
            **TOOK_TURNS,
        },
        "capped by the 1 usable core",
        "GIL",
    ),
    (
        "free-threaded threads on cpu scale: the GIL is off",
        {
            "speedup": 1.95,
            "efficiency": 0.975,
            "parallelism": 1.96,
            "env": FREE_THREADED,
            "timeline": timeline(run=0.97),
        },
        "the GIL is off in this free-threaded build (2.0 cores busy)",
        "C code",
    ),
    (
        "free-threaded threads x4 on 4 cores",
        {
            "workers": 4,
            "tasks": 8,
            "speedup": 3.8,
            "efficiency": 0.95,
            "parallelism": 3.85,
            "env": FREE_THREADED,
        },
        "near-ideal (95% of what 4 workers allow), the GIL is off",
        "own GIL",
    ),
    (
        "a free-threaded build run with PYTHON_GIL=1 takes turns again",
        {
            "speedup": 1.01,
            "efficiency": 0.5,
            "env": {**FREE_THREADED, "gil_enabled": True},
            **TOOK_TURNS,
        },
        "took turns on the GIL",
        "GIL is off",
    ),
    (
        "mixed on threads at 1.48x is partial, not near-ideal",
        {"workload": "mixed", "speedup": 1.48, "efficiency": 0.74, "parallelism": 1.0},
        "partial, 74% of what 2 workers allow, 1.00 cores busy",
        ";",
    ),
    (
        "89% efficiency is not near-ideal",
        {"executor": "processes", "speedup": 1.78, "efficiency": 0.89, "parallelism": 1.8},
        "partial, 89%",
        "near-ideal",
    ),
    (
        "90% efficiency is near-ideal",
        {"executor": "processes", "speedup": 1.8, "efficiency": 0.9, "parallelism": 1.8},
        "near-ideal (90% of what 2 workers allow), each process has its own GIL",
        "partial",
    ),
    (
        "processes with no gain and a slow start: the start-up share is the cause",
        {"executor": "processes", "speedup": 1.0, "startup_s": 0.5},
        "starting the workers took 38% of the time (0.50 s)",
        "moving",
    ),
    (
        "processes moving 34 MB: the transfer cost, from bytes and CPU beyond the tasks",
        {
            "executor": "processes",
            "workload": "payload",
            "speedup": 1.05,
            "bytes_moved": 33_554_504,
            "process_cpu_s": 1.2,
            "cpu_s": 0.8,
        },
        "moving 34 MB cost 0.40 s of CPU beside the tasks' 0.80 s",
        "start",
    ),
    (
        "processes on cpu with no gain, fast start-up and nothing moved: no cause invented",
        {"executor": "processes", "speedup": 0.95, "startup_s": 0.012, "other_cores": 0.0},
        "no measured figure shows why",
        "moving data",
    ),
    (
        "processes x1: only the overhead differs",
        {"executor": "processes", "workers": 1, "speedup": 0.97, "startup_s": 0.012},
        "one worker, so only the overhead differs from serial, start-up 0.012 s",
        "GIL",
    ),
    (
        "processes x8 on 2 cores: capped by the cores, with the cores busy",
        {
            "executor": "processes",
            "workers": 8,
            "tasks": 16,
            "speedup": 1.8,
            "efficiency": 0.225,
            "parallelism": 1.9,
        },
        "capped by this machine's 2 usable cores (1.90 cores busy)",
        "partial",
    ),
    (
        "sleeping threads x8 on 2 cores: above the cores only because they waited",
        {
            "workload": "sleep",
            "workers": 8,
            "tasks": 16,
            "speedup": 7.9,
            "efficiency": 0.99,
            "parallelism": 0.02,
        },
        "mostly waited, which needs neither a core nor the GIL",
        "probably slowed",
    ),
    (
        "sleeping threads above the cores are flagged with why that is possible",
        {"workload": "sleep", "workers": 8, "tasks": 16, "speedup": 7.9, "parallelism": 0.02},
        "above the 2 usable cores: possible only because the tasks waited",
        "probably slowed",
    ),
    (
        "2.16x on 2 busy cores is flagged, never printed bare",
        {"executor": "processes", "speedup": 2.16, "efficiency": 1.08, "parallelism": 1.95},
        "above the 2 usable cores while 1.9 were busy: the baseline was probably slowed",
        "possible only",
    ),
    (
        "asyncio on mixed: one event loop, from its cores busy",
        {"executor": "asyncio", "workload": "mixed", "speedup": 1.0, "parallelism": 0.77},
        "one event loop ran one task's CPU work at a time (0.77 cores busy)",
        "GIL",
    ),
    (
        "wrong checksums make the result invalid",
        {"checksum_ok": False, "bad_checksums": 2},
        "INVALID, 2 task checksums were wrong",
        "GIL",
    ),
    (
        "no baseline, no speedup words",
        {"speedup": None, "efficiency": None},
        "no baseline to compare with",
        "GIL",
    ),
    (
        "a failed cell says why",
        {"error": "a worker died, so the pool broke", "speedup": None},
        "threads x2 on cpu: failed, a worker died",
        "baseline",
    ),
    (
        "the serial baseline says what it is",
        {"executor": "serial", "workers": 1, "speedup": 1.0, "efficiency": 1.0},
        "serial baseline: 4 tasks one after another",
        "near-ideal",
    ),
    (
        "a disturbed serial baseline says so",
        {"executor": "serial", "workers": 1, "speedup": 1.0, "other_cores": 0.9},
        "disturbed",
        "baseline: 4 tasks",
    ),
    (
        "16 workers and 40 tasks: the ideal is what the split allows",
        {
            "executor": "processes",
            "workers": 16,
            "tasks": 40,
            "speedup": 12.5,
            "efficiency": 12.5 / (40 / 3),
            "parallelism": 12.6,
            "env": {**GIL_BUILD, "cpu_count": 16, "usable_cores": 16},
        },
        "near-ideal (94% of what 40 tasks on 16 workers allow (13.33x))",
        "capped",
    ),
    (
        "runs that spread widely are marked unstable",
        {
            "executor": "processes",
            "speedup": 1.9,
            "efficiency": 0.95,
            "parallelism": 1.9,
            "repeat": 5,
            "wall_min_s": 0.6,
            "wall_max_s": 1.0,
        },
        "unstable: its 5 runs spread 50%",
        "disturbed",
    ),
    (
        "other programs using spare cores of a big machine do not disturb a small cell",
        {
            "speedup": 1.0,
            "other_cores": 10.0,
            "env": {**GIL_BUILD, "cpu_count": 64, "usable_cores": 64},
            **TOOK_TURNS,
        },
        "took turns on the GIL",
        "disturbed",
    ),
]


@pytest.mark.parametrize(
    ("figures", "holds", "lacks"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_the_verdict_cites_the_figure_behind_its_cause(figures, holds, lacks):
    words = verdict(make_result(**figures))
    assert holds in words
    assert lacks not in words


def test_there_are_at_least_twenty_cases_free_threaded_among_them():
    assert len(CASES) >= 20
    assert any(c[1].get("env") == FREE_THREADED for c in CASES)


@pytest.mark.parametrize(
    ("figures", "state"),
    [
        ({}, "unknown"),
        ({"repeat": 3, "wall_min_s": 0.78, "wall_max_s": 0.82}, "stable"),
        ({"repeat": 3, "wall_min_s": 0.6, "wall_max_s": 0.9}, "unstable"),
        ({"repeat": 3, "other_cores": 1.2}, "disturbed"),
        ({"repeat": 3, "other_cores": 0.2}, "stable"),
        ({"error": "boom"}, "failed"),
    ],
)
def test_stability_flags_what_should_not_be_trusted(figures, state):
    figures = {"wall_min_s": 0.8, "wall_max_s": 0.8, **figures}
    assert stability(make_result(**figures)) == state


def test_disturbance_needs_load_beyond_the_spare_cores():
    assert not disturbed(make_result(other_cores=None))
    assert not disturbed(make_result(other_cores=0.2))
    assert disturbed(make_result(other_cores=0.3, parallelism=1.9))
    assert not disturbed(make_result(other_cores=0.3, parallelism=1.0))


def near_ideal(**figures: object) -> str:
    """The verdict of a result at 95% efficiency with these figures."""
    return verdict(make_result(**{"speedup": 1.9, "efficiency": 0.95, **figures}))


@pytest.mark.parametrize(
    ("figures", "cause"),
    [
        ({"parallelism": 0.94}, "the tasks mostly waited, which needs neither a core nor the GIL"),
        ({"parallelism": 0.95, "executor": "processes"}, "each process has its own GIL (0.9"),
        ({"parallelism": 1.9, "executor": "interpreters"}, "each interpreter has its own GIL"),
        (
            {"parallelism": 1.9, "env": {"usable_cores": 2}},
            "the GIL was let go: one process's threads kept 1.9",
        ),
        ({"parallelism": 1.9, "timeline": timeline(c=0.5)}, "the C code ran without the GIL (50%"),
        ({"parallelism": 1.9, "timeline": timeline(c=0.49)}, "1.9 cores busy at once"),
    ],
)
def test_each_parallel_cause_has_its_threshold(figures, cause):
    assert f"), {cause}" in near_ideal(**figures)


@pytest.mark.parametrize(
    ("figures", "words"),
    [
        ({"executor": "asyncio", "parallelism": 1.1}, "no gain, one event loop ran"),
        ({"executor": "asyncio", "parallelism": 1.11}, "no gain, and no measured figure"),
        ({"executor": "asyncio", **TOOK_TURNS}, "no gain, one event loop ran"),
        ({"executor": "processes", "startup_s": 0.2}, "no gain, starting the workers took 20%"),
        ({"executor": "processes", "startup_s": 0.19}, "no gain, and no measured figure"),
        ({"executor": "processes", "startup_s": 0.0}, "shows why (0.99 cores busy)"),
        (
            {"executor": "processes", "startup_s": 0.001},
            "shows why (0.99 cores busy, start-up 0.001 s)",
        ),
        (
            {"executor": "processes", "startup_s": 0.5, "bytes_moved": 1_500_000},
            "no gain, starting the workers took 38% of the time (0.50 s)",
        ),
        (
            {
                "executor": "processes",
                "startup_s": 0.5,
                "bytes_moved": 1_500_000,
                "cpu_s": 0.5,
                "process_cpu_s": 0.65,
            },
            "took 38% of the time (0.50 s); moving 2 MB cost 0.15 s of CPU beside the tasks' "
            "0.50 s",
        ),
        (
            {
                "executor": "processes",
                "bytes_moved": 1_500_000,
                "cpu_s": 0.5,
                "process_cpu_s": 0.55,
            },
            "no gain, and no measured figure",
        ),
        (
            {
                "executor": "processes",
                "bytes_moved": 1_500_000,
                "cpu_s": 1.25,
                "process_cpu_s": 1.5,
            },
            "moving 2 MB cost 0.25 s",
        ),
        (
            {"executor": "processes", "bytes_moved": 4_000, "cpu_s": 0.02, "process_cpu_s": 0.032},
            "moving 4 KB cost 0.01 s of CPU beside the tasks' 0.02 s",
        ),
        (
            {"executor": "processes", "bytes_moved": 4_000, "cpu_s": 0.002, "process_cpu_s": 0.01},
            "no gain, and no measured figure",
        ),
        ({"executor": "processes", "bytes_moved": 0, "process_cpu_s": 9.0}, "no measured figure"),
        ({"executor": "processes", "bytes_moved": 10, "process_cpu_s": None}, "no measured figure"),
    ],
)
def test_each_no_gain_cause_has_its_threshold(figures, words):
    assert words in verdict(make_result(**{"speedup": 1.0, **figures}))


@pytest.mark.parametrize(
    ("figures", "words"),
    [
        ({"speedup": 1.19}, "no gain"),
        ({"speedup": 1.2, "efficiency": 0.6}, "partial, 60%"),
        ({"speedup": 2.11, "efficiency": 1.05, "parallelism": 0.99}, "above the 2 usable cores:"),
        ({"speedup": 2.11, "efficiency": 1.05, "parallelism": 1.0}, "the baseline was probably"),
        ({"speedup": 2.11, "efficiency": 1.05, "parallelism": 1.5}, "while 1.5 were busy"),
        ({"speedup": 2.11, "efficiency": 1.05, "parallelism": 0.1}, "(above the 2 usable"),
    ],
)
def test_speedup_thresholds(figures, words):
    assert words in verdict(make_result(**figures))


def test_a_speedup_just_within_the_cores_is_printed_as_it_is():
    assert "above the" not in verdict(make_result(speedup=2.1, efficiency=1.0, parallelism=1.9))
    assert "above the" in verdict(make_result(speedup=2.11, efficiency=1.0, parallelism=1.9))


def test_a_partial_result_cites_the_turns_taken_when_the_timeline_shows_them():
    words = verdict(make_result(speedup=1.3, efficiency=0.65, **TOOK_TURNS))
    assert words.endswith(
        "partial, 65% of what 2 workers allow, 0.99 cores busy; 2 threads took turns on the GIL:"
        " 1.0 ran at a time, 180 hand-offs a second"
    )


def test_without_usable_cores_recorded_the_logical_count_stands_in():
    eight = {"cpu_count": 8}
    assert stability(make_result(other_cores=0.3, parallelism=1.5, env=eight)) == "unknown"
    assert "above the 1 usable cores" in verdict(make_result(speedup=1.5, env={}))


@pytest.mark.parametrize(
    ("figures", "words"),
    [
        (
            {"workers": 3, "tasks": 3, "speedup": 2.5, "efficiency": 0.83, "parallelism": 2.4},
            "capped by this machine's 2 usable cores (2.40",
        ),
        (
            {"workers": 3, "tasks": 3, "speedup": 1.6, "efficiency": 0.53, "parallelism": 1.6},
            "capped by this machine's 2",
        ),
        (
            {"workers": 3, "tasks": 3, "speedup": 1.5, "efficiency": 0.5, "parallelism": 1.59},
            "partial",
        ),
        (
            {"workers": 2, "tasks": 4, "speedup": 1.5, "efficiency": 0.75, "parallelism": 1.9},
            "partial, 75% of what 2 workers allow, 1.90 cores busy",
        ),
        (
            {
                "workers": 4,
                "tasks": 6,
                "speedup": 2.9,
                "efficiency": 0.97,
                "parallelism": 2.9,
                "env": {**GIL_BUILD, "usable_cores": 4},
            },
            "near-ideal (97% of what 6 tasks on 4 workers allow (3.00x))",
        ),
    ],
)
def test_caps_and_partial_results_cite_their_figures(figures, words):
    assert words in verdict(make_result(**figures))


def test_took_turns_needs_both_overlap_near_one_and_a_tenth_waiting():
    base = {"speedup": 1.0, "handoffs_per_s": 99.6}
    assert "took turns" in verdict(make_result(**base, overlap=1.15, timeline=timeline(gil=0.1)))
    assert "100 hand-offs" in verdict(make_result(**base, overlap=1.15, timeline=timeline(gil=0.1)))
    assert "took turns" not in verdict(
        make_result(**base, overlap=1.16, timeline=timeline(gil=0.5))
    )
    assert "took turns" not in verdict(
        make_result(**base, overlap=1.0, timeline=timeline(gil=0.09))
    )
    assert "took turns" not in verdict(
        make_result(**base, overlap=None, timeline=timeline(gil=0.5))
    )
    assert "0 hand-offs" in verdict(
        make_result(speedup=1.0, overlap=1.0, handoffs_per_s=None, timeline=timeline(gil=0.5))
    )


def test_disturbed_and_unstable_thresholds():
    assert stability(make_result(other_cores=0.25, parallelism=1.51)) == "disturbed"
    assert stability(make_result(other_cores=0.25, parallelism=1.5)) == "unknown"  # 1.75, not more
    assert stability(make_result(other_cores=0.24, parallelism=2.0)) == "unknown"
    assert stability(make_result(other_cores=0.3, parallelism=1.5, env={"cpu_count": 2})) == (
        "disturbed"
    ), "without usable_cores recorded, the logical count stands in"
    unstable = {"repeat": 3, "wall_s": 1.0, "wall_min_s": 0.875, "wall_max_s": 1.125}
    assert stability(make_result(**unstable)) == "stable", "a spread of exactly 25% is stable"
    assert stability(make_result(**{**unstable, "wall_max_s": 1.126})) == "unstable"
    assert stability(make_result(**{**unstable, "repeat": 2})) == "unknown"
    assert "disturbed, other programs kept 1.5 of 2 cores busy while it ran" in verdict(
        make_result(other_cores=1.5)
    )


@pytest.mark.parametrize(
    ("figures", "words"),
    [
        ({"executor": "asyncio", "speedup": 1.795, "efficiency": 0.8975}, "near-ideal (90%"),
        ({"speedup": 1.196, "efficiency": 0.598, "parallelism": 1.5}, "partial"),
        ({"speedup": 1.194, "efficiency": 0.597, "parallelism": 1.5}, "no gain"),
    ],
)
def test_words_are_judged_on_the_figures_as_printed(figures, words):
    """An efficiency printed as 90% is near-ideal; a speedup printed 1.20x is not 'no gain'."""
    assert words in verdict(make_result(env=GIL_BUILD, **figures))


def test_a_speedup_whose_runs_straddle_the_no_gain_line_says_it_is_within_noise():
    figures = {"speedup": 1.25, "efficiency": 0.62, "parallelism": 1.3, "repeat": 3}
    straddling = make_result(env=GIL_BUILD, speedup_low=1.1, speedup_high=1.4, **figures)
    assert "runs read 1.10-1.40x, on both sides of 1.20x" in verdict(straddling)
    clear = make_result(env=GIL_BUILD, speedup_low=1.21, speedup_high=1.4, **figures)
    assert "both sides" not in verdict(clear)


def test_hand_offs_are_counted_only_where_threads_share_a_gil():
    from gilviz.analysis.results import gil_handoffs

    turns = {"handoffs_per_s": 150.0, "env": GIL_BUILD}
    assert gil_handoffs(make_result(executor="threads", workers=2, **turns)) == 150.0
    for executor, workers in (("serial", 1), ("processes", 2), ("asyncio", 2), ("threads", 1)):
        assert gil_handoffs(make_result(executor=executor, workers=workers, **turns)) is None
    free = {"handoffs_per_s": 150.0, "env": FREE_THREADED}
    assert gil_handoffs(make_result(executor="threads", workers=2, **free)) is None


def test_the_readme_quotes_the_verdicts_words_and_thresholds():
    from gilviz.analysis.verdict import WORDS
    from tests.conftest import ROOT

    readme = " ".join((ROOT / "README.md").read_text().split())
    for word, rule in WORDS:
        assert f"| {word} | {rule} |" in readme, f"README's table of verdict words: {word}"


def records(*spans: tuple[float, float, float]) -> list[dict[str, float]]:
    """Per-task records from (start, end, cpu_s)."""
    return [{"start": s, "end": e, "cpu_s": c} for s, e, c in spans]


TURNS = records((0.0, 0.8, 0.4), (0.0, 0.8, 0.4))
"""Two tasks under way the whole time, each on a core half of it: turns."""


def test_without_a_timeline_the_records_show_threads_taking_turns():
    flight = in_flight(make_result(records=TURNS))
    assert flight == InFlight(tasks=2.0, running=0.5)
    assert in_flight(make_result(records=records((0.0, 0.4, 0.4), (0.4, 0.8, 0.4)))) == InFlight(
        1.0, 1.0
    )
    assert in_flight(make_result(records=TURNS[:1])) is None
    words = verdict(make_result(records=TURNS))
    assert words.endswith(
        "no gain, 2.0 tasks were under way at once, but each ran on a core only 50% of its time "
        "and 0.99 cores were busy: they took turns (on the GIL, or on a lock they share)"
    )


@pytest.mark.parametrize(
    ("figures", "turns"),
    [
        ({"records": TURNS, "parallelism": 1.16}, False),  # more than one core busy
        ({"records": records((0.0, 0.8, 0.4), (0.4, 0.8, 0.2))}, True),  # 1.5 under way
        ({"records": records((0.0, 0.8, 0.4), (0.41, 0.8, 0.2))}, False),  # under 1.5
        ({"records": TURNS, **TOOK_TURNS_SHARES, "overlap": 1.6}, False),  # a timeline speaks
    ],
)
def test_turns_from_records_need_tasks_under_way_and_one_core(figures, turns):
    assert ("tasks were under way at once" in verdict(make_result(**figures))) == turns


def test_a_partial_speedup_names_its_measured_costs():
    slow_start = make_result(executor="processes", speedup=1.5, efficiency=0.75, startup_s=0.3)
    assert verdict(slow_start).endswith(
        "partial, 75% of what 2 workers allow, 0.99 cores busy; starting the workers took 27% "
        "of the time (0.30 s)"
    )


@pytest.mark.parametrize(("busy", "let_go"), [(1.5, True), (1.49, False)])
def test_threads_busy_on_several_cores_under_one_gil_let_it_go(busy, let_go):
    near_ideal = {"speedup": 1.9, "efficiency": 0.95, "parallelism": busy}
    words = verdict(make_result(**near_ideal))
    assert ("the GIL was let go: one process's threads kept" in words) == let_go
    assert "the GIL was let go" not in verdict(make_result(**near_ideal, executor="asyncio"))


def sampled(samples: int = 7, **shares: float) -> dict[str, object]:
    """Stack samples' figures, as a user's function's result carries them."""
    every = dict.fromkeys(("run", "c", "io", "gil", "lock", "core"), 0.0)
    return {"shares": every | shares, "samples": samples}


HOT = [
    {"file": "/home/me/mymod.py", "line": 12, "function": "work", "run_ms": 200.0, "c_ms": 0.0}
    | {"wait_ms": 180.0, "waits_ms": {"gil": 150.0, "lock": 30.0, "io": 0.0, "core": 0.0}}
    | {"samples": 7},
    {"file": "/home/me/mymod.py", "line": 20, "function": "work", "run_ms": 10.0, "c_ms": 0.0}
    | {"wait_ms": 90.0, "waits_ms": {"gil": 0.0, "lock": 90.0, "io": 0.0, "core": 0.0}}
    | {"samples": 3},
]


def test_stack_samples_name_a_users_threads_wait_and_its_line():
    held = make_result(records=TURNS, sampled=sampled(run=0.52, gil=0.47), hot_lines=HOT)
    assert verdict(held).endswith(
        "no gain, its threads held the GIL 52% of their time and waited for it 47%, most at "
        "mymod.py:12 (7 stack samples)"
    )
    locked = make_result(records=TURNS, sampled=sampled(run=0.3, io=0.3, lock=0.4), hot_lines=HOT)
    assert "waited on a lock of its own 40% of their time, most at mymod.py:20 (7 stack" in (
        verdict(locked)
    )
    few = make_result(records=TURNS, sampled=sampled(samples=4, run=0.52, gil=0.47))
    assert "tasks were under way at once" in verdict(few), "4 samples are too few to cite"


def test_stack_samples_show_c_that_let_the_gil_go():
    near_ideal = {"speedup": 1.9, "efficiency": 0.95, "parallelism": 1.4}
    words = verdict(make_result(**near_ideal, sampled=sampled(c=0.9, run=0.1), hot_lines=HOT))
    assert "the C code ran without the GIL (90% of its threads' time, most at mymod.py:12, 1.4" in (
        words
    )


def test_lanes_from_samples_leave_the_words_to_the_samples_and_count_no_handoffs():
    from_samples = timeline(run=0.5, gil=0.5) | {"source": "samples"}
    figures = {"records": TURNS, "overlap": 1.0, "handoffs_per_s": None, "timeline": from_samples}
    held = verdict(make_result(**figures, sampled=sampled(run=0.52, gil=0.47), hot_lines=HOT))
    assert "hand-offs" not in held, "a sample every 5-12 ms counts no hand-offs"
    assert held.endswith("waited for it 47%, most at mymod.py:12 (7 stack samples)")
    few = verdict(make_result(**figures, sampled=sampled(samples=4, run=0.52, gil=0.47)))
    assert "tasks were under way at once" in few, "the records speak where samples are too few"
    c_heavy = {"speedup": 1.9, "efficiency": 0.95, "parallelism": 1.4, "overlap": 1.9}
    c_lanes = timeline(c=0.9) | {"source": "samples"}
    words = verdict(
        make_result(**c_heavy, timeline=c_lanes, sampled=sampled(c=0.9, run=0.1), hot_lines=HOT)
    )
    assert "90% of its threads' time, most at mymod.py:12" in words, "the samples name the line"


def test_work_done_in_the_functions_own_threads_is_not_called_waiting():
    own_threads = {"speedup": 1.9, "efficiency": 0.95, "parallelism": 0.01, "wall_s": 0.25}
    words = verdict(make_result(**own_threads, process_cpu_s=0.45))
    assert words.endswith(
        "the tasks' threads mostly waited (0.0 cores busy) while the run kept 1.8 cores busy: "
        "the work ran in threads of the function's own"
    )
    waited = verdict(make_result(**own_threads, process_cpu_s=0.01))
    assert waited.endswith(
        "the tasks mostly waited, which needs neither a core nor the GIL (0.0 cores busy)"
    )
