"""GIL settings and the switch interval: options, what the runner records, and the sweep.

A free-threaded build cannot be installed here: its paths are covered by recorded
environments, and the tests that need a real one run where one is on PATH."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from gilviz.analysis import report
from gilviz.cli.main import main
from gilviz.measure import environment
from gilviz.measure.environment import gil_enabled
from gilviz.protocol.spec import parse_gil_settings, parse_switch_intervals
from tests.test_store_and_report import make_result

FREE_THREADED = shutil.which("python3.14t") or shutil.which("python3.13t")
QUICK = ["--repeat", "1", "--warmup", "0", "--no-save", "--format", "json"]


def test_switch_intervals_are_milliseconds_in_a_sane_range():
    assert parse_switch_intervals("0.5, 1,5,20,100,5") == [0.5, 1.0, 5.0, 20.0, 100.0]
    for bad, words in [
        ("0", "0.01-1000 ms, not 0"),
        ("5000", "not 5000"),
        ("fast", "a number of ms, not 'fast'"),
        ("nan", "not nan"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_switch_intervals(bad)


def test_gil_settings_are_on_and_off():
    assert parse_gil_settings("on,off,on") == [True, False]
    with pytest.raises(ValueError, match="unknown GIL setting 'maybe'"):
        parse_gil_settings("maybe")


def test_the_runner_records_what_pythons_gil_asked_for_and_what_held(monkeypatch):
    monkeypatch.delenv("PYTHON_GIL", raising=False)
    assert environment.gil_request() == {}
    monkeypatch.setenv("PYTHON_GIL", "1")
    assert environment.gil_request() == {"gil_requested": True}
    monkeypatch.setenv("PYTHON_GIL", "0")
    monkeypatch.setattr(environment, "gil_enabled", lambda: True)
    request = environment.gil_request()
    assert request["gil_requested"] is False
    assert "an imported module turned the GIL back on" in request["gil_note"]
    monkeypatch.setattr(environment, "gil_enabled", lambda: False)
    assert environment.gil_request() == {"gil_requested": False}


def test_a_switch_interval_sweep_shows_an_io_threads_latency_growing_with_it(capsys):
    run = ["run", "--workload", "cpu", "--executor", "threads", "--workers", "2", "--tasks", "4"]
    assert main([*run, "--switch-interval", "0.5,50", *QUICK]) == 0  # tasks of ~0.2 s
    rows = json.loads(capsys.readouterr().out)
    by = {(r["env"]["switch_interval_ms"], r["executor"]): r for r in rows}
    assert set(by) == {(0.5, "serial"), (0.5, "threads"), (50.0, "serial"), (50.0, "threads")}
    assert all(r["echo_p99_ms"] is not None for r in rows), "the sweep times round trips"
    assert len({r["size"] for r in rows}) == 1, "calibrated once: every interval does the same work"
    if gil_enabled():  # the convoy: each wake-up waits up to one interval for the GIL
        fine, coarse = by[(0.5, "threads")], by[(50.0, "threads")]
        assert coarse["probe_p99_ms"] > fine["probe_p99_ms"]
        assert coarse["echo_p99_ms"] > fine["echo_p99_ms"]


def test_without_a_switch_interval_nothing_extra_runs(capsys):
    run = ["run", "--workload", "sleep", "--size", "1", "--executor", "threads", "--workers", "2"]
    assert main([*run, "--tasks", "2", *QUICK]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["echo_p99_ms"] for r in rows} == {None}
    assert {r["env"]["switch_interval_ms"] for r in rows} == {sys.getswitchinterval() * 1000}


@pytest.mark.skipif(not gil_enabled(), reason="a GIL build's note")
def test_gil_settings_on_a_gil_build_explain_why_they_do_nothing_and_run_once(capsys):
    run = ["run", "--workload", "sleep", "--size", "1", "--executor", "threads", "--workers", "2"]
    assert main([*run, "--tasks", "2", "--gil", "on,off", *QUICK]) == 0
    captured = capsys.readouterr()
    assert "--gil does nothing" in captured.err and "a GIL build" in captured.err
    assert [r["executor"] for r in json.loads(captured.out)] == ["serial", "threads"]


@pytest.mark.skipif(FREE_THREADED is None, reason="needs a free-threaded Python on PATH")
def test_a_free_threaded_build_runs_with_the_gil_on_and_off(capsys):
    run = ["run", "--workload", "cpu", "--executor", "threads", "--workers", "2", "--tasks", "4"]
    assert main([*run, "--python", str(FREE_THREADED), "--gil", "on,off", *QUICK]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["env"]["gil_requested"], r["env"]["gil_enabled"]) for r in rows] == [
        (True, True),
        (True, True),
        (False, False),
        (False, False),
    ]


def test_results_under_different_switch_intervals_are_kept_apart_and_named():
    fine = make_result(speedup=1.0, env={"python": "3.12.1", "switch_interval_ms": 0.5})
    default = make_result(speedup=1.0, env={"python": "3.12.1"})
    labels = [label for label, _ in report.grouped([fine, default])]
    assert labels == [
        "cpu · CPython 3.12.1, GIL on · 0 cores · switch 0.5 ms",
        "cpu · CPython 3.12.1, GIL on · 0 cores",
    ]
    assert list(report.speedup_series([fine, default])) == [
        "threads · switch 0.5 ms",
        "threads · switch 5 ms",
    ]
    assert report.switch_sweep_rows([default]) == []
    assert [row[0] for row in report.switch_sweep_rows([default, fine])] == ["0.5", "5"]


def test_a_free_threaded_result_sits_beside_a_gil_builds_under_the_same_experiment():
    gil = make_result(speedup=0.98, env={"python": "3.13.1", "build": "free-threaded"})
    no_gil = make_result(
        speedup=1.9, env={"python": "3.13.1", "build": "free-threaded", "gil_enabled": False}
    )
    markdown = report.to_markdown([gil, no_gil])
    assert "### cpu · CPython 3.13.1 free-threaded, GIL on" in markdown
    assert "### cpu · CPython 3.13.1 free-threaded, GIL off" in markdown
    assert list(report.speedup_series([gil, no_gil])) == ["threads · GIL on", "threads · GIL off"]
