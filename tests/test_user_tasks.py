"""A function of the user's as the workload: found by name in the runner, called once per
input on every executor, checked against the serial run's results, and never able to take
gilviz down: each way it can fail is one clear line, the other cells still run."""

from __future__ import annotations

import json
import re
import threading

import pytest

import gilviz
from gilviz.analysis import compare
from gilviz.analysis.advice import advise
from gilviz.analysis.engine import CellDone, run_experiment
from gilviz.analysis.store import ResultStore
from gilviz.cli.main import main
from gilviz.measure import usertask
from gilviz.protocol.spec import Cell, ExperimentSpec
from tests.conftest import ROOT
from tests.fixtures import usertasks

pytestmark = pytest.mark.usefixtures("no_leftovers")
HERE = "tests.fixtures.usertasks"
BOTH = (Cell("threads", 2), Cell("processes", 2))


def run(task: str, cells=BOTH, **options) -> list:
    spec = ExperimentSpec(
        task, cells, tasks=options.pop("tasks", 4), task=task, task_path=str(ROOT), **options
    )
    return run_experiment(spec)


def test_a_function_runs_on_each_executor_and_its_results_are_checked():
    finished = run(f"{HERE}:square")
    assert finished.ok, finished
    serial, threads, processes = finished.results
    assert all(r.checksum_ok and r.workload == f"{HERE}:square" for r in finished.results)
    assert serial.task_hash and threads.task_hash == processes.task_hash == serial.task_hash
    assert processes.bytes_moved > 0 and threads.bytes_moved == 0


def test_inputs_by_name_a_list_or_a_function_returning_one():
    words = run(f"{HERE}:length", inputs=f"{HERE}:WORDS", tasks=99)
    assert words.ok and [r.tasks for r in words.results] == [4, 4, 4], "one input, one task"
    numbers = run(f"{HERE}:square", inputs=f"{HERE}:some_numbers")
    assert numbers.ok and numbers.results[0].tasks == 3


def test_setup_runs_once_in_each_worker_before_its_tasks():
    finished = run(f"{HERE}:ready_here", setup=f"{HERE}:get_ready")
    assert finished.ok and all(r.checksum_ok for r in finished.results)


def test_an_async_function_runs_on_the_event_loop_and_a_plain_one_skips_it():
    awaited = run(f"{HERE}:later", (Cell("asyncio", 2), Cell("threads", 2)))
    assert awaited.ok and [r.executor for r in awaited.results] == ["serial", "asyncio", "threads"]
    plain = run(f"{HERE}:square", (Cell("asyncio", 2),))
    [skipped] = plain.failures
    assert skipped.reason.startswith("skipped: ") and "plain function" in skipped.reason


@pytest.mark.parametrize(
    ("task", "words"),
    [
        ("no_such_module:work", "no module 'no_such_module' in"),
        (f"{HERE}:missing", "tests.fixtures.usertasks has no 'missing'"),
        (f"{HERE}:NOT_A_FUNCTION", "is an int, not a function"),
        (f"{HERE}:outer.inner", "a function inside another function"),
    ],
)
def test_a_name_that_leads_nowhere_is_refused_before_anything_runs(task, words):
    finished = run(task)
    assert finished.refused and words in (finished.error or "") and not finished.results


def test_a_task_that_raises_fails_its_cell_naming_the_input_and_the_others_run():
    finished = run(f"{HERE}:fails_on_two_in_a_thread")
    [failure] = finished.failures
    assert "task 2 raised ValueError: cannot handle 2 here (input 2)" in failure.reason
    assert "fails_on_two_in_a_thread" in failure.traceback, "the last frames of its traceback"
    by = {r.executor: r for r in finished.results}
    assert by["threads"].error and not by["processes"].error and not by["serial"].error


def test_a_result_that_cannot_be_pickled_fails_processes_only():
    finished = run(f"{HERE}:a_lock")
    by = {r.executor: r for r in finished.results}
    assert by["processes"].error and "cannot pickle" in by["processes"].error
    assert not by["threads"].error, "threads never pickle what a task returns"


def test_printing_reading_stdin_and_sys_exit_leave_the_runner_whole():
    printed = run(f"{HERE}:says_hello")
    assert printed.ok, "prints go to stderr, never into the event stream"
    read = run(f"{HERE}:reads_stdin")
    assert read.ok, "stdin is empty for a task: the runner's lifeline is not its to read"
    left = run(f"{HERE}:leaves", (Cell("threads", 2),))
    assert all("called sys.exit(3)" in f.reason for f in left.failures)
    assert len(left.results) == 2, "both cells kept, with the reason"


def test_results_that_differ_from_the_serial_runs_are_flagged_and_sets_are_not():
    shared = run(f"{HERE}:counts_calls", (Cell("threads", 2),))
    threads = shared.results[-1]
    assert not threads.checksum_ok and "results differed from the serial run's" in threads.verdict
    sets = run(f"{HERE}:a_set")
    assert sets.ok and all(r.checksum_ok for r in sets.results), "compared with ==, not bytes"


def test_a_function_of_main_or_a_lambda_has_no_name_to_import_by():
    def nested(value: int) -> int:
        return value

    with pytest.raises(usertask.NotFound, match="inside another function"):
        usertask.name_of(nested)
    nested.__module__ = "__main__"
    nested.__qualname__ = "nested"
    with pytest.raises(usertask.NotFound, match="defined in __main__"):
        usertask.name_of(nested)
    assert usertask.name_of(usertask.resolve) == "gilviz.measure.usertask:resolve"


def test_the_command_line_runs_a_task_and_keeps_its_name_and_hash(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = ["run", "--task", f"{HERE}:square", "--workers", "2", "--tasks", "2"]
    assert main([*args, "--repeat", "1", "--warmup", "0", "--format", "json", "--size", "9"]) == 0
    out, err = capsys.readouterr()
    rows = json.loads(out)
    assert {r["workload"] for r in rows} == {f"{HERE}:square"} and all(r["task_hash"] for r in rows)
    assert "--size does not apply to --task" in err


def test_an_edited_function_gets_another_hash(tmp_path):
    module = tmp_path / "edited.py"
    module.write_text("def work(value):\n    return value\n")
    first = usertask.source_hash(usertask.UserTask("edited:work", str(tmp_path)))
    module.write_text("def work(value):\n    return value + 1\n")
    usertask._functions.clear()
    import sys

    sys.modules.pop("edited", None)
    second = usertask.source_hash(usertask.UserTask("edited:work", str(tmp_path)))
    assert first != second


def test_events_of_a_task_say_what_was_found():
    seen: list[object] = []
    spec = ExperimentSpec(
        f"{HERE}:square", (Cell("threads", 2),), tasks=3, task=f"{HERE}:square", task_path=str(ROOT)
    )
    run_experiment(spec, None, seen.append)
    found = next(e for e in seen if type(e).__name__ == "TaskFound")
    assert (found.task, found.inputs, found.is_async) == (f"{HERE}:square", 3, False)
    assert [type(e).__name__ for e in seen].count("CellDone") == 2
    assert all(isinstance(e, CellDone) for e in seen if type(e).__name__ == "CellDone")


def test_compare_from_a_script_takes_objects_and_answers(tmp_path):
    saved = tmp_path / "results.jsonl"
    comparison = gilviz.compare(
        usertasks.length, ["a", "bb", "ccc"], workers=[2], repeat=1, warmup=0, results=saved
    )
    assert comparison.error is None
    assert [r.cell.label for r in comparison.results] == ["serial x1", "threads x2", "processes x2"]
    assert [r.tasks for r in comparison.results] == [3, 3, 3], "one input, one task"
    assert all(r.checksum_ok for r in comparison.results)
    assert comparison.results[0].workload == "tests.fixtures.usertasks:length"
    assert comparison.recommendation == advise(comparison.results).words
    assert comparison.recommendation in str(comparison)
    assert len(ResultStore(saved).load().results) == 3


def test_compare_refuses_what_a_worker_could_not_import_or_receive():
    with pytest.raises(usertask.NotFound, match="lambda or a function inside another"):
        gilviz.compare(lambda value: value, [1])
    with pytest.raises(ValueError, match="inputs cannot be pickled"):
        gilviz.compare(usertasks.square, [threading.Lock()])
    with pytest.raises(ValueError, match="no inputs"):
        gilviz.compare(usertasks.square, [])


def test_the_import_root_is_the_folder_above_the_top_package():
    assert compare.import_root(usertasks.square) == str(ROOT)
    assert compare.import_root(compare.import_root) == str(ROOT)


def test_os_exit_in_a_task_fails_its_cell_and_a_fresh_runner_runs_the_rest():
    finished = run(
        f"{HERE}:ends_the_process_in_a_thread",
        (Cell("threads", 2), Cell("serial", 1), Cell("processes", 2)),
    )
    assert [r.cell.label for r in finished.results] == ["serial x1", "threads x2", "processes x2"]
    serial, threads, processes = finished.results
    assert threads.error.startswith("the runner process exited with status 3")
    assert threads.error.endswith("while this cell ran")
    assert serial.checksum_ok and processes.checksum_ok and processes.speedup
    assert finished.error is None and len(finished.failures) == 1


def test_a_task_that_never_returns_meets_the_deadline_and_the_rest_still_run():
    cells = (Cell("threads", 2), Cell("processes", 2))
    finished = run(f"{HERE}:never_returns_in_a_thread", cells, task_timeout_s=0.5)
    serial, threads, processes = finished.results
    assert re.match(r"no task returned for \d+\.\d s \(task timeout 0\.5 s\)", threads.error)
    assert "a fresh one runs the cells left" in threads.error
    assert serial.checksum_ok and processes.checksum_ok and not processes.error


def test_a_function_that_starts_threads_or_processes_of_its_own():
    threads = run(f"{HERE}:starts_its_own_thread")
    assert threads.ok and all(r.checksum_ok for r in threads.results)
    children = run(f"{HERE}:starts_its_own_process", tasks=2)
    assert children.ok and all(r.checksum_ok for r in children.results), "and leaves none"
