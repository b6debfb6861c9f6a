"""The `interpreters` executor: unavailable with its reason where there are no sub-interpreter
pools; on 3.13 with the interpreters-pep-734 backport, a real run.

Nothing is installed while the suite runs: the `test` extra brings the backport to a 3.13
suite, and `.ci/run` installs it for this machine's Python 3.13 (elsewhere the tests say how).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gilviz.cli.main import main
from gilviz.measure import subinterpreters
from tests.test_pythons import real_python

BACKPORT = "interpreters-pep-734==0.5.0"
"""As pyproject.toml's `test` extra and .ci/run name it."""


@pytest.fixture(scope="session")
def backported() -> str:
    """A Python 3.13 that has the backport, or skip saying how to get one."""
    found = [sys.executable] if sys.version_info[:2] == (3, 13) else [real_python("3.13")]
    for python in found:
        has = subprocess.run(
            [python, "-c", f"import {subinterpreters.BACKPORT}"], capture_output=True, timeout=60
        )
        if has.returncode == 0:
            return python
    pytest.skip(f"{found[0]} lacks the backport: {found[0]} -m pip install --user '{BACKPORT}'")


def test_without_sub_interpreter_pools_the_executor_says_what_it_needs():
    if sys.version_info >= (3, 14):
        pytest.skip("this Python has them")
    available, reason = subinterpreters.availability()
    assert not available
    assert "3.14+" in reason and "interpreters-pep-734" in reason


def test_under_the_backport_interpreters_run_the_tasks_with_a_gil_each(backported, capsys):
    run = ["run", "--workload", "cpu", "--executor", "interpreters", "--workers", "2"]
    quick = ["--tasks", "4", "--repeat", "1", "--warmup", "0", "--no-save", "--format", "json"]
    assert main([*run, *quick, "--python", backported]) == 0
    rows = json.loads(capsys.readouterr().out)
    interpreters = next(r for r in rows if r["executor"] == "interpreters")
    assert interpreters["error"] == "" and interpreters["checksum_ok"]
    assert interpreters["env"]["python"].startswith("3.13")
    assert interpreters["bytes_moved"] > 0, "arguments and results cross interpreters pickled"


def test_a_task_a_sub_interpreter_cannot_import_fails_with_why_instead_of_spinning(backported):
    """The backport's own failure mode would be a worker polling an empty queue forever."""
    script = (
        "import gilviz.measure.subinterpreters as s\n"
        "s.TASK_MODULES = 'import no_such_module'\n"
        "pool, interpreters, source = s.find()\n"
        "try:\n"
        "    s.check_tasks_import(interpreters)\n"
        "except RuntimeError as exc:\n"
        "    print(source, '|', exc)\n"
    )
    root = str(Path(__file__).resolve().parents[1])
    answer = subprocess.run(
        [backported, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert "the interpreters-pep-734 backport |" in answer.stdout, answer.stderr
    assert "cannot import gilviz's tasks" in answer.stdout
    assert "no_such_module" in answer.stdout
