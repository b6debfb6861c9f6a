"""The workloads' own parts: the echo server, exact receiving, and mixed's sleep."""

from __future__ import annotations

import threading

import pytest

from gilviz.measure import reference, runner, workloads
from gilviz.protocol.spec import ExperimentSpec

pytestmark = pytest.mark.usefixtures("no_leftovers")


class Trickle:
    """A socket that hands out its bytes three at a time, then nothing."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.asked: list[int] = []

    def recv(self, n: int) -> bytes:
        self.asked.append(n)
        chunk, self.data = self.data[: min(n, 3)], self.data[min(n, 3) :]
        return chunk


def test_receiving_exactly_asks_for_what_is_missing_until_it_has_it_all():
    conn = Trickle(b"12345678rest")
    assert workloads._recv_exactly(conn, 8) == b"12345678"  # type: ignore[arg-type]
    assert conn.asked == [8, 5, 2]
    with pytest.raises(ConnectionError, match=r"^echo server closed the connection$"):
        workloads._recv_exactly(Trickle(b"12"), 8)  # type: ignore[arg-type]


def test_the_echo_server_serves_from_a_named_daemon_thread_and_stops():
    with workloads.EchoServer() as server:
        serving = [t for t in threading.enumerate() if t.name == "gilviz-echo"]
        assert len(serving) == 1 and serving[0].daemon
        assert reference.net_checksum(3) == workloads.net_task(3, server.server_address[:2])
    serving[0].join(timeout=5)
    assert not serving[0].is_alive()


def test_mixed_sleeps_as_long_as_its_cpu_part_took():
    experiment = runner.Experiment(ExperimentSpec("mixed", (), tasks=1), *[None] * 3)
    assert 0.0 < experiment._mixed_sleep_s(1000) < 1.0
