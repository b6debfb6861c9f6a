"""Regenerate screenshots/*.svg: real captures of the app running real experiments.

Run: .venv/bin/python screenshots/make.py   (about 1.5 minutes; throwaway results files)
It also writes browser.png: `gilviz serve` in headless Chromium (tests/test_serve.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from gilviz.analysis.store import ResultStore
from gilviz.app.app import GilvizApp
from gilviz.app.choice import Choice

HERE = Path(__file__).resolve().parent
SIZE = (120, 36)


async def until(pilot, condition: Callable[[], bool], limit_s: float = 120) -> None:
    for _ in range(int(limit_s / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise TimeoutError("the app never reached the awaited state")


def finished(app: GilvizApp) -> bool:
    return app.live is None and "Done" in app.progress.text()


async def run_each(pilot, executors: tuple[str, ...], key: str) -> None:
    """Press `key` (r runs, s sweeps) on each executor in turn, each run to its end."""
    app = pilot.app
    for executor in executors:
        app.controls.query_one("#executor").value = executor
        await pilot.press(key)
        await until(pilot, lambda: app.live is not None or not finished(app))
        await until(pilot, lambda: finished(app))


def mid_cell(app: GilvizApp, executor: str, seconds: float) -> bool:
    """`seconds` into the cell: its lanes hold enough to read."""
    live, lanes = app.live, app.timeline_panel.live
    running = live is not None and live.running and live.cell.startswith(executor)
    return running and lanes is not None and lanes.now_us >= seconds * 1e6


async def mid_run(
    workload: str, executor: str, seconds: float, name: str, store: ResultStore
) -> None:
    app = GilvizApp(Choice(workload, executor, 2, pace="watch"), store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await until(pilot, lambda: mid_cell(app, executor, seconds))
        await pilot.pause(0.3)  # one more live tick inside the cell
        app.save_screenshot(str(HERE / name))
        await pilot.press("escape")
        await app.workers.wait_for_complete()


async def results_and_help(store: ResultStore) -> None:
    app = GilvizApp(Choice("cpu", "threads", 2, tasks=8, pace="quick"), store=store)
    async with app.run_test(size=SIZE) as pilot:
        await run_each(pilot, ("threads", "processes"), "s")
        await pilot.pause()  # the footer rebuilds when the run ends: r and s come back
        for _ in range(4):  # threads x4, x2 (the processes sweep is below them)
            await pilot.press("up")
        await pilot.pause()
        app.save_screenshot(str(HERE / "results-plot.svg"))
        await pilot.press("question_mark")
        await pilot.pause()
        app.save_screenshot(str(HERE / "help.svg"))


async def two_pythons(store: ResultStore) -> None:
    """A sweep under this Python and pyenv's 3.12 (where this machine has one), and the tour's
    first step."""
    app = GilvizApp(Choice("cpu", "threads", 2, pace="quick"), store=store)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.controls.pythons is not None)
        app.controls.query_one("#python").value = f"{platform.python_version()}, 3.12"
        await pilot.press("s")
        await until(pilot, lambda: finished(app))
        await pilot.pause()
        app.save_screenshot(str(HERE / "two-pythons.svg"))
        await pilot.press("t", "n")
        await until(pilot, lambda: app.live is None and bool(app.tour_panel.outcomes))
        await pilot.pause()
        app.save_screenshot(str(HERE / "tour.svg"))


async def own_function(store: ResultStore) -> None:
    """An example of the user's own (zlib lets go of the GIL), threads then processes."""
    task = "examples.zlib_compress:compress"
    choice = Choice(task, "threads", 2, repeat=3, inputs="examples.zlib_compress:inputs")
    app = GilvizApp(dataclasses.replace(choice, task_path=str(HERE.parent)), store=store)
    async with app.run_test(size=SIZE) as pilot:
        await run_each(pilot, ("threads", "processes"), "r")
        await pilot.pause()
        app.save_screenshot(str(HERE / "own-function.svg"))


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        shots = (  # the watch pace runs each cell 3 times: ~1.3 s GIL-bound, ~0.7 s parallel
            ("cpu", "threads", 0.8, "threads-cpu.svg"),  # threads take turns on the GIL
            ("cpu", "processes", 0.3, "processes-cpu.svg"),  # processes run side by side
            ("hash", "threads", 0.3, "threads-hash.svg"),  # C code that releases the GIL
        )
        for n, (workload, executor, seconds, name) in enumerate(shots):
            store = ResultStore(Path(scratch) / f"{n}.jsonl")
            await mid_run(workload, executor, seconds, name, store)
        await results_and_help(ResultStore(Path(scratch) / "c.jsonl"))
        await two_pythons(ResultStore(Path(scratch) / "p.jsonl"))
        await own_function(ResultStore(Path(scratch) / "u.jsonl"))
    browser = {**os.environ, "GILVIZ_BROWSER_SHOT": str(HERE / "browser.png")}
    test = [sys.executable, "-m", "pytest", "-q", "tests/test_serve.py", "-k", "browser"]
    subprocess.run(test, cwd=HERE.parent, env=browser, check=True)
    print(f"wrote {', '.join(sorted(p.name for p in HERE.glob('*.svg')))}")


if __name__ == "__main__":
    asyncio.run(main())
