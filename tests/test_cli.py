"""The command line: bad input, output formats, saving, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import psutil
import pytest

from gilviz.analysis.store import ResultStore
from gilviz.cli.main import main

pytestmark = pytest.mark.usefixtures("no_leftovers")
QUICK_RUN = [
    "--workload",
    "sleep",
    "--size",
    "1",
    "--executor",
    "threads",
    "--workers",
    "2",
    "--tasks",
    "2",
]
"""Options for a run that takes well under a second."""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--workload", "nope"], "unknown workload 'nope'; choose from: cpu, hash"),
        (["run", "--executor", "threads,fibers"], "unknown executor 'fibers'"),
        (["run", "--workers", "0"], "workers must be at least 1"),
        (["run", "--workers", "-3"], "workers must be at least 1"),
        (["run", "--workers", "1e9"], "workers must be a whole number"),
        (["run", "--workers", "abc"], "workers must be a whole number"),
        (["run", "--workers", "100000"], "workers must be at most 512"),
        (["run", "--tasks", "0"], "tasks must be at least 1"),
        (["run", "--tasks", "99999999"], "tasks must be at most"),
        (["run", "--size", "x"], "size must be a whole number"),
        (["run", "--repeat", "0"], "repeat must be at least 1"),
        (["run", "--python", "/nonexistent/python"], "/nonexistent/python: no such file"),
        (["run", "--python", sys.executable + "-not-there"], "no such file"),
        (["run", "--python", "/bin/true"], "/bin/true: did not describe itself as a Python"),
        (["run", "--python", "2.1"], "no Python '2.1'; found (gilviz list): CPython"),
        (["run", "--warmup", "-1"], "warmup must be at least 0, not -1"),
        (["run", "--inject-fault", "threads:4", "--tasks", "4"], "numbered 0 to 3"),
        (["--executor", "threads,processes"], "unknown executor 'threads,processes'"),
        (["--workers", "1,2"], "workers must be a whole number"),
        (["run", "--start-method", "teleport"], "invalid choice"),
        (["--workload", "nope"], "unknown workload"),
        (["run", "--task", "m:f", "--task-timeout", "0"], "task timeout must be above 0"),
        (["run", "--task", "m:f", "--task-timeout", "soon"], "must be a number of seconds"),
        (["run", "--task-timeout", "5"], "--task-timeout go with --task MODULE:FUNCTION"),
        (["--inputs", "m:DATA"], "--inputs, --setup and --task-timeout go with --task"),
        (["run", "--task", "no_colon"], "'no_colon' is not MODULE:FUNCTION"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(args, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_unavailable_executor_is_refused_with_the_reason(capsys):
    unavailable = pytest.importorskip("gilviz.measure.executors").availability("interpreters")
    if unavailable[0]:
        pytest.skip("InterpreterPoolExecutor exists on this Python")
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--executor", "interpreters"])
    assert exit_info.value.code == 2
    assert "interpreters is unavailable: needs Python 3.14+" in capsys.readouterr().err


def test_run_json_has_the_documented_keys_and_saves_each_result(tmp_path, capsys):
    results = tmp_path / "r.jsonl"
    code = main(
        [
            "run",
            "--workload",
            "sleep",
            "--size",
            "5",
            "--workers",
            "1,2",
            "--tasks",
            "2",
            "--results",
            str(results),
            "--format",
            "json",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert [(r["executor"], r["workers"]) for r in printed] == [
        ("serial", 1),
        ("threads", 1),
        ("threads", 2),
        ("processes", 1),
        ("processes", 2),
    ]
    keys = {
        "workload",
        "executor",
        "workers",
        "tasks",
        "wall_s",
        "cpu_s",
        "speedup",
        "efficiency",
        "parallelism",
        "startup_s",
        "checksum_ok",
        "probe_p99_ms",
        "env",
    }
    assert all(keys <= set(r) for r in printed)
    assert all({"python", "gil_enabled", "cpu_count"} <= set(r["env"]) for r in printed)
    assert len(ResultStore(results).load().results) == 5


def test_table_output_recommends_and_ends_with_a_speedup_plot(capsys):
    assert (
        main(
            [
                "run",
                "--workload",
                "sleep",
                "--size",
                "40",
                "--executor",
                "threads",
                "--workers",
                "1,2",
                "--tasks",
                "2",
                "--no-save",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "near-ideal" in out and "speedup vs workers (sleep)" in out and "ideal" in out
    assert "→ Use threads x2: " in out


@pytest.mark.parametrize("fmt", ["csv", "markdown", "table", "json"])
def test_results_shows_saved_results_in_every_format(fmt, capsys):
    main(["run", *QUICK_RUN, "--format", "csv"])
    capsys.readouterr()
    assert main(["results", "--format", fmt]) == 0
    assert "threads" in capsys.readouterr().out


def test_a_failed_cell_exits_1_with_the_reason_and_keeps_the_rest(capsys):
    code = main(
        [
            "run",
            "--workload",
            "sleep",
            "--size",
            "1",
            "--workers",
            "2",
            "--tasks",
            "3",
            "--inject-fault",
            "processes:1",
            "--format",
            "csv",
            "--no-save",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "processes x2 failed: task 1 raised InjectedFault" in captured.err
    assert "threads" in captured.out


def test_list_explains_workloads_and_executors(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "cpu      pure-Python loop, holds the GIL" in out and "processes" in out


def test_python_m_gilviz_works():
    done = subprocess.run(
        [sys.executable, "-m", "gilviz", "list"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "Workloads" in done.stdout


@pytest.fixture
def ctrl_c_not_ignored():
    """A suite started in the background (`nohup … &`) inherits SIGINT ignored, and so would
    the CLI: a shell's background job rightly ignores Ctrl-C. Caught here, it is the default
    again in a child, as in a terminal."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_not_ignored")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_interrupting_gilviz_run_leaves_no_process_behind(signum):
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gilviz",
            "run",
            "--workload",
            "sleep",
            "--size",
            "2000",
            "--executor",
            "processes",
            "--workers",
            "2",
            "--tasks",
            "4",
            "--no-save",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    parent = psutil.Process(cli.pid)
    runner = _first_child(parent)
    family = [runner, *runner.children(recursive=True)]
    cli.send_signal(signum)
    try:
        code = cli.wait(timeout=30)  # at once when quiet: the bound is for a starved machine
    except subprocess.TimeoutExpired:
        cli.kill()  # so that no later test finds it left behind
        raise
    assert code in (130, 1)
    _, alive = psutil.wait_procs(family, timeout=1)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    assert "Traceback" not in cli.stderr.read()


def _first_child(parent: psutil.Process) -> psutil.Process:
    """The runner, once the CLI has started it (bounded wait on a condition, not a sleep)."""
    for _ in range(500):
        children = parent.children()
        if children:
            return children[0]
        psutil.wait_procs([], timeout=0.01)
    raise AssertionError("the CLI never started a runner")


def test_python_runs_as_an_argument_list_never_through_a_shell(capsys, tmp_path, monkeypatch):
    """A path a shell would split and execute still names just the interpreter."""
    odd = tmp_path / "my env; touch pwned" / "py $(touch pwned2) `touch pwned3`"
    odd.parent.mkdir()
    odd.symlink_to(sys.executable)
    monkeypatch.chdir(tmp_path)
    code = main(["run", "--python", str(odd), *QUICK_RUN, "--format", "json", "--no-save"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)[0]["env"]["executable"] == str(odd)
    assert not list(tmp_path.glob("pwned*")), "part of the path was run as a command"


def _unwritable() -> str:
    return "/sys/gilviz-results.jsonl"  # refused even to root


@pytest.mark.parametrize(
    ("results", "words"),
    [
        ("{tmp}", "is a folder"),
        ("{tmp}/missing/results.jsonl", "there is no folder"),
        pytest.param(
            _unwritable(),
            "cannot be written",
            marks=pytest.mark.skipif(not os.path.isdir("/sys"), reason="needs Linux's /sys"),
        ),
    ],
)
def test_a_bad_results_path_is_refused_before_anything_runs(tmp_path, capsys, results, words):
    path = results.format(tmp=tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["run", *QUICK_RUN, "--results", path])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and words in err and len(err.strip().splitlines()) == 1
    assert "runner pid" not in err, "nothing ran"
    assert not (tmp_path / "missing").exists(), "only the default data folder is created"


def test_the_default_data_folder_is_created_on_demand(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GILVIZ_RESULTS")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert main(["run", *QUICK_RUN]) == 0
    assert len(ResultStore(tmp_path / "data" / "gilviz" / "results.jsonl").load().results) == 2


def test_results_from_a_missing_file_say_so(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["results", "--results", str(tmp_path / "nope.jsonl")])
    assert exit_info.value.code == 2 and "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "table"])
def test_a_failed_cell_is_a_row_with_its_reason_in_every_format_and_the_file(fmt, tmp_path, capsys):
    saved = tmp_path / "r.jsonl"
    args = ["--inject-fault", "processes:1", "--results", str(saved), "--format", fmt]
    assert main(["run", *QUICK_RUN, "--executor", "threads,processes", *args]) == 1
    out = capsys.readouterr().out
    assert "task 1 raised InjectedFault" in out and "FAILED" in out.upper()
    kept = ResultStore(saved).load().results
    assert [r.executor for r in kept if r.error] == ["processes"]


def test_results_are_grouped_by_workload_and_filtered(tmp_path, capsys):
    saved = tmp_path / "r.jsonl"
    for workload in ("sleep", "cpu"):
        size = "1" if workload == "sleep" else "1000"
        run = ["run", "--workload", workload, "--size", size, "--tasks", "2", "--workers", "2"]
        assert main([*run, "--repeat", "1", "--warmup", "0", "--results", str(saved)]) == 0
    capsys.readouterr()
    assert main(["results", "--results", str(saved), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.count("### ") == 2
    assert "### sleep · CPython" in markdown and "### cpu · CPython" in markdown
    assert main(["results", "--results", str(saved), "--workload", "cpu", "--format", "json"]) == 0
    assert {r["workload"] for r in json.loads(capsys.readouterr().out)} == {"cpu"}
    last = ["--executor", "threads", "--last", "1", "--format", "json"]
    assert main(["results", "--results", str(saved), *last]) == 0
    only = json.loads(capsys.readouterr().out)
    assert [(r["workload"], r["executor"]) for r in only] == [("cpu", "threads")]


def test_a_size_over_an_hour_a_task_is_refused_with_the_estimate(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["run", "--size", str(10**12), "--no-save"])
    captured = capsys.readouterr()
    assert exit.value.code == 2 and "hours per task" in captured.err and not captured.out


def test_run_defaults_to_a_warm_up_and_three_measured_runs(capsys):
    assert main(["run", *QUICK_RUN, "--executor", "threads", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert {r["repeat"] for r in printed} == {3}
    assert all(r["stability"] in ("stable", "unstable", "disturbed") for r in printed)


def test_a_given_size_says_how_long_it_will_take_before_it_runs(capsys):
    run = ["run", *QUICK_RUN, "--repeat", "1", "--warmup", "0", "--no-save", "--format", "json"]
    assert main(run) == 0  # sleep, size 1: a millisecond a task
    err = capsys.readouterr().err
    assert "size 1: about 0.00 s a task on this machine" in err
    assert "the serial baseline alone takes about 0.00 s (2 tasks, 1 round)" in err


@pytest.mark.parametrize("fmt", ["csv", "markdown"])
def test_timeline_lanes_in_a_format_without_them_are_said_not_dropped(fmt, capsys):
    run = ["run", *QUICK_RUN, "--repeat", "1", "--warmup", "0", "--no-save", "--timeline"]
    assert main([*run, "--format", fmt]) == 0
    assert (
        f"--timeline draws lanes in the table format only; {fmt} keeps" in capsys.readouterr().err
    )
