"""Task checksums against measure/reference.py; a wrong one is counted bad, the run invalid."""

from __future__ import annotations

import pytest

from gilviz.measure import executors, reference, runner, workloads
from gilviz.measure.timeline import Collector

PINNED = [  # (workload, size, checksum), worked out once and written down
    ("cpu", 1, 0),
    ("cpu", 10, 698090275),
    ("cpu", 100_000, 282060600),
    ("mixed", 10, 698090275),
    ("sleep", 7, 7),
]
pytestmark = pytest.mark.usefixtures("no_leftovers")


@pytest.mark.parametrize(("workload", "size", "checksum"), PINNED)
def test_tasks_and_references_both_match_pinned_values(workload, size, checksum):
    assert reference.expected_checksum(workload, size) == checksum
    task = workloads.WORKLOADS[workload].task
    assert workloads.checksum_of(task(size, 0.0)) == checksum


@pytest.mark.parametrize("size", [0, 2, 3, 8191, 8192, 8193, 50_000])
def test_the_cpu_closed_form_agrees_with_the_loop(size):
    assert reference.cpu_checksum(size) == workloads.cpu_task(size)


@pytest.mark.parametrize("size", [1, 3, 65])
def test_hash_and_disk_references_agree_with_their_tasks(size):
    assert reference.hash_checksum(size) == workloads.hash_task(size)
    assert reference.disk_checksum(size) == workloads.disk_task(size)


def test_net_reference_agrees_with_a_real_round_trip():
    with workloads.EchoServer() as server:
        assert reference.net_checksum(5) == workloads.net_task(5, server.server_address[:2])


def test_the_payload_reference_is_pinned_and_rot13_by_another_route():
    rotated = bytes((b + 13) % 256 for b in reference.PAYLOAD[:256]) * (
        len(reference.PAYLOAD) // 256
    )
    assert reference.expected_checksum("payload", 1, reference.PAYLOAD) == workloads.checksum_of(
        rotated
    )
    assert workloads.checksum_of(workloads.payload_task(1, reference.PAYLOAD)) == (
        reference.PAYLOAD_RESULT_CRC
    )


def test_a_wrong_task_value_is_counted_bad():
    tally = runner._Tally(lambda index, value: value == 5, total=2, collector=Collector())
    record = {"pid": 1, "tid": 1, "start": 0.0, "end": 1.0, "cpu_s": 0.5, "index": 0}
    tally.add({**record, "value": 5})
    tally.add({**record, "index": 1, "value": 6})
    assert (tally.done, tally.bad) == (2, 1)
    assert tally.cpu_s == 1.0 and tally.records[1]["ok"] is False


def test_a_changed_workload_formula_makes_the_run_invalid(monkeypatch):
    """The runner checks against the reference, not against the task run once: a task that
    computes something else is caught even though it agrees with itself."""
    monkeypatch.setattr(reference, "cpu_checksum", lambda size: 12345)
    batch = executors.Batch("cpu", 1000, 2, None)
    check = runner.matches_reference(reference.expected_checksum("cpu", 1000))
    tally = runner._Tally(check, 2, Collector())
    executors.run("serial", batch, 1, tally.add)
    assert tally.bad == 2


def test_references_refuse_what_they_cannot_check():
    with pytest.raises(
        ValueError, match=r"^payload tasks are checked against the standard 4 MiB payload$"
    ):
        reference.expected_checksum("payload", 1, b"other")
    with pytest.raises(ValueError, match=r"^no reference for workload 'nope'$"):
        reference.expected_checksum("nope", 1)
