"""The real app in a real (pseudo-)terminal: plain and colourless terminals, resizes, kill -9."""

from __future__ import annotations

import os
import re
import signal

import psutil
import pytest

from gilviz.analysis.store import ResultStore
from tests.conftest import make_result
from tests.terminal import XTERM_16, Terminal, contrast

pytestmark = pytest.mark.usefixtures("no_leftovers")
SLOW_SLEEP = ["--workload", "sleep", "--executor", "threads", "--workers", "2", "--tasks", "4"]
SLOW_SLEEP += ["--repeat", "1"]
"""Four sleeping tasks, once: a run whose length `--size` (ms a task) sets."""

TERMINALS = {
    "256 colours": {"TERM": "xterm-256color"},
    "NO_COLOR=1": {"TERM": "xterm-256color", "NO_COLOR": "1"},
    "TERM=xterm": {"TERM": "xterm"},
}


@pytest.fixture
def launch(tmp_path):
    """Start the app in a pty (closed at the end of the test) with a private results file."""
    started: list[Terminal] = []

    def start(args: list[str], **env: str) -> Terminal:
        env.setdefault("TERM", "xterm-256color")
        terminal = Terminal(args, {"GILVIZ_RESULTS": str(tmp_path / "results.jsonl"), **env})
        started.append(terminal)
        return terminal

    yield start
    for terminal in started:
        terminal.close()


@pytest.mark.parametrize("env", TERMINALS.values(), ids=TERMINALS.keys())
def test_every_word_is_readable_mid_run_and_in_help(launch, env):
    terminal = launch([*SLOW_SLEEP, "--size", "2000"], **env)
    terminal.wait_for("Experiment")
    terminal.press("r")
    shown = ("Experiment", "CPU", "Results", "Speedup", "Running", "gil probe", "Quit")
    # the worker rows come with the CPU panel's next sample
    terminal.wait_until(lambda: all(words in terminal.text() for words in shown), str(shown))
    assert_readable(terminal, env)
    terminal.press("?")
    terminal.wait_for("The GIL.")
    assert_readable(terminal, env, box_titled="gilviz help")  # the app behind it is dimmed


def assert_readable(terminal: Terminal, env: dict[str, str], box_titled: str = "") -> None:
    rows = terminal.screen.display
    top, left, right, bottom = 0, 0, terminal.screen.columns, terminal.screen.lines
    if box_titled:
        top = next(y for y, row in enumerate(rows) if box_titled in row)
        left = rows[top].index("╭")
        right = rows[top].index("╮", left) + 1
        bottom = next(y for y in range(top, len(rows)) if rows[y][left] == "╰") + 1
    cells = [terminal.screen.buffer[y][x] for y in range(top, bottom) for x in range(left, right)]
    faint = {(c.data, c.fg, c.bg) for c in cells if c.data.isalnum() and contrast(c) < 3.0}
    assert not faint, f"letters with too little contrast (< 3:1): {sorted(faint)[:10]}"
    colours = {c.fg for c in cells} | {c.bg for c in cells}
    if "NO_COLOR" in env:
        assert all(c == "default" or c[0:2] == c[2:4] == c[4:6] for c in colours), colours
    if env["TERM"] == "xterm":
        assert colours <= {"default", *XTERM_16}, "a plain xterm gets only its 16 colours"


def test_resizing_during_a_run_is_fine(launch, tmp_path):
    terminal = launch([*SLOW_SLEEP, "--size", "500"])
    terminal.wait_for("Experiment")
    terminal.press("r")
    terminal.wait_for("cores busy")
    for cols, rows, expect in ((80, 24, "Experiment"), (40, 12, "Make the window larger")):
        terminal.resize(cols, rows)
        terminal.wait_for(expect)
    terminal.resize(120, 36)
    terminal.wait_for("Done in")
    assert "Make the window larger" not in terminal.text()
    assert len(ResultStore(tmp_path / "results.jsonl").load().results) == 2


def test_kill_9_of_the_app_keeps_finished_results_and_leaves_no_runner(launch, tmp_path):
    results = tmp_path / "results.jsonl"
    terminal = launch([*SLOW_SLEEP, "--size", "400"])
    terminal.wait_for("Experiment")
    terminal.press("r")
    app = psutil.Process(terminal.pid)
    while not (results.exists() and results.read_bytes().count(b"\n") >= 1):
        terminal.read(0.05)  # the serial baseline finishes first; threads x2 is still running
    family = app.children(recursive=True)
    assert family, "the runner should still be running"
    os.kill(terminal.pid, signal.SIGKILL)
    _, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, f"outlived the app: {alive}"
    loaded = ResultStore(results).load()
    assert not loaded.warnings
    assert [r.executor for r in loaded.results] == ["serial"]


def test_a_hang_up_mid_run_ends_the_app_and_its_runner(launch):
    terminal = launch([*SLOW_SLEEP, "--size", "2000"])
    terminal.wait_for("Experiment")
    terminal.press("r")
    terminal.wait_for("Running")
    family = psutil.Process(terminal.pid).children(recursive=True)
    assert family, "the runner should be running"
    assert terminal.hang_up(), "the app outlived its terminal (SIGHUP, then SIGCONT)"
    _, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, f"outlived the app: {alive}"


CPU_THREADS = ["--workload", "cpu", "--executor", "threads", "--workers", "2", "--tasks", "4"]
CPU_THREADS += ["--repeat", "1"]


def lane_glyphs(terminal: Terminal, label: str) -> str:
    """The glyphs drawn in the timeline lane labelled `label`."""
    row = next(r for r in terminal.screen.display if r.startswith(f"│ {label} "))
    return row[2 + 8 : row.rindex("│")].strip()


@pytest.mark.parametrize(
    "env", [TERMINALS["NO_COLOR=1"], TERMINALS["TERM=xterm"]], ids=["NO_COLOR=1", "TERM=xterm"]
)
def test_the_timeline_reads_without_colour_live_and_on_a_chosen_row(launch, env):
    terminal = launch([*CPU_THREADS, "--size", "3000000"], **env)  # ~0.4 s a task here
    terminal.wait_for("Experiment")
    terminal.press("r")

    def live_lanes() -> bool:
        text = terminal.text()
        drawn = "w2" in text and lane_glyphs(terminal, "w2")
        return "Timeline · threads x2 on cpu" in text and "live ─╯" in text and bool(drawn)

    terminal.wait_until(live_lanes, "two live lanes of threads x2")
    assert_readable(terminal, env)
    terminal.wait_for("Done in")
    assert "overlap" in terminal.text() and "hand-offs/s" in terminal.text()
    for label in ("w1", "w2"):  # taking turns: bars below full height, or GIL waits
        drawn = set(lane_glyphs(terminal, label))
        assert drawn <= set("▁▂▃▄▅▆▇█─~ ") and drawn & set("▁▂▃▄▅▆▇─"), drawn  # ~: a busy machine
    legend = next(r for r in terminal.screen.display if "GIL wait" in r)
    for glyphs in ("▁▄█", "▒░", "·", "─", "~"):
        assert glyphs in legend, f"{glyphs!r} missing from the legend: {legend}"
    assert_readable(terminal, env)
    terminal.press("\x1b[A")  # up: the serial baseline's row
    terminal.wait_for("Timeline · serial x1 on cpu")
    serial = lane_glyphs(terminal, "w1")  # one worker, running (a busy machine may preempt it)
    assert serial and set(serial) <= set("▁▂▃▄▅▆▇█~ "), f"never a GIL wait: {serial}"
    assert "w2" not in [r[2:4] for r in terminal.screen.display]


LABELS = ("Workload", "Executor", "Workers", "Tasks", "Size", "Pace", "Python", "Switch")


def marked_labels(terminal: Terminal) -> list[str]:
    """The field labels drawn in reverse video (or, where the terminal paints it itself, on
    a background brighter than the text): the focused field's."""
    marked = []
    for y, row in enumerate(terminal.screen.display):
        for label in LABELS:
            x = row.find(f"│ {label} ")
            if x >= 0:
                cell = terminal.screen.buffer[y][x + 2]
                lit = cell.reverse or _brighter(cell.bg, cell.fg)
                marked.extend([label] if lit else [])
    return marked


def _brighter(bg: str, fg: str) -> bool:
    def level(colour: str, default: int) -> int:
        return default if colour == "default" or len(colour) != 6 else int(colour[2:4], 16)

    return level(bg, 0) > level(fg, 208)


def test_a_focused_field_is_plain_to_see_without_colour_and_escape_leaves_it(launch):
    terminal = launch(SLOW_SLEEP, TERM="xterm-256color", NO_COLOR="1")
    terminal.wait_for("Experiment")
    assert marked_labels(terminal) == [], "the results have focus at start"
    terminal.press("\x1b[Z")  # shift+tab: back from the results to the last field
    terminal.settle()
    assert marked_labels(terminal) == ["Switch"]
    terminal.press("\x1b")  # escape
    terminal.settle()
    assert marked_labels(terminal) == [], "escape left the field"
    terminal.press("r")  # and keys act on the app again
    terminal.wait_for("Running")


def test_plot_series_differ_by_marker_without_colour(launch, tmp_path):
    store = ResultStore(tmp_path / "results.jsonl")
    for executor, speedups in (("threads", (1.0, 0.98)), ("processes", (1.9, 3.7))):
        for workers, speedup in zip((2, 4), speedups, strict=True):
            store.append(make_result(executor=executor, workers=workers, speedup=speedup))
    terminal = launch(["--workload", "cpu"], TERM="xterm-256color", NO_COLOR="1")
    terminal.wait_until(lambda: len(legend_markers(terminal)) == 2, "the plot's legend")
    markers = legend_markers(terminal)
    assert markers["threads"] != markers["processes"], markers


def legend_markers(terminal: Terminal) -> dict[str, str]:
    """Each series' marker in the speedup plot's legend ('•• threads')."""
    markers = {}
    for row in terminal.screen.display:
        plot = row[-44:]  # the speedup panel, right of the results
        for name in ("threads", "processes"):
            if found := re.search(rf"(\S\S) ?{name}", plot):
                markers[name] = found[1]
    return markers


def woken(pid: int) -> int:
    """How often the app's threads other than its main one have gone to sleep and woken."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        if int(tid) != pid:
            with open(f"/proc/{pid}/task/{tid}/status") as status:
                total += sum(
                    int(line.split()[1]) for line in status if "voluntary_ctxt_switches" in line
                )
    return total


def test_idle_its_threads_sleep_until_a_key_and_a_lone_escape_still_reads(launch):
    """Textual's input thread polls the terminal ten times a second (10 wakes a second, each
    second); the app's waits for a key. Idle, only the writer wakes, to draw the CPU panel
    once a second."""
    terminal = launch([])
    terminal.wait_for("r Run")
    counts = []  # start-up (finding Pythons) may still wake threads at first: a quiet second
    while len(counts) < 5 and (not counts or counts[-1] > 4):
        before = woken(terminal.pid)
        terminal.read(1.0)  # idle, as a room sees it between runs
        counts.append(woken(terminal.pid) - before)
    assert min(counts) <= 4, f"wakes in each idle second: {counts}"
    terminal.press("?")
    terminal.wait_for("? Close")  # the help screen's footer
    terminal.press("\x1b")  # escape alone: told from a sequence's start by its timeout
    terminal.wait_until(lambda: "? Close" not in terminal.text(), "the help screen closing")
