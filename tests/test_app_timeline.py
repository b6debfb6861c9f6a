"""The timeline panel and the watch pace in the app, driven with Pilot against real runs."""

from __future__ import annotations

import time

import pytest

from gilviz.analysis import lanes
from gilviz.analysis.store import ResultStore
from gilviz.app.app import GilvizApp
from gilviz.app.choice import Choice
from gilviz.app.pacing import LIVE_REFRESH_S, REFRESH_S
from gilviz.app.widgets.timeline import TimelinePanel
from gilviz.protocol.spec import WATCH_WORK_S
from tests.app_fixtures import make_app
from tests.conftest import make_result

pytestmark = pytest.mark.usefixtures("no_leftovers")
CPU_THREADS = Choice("cpu", "threads", 2, tasks=4, size=4_000_000, repeat=1)
"""Four tasks of about 0.15 s each: a threads cell long enough for several live updates."""


def panel_text(app: GilvizApp) -> str:
    return app.query_one(TimelinePanel).text()


async def finish(app: GilvizApp, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot, predicate, what: str) -> None:
    """Wait, bounded, on a condition (never a fixed sleep)."""
    started = time.monotonic()
    for _ in range(3000):
        if predicate():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"never happened in {time.monotonic() - started:.1f} s: {what}")


async def test_threads_get_live_lanes_then_the_recorded_timeline(tmp_path):
    app = make_app(tmp_path, CPU_THREADS)
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.query_one(TimelinePanel)
        assert "r runs one" in panel_text(app)
        await pilot.press("r")

        def live_lanes() -> bool:
            app.pacing.tick()  # what a tick shows now: the 4 Hz timer may lag on a busy machine
            running = app.live is not None and app.live.running and app.live.cell == "threads x2"
            return running and "w2" in panel_text(app) and "live" in str(panel.border_subtitle)

        await until(pilot, live_lanes, "two live lanes during the threads cell")
        assert str(panel.border_title) == "Timeline · threads x2 on cpu"
        await finish(app, pilot)
        assert "overlap" in str(panel.border_subtitle), "the exact figures, once done"
        assert panel.result is app.kept.results[-1] and panel.result.executor == "threads"
        assert "─ GIL wait" in panel_text(app)
        await pilot.press("up")  # the serial baseline's row
        assert str(panel.border_title) == "Timeline · serial x1 on cpu"
        assert panel_text(app).count("\n") == 1, "one lane and the legend"


async def test_a_row_without_a_timeline_says_so(tmp_path):
    from gilviz.analysis.store import ResultStore
    from tests.conftest import make_result

    store = ResultStore(tmp_path / "results.jsonl")
    store.append(make_result())  # saved before timelines existed
    app = make_app(tmp_path, store=store)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "No timeline was recorded for this row." in panel_text(app)


async def test_l_hides_and_shows_the_timeline(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        panel = app.query_one(TimelinePanel)
        await pilot.press("l")
        assert not panel.display
        await pilot.press("l")
        assert panel.display


@pytest.mark.parametrize(
    ("pace", "repeat", "task_s"),
    [("watch", 1, WATCH_WORK_S / 8), ("watch", 4, WATCH_WORK_S / 32), ("quick", 3, None)],
)
async def test_the_pace_sets_what_calibration_aims_at(tmp_path, pace, repeat, task_s):
    """Watch spreads its few seconds over every run of a cell; quick keeps 0.2 s tasks."""
    app = make_app(tmp_path, Choice("sleep", "threads", 2, tasks=8, pace=pace, repeat=repeat))
    async with app.run_test() as pilot:
        await pilot.press("r")
        assert app.live is not None and app.live.run.spec.task_s == task_s
        await pilot.press("escape")
        await finish(app, pilot)


async def test_a_size_overrides_the_pace_and_says_so(tmp_path):
    app = make_app(tmp_path, Choice("cpu", "threads", 2, size=1000, pace="watch"))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "pace is not used" in str(app.query_one("#pace-help").render())


async def test_the_cpu_panel_names_what_runs_and_shows_process_workers(tmp_path):
    choice = Choice("cpu", "processes", 2, tasks=2, size=10_000_000, repeat=1)  # ~1 s a task
    app = make_app(tmp_path, choice)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("r")
        cpu = app.cpu_panel

        def baseline_named() -> bool:
            app.pacing.sample()  # as below: what a sample shows, not when the 1 Hz tick comes
            return cpu.running == "serial x1"

        await until(pilot, baseline_named, "the baseline named")
        assert "no experiment running" not in cpu.text()
        assert "serial x1: " in cpu.text(), "its load line names the cell"
        assert str(cpu.border_title) == "CPU", "a title that never changes: no whole repaints"

        def two_processes_shown() -> bool:
            # The panel's own tick comes once a second and the cell lasts about one: sample
            # at each look, so that the assertion is about what a sample shows, not when.
            app.pacing.sample()
            workers = cpu.snapshot.workers
            shown = sum(w.label.startswith("process ") for w in workers)
            return cpu.running == "processes x2" and shown >= 2

        await until(pilot, two_processes_shown, "two process workers in the CPU panel")
        assert "process " in cpu.text()
        await pilot.press("escape")
        await finish(app, pilot)
        assert str(cpu.border_title) == "CPU"


async def test_the_live_panels_tick_four_times_a_second_and_the_cpu_panel_once(tmp_path):
    app = make_app(tmp_path, Choice("sleep", "threads", 2, tasks=2, size=5000, repeat=1))
    async with app.run_test() as pilot:
        assert app.pacing.live_s is None and app.pacing.sample_timer._interval == REFRESH_S == 1.0
        await pilot.press("r")
        assert app.pacing.live_s == LIVE_REFRESH_S == 0.25
        assert app.pacing.sample_timer._interval == 1.0, "the CPU panel keeps its calm second"
        await pilot.press("escape")
        await finish(app, pilot)
        assert app.pacing.live_s is None


async def test_a_cancelled_cells_lanes_stay_but_no_longer_say_live(tmp_path):
    app = make_app(tmp_path, Choice("sleep", "threads", 2, tasks=2, size=5000, repeat=1))
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.query_one(TimelinePanel)
        await pilot.press("r")
        await until(pilot, lambda: str(panel.border_subtitle) == "live", "a live cell")
        await pilot.press("escape")
        await finish(app, pilot)
        assert str(panel.border_subtitle) == "cancelled"


def test_live_lanes_reworked_from_the_first_changed_column_equal_a_full_rework():
    """The 4 Hz view reuses the columns no new interval touched: it must draw what a view
    worked out from scratch draws, as lanes fill, wait for the GIL and page on."""
    from gilviz.analysis.lanes import strip
    from gilviz.app.widgets.timeline import LiveLanes
    from gilviz.measure.timeline import RUN, STALL
    from gilviz.protocol.events import TimelineUpdate
    from gilviz.protocol.spec import Cell

    ticking, fresh_each_time = LiveLanes("threads x2", True), []
    for step in range(40):  # 40 updates of 30 ms: two threads taking 5 ms turns
        lanes = []
        for worker in (0, 1):
            flat = []
            for turn in range(6 if not 20 <= step < 24 else 0):  # a pause: nothing stamped
                start = (step * 30 + turn * 5) * 1000
                state = RUN if (turn + worker) % 2 == 0 else STALL
                flat += [state, start, start + 5000]
            if step or worker == 0:  # the second lane appears one update late
                lanes.append((worker, 7, flat))
        update = TimelineUpdate(Cell("threads", 2), (step + 1) * 30_000, lanes)
        ticking.add(update)
        fresh_each_time.append(update)
        scratch = LiveLanes("threads x2", True)
        for earlier in fresh_each_time:
            scratch.add(earlier)
        first = ticking.first_column(20)
        kept, worked_out = ticking.view(first, 20), scratch.view(first, 20)
        assert kept == worked_out, f"after update {step}"
        assert [v.drawn() for v in kept] == [strip(v.columns) for v in worked_out], "glyphs kept"


async def test_at_the_smallest_size_a_run_keeps_a_result_row_in_view(tmp_path):
    """60x20 mid-run: the lanes share one row so that the results log still shows a result."""
    store = ResultStore(tmp_path / "results.jsonl")
    store.append(make_result())
    app = make_app(tmp_path, CPU_THREADS, store=store)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press("r")
        await until(pilot, lambda: "threads x2" in str(app.timeline_panel.border_title), "threads")
        await until(pilot, lambda: "w1" in panel_text(app), "a lane drawn")
        await pilot.pause()
        log = app.results_log
        assert log.scrollable_content_region.height - log.header_height >= 1, "a row in view"
        await pilot.press("escape")
        await finish(app, pilot)


def test_live_rows_of_the_functions_own_threads_hold_them_one_after_another():
    from gilviz.app.widgets.timeline import LIVE_COLUMN_US, LiveLanes
    from gilviz.measure.timeline import IO, LOCK, RUN
    from gilviz.protocol.events import TimelineUpdate
    from gilviz.protocol.spec import Cell

    col = LIVE_COLUMN_US
    live = LiveLanes("serial x1 on mod:f", shared_gil=True, sampled=True)
    worker = (0, 7, [IO, 0, 2 * col, LOCK, 2 * col, 8 * col])
    first = (1, 7, [RUN, 0, 3 * col])  # a helper
    second = (2, 7, [RUN, 4 * col, 6 * col])  # the next call's, after it: the same row
    beside = (3, 7, [RUN, 5 * col, 8 * col])  # at once with the second: a row of its own
    live.add(TimelineUpdate(Cell("serial", 1), 8 * col, [worker, first], own=[1]))
    live.add(TimelineUpdate(Cell("serial", 1), 8 * col, [second, beside], own=[2, 3]))
    drawn = live.view(0, 8)
    assert [(view.label, view.own) for view in drawn] == [
        ("w1", False),
        ("own1", True),
        ("own2", True),
    ]
    glyphs = ["".join(glyph for glyph, _ in lanes.strip(view.columns)) for view in drawn]
    assert glyphs == ["··══════", "███ ██  ", "     ███"]


async def test_a_users_function_gets_live_lanes_from_samples_then_its_own_threads_lanes(tmp_path):
    task = "tests.fixtures.usertasks:spins_in_a_helper"
    app = make_app(tmp_path, Choice(task, "processes", 1, tasks=8, repeat=1))
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.query_one(TimelinePanel)
        await pilot.press("r")

        def live_lanes() -> bool:
            app.pacing.tick()
            return "w1" in panel_text(app) and str(panel.border_subtitle) == "live"

        await until(pilot, live_lanes, "a live lane from the samples")
        await finish(app, pilot)
        assert panel.result is app.kept.results[-1] and panel.result.executor == "processes"
        assert "from stack samples" in str(panel.border_subtitle)
        shown = panel_text(app)
        assert "\nown1" in shown and "═ lock wait" in shown, shown


async def test_a_finished_cells_picture_waits_for_a_tick_and_the_next_cell_replaces_it(tmp_path):
    """In a sweep the next cell starts at once: its lanes replace the finished cell's picture
    before that is ever sent (one whole repaint of the panel a cell, not two)."""
    app = make_app(tmp_path)
    async with app.run_test():
        panel = app.query_one(TimelinePanel)
        drawn: list[object] = []
        redraw = panel.redraw
        panel.redraw = lambda: (drawn.append(panel.result), redraw())  # type: ignore[method-assign]
        finished = make_result()
        panel.start_cell("threads x2 on cpu", shared_gil=True, rows=2)
        panel.show_result(finished, at_tick=True)
        panel.start_cell("threads x4 on cpu", shared_gil=True, rows=4)
        panel.tick()
        assert drawn == [None, None], "the finished picture was never drawn"
        panel.show_result(finished, at_tick=True)
        assert drawn == [None, None]
        panel.tick()
        assert drawn == [None, None, finished], "drawn on the tick after"
        panel.show_result(finished, at_tick=True)
        panel.stop("stopped")  # the run's end: no more ticks
        assert drawn[-1] is finished and len(drawn) == 4


def test_live_own_rows_stay_marked_as_own_when_only_new_columns_are_worked_out():
    from gilviz.app.widgets.timeline import LIVE_COLUMN_US, LiveLanes
    from gilviz.measure.timeline import RUN
    from gilviz.protocol.events import TimelineUpdate
    from gilviz.protocol.spec import Cell

    col = LIVE_COLUMN_US
    live = LiveLanes("serial x1 on mod:f", shared_gil=True, sampled=True)
    for step in range(3):  # the view reuses the columns no new interval touched
        lanes_ = [
            (0, 7, [RUN, step * col, (step + 1) * col]),
            (1, 7, [RUN, step * col, (step + 1) * col]),
        ]
        live.add(TimelineUpdate(Cell("serial", 1), (step + 1) * col, lanes_, own=[1]))
        drawn = live.view(0, 8)
        assert [view.own for view in drawn] == [False, True], f"after update {step}"


def test_live_lanes_are_worked_out_up_to_their_last_stamped_column_only():
    """A cell's lanes fill from the left: the empty columns after the newest are blank, not
    worked out again at every tick (a lane is drawn from them four times a second)."""
    from gilviz.app.widgets.timeline import LIVE_COLUMN_US, LiveLanes
    from gilviz.measure.timeline import RUN
    from gilviz.protocol.events import TimelineUpdate
    from gilviz.protocol.spec import Cell

    live = LiveLanes("threads x2", True)
    stamped = [RUN, 0, 4 * LIVE_COLUMN_US - 1]  # columns 0 to 3
    live.add(TimelineUpdate(Cell("threads", 2), 4 * LIVE_COLUMN_US, [(0, 7, stamped)]))
    assert [len(view.columns) for view in live.view(0, 100)] == [4]
    live.add(
        TimelineUpdate(
            Cell("threads", 2),
            9 * LIVE_COLUMN_US,
            [(0, 7, [RUN, 8 * LIVE_COLUMN_US, 9 * LIVE_COLUMN_US])],
        )
    )
    (view,) = live.view(0, 100)
    assert "".join(glyph for glyph, _ in view.drawn()) == "████    █"
