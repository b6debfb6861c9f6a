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


def test_the_house_names_every_module():
    """docs/ARCHITECTURE.md is the newcomer's map: a module it does not name is one they miss."""
    house = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    modules = [p for p in (ROOT / "gilviz").glob("*/*.py") if p.stem != "__init__"]
    assert len(modules) > 30
    unnamed = [str(p.relative_to(ROOT)) for p in modules if f"`{p.stem}`" not in house]
    assert unnamed == [], f"docs/ARCHITECTURE.md names no {unnamed}"
