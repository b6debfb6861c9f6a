import dataclasses

import pytest

from gilviz.analysis.results import Result, Spread, gil_wait_share, ideal_speedup
from gilviz.analysis.verdict import judged, verdict
from tests.conftest import make_result


def test_spread_is_median_min_max():
    assert Spread.of([3.0, 1.0, 2.0, 10.0]) == Spread(2.5, 1.0, 10.0)
    with pytest.raises(ValueError, match=r"^no values to summarise$"):
        Spread.of([])


def measure(**runs: object) -> Result:
    """Result.measure on processes x2 with four tasks and these raw runs."""
    fixed: dict[str, object] = {
        "workload": "cpu",
        "executor": "processes",
        "workers": 2,
        "tasks": 4,
        "size": 10,
        "checksum_ok": True,
        "bad_checksums": 0,
        "probe_p50_ms": 0.1,
        "probe_p99_ms": 0.2,
        "env": {},
    }
    return Result.measure(**{**fixed, **runs})  # type: ignore[arg-type]


def test_measure_computes_speedup_efficiency_and_parallelism():
    result = measure(
        walls=[0.5, 0.6, 0.4],
        startups=[0.01, 0.02, 0.03],
        cpu_totals=[0.9, 1.0, 1.1],
        baseline_wall_s=1.0,
    )
    assert result.wall_s == 0.5 and (result.wall_min_s, result.wall_max_s) == (0.4, 0.6)
    assert result.speedup == pytest.approx(2.0)
    assert result.efficiency == pytest.approx(1.0)
    assert result.parallelism == pytest.approx(2.0)
    assert result.startup_s == 0.02 and result.repeat == 3


def test_round_trip_keeps_every_field_and_the_verdict_judged_once():
    result = make_result()
    data = result.to_dict()
    assert data["verdict"] == verdict(result) and data["stability"] == "unknown"
    assert Result.from_dict(data) == result
    unjudged = dataclasses.replace(result, verdict="", stability="")
    assert unjudged.to_dict()["verdict"] == "", "to_dict computes nothing"
    assert judged(unjudged) == result


@pytest.mark.parametrize(
    ("tasks", "workers", "ideal"),
    [(4, 2, 2.0), (3, 2, 1.5), (40, 16, 40 / 3), (1, 8, 1.0), (0, 2, 1.0), (4, 0, 1.0)],
)
def test_the_task_split_bounds_the_ideal_speedup(tasks, workers, ideal):
    assert ideal_speedup(tasks, workers) == pytest.approx(ideal)


def test_efficiency_is_against_what_the_task_split_allows():
    result = measure(
        workers=16, tasks=40, walls=[0.3], startups=[0.0], cpu_totals=[4.0], baseline_wall_s=4.0
    )
    assert result.efficiency == pytest.approx((4.0 / 0.3) / (40 / 3))


def test_process_cpu_is_the_median_over_repeats_and_spread_needs_two_runs():
    result = make_result()
    assert result.spread is None
    measured = measure(
        walls=[1.0, 0.8, 1.2],
        startups=[0.0] * 3,
        cpu_totals=[0.5] * 3,
        process_cpus=[0.9, 0.7, 0.8],
        baseline_wall_s=2.0,
    )
    assert measured.process_cpu_s == pytest.approx(0.8)
    assert measured.spread == pytest.approx(0.4)


ZEROED = ("size", "repeat", "wall_s", "wall_min_s", "wall_max_s", "cpu_s", "parallelism")
ZEROED += ("startup_s", "bad_checksums", "probe_p50_ms", "probe_p99_ms")


def test_a_failed_cell_is_a_result_with_its_reason_and_no_figures():
    failed = Result.failed(
        workload="cpu", executor="processes", workers=2, tasks=4, error="boom", env={}
    )
    data = judged(failed).to_dict()
    assert (data["workers"], data["tasks"], data["checksum_ok"]) == (2, 4, False)
    assert all(data[name] == 0 and type(data[name]) is not bool for name in ZEROED)
    assert data["finished_at"].endswith("+00:00")
    stamped = Result.failed(
        workload="cpu", executor="threads", workers=1, tasks=1, error="x", env={}, finished_at="t"
    )
    assert stamped.finished_at == "t"
    assert data["error"] == "boom" and data["stability"] == "failed"
    assert data["speedup"] is None and "failed, boom" in data["verdict"]
    assert Result.from_dict(data) == judged(failed)


def test_without_a_baseline_or_a_wall_time_there_is_no_speedup():
    for baseline, walls in ((None, [0.5]), (0.0, [0.5]), (1.0, [0.0])):
        result = measure(walls=walls, startups=[0.0], cpu_totals=[0.4], baseline_wall_s=baseline)
        assert result.speedup is None and result.efficiency is None, (baseline, walls)
    stopped = measure(walls=[0.0], startups=[0.0], cpu_totals=[0.4], baseline_wall_s=1.0)
    assert stopped.parallelism == 0.0


def test_measure_keeps_the_size_and_stamps_the_time():
    result = measure(walls=[0.5], startups=[0.0], cpu_totals=[0.4], baseline_wall_s=1.0)
    assert result.size == 10 and result.finished_at.endswith("+00:00")
    stamped = measure(
        walls=[0.5], startups=[0.0], cpu_totals=[0.4], baseline_wall_s=1.0, finished_at="then"
    )
    assert stamped.finished_at == "then"


def test_the_help_states_the_efficiency_the_results_compute():
    """The help's formula and worked example are the code's: efficiency = speedup / ideal."""
    import re

    from gilviz.app.widgets.help import HELP

    text = " ".join(HELP.split())
    assert "efficiency = speedup / the ideal speedup" in text
    assert "ideal = tasks / ceil(tasks / workers)" in text
    tasks, workers, ideal = re.search(
        r"(\d+) tasks on (\d+) workers allow ([\d.]+)x", text
    ).groups()
    assert f"{ideal_speedup(int(tasks), int(workers)):.1f}" == ideal
    result = measure(
        workers=int(workers),
        tasks=int(tasks),
        walls=[1.0],
        startups=[0.0],
        cpu_totals=[1.0],
        baseline_wall_s=10.0,
    )
    assert result.efficiency == pytest.approx(10.0 / ideal_speedup(int(tasks), int(workers)))


def test_gil_wait_share_is_the_workers_mean():
    shares = {"run": 0.5, "c": 0.0, "io": 0.0, "gil": 0.25, "core": 0.0, "idle": 0.25}
    other = {**shares, "gil": 0.75, "idle": 0.0, "run": 0.25}
    timeline = {"workers": [{"shares": shares}, {"shares": other}]}
    assert gil_wait_share(make_result(timeline=timeline)) == 0.5
    assert gil_wait_share(make_result()) is None
    thirds = {"workers": [{"shares": {**shares, "gil": 1 / 3}}]}
    assert gil_wait_share(make_result(timeline=thirds)) == 0.3333, "rounded to four places"
