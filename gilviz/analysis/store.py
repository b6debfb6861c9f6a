"""The results file: one JSON line per finished result, appended, flushed and fsynced."""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from gilviz.analysis.results import Result
from gilviz.analysis.verdict import judged


def default_results_path() -> Path:
    """`GILVIZ_RESULTS`, else `$XDG_DATA_HOME/gilviz/results.jsonl` (~/.local/share/...)."""
    if override := os.environ.get("GILVIZ_RESULTS"):
        return Path(override)
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "gilviz" / "results.jsonl"


@dataclass
class Loaded:
    """Results read back, and a warning for each line that could not be read."""

    results: list[Result] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ResultStore:
    """Appends results so a crash loses none that finished; reads them back forgivingly."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, result: Result) -> None:
        """Write one line under an exclusive lock (two gilviz never interleave), then fsync."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(result.to_dict(), separators=(",", ":")) + "\n").encode()
        with open(self.path, "ab") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def load(self) -> Loaded:
        loaded = Loaded()
        try:
            with open(self.path, "rb") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return loaded
        except OSError as exc:
            loaded.warnings.append(f"could not read {self.path}: {exc.strerror}")
            return loaded
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                result = Result.from_dict(json.loads(line))
                # Saved before verdicts were kept with results: judged once, here.
                loaded.results.append(result if result.verdict else judged(result))
            except (ValueError, TypeError, KeyError) as exc:
                loaded.warnings.append(f"{self.path}:{number}: skipped an unreadable line ({exc})")
        return loaded
