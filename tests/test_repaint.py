"""Repainting only what changed: the regions a 4 Hz panel sends."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

from gilviz.app.widgets.repaint import LinesPanel, changed_regions


def test_unchanged_lines_send_nothing():
    lines = [Text("cpu0 ▁▂▃  12%"), Text.assemble("w1 ", ("▄▄", "green"))]
    assert changed_regions(lines, [line.copy() for line in lines], 40) == []


def test_a_changed_figure_repaints_its_cells_only():
    before = [Text("cpu0 ▁▂▃  12%"), Text("same")]
    after = [Text("cpu0 ▁▂▃  97%"), Text("same")]
    assert changed_regions(before, after, 40) == [Region(10, 0, 2, 1)]


def test_a_changed_style_repaints_the_cells_it_covers():
    before = [Text.assemble("w1 ", ("▄▄▄", "green"))]
    after = [Text.assemble("w1 ", ("▄▄", "green"), ("▄", "red"))]
    assert changed_regions(before, after, 20) == [Region(5, 0, 1, 1)], "the cell turned red"


def test_a_lane_that_grows_repaints_its_new_cells_not_the_blank_rest_of_the_line():
    """Textual sends a line from its widget's edge to the region's end: a region to the end
    of the line would send every blank cell after the lane's newest column, four times a
    second."""
    before = [Text.assemble("w1 ", ("██", "green"))]
    after = [Text.assemble("w1 ", ("██", "green"), ("▒", "blue"))]
    assert changed_regions(before, after, 80) == [Region(5, 0, 1, 1)]
    grown = [Text.assemble("w1 ", ("███", "green"))]
    assert changed_regions(before, grown, 80) == [Region(5, 0, 1, 1)], "a run one cell longer"


def test_a_shorter_line_repaints_the_cells_it_no_longer_covers():
    before = [Text("probe 12.5 ms late")]
    after = [Text("probe 2.5 ms late")]
    assert changed_regions(before, after, 40) == [Region(6, 0, 12, 1)]


def test_a_new_line_means_a_layout_pass():
    assert changed_regions([Text("a")], [Text("a"), Text("b")], 20) is None


class _Panel(LinesPanel):
    DEFAULT_CSS = "_Panel { height: 3; }"

    def build_lines(self, width: int) -> list[Text]:
        return [Text.assemble("w1 ", ("▄▄", "green"))]


class _PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield _Panel()


async def test_a_kept_line_is_drawn_again_in_a_new_theme():
    """Lines are kept between repaints; a theme (or any style) change must not leave them in
    the old background."""
    app = _PanelApp()
    async with app.run_test(size=(40, 6)) as pilot:
        app.theme = "textual-dark"
        await pilot.pause()
        panel = app.query_one(_Panel)
        dark = panel.render_line(0)
        app.theme = "textual-light"
        await pilot.pause()
        light = panel.render_line(0)
        assert panel.rich_style.bgcolor is not None
        assert {seg.style.bgcolor for seg in light} == {panel.rich_style.bgcolor}
        assert light.text == dark.text and light != dark


class _FixedPanel(LinesPanel):
    FIXED_HEIGHT = True
    DEFAULT_CSS = "_FixedPanel { height: 6; }"
    lines = [Text("cpu0 ▁▂▃"), Text("w1 12%")]

    def build_lines(self, width: int) -> list[Text]:
        return self.lines


class _FixedApp(App[None]):
    def compose(self) -> ComposeResult:
        yield _FixedPanel()


async def test_a_fixed_height_panel_repaints_a_line_that_came_or_went_not_all_its_lines():
    """A worker row more or less in the CPU panel is one line to send, not the panel."""
    app = _FixedApp()
    async with app.run_test(size=(40, 8)) as pilot:
        panel = app.query_one(_FixedPanel)
        await pilot.pause()
        repaints: list[tuple[Region, ...]] = []
        panel.refresh = lambda *regions, **kwargs: repaints.append(regions)  # type: ignore[method-assign]
        panel.lines = [Text("cpu0 ▁▂▃"), Text("w1 12%"), Text("w2 7%")]
        panel.repaint_changes()
        panel.lines = [Text("cpu0 ▁▂▃")]
        panel.repaint_changes()
        assert repaints == [(Region(0, 2, 5, 1),), (Region(0, 1, 6, 1), Region(0, 2, 5, 1))]
