import pytest

from gilviz.protocol.spec import (
    MAX_WORKERS,
    Cell,
    ExperimentSpec,
    default_workers,
    parse_choice,
    parse_count,
    parse_fault,
    sweep_cells,
    task_seconds,
    variants,
)


@pytest.mark.parametrize("text", ["0", "-3", "1e9", "abc", "", "  ", "2.5", str(MAX_WORKERS + 1)])
def test_bad_counts_are_refused_with_a_sentence(text):
    with pytest.raises(ValueError, match="workers"):
        parse_count(text, "workers", MAX_WORKERS)


def test_good_count_is_an_int():
    assert parse_count(" 8 ", "workers", MAX_WORKERS) == 8


def test_unknown_choice_lists_the_valid_ones():
    with pytest.raises(ValueError, match="choose from: a, b"):
        parse_choice("c", "thing", ["a", "b"])


@pytest.mark.parametrize(
    ("cores", "expected"),
    [(1, [1]), (2, [1, 2]), (6, [1, 2, 4, 6]), (64, [1, 2, 4, 8, 16, 32, 64])],
)
def test_default_workers_are_powers_of_two_plus_the_core_count(cores, expected):
    assert default_workers(cores) == expected


def test_sweep_gives_serial_one_worker_only():
    cells = sweep_cells(["serial", "threads"], [1, 4])
    assert cells == (Cell("serial", 1), Cell("threads", 1), Cell("threads", 4))


def test_spec_round_trips_and_puts_the_baseline_first():
    spec = ExperimentSpec(
        "cpu", (Cell("threads", 2), Cell("serial", 1)), tasks=4, fault=Cell("threads", 1)
    )
    assert ExperimentSpec.from_dict(spec.to_dict()) == spec
    assert spec.with_baseline().cells == (Cell("serial", 1), Cell("threads", 2))


def test_fault_names_an_executor_and_a_task():
    assert parse_fault("threads:3") == Cell("threads", 3)
    assert parse_fault("processes") == Cell("processes", 0), "no task: the first one"
    assert parse_fault("threads:") == Cell("threads", 0)
    with pytest.raises(ValueError, match="unknown executor 'nope'"):
        parse_fault("nope:1")
    with pytest.raises(ValueError, match="fault task must be a whole number"):
        parse_fault("threads:1:2")


@pytest.mark.parametrize(
    ("pace", "tasks", "seconds"),
    [("quick", 4, None), ("watch", 4, 1.25), ("watch", 1, 2.0), ("watch", 1000, 0.05)],
)
def test_the_watch_pace_spreads_five_seconds_of_work_over_the_tasks(pace, tasks, seconds):
    assert task_seconds(pace, tasks) == (None if seconds is None else pytest.approx(seconds))


def test_variants_are_each_python_then_gil_setting_then_switch_interval():
    spec = ExperimentSpec("cpu", (Cell("threads", 2),), tasks=4)
    runs = variants(spec, ["/a/3.13t"], [1.0, 20.0], [True, False])
    assert [(p, s.gil, s.switch_interval_ms, s.echo_probe) for p, s in runs] == [
        ("/a/3.13t", True, 1.0, True),
        ("/a/3.13t", True, 20.0, True),
        ("/a/3.13t", False, 1.0, True),
        ("/a/3.13t", False, 20.0, True),
    ]
    assert [(p, s.gil, s.switch_interval_ms, s.echo_probe) for p, s in variants(spec)] == [
        (None, None, None, False)
    ], "nothing asked: this Python, its own GIL and interval, no echo probe"
