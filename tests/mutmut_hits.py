"""A pytest plugin for mutmut's stats run: code that runs in the runner process counts as
reached by the test that started it.

mutmut learns which tests reach which function by recording calls in the test process; the
runner and its pool workers are other processes, so without this every runner-only function
would read "no tests" and its mutants would never run. Their Python imports
tests/mutmut_site/sitecustomize.py, which writes what they ran to a folder this plugin reads
back into mutmut's record after each test. Loaded by conftest.py always (mutmut may import
conftest before it starts its stats pass); it acts only while MUTANT_UNDER_TEST is "stats".
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parent / "mutmut_site"


def _collecting() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """During the stats pass, every Python this test starts reports back to a folder."""
    if _collecting() and "GILVIZ_MUTMUT_HITS" not in os.environ:
        os.environ["GILVIZ_MUTMUT_HITS"] = tempfile.mkdtemp(prefix="gilviz-mutmut-hits-")
        parts = [str(SITE), *filter(None, [os.environ.get("PYTHONPATH")])]
        os.environ["PYTHONPATH"] = os.pathsep.join(parts)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Before mutmut files this test's hits, add those of the processes it started."""
    if not _collecting():
        return
    from mutmut.state import state

    for dump in Path(os.environ["GILVIZ_MUTMUT_HITS"]).glob("*.txt"):
        state()._stats.update(filter(None, dump.read_text().splitlines()))
        dump.unlink()
