"""Regenerate screenshots/*.svg: real captures of the app running real experiments.

Run: .venv/bin/python screenshots/make.py   (takes about a minute; uses a throwaway results file)
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

from gilviz.app import GilvizApp
from gilviz.spec import Choice
from gilviz.store import ResultStore

HERE = Path(__file__).resolve().parent
SIZE = (120, 36)


async def until(pilot, condition: Callable[[], bool], limit_s: float = 120) -> None:
    for _ in range(int(limit_s / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise TimeoutError("the app never reached the awaited state")


def mid_cell(app: GilvizApp, executor: str) -> bool:
    live = app.live
    return live is not None and live.cell.startswith(executor) and live.done >= 6


async def mid_run(executor: str, name: str, store: ResultStore) -> None:
    app = GilvizApp(Choice("cpu", executor, 4, tasks=32), store=store)  # long: mid-cell
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await until(pilot, lambda: mid_cell(app, executor))
        await pilot.pause(1.1)  # one more CPU sample inside the cell
        app.save_screenshot(str(HERE / name))
        await pilot.press("escape")
        await app.workers.wait_for_complete()


async def results_and_help(store: ResultStore) -> None:
    app = GilvizApp(Choice("cpu", "threads", 2, tasks=8), store=store)
    async with app.run_test(size=SIZE) as pilot:
        for executor in ("threads", "processes"):
            app.controls.query_one("#executor").value = executor
            await pilot.press("s")
            await until(
                pilot, lambda: app.live is None and "Done" in str(app.query_one("#status").render())
            )
        await pilot.pause()  # the footer rebuilds when the run ends: r and s come back
        app.save_screenshot(str(HERE / "results-plot.svg"))
        await pilot.press("question_mark")
        await pilot.pause()
        app.save_screenshot(str(HERE / "help.svg"))


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        await mid_run("threads", "threads-cpu.svg", ResultStore(Path(scratch) / "a.jsonl"))
        await mid_run("processes", "processes-cpu.svg", ResultStore(Path(scratch) / "b.jsonl"))
        await results_and_help(ResultStore(Path(scratch) / "c.jsonl"))
    print(f"wrote {', '.join(sorted(p.name for p in HERE.glob('*.svg')))}")


if __name__ == "__main__":
    asyncio.run(main())
