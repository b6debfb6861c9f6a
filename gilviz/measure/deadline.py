"""The task deadline: a cell whose tasks stop returning for `limit_s` ends its runner.

A thread cannot be stopped from outside, and a function of the user's that never returns
holds its worker for ever; so the runner reports the cell as failed and ends itself and its
workers at once (its process group), and the viewer starts a fresh runner for the cells
left (`gilviz.analysis.engine`). The watcher is a thread of the runner: a task that spins in
Python still lets it run at each switch interval. Standard library only.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

from gilviz.protocol.spec import Cell

CHECKS_PER_LIMIT = 20
"""How often, within one limit, the watcher looks (a limit of 10 s: every half second)."""


class TaskDeadline(threading.Thread):
    """Watches the running cell: each returned task (and each start) resets its clock."""

    def __init__(self, limit_s: float, on_stuck: Callable[[Cell, float], None]) -> None:
        super().__init__(name="gilviz-deadline", daemon=True)
        self.limit_s = limit_s
        self._on_stuck = on_stuck
        self._cell: Cell | None = None
        self._since = 0.0
        self._lock = threading.Lock()

    def cell_started(self, cell: Cell) -> None:
        with self._lock:
            self._cell, self._since = cell, time.monotonic()

    def task_returned(self) -> None:
        self._since = time.monotonic()

    def cell_ended(self) -> None:
        with self._lock:
            self._cell = None

    def run(self) -> None:
        while True:
            time.sleep(self.limit_s / CHECKS_PER_LIMIT)
            with self._lock:
                cell, waited = self._cell, time.monotonic() - self._since
            if cell is not None and waited > self.limit_s:
                self._on_stuck(cell, waited)
                end_my_group()


def end_my_group() -> None:  # pragma: no mutate block (process plumbing)
    """End this runner and every worker it started, now (the runner leads its own group)."""
    if os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(1)
