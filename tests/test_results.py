import pytest

from gilviz.results import Result, Spread, verdict
from tests.conftest import make_result


def test_spread_is_median_min_max():
    assert Spread.of([3.0, 1.0, 2.0, 10.0]) == Spread(2.5, 1.0, 10.0)
    with pytest.raises(ValueError):
        Spread.of([])


def test_measure_computes_speedup_efficiency_and_parallelism():
    result = Result.measure(
        workload="cpu",
        executor="processes",
        workers=2,
        tasks=4,
        size=10,
        walls=[0.5, 0.6, 0.4],
        startups=[0.01, 0.02, 0.03],
        cpu_totals=[0.9, 1.0, 1.1],
        baseline_wall_s=1.0,
        checksum_ok=True,
        bad_checksums=0,
        probe_p50_ms=0.1,
        probe_p99_ms=0.2,
        env={},
    )
    assert result.wall_s == 0.5 and (result.wall_min_s, result.wall_max_s) == (0.4, 0.6)
    assert result.speedup == pytest.approx(2.0)
    assert result.efficiency == pytest.approx(1.0)
    assert result.parallelism == pytest.approx(2.0)
    assert result.startup_s == 0.02 and result.repeat == 3


def test_round_trip_keeps_every_field_and_adds_the_verdict():
    result = make_result()
    data = result.to_dict()
    assert data["verdict"] == verdict(result)
    assert Result.from_dict(data) == result


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"speedup": 1.02, "efficiency": 0.51}, "the GIL let one thread run at a time"),
        ({"executor": "processes", "speedup": 1.9, "efficiency": 0.95}, "own GIL"),
        ({"workload": "sleep", "speedup": 2.0, "efficiency": 1.0}, "waiting releases the GIL"),
        ({"executor": "asyncio", "speedup": 1.0}, "one event loop"),
        ({"executor": "processes", "workers": 8, "speedup": 1.8, "efficiency": 0.22}, "capped by"),
        ({"checksum_ok": False, "bad_checksums": 2}, "INVALID"),
        ({"workers": 1, "efficiency": 1.0}, "one worker"),
        ({"speedup": None, "efficiency": None}, "no baseline"),
        ({"env": {"gil_enabled": False}, "speedup": 2.0, "efficiency": 1.0}, "no GIL"),
    ],
)
def test_verdict_explains_the_numbers(overrides, words):
    assert words in verdict(make_result(**overrides))
