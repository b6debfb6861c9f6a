"""A pytest plugin for mutmut's stats run: code that runs in the runner process counts as
reached by the test that started it.

mutmut learns which tests reach which function by recording calls in the test process; the
runner and its pool workers are other processes, so without this every runner-only function
would read "no tests" and its mutants would never run. Their Python imports
tests/mutmut_site/sitecustomize.py, which writes what they ran to a folder this plugin reads
back into mutmut's record after each test. Loaded by conftest.py only during that stats run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parent / "mutmut_site"
HITS = Path(tempfile.mkdtemp(prefix="gilviz-mutmut-hits-"))
os.environ["GILVIZ_MUTMUT_HITS"] = str(HITS)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(SITE), *filter(None, [os.environ.get("PYTHONPATH")])]
)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Before mutmut files this test's hits, add those of the processes it started."""
    from mutmut.state import state

    for dump in HITS.glob("*.txt"):
        state()._stats.update(filter(None, dump.read_text().splitlines()))
        dump.unlink()
