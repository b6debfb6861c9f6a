"""The app's keys: what each does (in footer order) and when each is offered.

Which keys are offered is a pure function of the app's state (`offered`), so it is tested
without a terminal; the app's `check_action` only reads that state.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

WORKERS = Binding.Group("Workers", compact=True)
"""+ and - share one footer entry."""

BINDINGS: list[BindingType] = [
    # In footer order: at the 60-column minimum the last ones are cut off (help lists all).
    Binding("r", "run", "Run"),
    Binding("s", "sweep", "Sweep"),
    Binding("escape", "cancel", "Cancel"),
    Binding("question_mark", "help", "Help", key_display="?"),
    Binding("t", "tour", "Tour", show=False),  # the ready line offers it: the footer is full
    Binding("q", "quit", "Quit"),
    Binding("plus,equals_sign", "workers(1)", "More workers", key_display="+", group=WORKERS),
    Binding("minus", "workers(-1)", "Fewer workers", key_display="-", group=WORKERS),
    Binding("w", "cycle('workload')", "Workload"),
    Binding("e", "cycle('executor')", "Executor"),
    Binding("l", "toggle_timeline", "Timeline", show=False),  # the footer is full at 80
    Binding("p", "toggle_plot", "Plot"),
    Binding("x", "export", "Export"),
    Binding("n", "tour_next", "Next step", show=False),  # the tour panel names n and b
    Binding("b", "tour_back", "Back", show=False),
]

TYPED_IN_A_FIELD = {"run", "sweep", "tour", "tour_next", "tour_back", "quit", "help", "export"}
TYPED_IN_A_FIELD |= {"workers", "cycle", "toggle_timeline", "toggle_plot"}
"""Actions whose keys are letters or signs: while a text field has focus it types them, so
the footer does not offer them (enter runs, escape leaves the field)."""


def offered(action: str, *, modal: bool, typing: bool, touring: bool, running: bool) -> bool:
    """Run and sweep while idle, cancel while running, the tour's steps while its panel shows
    and nothing runs; over a modal screen (help), none of the app's; in a text field, none
    it would type."""
    if modal or (typing and action in TYPED_IN_A_FIELD):
        return False
    if action in ("tour_next", "tour_back"):
        return touring and not running
    if action in ("run", "sweep"):
        return not running
    return running if action == "cancel" else True
