"""Where the app's own time goes during a sweep: a profile, not a target.

    .venv/bin/python -m benchmarks.app_parts [--hidden] [--seconds 15]

Runs the real app in a 120x36 pty (as `benchmarks.run terminal` does), sweeps threads on `cpu`
at the watch pace, and counts the main thread's CPU time inside each of Textual's and gilviz's
steps below over one window. A counter wraps each step (a few µs a call); py-spy's sampling
gives the same picture in shape but stops the app at each sample and inflates its cost about
fivefold. Steps nest: a frame holds its lines' rendering.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from benchmarks.run import _drain, _launch_app, _quit_app, _read_until


def steps() -> dict[str, tuple[Any, str]]:
    """What is counted: a name for each (owner, method)."""
    from textual._compositor import Compositor
    from textual.app import App
    from textual.screen import Screen

    from gilviz.app.pacing import Pacing
    from gilviz.app.running import Running
    from gilviz.app.widgets.repaint import LinesPanel
    from gilviz.app.widgets.timeline import LiveLanes, TimelinePanel

    return {
        "a frame (Textual's screen update)": (Screen, "_on_timer_update"),
        "  its compositor (the changed lines rendered)": (Compositor, "render_update"),
        "  sending it to the terminal": (App, "_display"),
        "  a layout pass": (Screen, "_refresh_layout"),
        "a line panel's line rendered (CPU, timeline, progress)": (LinesPanel, "render_line"),
        "the 4 Hz live tick": (Pacing, "tick"),
        "  the timeline's lines built": (TimelinePanel, "build_lines"),
        "    its live lanes worked out": (LiveLanes, "view"),
        "the 1 Hz CPU panel sample": (Pacing, "sample"),
        "a runner event applied": (Running, "apply"),
    }


def inside(out: Path, argv: list[str]) -> None:
    """In the app's process: count each step from SIGUSR1 to SIGUSR2, then write them out."""
    spent: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    counting = [False]

    def wrap(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            if not counting[0]:
                return method(*args, **kwargs)
            start = time.thread_time_ns()
            try:
                return method(*args, **kwargs)
            finally:
                spent[name] += time.thread_time_ns() - start
                calls[name] += 1

        return counted

    for name, (owner, attribute) in steps().items():
        setattr(owner, attribute, wrap(name, getattr(owner, attribute)))
    window = [0.0]

    def start(*_: object) -> None:
        counting[0], window[0] = True, time.monotonic()

    def stop(*_: object) -> None:
        counting[0] = False
        seconds = time.monotonic() - window[0]
        out.write_text(json.dumps({"seconds": seconds, "ns": spent, "calls": calls}))

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    from gilviz.cli.main import main

    sys.argv = ["gilviz", *argv]
    main()


def profile(seconds: float, hidden: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "parts.json"
        args = ("--inside", str(out), "--workload", "cpu", "--executor", "threads")
        pid, fd, _ = _launch_app((*args, "--pace", "watch", "--no-save"), module=__spec__.name)
        _read_until(fd, b"Experiment", 10.0)
        if hidden:
            os.write(fd, b"l")
        _drain(fd, 5.0)
        os.write(fd, b"s")
        _drain(fd, 1.0)
        os.kill(pid, signal.SIGUSR1)
        before = _main_thread_cpu(pid)
        _drain(fd, seconds)
        os.kill(pid, signal.SIGUSR2)
        after = _main_thread_cpu(pid)
        _drain(fd, 0.5)
        os.write(fd, b"\x1b")
        _drain(fd, 1.0)
        _quit_app(pid, fd)
        counted = json.loads(out.read_text())
    window = counted["seconds"]
    timeline = "hidden" if hidden else "shown"
    print(f"# the app's main thread during a sweep, timeline {timeline}, {window:.0f} s window")
    print(f"{(after - before) / window * 100:5.2f}% of a core in all (the kernel's count)")
    for name in steps():
        ns, calls = counted["ns"].get(name, 0), counted["calls"].get(name, 0)
        share = ns / 1e9 / window * 100
        each = f"{ns / calls / 1e6:6.3f} ms each" if calls else ""
        print(f"{share:5.2f}%  {calls:5d} calls {each:>15}  {name}")


def _main_thread_cpu(pid: int) -> float:
    """The main thread's CPU seconds so far, as the kernel counts them (its id is the pid)."""
    thread = next(t for t in psutil.Process(pid).threads() if t.id == pid)
    return float(thread.user_time + thread.system_time)


def main() -> None:
    if sys.argv[1:2] == ["--inside"]:
        inside(Path(sys.argv[2]), sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hidden", action="store_true", help="the timeline panel hidden (l)")
    parser.add_argument("--seconds", type=float, default=15.0, help="the window (default 15)")
    args = parser.parse_args()
    profile(args.seconds, args.hidden)


if __name__ == "__main__":
    main()
