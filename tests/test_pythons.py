"""Finding and describing interpreters: real ones where this machine has them, recorded
descriptions for the builds it cannot have (free-threaded)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gilviz.analysis import pythons
from gilviz.cli.main import python_lines

PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
FREE_THREADED = shutil.which("python3.13t") or shutil.which("python3.14t")


def real_python(version: str) -> str:
    """A real interpreter of that minor version on this machine, or skip the test."""
    installed = [str(p / "bin" / "python3") for p in sorted(PYENV.glob(f"{version}.*"))]
    found = installed[0] if installed else shutil.which(f"python{version}")
    if found is None or not os.access(found, os.X_OK):
        pytest.skip(f"no Python {version} on this machine")
    return found


def test_gilvizs_own_python_describes_itself(tmp_path):
    [me] = pythons.Describer(tmp_path / "cache.json").describe([sys.executable])
    assert me.version == platform.python_version() and me.implementation == "CPython"
    assert me.runs_gilviz and not me.error


def test_pythons_are_found_on_path_and_in_pyenv_each_once(tmp_path):
    py312 = real_python("3.12")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3.12").symlink_to(py312)
    (bin_dir / "python3").symlink_to(py312)  # unversioned names are links to versioned ones
    (bin_dir / "python3.12-config").write_text("")
    environ = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "none")}
    found = pythons.candidates(environ=environ)
    assert found == [sys.executable, str(bin_dir / "python3.12")]
    again = pythons.candidates([py312], environ=environ)
    assert again == [sys.executable, py312], "a link to the same interpreter is not listed twice"


def test_several_versions_are_described_newest_first(tmp_path):
    paths = [real_python("3.12"), real_python("3.13"), sys.executable]
    described = pythons.Describer(tmp_path / "cache.json").describe(paths)
    versions = [p.version_tuple[:2] for p in described]
    assert versions == sorted(versions, reverse=True) and (3, 13) in versions
    assert all(p.runs_gilviz and not p.free_threaded and p.gil_default for p in described)


def test_descriptions_are_cached_until_the_file_changes(tmp_path, monkeypatch):
    cache = tmp_path / "cache.json"
    copy = tmp_path / "python"
    copy.symlink_to(os.path.realpath(sys.executable))
    first = pythons.Describer(cache).describe([str(copy)])

    def no_run(*args, **kwargs):
        raise AssertionError("asked again, though the cache knew")

    monkeypatch.setattr(subprocess, "run", no_run)
    assert pythons.Describer(cache).describe([str(copy)]) == first
    entry = next(iter(json.loads(cache.read_text())))
    assert entry.startswith(os.path.realpath(sys.executable) + "@")
    stale = {entry.replace("@", "@1"): json.loads(cache.read_text())[entry]}
    cache.write_text(json.dumps(stale))  # as if the file had another mtime when cached
    monkeypatch.undo()
    assert pythons.Describer(cache).describe([str(copy)]) == first


def test_a_program_that_is_not_python_says_so_and_is_not_cached(tmp_path):
    [true] = pythons.Describer(tmp_path / "cache.json").describe(
        [shutil.which("true") or "/bin/true"]
    )
    assert true.error == "did not describe itself as a Python" and not true.runs_gilviz
    assert json.loads((tmp_path / "cache.json").read_text()) == {}


def test_old_pythons_are_listed_as_too_old_for_the_runner():
    old = pythons.Python("/x/python3.10", "3.10.13", "CPython")
    assert not old.runs_gilviz
    assert python_lines([old])[0].endswith("[too old: the runner needs 3.11+]")


def test_a_recorded_free_threaded_build_is_labelled_with_its_gil_default():
    """This machine has no free-threaded build: its description, as one gives it, stands in."""
    recorded = pythons.Python(
        "/usr/bin/python3.13t", "3.13.1", "CPython", free_threaded=True, gil_default=False
    )
    assert recorded.label == "CPython 3.13.1t" and recorded.runs_gilviz
    assert "free-threaded, GIL off by default" in python_lines([recorded])[0]


@pytest.mark.skipif(FREE_THREADED is None, reason="needs a free-threaded Python on PATH")
def test_a_real_free_threaded_build_describes_itself(tmp_path):
    [ft] = pythons.Describer(tmp_path / "cache.json").describe([str(FREE_THREADED)])
    assert ft.free_threaded and not ft.gil_default and ft.label.endswith("t")


def test_gilviz_list_shows_the_pythons(capsys):
    from gilviz.cli.main import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "Pythons (--python):" in out and f"CPython {platform.python_version()}" in out


def test_one_run_under_two_pythons_gives_each_its_own_baseline_and_table(capsys):
    from gilviz.cli.main import main

    a, b = real_python("3.12"), real_python("3.13")
    run = ["run", "--workload", "sleep", "--size", "1", "--executor", "threads", "--workers", "2"]
    quick = ["--tasks", "2", "--repeat", "1", "--warmup", "0", "--no-save"]
    assert main([*run, *quick, "--python", f"{a},{b}", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["env"]["python"][:4], r["executor"]) for r in rows] == [
        ("3.12", "serial"),
        ("3.12", "threads"),
        ("3.13", "serial"),
        ("3.13", "threads"),
    ]
    assert [r["env"]["executable"] for r in rows] == [a, a, b, b]
    assert main([*run, *quick, "--python", f"{a},{b}", "--format", "markdown"]) == 0
    assert capsys.readouterr().out.count("### sleep · CPython 3.1") == 2


def test_a_bad_path_among_several_is_refused_before_anything_runs(capsys):
    from gilviz.cli.main import main

    with pytest.raises(SystemExit) as exit:
        main(["run", "--python", f"{sys.executable},/no/such/python", "--no-save"])
    assert exit.value.code == 2
    assert "/no/such/python: no such file" in capsys.readouterr().err
