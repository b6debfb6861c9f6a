import csv
import io
import json
import subprocess
import sys

import pytest

from gilviz.analysis import report
from gilviz.analysis.advice import advise
from gilviz.analysis.store import ResultStore, default_results_path
from tests.conftest import ROOT, TOOK_TURNS_SHARES, make_result


def test_default_path_follows_gilviz_results_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("GILVIZ_RESULTS", str(tmp_path / "a.jsonl"))
    assert default_results_path() == tmp_path / "a.jsonl"
    monkeypatch.delenv("GILVIZ_RESULTS")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_results_path() == tmp_path / "gilviz" / "results.jsonl"


def test_append_then_load(tmp_path):
    store = ResultStore(tmp_path / "deep" / "r.jsonl")
    store.append(make_result(workers=1))
    store.append(make_result(workers=2))
    loaded = store.load()
    assert [r.workers for r in loaded.results] == [1, 2] and not loaded.warnings


def test_corrupt_and_truncated_lines_are_skipped_with_a_warning(tmp_path):
    path = tmp_path / "r.jsonl"
    store = ResultStore(path)
    store.append(make_result())
    with open(path, "a") as f:
        f.write("not json\n")
        f.write('{"workload": "cpu"}\n')
        f.write(json.dumps(make_result().to_dict())[:40])  # a line cut off by a crash
    loaded = store.load()
    assert len(loaded.results) == 1
    assert len(loaded.warnings) == 3 and all("skipped" in w for w in loaded.warnings)


def test_missing_file_is_empty(tmp_path):
    assert ResultStore(tmp_path / "none.jsonl").load().results == []


def test_unwritable_path_raises_oserror(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        ResultStore(blocker / "r.jsonl").append(make_result())


APPEND_MANY = """
import sys
from pathlib import Path
from gilviz.analysis.store import ResultStore
from tests.conftest import make_result
store, tag = ResultStore(Path(sys.argv[1])), int(sys.argv[2])
big = "x" * 100_000  # larger than any atomic pipe write, so only the lock keeps lines whole
for _ in range(20):
    store.append(make_result(workers=tag, records=[{"pad": big}]))
"""


def test_two_writers_never_interleave_lines(tmp_path):
    path = tmp_path / "r.jsonl"
    writers = [
        subprocess.Popen([sys.executable, "-c", APPEND_MANY, str(path), str(n)], cwd=ROOT)
        for n in (1, 2)
    ]
    assert [w.wait(60) for w in writers] == [0, 0]
    loaded = ResultStore(path).load()
    assert not loaded.warnings
    assert sorted(r.workers for r in loaded.results) == [1] * 20 + [2] * 20


def test_csv_and_markdown_have_a_row_per_result_with_verdicts():
    results = [make_result(), make_result(executor="processes", speedup=1.9, efficiency=0.95)]
    rows = list(csv.DictReader(io.StringIO(report.to_csv(results))))
    assert [r["executor"] for r in rows] == ["threads", "processes"]
    assert "own GIL" in rows[1]["verdict"] and rows[0]["python"] == "3.11.7"
    markdown = report.to_markdown(results)
    assert markdown.count("\n| cpu |") == 2 and "own GIL" in markdown


def test_timeline_figures_are_in_csv_markdown_json_and_the_saved_file(tmp_path):
    from gilviz.measure.timeline import RUN, STALL, Collector

    collector = Collector()
    collector.add((1, 1), [RUN, 0, 50_000_000, STALL, 50_000_000, 100_000_000])
    collector.add((1, 2), [STALL, 0, 50_000_000, RUN, 50_000_000, 100_000_000])
    cell = collector.finish(shared_gil=True)
    result = make_result(
        overlap=cell.overlap, handoffs_per_s=cell.handoffs_per_s, timeline=cell.stored()
    )
    row = next(csv.DictReader(io.StringIO(report.to_csv([result]))))
    assert float(row["overlap"]) == pytest.approx(1.0) and float(row["handoffs_per_s"]) == 20.0
    assert float(row["share_run"]) == float(row["share_gil"]) == pytest.approx(0.5)
    assert "| 1.00 | 20 |" in report.to_markdown([result])
    assert json.loads(report.to_json([result]))[0]["timeline"]["workers"][1]["shares"]["run"] == 0.5
    store = ResultStore(tmp_path / "r.jsonl")
    store.append(result)
    assert store.load().results[0].timeline == result.timeline
    without = next(csv.DictReader(io.StringIO(report.to_csv([make_result()]))))
    assert without["overlap"] == "" and without["share_run"] == ""


def test_every_export_keeps_the_python_its_build_and_its_gil():
    free = {"python": "3.13.1", "build": "free-threaded", "gil_enabled": False}
    row = next(csv.DictReader(io.StringIO(report.to_csv([make_result(env=free)]))))
    assert (row["python"], row["build"], row["gil_enabled"]) == ("3.13.1", "free-threaded", "False")
    assert json.loads(report.to_json([make_result(env=free)]))[0]["env"]["build"] == "free-threaded"
    assert "### cpu · CPython 3.13.1 free-threaded, GIL off" in report.to_markdown(
        [make_result(env=free)]
    )


def test_hand_offs_are_exported_only_where_threads_share_a_gil():
    processes = make_result(executor="processes", handoffs_per_s=120.0, overlap=1.9)
    row = next(csv.DictReader(io.StringIO(report.to_csv([processes]))))
    assert row["handoffs_per_s"] == ""
    assert "| 1.90 | - |" in report.to_markdown([processes])


def test_speedup_series_keeps_the_latest_point_and_drops_serial():
    results = [
        make_result(executor="serial", workers=1),
        make_result(workers=2, speedup=1.1),
        make_result(workers=2, speedup=1.2),
    ]
    assert report.speedup_series(results) == {"threads": [(2, 1.2)]}


class RecordingPlot:
    """Stands in for plotext: records every call, so a test reads what would be drawn."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


def test_the_speedup_plot_draws_the_ideal_line_and_a_series_per_executor():
    results = [
        make_result(executor="serial", workers=1, speedup=1.0),
        make_result(workers=2, speedup=1.1),
        make_result(executor="processes", workers=2, speedup=1.9),
        make_result(executor="processes", workers=4, speedup=3.0),
    ]
    plot = RecordingPlot()
    report.draw_speedup(plot, results, "cpu: speedup")
    assert plot.calls == [
        ("title", ("cpu: speedup",), {}),
        ("xlabel", ("workers",), {}),
        ("plot", ([1, 2, 3, 4], [1, 2, 3, 4]), {"label": "ideal", "color": "gray"}),
        ("plot", ([2], [1.1]), {"label": "threads", "marker": "dot"}),
        ("plot", ([2, 4], [1.9, 3.0]), {"label": "processes", "marker": "x"}),
        ("ylim", (0, pytest.approx(4.4)), {}),
        ("xticks", ([1, 2, 4],), {}),
    ]


def test_an_empty_plot_still_has_its_frame_and_a_speedup_above_the_workers_fits():
    plot = RecordingPlot()
    report.draw_speedup(plot, [], "nothing yet")
    assert ("plot", ([1], [1]), {"label": "ideal", "color": "gray"}) in plot.calls
    assert ("ylim", (0, pytest.approx(1.1)), {}) in plot.calls
    assert ("xticks", ([1],), {}) in plot.calls
    plot = RecordingPlot()
    report.draw_speedup(plot, [make_result(workers=2, speedup=3.0)], "t")
    assert ("ylim", (0, pytest.approx(3.3)), {}) in plot.calls


def env_of(python: str, build: str = "default", gil: bool = True, cores: int = 2) -> dict:
    return {"python": python, "build": build, "gil_enabled": gil, "usable_cores": cores}


def test_series_are_named_by_what_tells_their_groups_apart():
    results = [
        make_result(speedup=None, error="boom", env=env_of("3.10.0")),  # failed: no point
        make_result(speedup=1.0, env=env_of("3.12.0")),
        make_result(speedup=1.9, env=env_of("3.13.1", "free-threaded", gil=False)),
        make_result(workers=4, speedup=1.0, env=env_of("3.12.0")),
    ]
    assert report.speedup_series(results) == {
        "threads · 3.12.0 · GIL on": [(2, 1.0), (4, 1.0)],
        "threads · 3.13.1t · GIL off": [(2, 1.9)],
    }
    three_workloads = [make_result(workload=w, speedup=1.0) for w in ("cpu", "sleep", "hash")]
    assert list(report.speedup_series(three_workloads)) == [
        "threads · cpu",
        "threads · sleep",
        "threads · hash",
    ]
    cores = [make_result(speedup=1.0, env=env_of("3.12.0", cores=n)) for n in (2, 4)]
    assert list(report.speedup_series(cores)) == ["threads · 2 cores", "threads · 4 cores"]
    pypy = [
        make_result(speedup=1.0, env={**env_of("3.11.7"), "implementation": name})
        for name in ("CPython", "PyPy")
    ]
    assert list(report.speedup_series(pypy)) == ["threads · CPython", "threads · PyPy"]
    assert report.grouped(pypy)[1][0] == "cpu · PyPy 3.11.7, GIL on · 2 cores"
    builds = [
        make_result(speedup=1.0, env={"python": "3.13.1"}),
        make_result(speedup=1.9, env={"python": "3.13.1", "build": "free-threaded"}),
    ]
    assert list(report.speedup_series(builds)) == ["threads · 3.13.1", "threads · 3.13.1t"]


def test_markdown_is_a_table_per_group_with_every_figure():
    results = [
        make_result(
            repeat=3,
            wall_min_s=0.78,
            wall_max_s=0.86,
            overlap=1.0,
            handoffs_per_s=150.4,
            **TOOK_TURNS_SHARES,
        ),
        make_result(executor="processes", speedup=None, error="a worker died"),
        make_result(workload="sleep", speedup=2.0, efficiency=1.0, parallelism=0.01),
    ]
    assert report.to_markdown(results) == (
        "### cpu · CPython 3.11.7, GIL on · 2 cores\n"
        "\n"
        "| workload | executor | workers | wall (s) | noise | speedup | eff. | cores busy "
        "| overlap | hand-offs/s | verdict |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
        "| cpu | threads | 2 | 0.800 (0.780-0.860) | ±5% | 1.00 | 0.50 | 0.99 | 1.00 | 150 "
        "| threads 1.00x on cpu: no gain, 2 threads took turns on the GIL: 1.0 ran at a time, "
        "150 hand-offs a second |\n"
        "| cpu | processes | 2 | - | - | - | - | - | - | - | processes x2 on cpu: failed, "
        "a worker died |\n"
        "\n"
        f"**Recommendation:** {advise(results[:2]).words}\n"
        "\n"
        "### sleep · CPython 3.11.7, GIL on · 2 cores\n"
        "\n"
        "| workload | executor | workers | wall (s) | noise | speedup | eff. | cores busy "
        "| overlap | hand-offs/s | verdict |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
        "| sleep | threads | 2 | 0.800 (0.800-0.800) | 1 run | 2.00 | 1.00 | 0.01 | - | - "
        "| threads 2.00x on sleep: near-ideal (100% of what 2 workers allow), the tasks mostly "
        "waited, which needs neither a core nor the GIL (0.0 cores busy) |\n"
        "\n"
        f"**Recommendation:** {advise(results[2:]).words}\n"
    )
    assert advise(results[:2]).words.startswith("Keep it serial: the best was threads x2")


def test_a_csv_row_has_the_environment_and_blanks_for_what_was_not_measured():
    row = report.summary_row(make_result(env={}, overlap=None))
    assert (row["python"], row["gil_enabled"], row["usable_cores"]) == ("", "", "")
    assert row["overlap"] == "" and row["process_cpu_s"] == "" and row["stability"] == "unknown"
    row = report.summary_row(make_result(env={"python": "3.12.1", "gil_enabled": False}))
    assert (row["python"], row["gil_enabled"]) == ("3.12.1", False)
    assert report.summary_row(make_result())["usable_cores"] == 2
    assert report.to_csv([]).splitlines() == [",".join(report.SUMMARY_COLUMNS)]


def test_json_is_indented_for_people_to_read():
    assert report.to_json([make_result()]).startswith('[\n  {\n    "workload": "cpu",')


@pytest.mark.parametrize(
    ("figures", "noise", "flag"),
    [
        ({}, "1 run", ""),
        ({"repeat": 2, "wall_min_s": 0.76, "wall_max_s": 0.84}, "±5%", ""),
        ({"repeat": 3, "wall_min_s": 0.6, "wall_max_s": 1.0}, "±25%", "UNSTABLE"),
        ({"repeat": 3, "other_cores": 1.5}, "±0%", "DISTURBED"),
        ({"checksum_ok": False, "bad_checksums": 1}, "1 run", "INVALID"),
        ({"error": "boom", "repeat": 0}, "-", "FAILED"),
    ],
)
def test_noise_and_flag_mark_what_should_not_be_trusted(figures, noise, flag):
    result = make_result(**figures)
    assert (report.noise(result), report.flag(result)) == (noise, flag)


@pytest.mark.parametrize(
    ("env", "label"),
    [
        ({}, "cpu · CPython ?, GIL on · 0 cores"),
        ({"python": "3.13.1", "cpu_count": 8}, "cpu · CPython 3.13.1, GIL on · 8 cores"),
        (
            {"python": "3.13.1", "build": "free-threaded", "gil_enabled": False, "usable_cores": 4},
            "cpu · CPython 3.13.1 free-threaded, GIL off · 4 cores",
        ),
        ({"implementation": "PyPy", "python": "3.11.9"}, "cpu · PyPy 3.11.9, GIL on · 0 cores"),
    ],
)
def test_a_group_is_labelled_from_what_its_environment_recorded(env, label):
    assert report.grouped([make_result(env=env)]) == [(label, [make_result(env=env)])]


def test_series_differ_by_marker_without_colour():
    import plotext

    results = [
        make_result(executor=executor, workers=workers, speedup=speedup)
        for executor, points in (("threads", ((2, 1.0), (4, 1.0))), ("processes", ((2, 1.9),)))
        for workers, speedup in points
    ]
    plotext.clear_figure()
    plotext.plotsize(50, 14)
    report.draw_speedup(plotext, results, "cpu")
    drawn = plotext.uncolorize(plotext.build())
    markers = {}
    for line in drawn.splitlines():
        for name in ("threads", "processes"):
            if f" {name}" in line:
                markers[name] = line.split(f" {name}")[0].split()[-1]
    assert markers["threads"] != markers["processes"], drawn
