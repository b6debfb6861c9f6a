"""The progress line: its bar drawn as Textual's ProgressBar draws one, cell for cell."""

from __future__ import annotations

import pytest
from rich.console import Console
from textual.renderables.bar import Bar

from gilviz.app.widgets.progress import bar_glyphs


def textuals_bar(fraction: float, width: int) -> tuple[str, str]:
    """Textual's bar renderable (what ProgressBar draws), split into its done part and track."""
    console = Console(width=width, color_system="truecolor")
    bar = Bar((0, width * fraction), "red", "blue", width=width)
    segments = list(console.render(bar))
    done = "".join(s.text for s in segments if s.style and s.style.color.name == "red")
    track = "".join(s.text for s in segments if s.style and s.style.color.name == "blue")
    return done, track


@pytest.mark.parametrize("width", [1, 2, 16, 36])
def test_the_bar_is_drawn_as_textuals_progress_bar_draws_it(width):
    fractions = [0.0, 0.001, 1.0] + [n / 97 for n in range(97)] + [n / width for n in range(width)]
    for fraction in fractions:
        assert bar_glyphs(fraction, width) == textuals_bar(fraction, width), (fraction, width)


async def test_the_bars_colours_follow_a_new_theme(tmp_path):
    """Its lines hold the theme's colours: a theme change must build them again."""
    from tests.app_fixtures import make_app

    app = make_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        app.theme = "textual-dark"
        app.progress.show(3, 8, "Running")
        await pilot.pause()
        before = app.progress.render_line(0)
        app.theme = "textual-light"
        await pilot.pause()
        after = app.progress.render_line(0)
        track = app.progress.get_component_rich_style("progress--track").color
        assert after.text == before.text and after != before
        assert track in {segment.style.color for segment in after if segment.text.startswith("━")}
