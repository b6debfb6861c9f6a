"""The prompt for a function of the user's: 'module:function', checked for its shape here and
imported only in the runner (so nothing of the user's ever runs in the app's process)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from gilviz.protocol.spec import parse_task_name

HINT = (
    "Your function as the workload, called once per input (task i gets i): imported from "
    "this folder in the runner when you run it. Enter chooses it, escape leaves."
)


class TaskPrompt(ModalScreen[str | None]):
    """Asks for 'module:function'; dismisses with it, or None when left with escape."""

    DEFAULT_CSS = """
    TaskPrompt { align: center middle; }
    TaskPrompt > Vertical {
        width: 70%; max-width: 80; height: auto; border: round $accent; padding: 0 1;
    }
    TaskPrompt #task-hint { color: $text-muted; }
    TaskPrompt #task-hint.-invalid { color: $error; text-style: bold; }
    """
    BINDINGS = [Binding("escape", "dismiss", "Leave")]

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Your own function"
            yield Input(placeholder="module:function, e.g. examples.zlib_compress:compress")
            yield Static(HINT, id="task-hint")

    @on(Input.Submitted)
    def choose(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(parse_task_name(event.value))
        except ValueError as exc:
            hint = self.query_one("#task-hint", Static)
            hint.update(str(exc))
            hint.add_class("-invalid")
