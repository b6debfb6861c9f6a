"""The help screen: the GIL in a few paragraphs, and what each panel shows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

HELP = """\
**The GIL.** CPython's global interpreter lock lets one thread run Python bytecode at a time.
Threads still help when they *wait* (sleep, network, disk) or run C code that releases the lock
(hashlib, zlib, NumPy), but pure-Python CPU work gets no faster with more threads.
Processes each have their own interpreter and GIL, so they use every core, but they pay to
start and to pickle data across. A free-threaded build (3.13t+) has no GIL at all.

**How gilviz measures.** Experiments run in a separate *runner* process, never in this app.
Each run first measures a serial baseline; speedup = baseline time / run time; efficiency =
speedup / the ideal speedup, which is the workers unless the tasks do not split evenly among
them (ideal = tasks / ceil(tasks / workers): 40 tasks on 16 workers allow 13.3x, not 16x);
*busy* = CPU time / wall time, the cores really used. Every task returns a
checksum that is verified. The *GIL probe* is a thread that sleeps 5 ms and reports how late it
wakes: near zero when nothing holds the GIL, large when CPU-bound threads do.

**Panels.** *Experiment*: what to run (tab moves between fields, enter runs).
*CPU*: a sparkline per core, and the experiment's load in cores: a GIL-bound thread hops
between cores, so two cores at 50% can be one core's work. Below it, each worker thread or
process with its own CPU. *Timeline*: a lane per worker, measured from inside the worker:
`▁▄█` running Python (bar height: its share of the time), `▒` C code with the GIL released,
`·` waiting on I/O, `─` waiting for the GIL (another worker of its interpreter ran meanwhile),
`~` waiting for a core. Threads on `cpu` take turns: half-height lanes, one running at a time.
Choose a result row to see that cell's recorded timeline. *Results*: one row per experiment,
with a verdict in words. *Speedup*: speedup against workers, with the ideal line.

**Pace and repeat.** *watch* makes each cell's runs last a few seconds together, so you can
see them; *quick* uses tasks of about 0.2 s, for measuring. *Repeat* runs each cell that many
times, in rounds that run the baseline too: the log shows the median and its *noise* (half the
runs' spread, `±4%`), and a verdict whose runs fall on both sides of 1.20x says so.

**Keys.** `r` run, `s` sweep workers 1..2x cores, `escape` cancel, `+`/`-` workers,
`w`/`e` next workload/executor, `l` timeline, `p` plot, `x` export, `t` the tour (`n`/`b`
 next/back), `?` help, `q` quit,
`ctrl+p` commands. `escape`, `q` or `?` closes this help.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", key_display="esc q ?")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
        yield Footer()  # the screen's own: it offers the keys that close it

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "gilviz help"
