"""The progress line: what is running, tasks done of total, elapsed time."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

READY = "Ready: r runs, s sweeps workers, t tours, ? explains."


class RunProgress(Horizontal):
    """A progress bar and one line of words; both set by the app from runner events."""

    status = READY

    def compose(self) -> ComposeResult:
        # No percentage: the status says "3/8 tasks", and the hidden label forced full reflows.
        yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="bar")
        yield Label(READY, id="status")

    def set_status(self, text: str) -> None:
        """Words for the line; repainted only when they change (it is set at 4 Hz)."""
        if text != self.status:
            self.status = text
            self.query_one("#status", Label).update(text, layout=False)  # fixed size in CSS

    def set_tasks(self, done: int, total: int) -> None:
        bar = self.query_one("#bar", ProgressBar)
        if (bar.progress, bar.total) != (done, total):
            bar.update(total=total, progress=done)
