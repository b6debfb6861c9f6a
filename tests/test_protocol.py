"""The wire between the sides: every message encodes and decodes as itself, a line that is not
a message is a reported failure quoting it (never a crash), and a runner of another gilviz
version is refused with both versions named."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from gilviz.analysis import engine
from gilviz.analysis.engine import CellDone, run_experiment
from gilviz.analysis.report import to_csv, to_markdown
from gilviz.analysis.store import ResultStore
from gilviz.protocol import events
from gilviz.protocol.spec import Cell, ExperimentSpec

pytestmark = pytest.mark.usefixtures("no_leftovers")
CELL = Cell("threads", 2)
ONE_OF_EACH = [
    events.Hello(4242, {"python": "3.11.7"}, [1, 2, 3]),
    events.Calibrated(1000, 0.2, "loop iterations", given=True),
    events.TaskFound("mymodule:work", "0123456789ab", 8, is_async=False),
    events.CellStarted(CELL, -1),
    events.Progress(CELL, 3, 8, 2, 4.5, 0.25),
    events.TimelineUpdate(CELL, 1200, [[0, 4242, [0, 10, 20]]], [0]),  # type: ignore[list-item]
    events.CellMeasured(
        CELL, 8, 1000, [0.5], [0.01], [0.9], [1.0], 0.1, 0, 0, [], [], 4.0, 9.0, trace=[[[0, 0, 5]]]
    ),
    events.CellFailed(CELL, "a worker died", 3, "Traceback ..."),
    events.Fatal("size too large", refused=True),
    events.Done(),
]


@pytest.mark.parametrize("message", ONE_OF_EACH, ids=lambda m: type(m).__name__)
def test_every_message_decodes_as_what_was_encoded(message):
    line = events.encode(message)
    assert "\n" not in line and line.startswith(f'{{"type":"{events.NAMES[type(message)]}"')
    assert events.decode(line) == message


def test_every_kind_of_message_is_covered_above():
    assert {type(m) for m in ONE_OF_EACH} == set(events.KINDS.values())


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("Traceback (most recent call last):", "a line that is not JSON"),
        ("[1, 2]", "a line with no message type"),
        ('{"type": "cell_finished", "cell": {}}', "an unknown message 'cell_finished'"),
        ('{"type": "progress", "done": 1}', "a progress message that does not fit"),
        ('{"type": "cell_started", "cell": {"workers": 2}, "repeat": 0}', "does not fit"),
    ],
)
def test_a_line_that_is_no_message_is_refused_with_the_line_quoted(line, words):
    with pytest.raises(events.ProtocolError) as refused:
        events.decode(line)
    assert words in str(refused.value) and repr(line) in str(refused.value)


def test_a_long_line_is_quoted_cut_at_200_characters():
    with pytest.raises(events.ProtocolError) as refused:
        events.decode("x" * 5000)
    quoted = str(refused.value).split(": ", 1)[1]
    assert quoted == repr("x" * 200 + "…")


def fake_runner(monkeypatch, tmp_path: Path, *lines: str) -> None:
    """The runner's start command replaced by one that says `lines` (and waits for stdin)."""
    script = tmp_path / "runner.py"
    script.write_text(
        "import sys\n"
        f"sys.stdout.write({''.join(line + chr(10) for line in lines)!r})\n"
        "sys.stdout.flush()\nsys.stdin.read()\n"
    )
    monkeypatch.setattr(engine, "RUNNER_COMMAND", f"exec(open({str(script)!r}).read())")


def test_a_malformed_line_ends_the_run_with_the_line_quoted(monkeypatch, tmp_path):
    hello = events.encode(events.Hello(1, {}, []))
    fake_runner(monkeypatch, tmp_path, hello, "Segmentation fault (core dumped)")
    finished = run_experiment(ExperimentSpec("sleep", (CELL,), tasks=1, size=1))
    assert finished.error == (
        "the runner sent a line that is not JSON from the runner: "
        "'Segmentation fault (core dumped)'"
    )
    assert not finished.results and not finished.ok


def test_a_runner_of_another_version_is_refused_naming_both(monkeypatch, tmp_path):
    old = {"type": "hello", "pid": 1, "env": {}, "service_tids": []}  # before protocol numbers
    fake_runner(monkeypatch, tmp_path, str(old).replace("'", '"'))
    finished = run_experiment(ExperimentSpec("sleep", (CELL,), tasks=1, size=1))
    assert f"protocol 1 where this gilviz speaks {events.PROTOCOL}" in (finished.error or "")


def test_a_cell_without_a_trace_asked_sends_none():
    done: list[CellDone] = []
    spec = ExperimentSpec("sleep", (CELL,), tasks=2, size=1)
    run_experiment(spec, None, lambda e: done.append(e) if isinstance(e, CellDone) else None)
    assert [d.trace for d in done] == [None, None]
    traced: list[CellDone] = []
    spec = dataclasses.replace(spec, trace=True)
    run_experiment(spec, None, lambda e: traced.append(e) if isinstance(e, CellDone) else None)
    assert all(d.trace for d in traced)


FIXTURE = Path(__file__).parent / "fixtures" / "results-2026-12-02.jsonl"
"""Written by gilviz before the typed protocol (90cdf37): sleep, threads and processes x2,
three runs each, the processes cell failed by a fault drill."""


def test_a_results_file_of_the_version_before_loads_with_its_verdicts(tmp_path):
    copy = tmp_path / "results.jsonl"
    shutil.copy(FIXTURE, copy)
    loaded = ResultStore(copy).load()
    assert not loaded.warnings
    failed, serial, threads = loaded.results
    assert (failed.executor, failed.stability) == ("processes", "failed")
    assert "InjectedFault" in failed.verdict and failed.error
    assert serial.verdict == "serial baseline: 4 tasks one after another"
    assert threads.verdict.startswith("threads 2.01x on sleep: near-ideal")
    assert threads.speedup_low is None, "saved before speedups kept their spread"
    assert "near-ideal" in to_markdown(loaded.results) and "InjectedFault" in to_csv(loaded.results)
