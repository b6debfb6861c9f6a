"""Cores as the machine grants them: CPU affinity and the cgroup's CPU quota."""

from __future__ import annotations

from pathlib import Path

import pytest

from gilviz.measure import environment


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def test_cgroup_v2_quota_is_the_tightest_along_the_path(tmp_path):
    write(tmp_path, "cpu.max", "max 100000\n")
    write(tmp_path / "box", "cpu.max", "400000 100000\n")
    write(tmp_path / "box" / "app", "cpu.max", "250000 100000\n")
    assert environment.cpu_quota(tmp_path, "0::/box/app\n") == 2.5


def test_cgroup_v2_without_a_limit_has_no_quota(tmp_path):
    write(tmp_path, "cpu.max", "max 100000\n")
    assert environment.cpu_quota(tmp_path, "0::/\n") is None


def test_cgroup_v1_quota_comes_from_the_cpu_controller(tmp_path):
    write(tmp_path / "cpu" / "docker" / "abc", "cpu.cfs_quota_us", "150000\n")
    write(tmp_path / "cpu" / "docker" / "abc", "cpu.cfs_period_us", "100000\n")
    write(tmp_path / "cpu", "cpu.cfs_quota_us", "-1\n")
    write(tmp_path / "cpu", "cpu.cfs_period_us", "100000\n")
    membership = "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n"
    assert environment.cpu_quota(tmp_path, membership) == 1.5


def test_a_container_seeing_its_own_cgroup_as_root_still_finds_its_quota(tmp_path):
    write(tmp_path, "cpu.max", "200000 100000\n")
    assert environment.cpu_quota(tmp_path, "0::/kubepods/pod1/ctr\n") == 2.0


@pytest.mark.parametrize(
    ("quota", "affinity", "usable"),
    [(None, 64, 64), (4.0, 64, 4), (2.5, 64, 3), (8.0, 2, 2), (0.5, 8, 1)],
)
def test_usable_cores_are_the_smaller_of_affinity_and_quota(monkeypatch, quota, affinity, usable):
    monkeypatch.setattr(environment, "cpu_quota", lambda: quota)
    monkeypatch.setattr(environment, "affinity_cores", lambda: affinity)
    assert environment.usable_cores() == usable


def test_both_inputs_are_recorded_with_every_result():
    env = environment.describe()
    assert {"affinity_cores", "cpu_quota", "usable_cores"} <= set(env)
    assert env["usable_cores"] <= env["affinity_cores"]
