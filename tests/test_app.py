"""The app driven with Pilot: every key, validation, and faults during a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest
from textual.widget import Widget
from textual.widgets import Input, Select

from gilviz.analysis.engine import ExperimentRun
from gilviz.analysis.store import ResultStore
from gilviz.app.app import GilvizApp
from gilviz.app.choice import Choice
from gilviz.app.live_run import LiveRun
from gilviz.app.running import RunnerEvent
from gilviz.app.widgets.help import HelpScreen
from gilviz.app.widgets.plot import SpeedupPlot
from gilviz.app.widgets.progress import NARROW_BAR_WIDTH
from gilviz.app.widgets.results import ResultsLog
from gilviz.cli.main import main
from gilviz.protocol.events import CellStarted, Progress
from gilviz.protocol.spec import Cell, ExperimentSpec, default_workers
from tests.app_fixtures import make_app
from tests.conftest import ROOT, make_result

pytestmark = pytest.mark.usefixtures("no_leftovers")
LONG = Choice("sleep", "processes", 2, tasks=4, size=3000, repeat=1)


async def finish(app: GilvizApp, pilot) -> None:
    """Wait for the runner-reading worker to end and its messages to be handled."""
    await app.workers.wait_for_complete()
    await pilot.pause()


async def until_running(app: GilvizApp, pilot) -> psutil.Process:
    """Wait (bounded, on a condition) until the runner is up and sampled; return it."""
    for _ in range(2000):
        if app.live is not None and app.sampler.watch is not None:
            return app.sampler.watch.process
        await pilot.pause(0.01)
    raise AssertionError("the runner never started")


async def toast_says(pilot, words: str) -> bool:
    """Whether a notification on screen (a toast, as a person sees it) holds `words`."""
    for _ in range(200):
        await pilot.pause(0.01)
        if any(words in str(toast.render()) for toast in pilot.app.screen.query("Toast")):
            return True
    return False


def status(app: GilvizApp) -> str:
    return app.progress.text()


async def test_run_finishes_and_adds_rows_and_saves_them(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("r")
        assert app.progress.total == 4, "every cell's tasks, the baseline's too"
        await finish(app, pilot)
        assert app.live is None and "Done" in status(app)
        assert app.query_one(ResultsLog).result_count == 2  # the serial baseline and threads x2
        assert app.progress.fraction == 1.0, "a finished run shows a full bar"
        assert status(app).startswith("━" * NARROW_BAR_WIDTH + " Done"), "drawn full, narrow"
        assert str(app.results_log.border_subtitle).startswith("threads "), "the latest verdict"
        await pilot.press("up")
        assert str(app.results_log.border_subtitle).startswith("serial baseline")
    assert len(ResultStore(tmp_path / "results.jsonl").load().results) == 2


async def test_the_repeat_field_runs_each_cell_that_often_and_the_log_shows_its_noise(tmp_path):
    app = make_app(tmp_path, Choice("sleep", "threads", 2, tasks=2, size=5, repeat=1))
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#repeat", Input).value = "3"
        await pilot.press("r")
        assert app.progress.total == 12, "two cells of two tasks, three rounds"
        await finish(app, pilot)
        log = app.results_log
        names = [str(column.label) for column in log.columns.values()]
        noise = [str(log.get_row_at(row)[names.index("noise")]) for row in (1, 2)]
        assert all(cell.startswith("±") for cell in noise), f"a spread, not one run: {noise}"
        assert [r.repeat for r in app.kept.results] == [3, 3]
        app.query_one("#repeat", Input).value = "0"
        await pilot.pause()
        assert "repeat must be at least 1" in str(app.query_one("#repeat-help").render())


async def test_a_new_cell_shows_in_the_progress_line_at_once(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        spec = ExperimentSpec("cpu", (Cell("threads", 4),), tasks=8)
        app.live = LiveRun(ExperimentRun(spec))  # never started: events are fed by hand
        app.post_message(RunnerEvent(CellStarted(Cell("threads", 4), repeat=0)))
        await pilot.pause()
        assert "Running threads x4 on cpu · 0/8 tasks" in status(app), "not on the next tick"
        app.live = None


async def test_sweep_runs_one_to_twice_the_cores(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await finish(app, pilot)
        expected = 1 + len(default_workers(2 * app.usable_cores))  # the cores the app shows
        assert app.query_one(ResultsLog).result_count == expected


async def test_escape_cancels_and_the_next_run_works(tmp_path):
    app = make_app(tmp_path, LONG)
    async with app.run_test() as pilot:
        await pilot.press("r")
        runner = await until_running(app, pilot)
        family = [runner, *runner.children(recursive=True)]
        await pilot.press("escape")
        await finish(app, pilot)
        assert "Cancelled" in status(app)
        assert app.cpu_panel.snapshot.experiment_cores is None, "no stale experiment rows"
        _, alive = psutil.wait_procs(family, timeout=1)
        assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
        app.query_one("#size", Input).value = "5"
        await pilot.press("r")
        await finish(app, pilot)
        assert "Done" in status(app)


def footer_keys(app: GilvizApp) -> dict[str, Widget]:
    return {key.key_display: key for key in app.query("FooterKey")}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "size, must_fit",
    [((120, 36), "r s + - w e p x ? q"), ((80, 24), "r s + - w e p x ? q"), ((60, 20), "r s ? q")],
)
async def test_the_footer_offers_what_can_be_done_now_and_fits(tmp_path, size, must_fit):
    app = make_app(tmp_path, LONG)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        idle = footer_keys(app)
        assert {"r", "s", "+", "-", "w", "e", "p", "x", "?", "q"} <= idle.keys()
        assert "esc" not in idle
        cut_off = [k for k in must_fit.split() if idle[k].region.right > size[0]]
        assert not cut_off, f"cut off at {size}: {cut_off}"
        await pilot.press("r")
        await until_running(app, pilot)
        await pilot.pause()
        running = footer_keys(app)
        assert "esc" in running and "r" not in running and "s" not in running
        await pilot.press("r")  # hidden keys do nothing
        assert len(app.workers) == 1
        await pilot.press("escape")
        await finish(app, pilot)
        assert "r" in footer_keys(app)


async def test_quit_mid_run_leaves_no_process(tmp_path):
    app = make_app(tmp_path, LONG)
    async with app.run_test() as pilot:
        await pilot.press("r")
        await until_running(app, pilot)
        await pilot.press("q")
    assert app.return_code == 0


async def test_sigterm_mid_run_cancels_and_exits(tmp_path):
    app = make_app(tmp_path, LONG)
    async with app.run_test() as pilot:
        await pilot.press("r")
        await until_running(app, pilot)
        app._hang_up()  # what the SIGTERM/SIGHUP handler calls
        await pilot.pause()
    assert not app.is_running


async def test_a_killed_worker_is_reported_and_the_app_carries_on(tmp_path):
    app = make_app(
        tmp_path, Choice("sleep", "processes", 2, tasks=4, size=1000, repeat=1)
    )  # 2 s of pool
    async with app.run_test(notifications=True) as pilot:
        await pilot.press("r")
        runner = await until_running(app, pilot)
        for _ in range(2000):  # the baseline first; then the pool's workers appear
            if runner.children():
                break
            await pilot.pause(0.01)
        os.kill(runner.children()[0].pid, signal.SIGKILL)
        await finish(app, pilot)
        assert await toast_says(pilot, "worker died")
        assert "1 failed" in status(app)
        row = [str(cell) for cell in app.results_log.get_row_at(app.results_log.row_count - 1)]
        assert "FAILED" in row, "the failure is a row in the log"
        assert "worker died" in str(app.results_log.border_subtitle), "with its reason"
        saved = app.kept.store.load().results  # type: ignore[union-attr]
        assert saved[-1].error and "worker died" in saved[-1].error, "and in the saved file"


async def test_a_killed_runner_is_reported_and_the_app_recovers(tmp_path):
    app = make_app(tmp_path, LONG)
    async with app.run_test() as pilot:
        await pilot.press("r")
        runner = await until_running(app, pilot)
        runner.kill()
        await finish(app, pilot)
        assert "killed by signal 9" in status(app)
        app.query_one("#size", Input).value = "5"
        app.query_one("#executor", Select).value = "threads"
        await pilot.press("r")
        await finish(app, pilot)
        assert "Done" in status(app)


@pytest.mark.parametrize("bad", ["0", "-3", "1e9", "abc", ""])
async def test_bad_workers_are_refused_inline_and_nothing_starts(tmp_path, bad):
    app = make_app(tmp_path)
    async with app.run_test(notifications=True) as pilot:
        app.query_one("#workers", Input).value = bad
        await pilot.pause()
        message = str(app.query_one("#workers-help").render())
        assert "workers" in message and app.query_one("#workers-help").has_class("-invalid")
        await pilot.press("r")
        assert app.live is None and not app.workers
        assert await toast_says(pilot, "Nothing started")


async def test_an_unavailable_executor_says_why(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        app.query_one("#executor", Select).value = "interpreters"
        await pilot.pause()
        help_line = str(app.query_one("#executor-help").render())
        from gilviz.measure.executors import availability

        if availability("interpreters")[0]:
            assert "sub-interpreter" in help_line
        else:
            assert "unavailable: needs Python 3.14+" in help_line
            await pilot.press("r")
            assert app.live is None


async def test_plus_minus_w_e_change_the_choice(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("plus", "plus", "minus")
        assert app.query_one("#workers", Input).value == "3"
        await pilot.press("w", "e")
        assert app.query_one("#workload", Select).value == "net"
        assert app.query_one("#executor", Select).value == "processes"


async def test_minus_never_goes_below_one(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("minus", "minus", "minus")
        assert app.query_one("#workers", Input).value == "1"


async def test_p_toggles_the_plot(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        assert app.query_one(SpeedupPlot).display
        await pilot.press("p")
        assert not app.query_one(SpeedupPlot).display
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not app.query_one(SpeedupPlot).display, "narrow windows start without the plot"
        await pilot.press("p")
        assert app.query_one(SpeedupPlot).display


async def test_x_exports_csv_and_markdown_and_says_where(tmp_path):
    store = ResultStore(tmp_path / "results.jsonl")
    store.append(make_result())
    app = make_app(tmp_path, store=store)
    async with app.run_test(notifications=True) as pilot:
        await pilot.press("x")
        exported = sorted(p.suffix for p in tmp_path.glob("gilviz-results-*"))
        assert exported == [".csv", ".md"]
        assert await toast_says(pilot, str(tmp_path))


async def test_question_mark_opens_help_and_escape_closes_it(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.query_one("#help").border_title == "gilviz help"
        app.pacing.sample()  # the refresh timer keeps working under the help screen
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_saved_results_load_on_start_and_bad_lines_warn(tmp_path):
    store = ResultStore(tmp_path / "results.jsonl")
    store.append(make_result())
    with open(store.path, "a") as f:
        f.write("{broken\n")
    app = make_app(tmp_path, store=store)
    async with app.run_test(notifications=True) as pilot:
        assert app.query_one(ResultsLog).result_count == 1
        assert await toast_says(pilot, "skipped")


async def test_results_shown_before_the_plot_is_built_are_drawn_in_it(tmp_path):
    store = ResultStore(tmp_path / "results.jsonl")
    store.append(make_result(executor="processes", workers=2, speedup=1.9))
    app = make_app(tmp_path, Choice("cpu", "threads", 2), store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        chart = app.query_one(SpeedupPlot).chart
        assert chart is not None, "the plot is built once the first frame is out"
        drawn = chart.plt.build()
        assert "cpu: speedup vs workers" in drawn and "processes" in drawn


async def test_the_plot_follows_the_chosen_workload(tmp_path):
    store = ResultStore(tmp_path / "results.jsonl")
    store.append(make_result(workload="hash", executor="threads", speedup=1.9))
    store.append(make_result(workload="cpu", executor="processes", speedup=1.8))
    app = make_app(tmp_path, Choice("cpu", "threads", 2), store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        chart = app.query_one(SpeedupPlot).chart
        assert chart is not None
        assert "cpu: speedup" in chart.plt.build() and "processes" in chart.plt.build()
        await pilot.press("w")  # cpu -> the next workload
        drawn = chart.plt.build()
        assert f"{app.controls.workload}: speedup" in drawn and "processes" not in drawn


async def test_a_new_result_plotted_asks_no_layout_pass_for_the_unchanged_note(tmp_path):
    """Each finished cell redraws the plot; its note (none, with a chart) stays as it was and
    must not cost the whole screen a layout pass."""
    store = ResultStore(tmp_path / "results.jsonl")
    store.append(make_result(executor="processes", workers=2, speedup=1.9))
    app = make_app(tmp_path, Choice("cpu", "threads", 2), store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        note = app.query_one("#plot-note")
        layouts = []
        original = note.refresh
        note.refresh = lambda *a, layout=False, **k: layouts.append(layout) or original(*a, **k)  # type: ignore[method-assign]
        app.kept.keep(make_result(executor="processes", workers=4, speedup=2.0))
        assert "processes" in app.plot.chart.plt.build() and not note.display
        assert not any(layouts), "the note's words did not change"


def test_start_up_leaves_slow_imports_for_later():
    """plotext and Markdown load after the first frame (they cost ~40 ms each at launch)."""
    slow = "{'plotext', 'markdown_it'}"
    code = f"import sys, gilviz.cli.main, gilviz.app.app; print({slow} & set(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "set()"


async def test_an_unwritable_results_file_is_reported_and_results_stay_in_memory(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    app = make_app(tmp_path, store=ResultStore(blocker / "results.jsonl"))
    async with app.run_test(notifications=True) as pilot:
        await pilot.press("r")
        await finish(app, pilot)
        assert len(app.kept.results) == 2 and app.kept.store is None
        assert await toast_says(pilot, "kept in memory")


async def test_a_tiny_window_asks_to_be_made_larger(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(40, 12)) as pilot:
        assert app.screen.has_class("too-small")
        assert app.query_one("#too-small").display
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert not app.screen.has_class("too-small")


async def test_enter_in_a_field_runs(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        app.query_one("#tasks", Input).focus()
        await pilot.press("enter")
        await finish(app, pilot)
        assert app.query_one(ResultsLog).result_count == 2


async def test_command_palette_offers_the_keys(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Sweep")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"


async def test_results_of_other_workloads_or_pythons_sit_under_their_own_headings(tmp_path):
    store = ResultStore(tmp_path / "results.jsonl")
    store.append(make_result())
    store.append(make_result(executor="processes"))
    store.append(make_result(workload="sleep"))
    store.append(make_result(env={**make_result().env, "python": "3.13.1"}))
    app = make_app(tmp_path, store=store)
    async with app.run_test(size=(200, 50)):  # wide: the verdict column shows the labels
        log = app.query_one(ResultsLog)
        rows = [[str(cell) for cell in log.get_row_at(n)] for n in range(log.row_count)]
        assert [row[-1] for row in rows if row[0] == "──"] == [
            "cpu · CPython 3.11.7, GIL on · 2 cores",
            "sleep · CPython 3.11.7, GIL on · 2 cores",
            "cpu · CPython 3.13.1, GIL on · 2 cores",
        ]
        shown = [cell for cell in rows[0][:-1] if cell]
        assert shown == ["──", "cpu", "3.11.7", "GIL on", "2 cores"], "whole, in order"
        assert log.result_count == 4 and log.row_count == 7


async def test_a_heading_too_long_for_any_column_is_cut_and_the_rest_still_shows(tmp_path):
    store = ResultStore(tmp_path / "results.jsonl")
    store.append(make_result(workload="examples.json_parse:parse_every_document"))
    app = make_app(tmp_path, store=store)
    async with app.run_test(size=(120, 36)):
        log = app.query_one(ResultsLog)
        heading = [str(cell) for cell in log.get_row_at(0)]
        shown = [cell for cell in heading if cell]
        assert shown[0] == "──" and shown[1].startswith("parse_") and shown[1].endswith("…")
        assert shown[2:5] == ["3.11.7", "GIL on", "2 cores"], "the rest of the heading, in order"


async def test_plus_and_minus_change_workers_while_the_field_has_focus(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        field = app.query_one("#workers", Input)
        field.focus()
        await pilot.press("plus", "plus", "minus")
        assert field.value == "3", "no literal + typed into the field"
        await pilot.press("minus", "minus", "minus")
        assert field.value == "1", "never below one worker"


@pytest.mark.parametrize("field", ["#python", "#tasks", "#switch"])
async def test_a_text_field_with_focus_hides_the_keys_it_would_type(tmp_path, field):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert {"r", "+", "w", "?"} <= footer_keys(app).keys()
        app.query_one(field, Input).focus()
        await pilot.pause()
        offered = footer_keys(app).keys()
        assert not {"r", "s", "+", "-", "w", "e", "p", "x", "?", "q"} & offered, offered
        assert "esc" in offered, "escape leaves the field"
        await pilot.press("r", "plus")
        assert app.query_one(field, Input).value.endswith("r+") and app.live is None


async def test_escape_leaves_a_field_and_a_second_one_cancels_a_run(tmp_path):
    app = make_app(tmp_path, LONG)
    async with app.run_test() as pilot:
        app.query_one("#tasks", Input).focus()
        await pilot.press("escape")
        assert app.focused is app.results_log
        await pilot.press("r")
        await until_running(app, pilot)
        await pilot.press("escape")
        await finish(app, pilot)
        assert "Cancelled" in status(app)


async def test_over_the_help_screen_only_its_keys_are_offered_and_work(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = [str(key.render()) for key in app.screen.query("FooterKey")]
        assert shown == ["esc q ? Close "] or [k.strip() for k in shown] == ["esc q ? Close"]
        offered = {
            key
            for key, (_, binding, enabled, _) in app.screen.active_bindings.items()
            if enabled and binding.show
        }
        assert offered == {"escape", "q", "question_mark"}, "closing it is all the footer offers"
        await pilot.press("r")
        assert app.live is None and isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_a_sweeps_bar_counts_all_its_tasks_and_never_goes_back(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        spec = ExperimentSpec("cpu", (Cell("threads", 2), Cell("threads", 4)), tasks=8)
        app.live = LiveRun(ExperimentRun(spec))  # never started: events are fed by hand
        bar = app.progress
        seen = []
        for cell in (Cell("serial", 1), Cell("threads", 2), Cell("threads", 4)):
            app.post_message(RunnerEvent(CellStarted(cell, repeat=0)))
            await pilot.pause()
            seen.append(bar.done)
            app.post_message(RunnerEvent(Progress(cell, 5, 8, 1, 0.0)))
            await pilot.pause()
            app.pacing.tick()  # the live tick draws progress
            seen.append(bar.done)
        assert bar.total == 24, "three cells of eight tasks"
        assert seen == [0, 5, 8, 13, 16, 21], "it only ever grows"
        app.live = None


async def palette(pilot, typed: str, chosen: str) -> None:
    """Open the command palette, type (as one paste: Pilot idles a second between keys while
    the palette searches), wait for `chosen` to be the first hit, and take it."""
    from textual.command import CommandInput, CommandList, CommandPalette

    await pilot.press("ctrl+p")
    screen = pilot.app.screen
    assert isinstance(screen, CommandPalette)
    screen.query_one(CommandInput).value = typed
    hits = screen.query_one(CommandList)
    for _ in range(500):
        await pilot.pause(0.01)
        if hits.option_count and chosen in str(hits.get_option_at_index(0).prompt):
            break
    else:
        raise AssertionError(f"{chosen!r} is not the first hit for {typed!r}")
    await pilot.press("enter")
    await pilot.pause()


async def test_the_palette_runs_commands_and_chooses_by_a_partial_name(tmp_path):
    app = make_app(tmp_path, LONG)
    async with app.run_test() as pilot:
        await palette(pilot, "work hash", "Workload hash")
        assert app.query_one("#workload", Select).value == "hash"
        await palette(pilot, "exec proc", "Executor processes")
        assert app.query_one("#executor", Select).value == "processes"
        await palette(pilot, "swee", "Sweep workers")
        await until_running(app, pilot)
        assert len(app.live.run.spec.cells) > 2, "a sweep: the baseline and several counts"
        await palette(pilot, "cancel", "Cancel the run")
        await finish(app, pilot)
        assert "Cancelled" in status(app)


async def test_the_tour_runs_every_step_live_and_ends_with_what_this_machine_showed(
    tmp_path, monkeypatch
):
    from gilviz.analysis import tour

    # Every step runs, live, through the app; its judgement is the tour's own tests' subject
    # (tests/test_tour.py), so tasks of 20 ms do here.
    monkeypatch.setitem(tour.TASK_S, "quick", 0.02)
    app = make_app(tmp_path)  # Repeat 1: each step one round after its warm-up
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#pace", Select).value = "quick"
        await pilot.press("t")
        panel = app.query_one("#tour")
        assert panel.display and "n runs the first" in str(panel.render())
        assert app.screen.has_class("touring"), "the fields' explanations make room"
        # What each step starts, seen as it starts: a step of 20 ms tasks may be over by the
        # time the key press returns (under load, Pilot waits that long for the screen).
        started: list[ExperimentSpec] = []
        start = app.running.start

        def recording_start(runs):
            started.append(runs[0][1])
            start(runs)

        monkeypatch.setattr(app.running, "start", recording_start)
        for n, step in enumerate(tour.STEPS, 1):
            await pilot.press("n")
            firsts = [spec for spec in started if spec.repeat == 1]  # not a noisy step's rerun
            assert len(firsts) == n, f"step {n} runs live"
            spec = firsts[-1]
            assert (spec.repeat, spec.task_s) == (1, tour.TASK_S["quick"]), "the fields' pace"
            assert app.query_one("#workload", Select).value == step.workload
            await until_idle(app, pilot)
            assert f"Tour {n}/8 · {step.title}" in str(panel.border_title)
            assert "→ " in str(panel.render()) and "Running it now" not in str(panel.render())
        await pilot.press("n")  # the timeline: read from the first two steps, nothing runs
        assert app.live is None and "The timeline" in str(panel.border_title)
        await pilot.press("n")  # another Python: the test's recorded one is no free-threaded
        assert app.live is None and "cannot show" in str(panel.render())
        await pilot.press("b")
        assert "The timeline" in str(panel.border_title), "back shows, never re-runs"
        await pilot.press("n", "n")
        table = str(panel.render())
        assert len(table.splitlines()) == 8 and "1. CPU-bound threads: " in table
        await pilot.press("t")
        assert not panel.display and not app.screen.has_class("touring")


async def until_idle(app: GilvizApp, pilot) -> None:
    """Wait (bounded, on a condition) until the experiment has finished."""
    for _ in range(6000):
        if app.live is None:
            return
        await pilot.pause(0.01)
    raise AssertionError("the experiment never finished")


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 50)])
async def test_the_results_show_whole_columns_only_and_the_newest_row_stays_in_view(tmp_path, size):
    store = ResultStore(tmp_path / "results.jsonl")
    for n in range(30):
        store.append(make_result(workers=n % 4 + 1, probe_gil_p99_ms=138.2, wall_s=12.345))
    app = make_app(tmp_path, store=store)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        log = app.results_log
        assert log.virtual_size.width <= log.scrollable_content_region.width, "nothing to scroll to"
        names = [str(column.label) for column in log.columns.values()]
        assert {"executor", "workers", "speedup", "wall s", "GIL p99"} <= set(names), (
            "at 80 columns and wider, the wall time and the probe are shown whole"
        )
        cells = [str(cell) for cell in log.get_row_at(log.row_count - 1)]
        assert "12.345" in cells and "138.2ms" in cells
        await pilot.resize_terminal(90 if size[0] > 90 else 100, size[1])
        await pilot.pause()
        assert log.cursor_row == log.row_count - 1
        assert log.virtual_size.width <= log.scrollable_content_region.width
        last_y = log.row_count - 1
        assert (
            log.scroll_offset.y
            <= last_y
            < log.scroll_offset.y + log.scrollable_content_region.height
        )


async def test_a_failure_reading_the_runner_ends_the_run_with_why_and_the_app_carries_on(
    tmp_path, monkeypatch
):
    def broken(self):
        yield from ()
        raise ValueError("garbled line from the runner")

    monkeypatch.setattr(ExperimentRun, "events", broken)
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("r")
        await finish(app, pilot)
        assert app.live is None and app.is_running
        assert "reading the runner's events failed" in status(app)
        assert "garbled line" in status(app)


async def test_your_own_function_from_the_palette_runs_in_the_runner_only(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # where the user started gilviz: their module is found from there
    app = make_app(tmp_path, Choice("sleep", "threads", 2, tasks=4, repeat=1))
    task = "tests.fixtures.app_task:double"
    async with app.run_test() as pilot:
        await palette(pilot, "own fun", "Your own function")
        prompt = app.screen
        prompt.query_one(Input).value = "no colon here"
        await pilot.press("enter")
        assert "is not MODULE:FUNCTION" in str(prompt.query_one("#task-hint").render())
        prompt.query_one(Input).value = task
        await pilot.press("enter")
        assert app.query_one("#workload", Select).value == task
        assert "imported in the runner" in str(app.query_one("#workload-help").render())
        await pilot.press("r")
        await finish(app, pilot)
        assert [r.workload for r in app.kept.results] == [task, task]
        assert all(r.checksum_ok and r.task_hash for r in app.kept.results)
        assert "no stack sample caught this cell's threads" in app.timeline_panel.text(), (
            "tasks of microseconds: no stack was sampled"
        )
    assert "tests.fixtures.app_task" not in sys.modules, "never imported in the app's process"


def test_gilviz_task_opens_the_app_with_the_function_chosen(monkeypatch):
    opened: list[Choice] = []
    monkeypatch.setattr(GilvizApp, "run", lambda app: opened.append(app.choice))
    main(["--task", "mod:work", "--inputs", "mod:DATA", "--setup", "mod:ready", "--no-save"])
    [choice] = opened
    assert (choice.workload, choice.inputs, choice.setup) == ("mod:work", "mod:DATA", "mod:ready")
    assert choice.is_task and choice.task_path == os.getcwd()
    [(_, spec)] = choice.runs((Cell("threads", 2),), 2)
    assert (spec.task, spec.inputs, spec.setup, spec.size) == (
        "mod:work",
        "mod:DATA",
        "mod:ready",
        None,
    )


async def test_with_inputs_chosen_the_tasks_field_says_it_is_not_used(tmp_path):
    task = Choice("tests.fixtures.app_task:double", "threads", 2, inputs="tests.fixtures:INPUTS")
    app = make_app(tmp_path, task)
    async with app.run_test(size=(120, 36)):
        tasks_help = str(app.query_one("#tasks-help").render())
        assert tasks_help == "not used: one task per input of tests.fixtures:INPUTS"
        assert "does not apply" in str(app.query_one("#size-help").render())


async def test_enter_on_a_sampled_row_says_where_its_time_went(tmp_path):
    hot = {"file": str(ROOT / "examples" / "json_parse.py"), "line": 11, "function": "parse"}
    hot |= {"run_ms": 204.0, "c_ms": 0.0, "wait_ms": 234.0, "samples": 7}
    hot |= {"waits_ms": {"gil": 234.0, "lock": 0.0, "io": 0.0, "core": 0.0}}
    shares = {"run": 0.47, "c": 0.0, "io": 0.0, "gil": 0.53, "lock": 0.0, "core": 0.0}
    sampled = make_result(
        sampled={"shares": shares, "samples": 7}, hot_lines=[hot], task_hash="0123456789ab"
    )
    app = make_app(tmp_path)
    async with app.run_test(notifications=True) as pilot:
        log = app.query_one(ResultsLog)
        log.add_result(sampled)
        log.focus()
        await pilot.press("enter")
        app.timeline_panel.show_result(sampled)
        await pilot.pause()
        shown = app.timeline_panel.text()
        assert "No lanes were kept. Where the function's time went, from stack samples:" in shown
        assert "threads x2: with the GIL 47% · waiting for the GIL 53% (7 samples)" in shown
        assert await toast_says(pilot, "waiting for the GIL 53%")
        assert await toast_says(pilot, "json_parse.py:11 in parse: with the GIL 204 ms")


async def test_a_tour_step_too_noisy_to_say_runs_again_live_with_twice_the_rounds(
    tmp_path, monkeypatch
):
    from dataclasses import replace

    from gilviz.analysis import tour

    monkeypatch.setitem(tour.TASK_S, "quick", 0.02)
    conclude, tried = tour.conclude, []

    def noisy_once(step, result, baseline=None):
        tried.append(result.repeat if result else 0)
        outcome = conclude(step, result, baseline)
        return replace(outcome, status="too noisy") if len(tried) == 1 else outcome

    monkeypatch.setattr(tour, "conclude", noisy_once)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#pace", Select).value = "quick"
        await pilot.press("t", "n")
        await until_idle(app, pilot)
        panel = app.query_one("#tour")
        assert tried == [1, 2], "the first step ran again, with twice the rounds, and concluded"
        assert "Second try, with 2 rounds (the first was too noisy to say" in str(panel.render())
        assert panel.outcomes[0].tries == 2 and len(panel.outcomes) == 1


def test_only_textuals_terminal_driver_is_swapped_for_the_quiet_one(tmp_path, monkeypatch):
    from textual.app import App

    from gilviz.app.driver import QuietLinuxDriver

    app = make_app(tmp_path)
    assert app.get_driver_class() is QuietLinuxDriver, "a POSIX terminal: no polling"
    web = type("WebDriver", (), {})
    monkeypatch.setattr(App, "get_driver_class", lambda self: web)
    assert app.get_driver_class() is web, "a browser's (gilviz serve) stays"
