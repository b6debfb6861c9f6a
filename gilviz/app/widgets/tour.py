"""The tour panel: one claim at a time, run live in the app, concluded from what it measured."""

from __future__ import annotations

from textual.widgets import Static

from gilviz.analysis import tour
from gilviz.analysis.pythons import Python
from gilviz.analysis.results import Result
from gilviz.protocol.spec import Variant

KEYS = "n next · b back · t ends the tour"


class TourPanel(Static):
    """Where the tour is: the step shown, what each step concluded, and the step running."""

    BORDER_TITLE = "Tour"
    DEFAULT_CSS = """
    TourPanel {
        border: round $accent;
        border-title-color: $foreground;
        border-title-style: bold;
        border-subtitle-color: $foreground;
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.shown = -1
        """The step on screen: -1 is the introduction, len(steps) the closing table."""
        self.outcomes: list[tour.Outcome] = []
        self.running = False
        self.pythons: list[Python] = []
        self.job: Variant | None = None
        """What the running step runs."""
        self.first_try: tour.Outcome | None = None
        """The running step's first try, when it was too noisy to say and runs again."""

    @property
    def steps(self) -> int:
        return len(tour.TITLES)

    def begin(self, pythons: list[Python]) -> None:
        self.shown, self.outcomes, self.running = -1, [], False
        self.job, self.first_try = None, None
        self.pythons = pythons
        self._draw()

    def next_job(self, cores: int, pace: tour.Pace) -> Variant | None:
        """Move on a step; what to run when that step has not run yet, else None (a step
        that runs nothing is concluded at once)."""
        self.shown = min(self.shown + 1, self.steps)
        job = None
        if self.shown < self.steps and self.shown == len(self.outcomes):
            job = tour.next_job(self.outcomes, cores, self.pythons, pace)
            if job is None:
                self.outcomes.append(tour.conclude_next(self.outcomes, None, self.pythons))
            self.running, self.job = job is not None, job
        self._draw()
        return job

    def back(self) -> None:
        self.shown = max(-1, self.shown - 1)
        self._draw()

    def finished(self, results: list[Result], cancelled: bool = False) -> Variant | None:
        """The running step's experiment ended: conclude from its results, or, when they
        were too noisy to say, what to run again (with twice the rounds)."""
        outcome = tour.conclude_next(self.outcomes, results, self.pythons)
        retry = None if cancelled or self.job is None else tour.again(self.job, outcome)
        if retry is not None and self.first_try is None:
            self.first_try, self.job = outcome, retry
            self._draw()
            return retry
        if self.first_try is not None:
            outcome = tour.second_try(outcome, self.first_try)
        self.outcomes.append(outcome)
        self.running, self.job, self.first_try = False, None, None
        self._draw()
        return None

    def _draw(self) -> None:
        if self.shown < 0:
            self.border_title = "Tour"
            text = (
                f"{self.steps} claims about the GIL, each run here and concluded from what "
                "this machine measured. n runs the first."
            )
        elif self.shown >= self.steps:
            self.border_title = "Tour · what this machine showed"
            text = "\n".join(
                f"{n}. {o.step.title}: {o.status}" for n, o in enumerate(self.outcomes, 1)
            )
        else:
            title = tour.TITLES[self.shown]
            self.border_title = f"Tour {self.shown + 1}/{self.steps} · {title}"
            outcome = self.outcomes[self.shown] if self.shown < len(self.outcomes) else None
            then = outcome.conclusion if outcome else "Running it now…"
            if outcome is None and self.first_try is not None:
                then = (
                    f"Too noisy to say on a first try ({self.first_try.figure}): running it "
                    "again with twice the rounds…"
                )
            text = f"{tour.ALL_STEPS[self.shown].claim}\n→ {then}"
        self.border_subtitle = KEYS
        self.update(text)
