"""The experiment in progress, without Textual: events move its state, runners follow one
another, and the progress line's words come from what happened."""

from __future__ import annotations

from gilviz.analysis.engine import CellDone, ExperimentRun, Finished
from gilviz.app.live_run import LiveRun
from gilviz.protocol.events import Calibrated, CellFailed, CellStarted, Hello, Progress
from gilviz.protocol.spec import Cell, ExperimentSpec, variants
from tests.conftest import make_result

SPEC = ExperimentSpec("cpu", (Cell("threads", 2),), tasks=4)


def live_of() -> LiveRun:
    """An experiment of two runners (two switch intervals), never started."""
    (python, first), *rest = variants(SPEC, switch_ms=(1.0, 20.0))
    return LiveRun(ExperimentRun(first, python), queue=rest, variants=1 + len(rest))


def test_events_move_the_state_and_the_status_says_where_it_is():
    live = live_of()
    live.apply(Hello(1, {"python": "3.12.1"}, []))
    live.apply(Calibrated(2000, 0.2, "loop iterations"))
    assert live.cell.startswith("calibrated: 2000 loop iterations")
    live.apply(CellStarted(Cell("serial", 1), 0))
    live.apply(Progress(Cell("serial", 1), 3, 4, 1, 2.5, 0.5))
    assert (live.running, live.done, live.all_done, live.all_tasks) == (True, 3, 3, 16)
    assert "Running serial x1 on cpu · Python 3.12.1, switch 1 ms (1/2) · 3/4 tasks" in (
        live.status()
    )
    live.apply(CellDone(make_result()))
    live.apply(CellStarted(Cell("threads", 2), 0))
    assert (live.running, live.all_done) == (True, 4), "the bar never goes back"


def test_the_next_runner_follows_unless_the_experiment_was_stopped():
    live = live_of()
    runner = live.next_runner(Finished([make_result(), make_result()]))
    assert runner is live.run and runner.spec.switch_interval_ms == 20.0
    assert (live.done_results, live.cell, live.env) == (2, "starting", {})
    assert live.next_runner(Finished()) is None, "the queue is empty"
    stopped = live_of()
    assert stopped.next_runner(Finished(cancelled=True)) is None
    assert stopped.next_runner(Finished(error="boom")) is None


def test_the_last_words_count_every_runners_results():
    live = live_of()
    live.next_runner(Finished([make_result(), make_result()]))
    live.apply(CellStarted(Cell("serial", 1), 0))
    failed = CellFailed(Cell("threads", 2), "a worker died")
    ended, words = live.ending(Finished([make_result(), make_result()], [failed]))
    assert "3 results, 1 failed. r runs again." in words and ended == live.all_done
    ended, words = live.ending(Finished([make_result()] * 2))
    assert ended == live.all_tasks and "4 results" in words
    assert live.ending(Finished(cancelled=True))[1].startswith("Cancelled after")
    assert live.ending(Finished(error="the runner died"))[1] == "Failed: the runner died"
