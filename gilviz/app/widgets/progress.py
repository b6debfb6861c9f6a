"""The progress line: what is running, tasks done of total, elapsed time."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label, ProgressBar

READY = "Ready: r runs, s sweeps workers, t tours, ? explains."


class RunProgress(Horizontal):
    """A progress bar and one line of words, drawn from three reactive values the app sets:
    `done` of `total` tasks, and `status`. Each repaints only when it changes."""

    DEFAULT_CSS = """
    RunProgress #bar { width: 36; margin-right: 1; }
    /* The bar's empty track; Textual's default ($surface) vanishes on a 16-colour xterm. */
    RunProgress Bar > .bar--bar { background: $foreground 25%; }
    RunProgress #status { width: 1fr; height: 1; }
    """

    status: reactive[str] = reactive(READY, layout=False)
    done: reactive[int] = reactive(0)
    total: reactive[int] = reactive(1)

    def compose(self) -> ComposeResult:
        # No percentage: the status says "3/8 tasks", and the hidden label forced full reflows.
        yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="bar")
        yield Label(READY, id="status")

    def watch_status(self, text: str) -> None:
        self.query_one("#status", Label).update(text, layout=False)  # fixed size in CSS

    def watch_done(self) -> None:
        self.query_one("#bar", ProgressBar).update(progress=self.done)

    def watch_total(self) -> None:
        self.query_one("#bar", ProgressBar).update(total=self.total)
