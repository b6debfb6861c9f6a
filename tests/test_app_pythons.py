"""The app's Python and Switch fields: several interpreters in one experiment, by name."""

from __future__ import annotations

import html
import sys

import pytest
from textual.widgets import Input

from gilviz.analysis import pythons
from gilviz.analysis.store import ResultStore
from gilviz.app.app import GilvizApp
from gilviz.app.choice import Choice
from tests.app_fixtures import ENV, frozen_sampler
from tests.test_app import until_idle
from tests.test_pythons import real_python

pytestmark = pytest.mark.usefixtures("no_leftovers")


def app_with(tmp_path, found: list[pythons.Python]) -> GilvizApp:
    return GilvizApp(
        choice=Choice("sleep", "threads", 2, tasks=2, size=5, repeat=1),
        store=ResultStore(tmp_path / "results.jsonl"),
        sampler=frozen_sampler(),
        export_dir=tmp_path,
        env=ENV,
        pythons=found,
    )


async def test_two_pythons_named_in_the_field_run_one_after_the_other_and_show_apart(tmp_path):
    found = pythons.Describer(tmp_path / "cache.json").describe(
        [sys.executable, real_python("3.12")]
    )
    own, other = sorted(found, key=lambda p: p.path != sys.executable)
    app = app_with(tmp_path, found)
    async with app.run_test(size=(200, 50)) as pilot:  # room for the plot's legend
        app.query_one("#python", Input).value = f"{own.version}, 3.12"
        await pilot.press("r")
        await until_idle(app, pilot)
        assert "Done" in app.progress.text() and "4 results" in app.progress.text()
        assert [(r.env["python"], r.executor) for r in app.kept.results] == [
            (own.version, "serial"),
            (own.version, "threads"),
            (other.version, "serial"),
            (other.version, "threads"),
        ], "each Python with its own baseline"
        log = app.results_log
        cells = [str(cell) for row in range(log.row_count) for cell in log.get_row_at(row)]
        assert other.version in cells, "a heading row per Python in the log"
        screen = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert f"threads · {other.version}" in screen and f"threads · {own.version}" in screen


async def test_a_python_not_found_is_refused_with_the_ones_that_were(tmp_path):
    found = [pythons.Python(sys.executable, "3.12.0", "CPython")]
    app = app_with(tmp_path, found)
    async with app.run_test() as pilot:
        app.query_one("#python", Input).value = "3.9"
        await pilot.press("r")
        await pilot.pause()
        assert app.live is None
        help_line = str(app.query_one("#python-help").render())
        assert "no Python '3.9'" in help_line and "found: 3.12.0" in help_line


async def test_switch_intervals_run_as_a_sweep_with_the_echo_probe(tmp_path):
    app = app_with(tmp_path, [pythons.Python(sys.executable, "3.12.0", "CPython")])
    async with app.run_test() as pilot:
        app.query_one("#switch", Input).value = "1,20"
        await pilot.press("r")
        await until_idle(app, pilot)
        assert [r.env["switch_interval_ms"] for r in app.kept.results] == [1.0, 1.0, 20.0, 20.0]
        assert all(r.echo_p99_ms is not None for r in app.kept.results)
        app.query_one("#switch", Input).value = "0"
        await pilot.pause()
        assert "0.01-1000 ms" in str(app.query_one("#switch-help").render())


def test_pythons_are_picked_by_version_prefix_build_or_path():
    found = [
        pythons.Python("/a/python3.13t", "3.13.0", "CPython", free_threaded=True),
        pythons.Python("/a/python3.13", "3.13.0", "CPython"),
        pythons.Python("/a/python3.12", "3.12.1", "CPython"),
    ]
    assert [p.path for p in pythons.pick(found, "3.13, 3.13t,3.12")] == [
        "/a/python3.13",
        "/a/python3.13t",
        "/a/python3.12",
    ]
    assert pythons.pick(found, "/a/python3.12, 3.12") == [found[2]], "each Python once"
    assert pythons.pick(found, " ") == []
    with pytest.raises(ValueError, match=r"no Python '3\.14'"):
        pythons.pick(found, "3.14")
