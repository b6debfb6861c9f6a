"""Repainting only what changed: the regions a 4 Hz panel sends."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region

from gilviz.app.widgets.repaint import changed_regions


def test_unchanged_lines_send_nothing():
    lines = [Text("cpu0 ▁▂▃  12%"), Text.assemble("w1 ", ("▄▄", "green"))]
    assert changed_regions(lines, [line.copy() for line in lines], 40) == []


def test_a_changed_tail_repaints_from_its_first_changed_cell():
    before = [Text("cpu0 ▁▂▃  12%"), Text("same")]
    after = [Text("cpu0 ▁▂▃  97%"), Text("same")]
    assert changed_regions(before, after, 40) == [Region(10, 0, 30, 1)]


def test_a_changed_style_repaints_from_where_it_starts():
    before = [Text.assemble("w1 ", ("▄▄▄", "green"))]
    after = [Text.assemble("w1 ", ("▄▄", "green"), ("▄", "red"))]
    assert changed_regions(before, after, 20) == [Region(3, 0, 17, 1)], "where the span starts"


def test_a_new_line_means_a_layout_pass():
    assert changed_regions([Text("a")], [Text("a"), Text("b")], 20) is None
