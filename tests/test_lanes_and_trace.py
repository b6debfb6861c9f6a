"""Lanes of glyphs (CLI and app) and the Chrome trace file, checked against the format's rules."""

from __future__ import annotations

import json

import pytest

from gilviz.analysis import lanes
from gilviz.analysis.trace import chrome_trace
from gilviz.cli.main import main
from gilviz.measure import timeline
from gilviz.measure.timeline import IO, RUN, STALL, STATES, C, Collector, bin_intervals
from tests.conftest import make_result

MS = 1_000_000


def shares(**named: float) -> list[float]:
    return [named.get(name, 0.0) for name in STATES]


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (shares(run=1.0), ("█", "run")),
        (shares(run=0.5, gil=0.5), ("▄", "run")),
        (shares(run=0.125, gil=0.875), ("▁", "run")),
        (shares(c=0.9), ("▒", "c")),
        (shares(c=0.4, core=0.6), ("░", "c")),
        (shares(io=1.0), ("·", "io")),
        (shares(gil=0.95, run=0.05), ("─", "gil")),
        (shares(core=0.8), ("~", "core")),
        (shares(run=0.3), (" ", "idle")),
        (shares(), (" ", "idle")),
    ],
)
def test_each_state_has_its_own_glyph(column, expected):
    assert lanes.glyph(column) == expected


def test_every_state_differs_in_glyph_not_only_colour():
    drawn = {lanes.glyph(shares(**{name: 1.0}))[0] for name in STATES}
    assert len(drawn) == len(STATES)


def live(*lanes_: tuple[int, list[tuple[int, int, int]]], columns: int = 2) -> dict:
    """Raw intervals over 0..100 as the live view bins them: {index: (pid, columns)}."""
    return {
        i: (pid, bin_intervals(intervals, 0, 100, columns))
        for i, (pid, intervals) in enumerate(lanes_)
    }


def test_live_stalls_are_gil_waits_only_beside_a_running_worker_of_the_same_process():
    turns = live(
        (1, [(RUN, 0, 50), (STALL, 50, 100)]),
        (1, [(STALL, 0, 50), (RUN, 50, 100)]),
    )
    drawn = lanes.from_live(turns, shared_gil=True)
    assert [lanes.strip(v.columns) for v in drawn] == [
        [("█", "run"), ("─", "gil")],
        [("─", "gil"), ("█", "run")],
    ]
    apart = lanes.from_live(turns, shared_gil=False)
    assert lanes.strip(apart[0].columns)[1] == ("~", "core")
    other_processes = live((1, [(STALL, 0, 100)]), (2, [(RUN, 0, 100)]), columns=1)
    drawn = lanes.from_live(other_processes, shared_gil=True)
    assert lanes.strip(drawn[0].columns) == [("~", "core")]


def test_many_workers_share_lanes_and_say_so():
    many = live(*[(1, [(RUN, 0, 100)]) for _ in range(40)], columns=4)
    drawn = lanes.aggregate(lanes.from_live(many, shared_gil=False))
    assert len(drawn) == 16 and drawn[-1].label == "w38-40"


def stored_cell() -> dict:
    collector = Collector()
    collector.add((1, 1), [RUN, 0, 50 * MS, STALL, 50 * MS, 100 * MS])
    collector.add((1, 2), [STALL, 0, 50 * MS, RUN, 50 * MS, 100 * MS])
    collector.add((2, 1), [C, 0, 50 * MS, IO, 50 * MS, 100 * MS])
    return collector.finish(shared_gil=True)


def test_a_stored_timeline_redraws_at_any_width():
    stored = stored_cell().stored()
    for width in (4, 57, 240, 300):
        drawn = lanes.from_stored(stored, width)
        assert [len(v.columns) for v in drawn] == [width] * 3
    four = [lanes.strip(v.columns) for v in lanes.from_stored(stored, 4)]
    assert "".join(g for g, _ in four[0]) == "██──"
    assert "".join(g for g, _ in four[1]) == "──██"
    assert "".join(g for g, _ in four[2]) == "▒▒··"


def test_the_legend_fits_its_width():
    for width in (40, 60, 80, 200):
        text = "   ".join(f"{g} {w}" for g, _, w in lanes.legend_items(width))
        assert len(text) <= max(width, 60)
    assert "waiting for the GIL" in str(lanes.legend_items(200))


def check_chrome_trace(data: dict) -> list[dict]:
    """The Trace Event Format's rules for what gilviz writes; returns the slices."""
    assert set(data) >= {"traceEvents"} and isinstance(data["traceEvents"], list)
    last_ts: dict[tuple[int, int], int] = {}
    parent: dict[tuple[int, int], tuple[int, int]] = {}
    slices = []
    for event in data["traceEvents"]:
        assert event["ph"] in {"X", "M"}, event
        assert {"name", "ph", "pid", "tid"} <= set(event)
        assert isinstance(event["pid"], int) and isinstance(event["tid"], int)
        if event["ph"] == "M":
            assert event["name"] in {"process_name", "process_sort_index", "thread_name"}
            assert isinstance(event["args"], dict)
            continue
        ts, dur = event["ts"], event["dur"]
        assert isinstance(ts, int) and isinstance(dur, int) and ts >= 0 and dur >= 0
        track = (event["pid"], event["tid"])
        assert ts >= last_ts.get(track, 0), f"timestamps go back on track {track}"
        last_ts[track] = ts
        if event["cat"] == "cell":
            parent[track] = (ts, ts + dur)
        else:
            low, high = parent[track]
            assert low <= ts and ts + dur <= high, "a state slice lies inside its cell's slice"
        slices.append(event)
    return slices


def test_the_trace_follows_the_format_and_keeps_cells_apart():
    cell = stored_cell()
    result = make_result(timeline=cell.stored(), overlap=cell.overlap, handoffs_per_s=1.0)
    data = json.loads(
        json.dumps(chrome_trace([(result, cell.intervals), (result, cell.intervals)]))
    )
    slices = check_chrome_trace(data)
    cells = [s for s in slices if s["cat"] == "cell"]
    assert len(cells) == 6 and {s["pid"] for s in cells} == {1, 2}
    first_end = max(s["ts"] + s["dur"] for s in slices if s["pid"] == 1)
    assert min(s["ts"] for s in slices if s["pid"] == 2) > first_end, "cells follow one another"
    names = {s["name"] for s in slices}
    assert {"running Python", "waiting for the GIL", "C code, GIL released"} <= names


def test_run_prints_timelines_and_writes_a_valid_trace(tmp_path, capsys):
    trace = tmp_path / "trace.json"
    args = ["run", "--workload", "cpu", "--size", "200000", "--executor", "threads,processes"]
    code = main([*args, "--workers", "2", "--tasks", "4", "--timeline", "--trace", str(trace)])
    out = capsys.readouterr().out
    assert code == 0
    assert "threads x2 on cpu: overlap" in out and "processes x2 on cpu: overlap" in out
    assert "  w1 " in out and "  w2 " in out and "GIL wait" in out
    slices = check_chrome_trace(json.loads(trace.read_text()))
    assert {s["pid"] for s in slices} == {1, 2, 3}, "serial, threads and processes"


def test_trace_into_a_missing_folder_is_refused_before_running(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--trace", str(tmp_path / "nope" / "t.json")])
    assert exit_info.value.code == 2 and "no folder" in capsys.readouterr().err


def test_sampled_live_lanes_are_drawn_as_sampled_and_own_threads_come_last():
    # A lock wait and a wait for a core, told apart by the kernel: nothing to sort.
    sampled = live(
        (1, [(timeline.LOCK, 0, 100)]),
        (1, [(RUN, 0, 100)]),
        (1, [(timeline.CORE, 0, 100)]),
        columns=1,
    )
    drawn = lanes.from_live(sampled, shared_gil=True, sampled=True, own=frozenset({0}))
    assert [(v.label, v.own) for v in drawn] == [("w1", False), ("w2", False), ("own1", True)]
    assert [lanes.strip(v.columns)[0] for v in drawn] == [
        ("█", "run"),
        ("~", "core"),
        ("═", "lock"),
    ]


def test_own_threads_share_lanes_apart_from_the_workers():
    views = [lanes.LaneView(f"w{i + 1}", [shares(run=1.0)]) for i in range(20)]
    views += [lanes.LaneView(f"own{i + 1}", [shares(gil=1.0)], own=True) for i in range(6)]
    drawn = lanes.aggregate(views)
    assert len(drawn) == 16
    assert [v.label for v in drawn if v.own] == ["own1", "own2-3", "own4", "own5-6"]
    assert all(lanes.strip(v.columns) == [("─", "gil")] for v in drawn if v.own), "not averaged in"


def test_the_legend_names_a_lock_wait_only_where_a_lane_shows_one():
    plain = [lanes.LaneView("w1", [shares(run=1.0)])]
    locked = [lanes.LaneView("w1", [shares(lock=0.6, run=0.4)])]
    assert not lanes.shows_lock(plain) and lanes.shows_lock(locked)
    assert "lock wait" not in lanes.text_block("t", plain, 120)
    assert "waiting on a lock" in lanes.text_block("t", locked, 200)


def test_a_trace_names_the_functions_own_threads_and_its_lock_waits():
    collector = Collector()
    collector.add_sampled((1, 1), [timeline.LOCK, 0, 80 * MS, RUN, 80 * MS, 100 * MS], False)
    collector.add_sampled((1, 2), [RUN, 0, 80 * MS], True)
    cell = collector.finish(shared_gil=True)
    result = make_result(timeline=cell.stored(), overlap=cell.overlap, handoffs_per_s=None)
    data = chrome_trace([(result, cell.intervals)])
    slices = check_chrome_trace(json.loads(json.dumps(data)))
    threads = [e["args"]["name"] for e in data["traceEvents"] if e["name"] == "thread_name"]
    assert threads == ["worker 1", "own thread 1"]
    assert "waiting on a lock" in {s["name"] for s in slices}
    assert [s["args"]["lanes_from"] for s in slices if s["cat"] == "cell"] == ["samples"] * 2
