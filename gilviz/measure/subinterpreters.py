"""Sub-interpreters for the `interpreters` executor: the standard library's pool (3.14+), or
the interpreters-pep-734 backport where it is installed for this Python (3.13).

The backport (0.5.0) loses an error: a task it cannot unpickle inside the sub-interpreter
(for example a function defined in `__main__`, which is another module there) never puts a
result on its queue, and the worker thread then polls that empty queue forever at 100% CPU.
So before a pool runs, one sub-interpreter imports the tasks' modules: a failure there is an
ordinary exception with its message.
"""

from __future__ import annotations

import importlib
import platform
from typing import Any

BACKPORT = "interpreters_backport"
TASK_MODULES = "import gilviz.measure.executors, gilviz.measure.workloads, gilviz.measure.usertask"


def find() -> tuple[Any, Any, str]:
    """(InterpreterPoolExecutor, the interpreters module, where they come from), or
    RuntimeError saying why this Python has none."""
    try:
        from concurrent import interpreters  # type: ignore[attr-defined]
        from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined]
    except ImportError:
        pass
    else:
        return InterpreterPoolExecutor, interpreters, "the standard library"
    try:
        pool = importlib.import_module(f"{BACKPORT}.concurrent.futures").InterpreterPoolExecutor
        interpreters = importlib.import_module(f"{BACKPORT}.interpreters")
    except ImportError:
        raise RuntimeError(
            f"needs Python 3.14+, or the interpreters-pep-734 backport on 3.13 "
            f"(this is {platform.python_version()})"
        ) from None
    return pool, interpreters, "the interpreters-pep-734 backport"


def availability() -> tuple[bool, str]:
    """Whether sub-interpreter pools exist here, with the reason when they do not."""
    try:
        find()
    except RuntimeError as exc:
        return False, str(exc)
    return True, ""


def check_tasks_import(interpreters: Any, module: str | None = None, path: str = "") -> None:
    """Import the tasks' modules (and the user's `module`, from `path`) in a fresh
    sub-interpreter, or raise RuntimeError with why: an extension module that refuses
    sub-interpreters fails here, not in a worker that would never answer."""
    interpreter = interpreters.create()
    code = TASK_MODULES
    whose = "gilviz's tasks"
    if module is not None:
        code += f"\nimport sys\nsys.path.insert(0, {path!r})\nimport {module}"
        whose = f"gilviz's tasks and {module}"
    try:
        interpreter.exec(code)
    except Exception as exc:
        raise RuntimeError(f"a sub-interpreter cannot import {whose}: {exc}") from None
    finally:
        interpreter.close()
