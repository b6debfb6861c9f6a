"""The tour panel: one claim at a time, run live in the app, concluded from what it measured."""

from __future__ import annotations

from textual.widgets import Static

from gilviz import tour
from gilviz.results import Result
from gilviz.spec import ExperimentSpec

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

    @property
    def steps(self) -> int:
        """The steps, the timeline's included."""
        return len(tour.STEPS) + 1

    def begin(self) -> None:
        self.shown, self.outcomes, self.running = -1, [], False
        self._draw()

    def next_spec(self, cores: int) -> ExperimentSpec | None:
        """Move on a step; the spec to run when that step has not run yet, else None."""
        self.shown = min(self.shown + 1, self.steps)
        spec = None
        if self.shown < len(tour.STEPS) and self.shown == len(self.outcomes):
            spec = tour.spec_for(tour.STEPS[self.shown], tour.tour_workers(cores))
            self.running = True
        elif self.shown == len(tour.STEPS) and len(self.outcomes) == len(tour.STEPS):
            self.outcomes.append(tour.timeline_outcome(self.outcomes[0], self.outcomes[1]))
        self._draw()
        return spec

    def back(self) -> None:
        self.shown = max(-1, self.shown - 1)
        self._draw()

    def finished(self, results: list[Result]) -> None:
        """The running step's experiment ended: conclude from its results."""
        step = tour.STEPS[len(self.outcomes)]
        cell = next((r for r in results if r.executor == step.executor), None)
        self.outcomes.append(tour.conclude(step, cell))
        self.running = False
        self._draw()

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
            step = tour.STEPS[self.shown] if self.shown < len(tour.STEPS) else None
            title = step.title if step else "The timeline"
            self.border_title = f"Tour {self.shown + 1}/{self.steps} · {title}"
            outcome = self.outcomes[self.shown] if self.shown < len(self.outcomes) else None
            claim = outcome.step.claim if outcome else (step.claim if step else "")
            then = outcome.conclusion if outcome else "Running it now…"
            text = f"{claim}\n→ {then}"
        self.border_subtitle = KEYS
        self.update(text)
