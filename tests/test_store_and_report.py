import csv
import io
import json
import subprocess
import sys

import pytest

from gilviz import report
from gilviz.store import ResultStore, default_results_path
from tests.conftest import ROOT, make_result


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
from gilviz.store import ResultStore
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
    from gilviz.timeline import RUN, STALL, Collector

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


def test_speedup_series_keeps_the_latest_point_and_drops_serial():
    results = [
        make_result(executor="serial", workers=1),
        make_result(workers=2, speedup=1.1),
        make_result(workers=2, speedup=1.2),
    ]
    assert report.speedup_series(results) == {"threads": [(2, 1.2)]}
