"""The architecture's rules, checked by tools: import-linter's contracts (pyproject.toml: the
layers, the runner side on the standard library, no Textual below the app, no circles) and
mypy in strict mode over gilviz/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def test_the_import_contracts_hold():
    checked = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert "4 kept, 0 broken" in checked.stdout


def test_the_types_check_in_strict_mode():
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout[-3000:]
