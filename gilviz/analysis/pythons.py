"""The Pythons on this machine: found where people keep them, and described by running them.

Looked for: the Python gilviz runs under, `python3.X` and `python3.Xt` on PATH, pyenv's
versions and uv's managed Pythons, and any path given. Each is asked once for its version,
implementation, build and GIL default; the answers are cached, keyed by path and mtime, so
`gilviz list` stays quick.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ON_PATH = re.compile(r"python3\.\d+t?")
"""Versioned names only: `python3` and `python` are links to one of these."""
RUNNER_MINIMUM = (3, 11)
PROBE_TIMEOUT_S = 10.0
PROBE = (
    "import json, platform, sys, sysconfig; print(json.dumps({"
    "'version': platform.python_version(), "
    "'implementation': platform.python_implementation(), "
    "'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED')), "
    "'gil_default': bool(getattr(sys, '_is_gil_enabled', lambda: True)())}))"
)
"""Runs under any Python from 2.7 on, so an old one can say it is too old."""


@dataclass(frozen=True)
class Python:
    """One interpreter, as it described itself (or why it could not)."""

    path: str
    version: str = ""
    implementation: str = ""
    free_threaded: bool = False
    gil_default: bool = True
    """The GIL at start-up without PYTHON_GIL: off by default on a free-threaded build."""
    error: str = ""

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", self.version)[:3])

    @property
    def runs_gilviz(self) -> bool:
        """Whether the runner can run under it (it needs Python 3.11 or newer)."""
        return not self.error and self.version_tuple[:2] >= RUNNER_MINIMUM

    @property
    def label(self) -> str:
        """'CPython 3.13.1t': a free-threaded build carries a t, as its executable does."""
        return f"{self.implementation} {self.version}{'t' if self.free_threaded else ''}"


def pick(found: list[Python], text: str) -> list[Python]:
    """The interpreters a comma-separated text names, each by a prefix of its version
    ('3.12', '3.13t') or its path; ValueError says which name matched none."""
    chosen: list[Python] = []
    for name in (part.strip() for part in text.split(",")):
        if not name:
            continue
        wanted_t = name.endswith("t")
        matches = [
            p
            for p in found
            if p.path == name
            or (p.version.startswith(name.rstrip("t")) and p.free_threaded == wanted_t)
        ]
        if not matches:
            raise ValueError(f"no Python {name!r}")
        chosen.append(matches[0])
    return list(dict.fromkeys(chosen))


def resolve(text: str, describer: Describer | None = None) -> list[str]:
    """The interpreters a comma-separated text names, as paths: each a path (`~` allowed) or,
    as the app's Python field takes them, a version prefix of one found here ('3.12',
    '3.13t'); ValueError says what is wrong, with what was found."""
    describer = describer or Describer()
    found: list[Python] | None = None
    paths: list[str] = []
    for name in (part.strip() for part in text.split(",")):
        if not name:
            continue
        if os.sep in name or name.startswith("~"):
            path = os.path.expanduser(name)
            if not os.path.isfile(path):
                raise ValueError(f"{name}: no such file")
            [python] = describer.describe([path])
            if python.error:
                raise ValueError(f"{name}: {python.error}")
            if not python.runs_gilviz:
                raise ValueError(f"{name} is Python {python.version}: the runner needs 3.11+")
            paths.append(python.path)
            continue
        if found is None:
            found = [p for p in describer.describe(candidates()) if p.runs_gilviz]
        try:
            paths.extend(p.path for p in pick(found, name))
        except ValueError as exc:
            listed = ", ".join(f"{p.label} ({p.path})" for p in found) or "none"
            raise ValueError(f"{exc}; found (gilviz list): {listed}") from None
    return list(dict.fromkeys(paths))


def default_cache_path() -> Path:
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home) / "gilviz" / "pythons.json"


def candidates(extra: Iterable[str] = (), environ: dict[str, str] | None = None) -> list[str]:
    """Paths of the Pythons to describe, each interpreter once (by its real path), in the
    order found: gilviz's own, then `extra`, PATH, pyenv and uv."""
    environ = dict(os.environ) if environ is None else environ
    home = Path(environ.get("HOME") or Path.home())
    found = [sys.executable, *extra]
    for folder in environ.get("PATH", "").split(os.pathsep):
        if folder and "shims" not in Path(folder).parts:  # pyenv shims are shell scripts
            found += sorted(str(p) for p in _listing(Path(folder)) if ON_PATH.fullmatch(p.name))
    pyenv = Path(environ.get("PYENV_ROOT") or home / ".pyenv") / "versions"
    uv = Path(environ.get("UV_PYTHON_INSTALL_DIR") or home / ".local/share/uv/python")
    for root in (pyenv, uv):
        found += sorted(str(version / "bin" / "python3") for version in _listing(root))
    unique: dict[str, str] = {}
    for path in found:
        real = os.path.realpath(path)
        if os.access(real, os.X_OK) and os.path.isfile(real):
            unique.setdefault(real, path)
    return list(unique.values())


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


class Describer:
    """Describes Pythons, asking each one only when its file is new or has changed."""

    def __init__(self, cache_path: Path | None = None) -> None:
        self.cache_path = cache_path or default_cache_path()
        self._cache = self._load()

    def describe(self, paths: Iterable[str]) -> list[Python]:
        """The Pythons at `paths`, newest version first (those that could not say, last)."""
        paths = list(paths)
        with ThreadPoolExecutor(max_workers=8) as pool:
            described = list(pool.map(self._one, paths))
        self._save()
        return sorted(described, key=lambda p: (bool(p.version), p.version_tuple), reverse=True)

    def _one(self, path: str) -> Python:
        key = self._key(path)
        if key in self._cache:
            return Python(**{**self._cache[key], "path": path})  # type: ignore[arg-type]
        python = probe(path)
        if not python.error:
            self._cache[key] = asdict(python)
        return python

    @staticmethod
    def _key(path: str) -> str:
        real = os.path.realpath(path)
        try:
            return f"{real}@{os.stat(real).st_mtime_ns}"
        except OSError:
            return real

    def _load(self) -> dict[str, dict[str, object]]:
        try:
            loaded = json.loads(self.cache_path.read_text())
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _save(self) -> None:
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            self.cache_path.write_text(json.dumps(self._cache, indent=1, sort_keys=True))
        except OSError:
            pass  # a cache that cannot be written only costs time


def probe(path: str) -> Python:
    """Run the interpreter at `path` once and read what it says of itself."""
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHON_GIL", "PYTHONPATH")}
    try:
        answer = subprocess.run(
            [path, "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            env=environ,
            check=False,
        )
        return Python(path=path, **json.loads(answer.stdout))
    except subprocess.TimeoutExpired:
        return Python(path=path, error=f"did not answer within {PROBE_TIMEOUT_S:.0f} s")
    except (OSError, ValueError, TypeError):
        return Python(path=path, error="did not describe itself as a Python")
