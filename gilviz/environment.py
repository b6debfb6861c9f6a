"""A description of the Python and machine that ran an experiment (standard library only)."""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
import sysconfig
from typing import Any


def gil_enabled() -> bool:
    """Whether the GIL is on in this interpreter (always, before free-threaded builds)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), falling back to the logical count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def has_interpreter_pool() -> tuple[bool, str]:
    """Whether InterpreterPoolExecutor exists here, with the reason when it does not."""
    import concurrent.futures

    if hasattr(concurrent.futures, "InterpreterPoolExecutor"):
        return True, ""
    return False, f"needs Python 3.14+ (this is {platform.python_version()})"


def describe(start_method: str | None = None) -> dict[str, Any]:
    """Everything recorded with each result about where it ran."""
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "build": "free-threaded" if free_threaded else "default",
        "gil_enabled": gil_enabled(),
        "executable": sys.executable,
        "cpu_count": os.cpu_count() or 1,
        "usable_cores": usable_cores(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "start_method": start_method or multiprocessing.get_start_method(),
    }


def python_label(env: dict[str, Any]) -> str:
    """A short line such as 'CPython 3.11.7, GIL on'."""
    gil = "on" if env.get("gil_enabled", True) else "off"
    build = " free-threaded" if env.get("build") == "free-threaded" else ""
    return f"{env.get('implementation', 'Python')} {env.get('python', '?')}{build}, GIL {gil}"
