"""The progress line: what is running, tasks done of total, elapsed time."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class RunProgress(Horizontal):
    """A progress bar and one line of words; both set by the app from runner events."""

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=1, show_eta=False, id="bar")
        yield Label("Ready: r runs, s sweeps workers, ? explains.", id="status")

    def set_status(self, text: str) -> None:
        self.query_one("#status", Label).update(text, layout=False)  # its size is fixed in CSS

    def set_tasks(self, done: int, total: int) -> None:
        self.query_one("#bar", ProgressBar).update(total=total, progress=done)
