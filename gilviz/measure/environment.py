"""A description of the Python and machine that ran an experiment (standard library only)."""

from __future__ import annotations

import math
import multiprocessing
import os
import platform
import sys
import sysconfig
from pathlib import Path
from typing import Any

CGROUP_ROOT = Path("/sys/fs/cgroup")


def gil_enabled() -> bool:
    """Whether the GIL is on in this interpreter (always, before free-threaded builds)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def affinity_cores() -> int:
    """Cores this process may run on (its CPU affinity), falling back to the logical count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cpu_quota(root: Path = CGROUP_ROOT, membership: str | None = None) -> float | None:
    """The CPU quota of this process's cgroup in cores (cgroup v2 `cpu.max`, v1
    `cpu.cfs_quota_us`), the tightest along its path; None when there is none."""
    if membership is None:
        try:
            membership = Path("/proc/self/cgroup").read_text()
        except OSError:
            return None
    quotas = [
        quota
        for folder in _cgroup_folders(root, membership)
        if (quota := _quota_in(folder)) is not None
    ]
    return min(quotas, default=None)


def _cgroup_folders(root: Path, membership: str) -> list[Path]:
    """The cgroup folders that may limit this process: its own and every ancestor, for v2 and
    for v1's cpu controller (a container sees its own cgroup as the root, so that counts too)."""
    folders: list[Path] = []
    for line in membership.splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            base = root
        elif "cpu" in controllers.split(","):
            base = root / "cpu"
        else:
            continue
        relative = Path(path.lstrip("/"))
        folders.extend(base / ancestor for ancestor in (relative, *relative.parents))
    return folders


def _quota_in(folder: Path) -> float | None:
    try:
        quota, period = (folder / "cpu.max").read_text().split()
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((folder / "cpu.cfs_quota_us").read_text())
        period_us = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota_us <= 0 else quota_us / period_us


def usable_cores() -> int:
    """Cores the machine grants this process: the smaller of its affinity and its cgroup's
    CPU quota (a quota of 2.5 cores grants 3 cores part of the time, so it rounds up)."""
    quota = cpu_quota()
    cores = affinity_cores()
    return cores if quota is None else max(1, min(cores, math.ceil(quota)))


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
        "affinity_cores": affinity_cores(),
        "cpu_quota": cpu_quota(),
        "usable_cores": usable_cores(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "start_method": start_method or multiprocessing.get_start_method(),
        "switch_interval_ms": round(sys.getswitchinterval() * 1000, 3),
        **gil_request(),
    }


def gil_request() -> dict[str, Any]:
    """What PYTHON_GIL asked of this interpreter and whether it held after the imports: a
    free-threaded build turns the GIL back on for an extension that does not support running
    without it."""
    asked = {"0": False, "1": True}.get(os.environ.get("PYTHON_GIL", ""))
    if asked is None:
        return {}
    request: dict[str, Any] = {"gil_requested": asked}
    if asked is False and gil_enabled():
        request["gil_note"] = (
            "PYTHON_GIL=0 was asked, but an imported module turned the GIL back on"
        )
    return request


def python_label(env: dict[str, Any]) -> str:
    """A short line such as 'CPython 3.11.7, GIL on'."""
    gil = "on" if env.get("gil_enabled", True) else "off"
    build = " free-threaded" if env.get("build") == "free-threaded" else ""
    return f"{env.get('implementation', 'Python')} {env.get('python', '?')}{build}, GIL {gil}"
