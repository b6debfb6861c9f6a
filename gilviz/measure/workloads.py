"""The workload catalogue: top-level, picklable task functions that do real work.

Every task takes `(size, arg)` and returns either an int checksum or bytes (whose CRC is the
checksum, taken after the bytes have crossed back to the runner). Checksums are deterministic
for a given size; the runner verifies every task against `gilviz.measure.reference`, which works the
values out without this code.
Tasks work in small chunks and mark each one (`gilviz.measure.timeline`), so the runner can tell
when each worker ran Python, ran C without the GIL, waited on I/O, or stalled.
Standard library only: this module is imported by the runner under any Python.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import socketserver
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from functools import partial
from typing import Any

from gilviz.measure.timeline import IO, RUN, C, attach, marker, recording, take_due, thread_key

TARGET_TASK_S = 0.2
"""Calibrated task duration when a task runs alone."""

NET_DELAY_S = 0.002
"""How long the echo server waits before answering each round trip."""


_HASH_BLOCK = b"gilviz" * (1024 * 1024 // 6)
_DISK_BLOCK = bytes(range(256)) * 256  # 64 KiB
_MODULUS = 1_000_000_007
CPU_CHUNK = 8192
"""Loop iterations between two marks: about 0.35 ms of pure Python (a mark costs ~0.2 µs)."""
SLEEP_CHUNK_S = 0.05
"""A long sleep is taken in pieces, so a live timeline sees it while it lasts."""


def cpu_task(size: int, arg: Any = None) -> int:
    """Pure-Python arithmetic: holds the GIL for the whole task."""
    mark = marker()
    acc = 0
    for chunk in range(0, size, CPU_CHUNK):  # pragma: no mutate (from 1: i=0 adds 0 anyway)
        for i in range(chunk, min(chunk + CPU_CHUNK, size)):
            acc = (acc * 31 + i) % _MODULUS
        mark(RUN)
    return acc


def hash_task(size: int, arg: Any = None) -> int:
    """sha256 over `size` MiB: hashlib releases the GIL while it hashes."""
    mark = marker()
    digest = hashlib.sha256()
    for _ in range(size):
        digest.update(_HASH_BLOCK)
        mark(C)
    return int(digest.hexdigest()[:15], 16)


def sleep_task(size: int, arg: Any = None) -> int:
    """Sleep `size` milliseconds: waiting that releases the GIL."""
    _sleep(size / 1000)  # pragma: no mutate (/1001 is 0.1% shorter: untimeable)
    return size


def _sleep(seconds: float) -> None:
    mark = marker()
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:  # pragma: no mutate (>= 0: never exactly 0)
        time.sleep(min(left, SLEEP_CHUNK_S))
        mark(IO)


def net_task(size: int, arg: tuple[str, int]) -> int:
    """`size` TCP round trips to the echo server at `arg` (host, port)."""
    mark = marker()
    checksum = 0
    with socket.create_connection(arg, timeout=30) as conn:  # pragma: no mutate (a safety net)
        for i in range(size):
            message = i.to_bytes(8)
            conn.sendall(message)
            checksum = zlib.crc32(_recv_exactly(conn, len(message)), checksum)
            mark(IO)
    return checksum


def disk_task(size: int, arg: Any = None) -> int:
    """Write `size` x 64 KiB to a temp file, fsync it and read it back."""
    mark = marker()
    with tempfile.TemporaryFile(prefix="gilviz-") as f:  # pragma: no mutate (a name)
        for _ in range(size):
            f.write(_DISK_BLOCK)
            mark(IO)
        f.flush()
        os.fsync(f.fileno())
        mark(IO)
        f.seek(0)
        checksum = 0
        while chunk := f.read(len(_DISK_BLOCK)):  # pragma: no mutate (any read size)
            checksum = zlib.crc32(chunk, checksum)
            mark(IO)
    return checksum


def mixed_task(size: int, arg: float) -> int:
    """The cpu task, then a sleep of `arg` seconds (about as long as the cpu part alone)."""
    checksum = cpu_task(size)
    _sleep(arg)
    return checksum


def payload_task(size: int, arg: bytes) -> bytes:
    """Modest CPU work on a large argument, returning a result just as large."""
    cpu_task(size)
    mark = marker()
    result = arg.translate(_ROT13_TABLE)  # holds the GIL: bytes.translate does not release it
    mark(RUN)
    return result


_ROT13_TABLE = bytes((b + 13) % 256 for b in range(256))


async def sleep_task_async(size: int, arg: Any = None) -> int:
    await asyncio.sleep(size / 1000)  # pragma: no mutate (/1001 is 0.1% shorter: untimeable)
    return size


async def net_task_async(size: int, arg: tuple[str, int]) -> int:
    reader, writer = await asyncio.open_connection(*arg)
    checksum = 0
    try:
        for i in range(size):
            message = i.to_bytes(8)
            writer.write(message)
            checksum = zlib.crc32(await reader.readexactly(len(message)), checksum)
    finally:
        writer.close()
        await writer.wait_closed()
    return checksum


async def mixed_task_async(size: int, arg: float) -> int:
    checksum = cpu_task(size)
    await asyncio.sleep(arg)
    return checksum


@dataclass(frozen=True)
class Workload:
    """One workload of the catalogue."""

    name: str
    summary: str
    unit: str
    task: Callable[[int, Any], int | bytes]
    async_task: Callable[[int, Any], Coroutine[Any, Any, int]] | None = None
    sized_in_ms: bool = False
    """Its size is the task's duration in milliseconds: no calibration needed."""


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("cpu", "pure-Python loop, holds the GIL", "loop iterations", cpu_task),
        Workload("hash", "sha256 in C, releases the GIL", "MiB hashed", hash_task),
        Workload(
            "sleep",
            "sleeps: simulated I/O, frees the GIL",
            "ms asleep",
            sleep_task,
            sleep_task_async,
            sized_in_ms=True,
        ),
        Workload(
            "net",
            "TCP echo round trips on 127.0.0.1",
            "round trips",
            net_task,
            net_task_async,
        ),
        Workload("disk", "write, fsync, read back a temp file", "64 KiB blocks", disk_task),
        Workload(
            "mixed",
            "half cpu, half sleep: in between",
            "loop iterations",
            mixed_task,
            mixed_task_async,
        ),
        Workload(
            "payload",
            "4 MiB in and out: pickling shows",
            "loop iterations",
            payload_task,
        ),
    )
}


class InjectedFault(RuntimeError):
    """Raised by a task chosen with --inject-fault, to show how failures are reported."""


def run_task(
    workload: str, size: int, index: int, arg: Any, fail: bool, record: bool
) -> dict[str, Any]:
    """Run one task where it is called (a worker) and describe where and how it ran.

    With `record`, the worker's timeline is recorded (from here on, if nothing attached a
    recorder to this thread before) and what it did not yet hand over rides in the record,
    at most every TAKE_NS (tiny tasks hand theirs over in batches).
    """
    if record and not recording():
        attach()
    if fail:
        raise InjectedFault(f"injected fault in task {index}")
    start = time.monotonic()
    cpu_start = time.thread_time()
    value = WORKLOADS[workload].task(size, arg)
    return task_record(index, start, cpu_start, value)


async def run_task_async(
    workload: str, size: int, index: int, arg: Any, fail: bool
) -> dict[str, Any]:
    """Like run_task, on an event loop: awaits where the workload can, else runs inline."""
    if fail:
        raise InjectedFault(f"injected fault in task {index}")
    start = time.monotonic()
    cpu_start = time.thread_time()
    spec = WORKLOADS[workload]
    if spec.async_task is None:  # runs inline: no other coroutine runs meanwhile
        return task_record(index, start, cpu_start, spec.task(size, arg))
    metered = _Metered(spec.async_task(size, arg))
    record = task_record(index, start, cpu_start, await metered)
    record["cpu_s"] = metered.cpu_s  # its own CPU, not that of coroutines run while it waited
    return record


class _Metered:
    """Awaits a coroutine, adding up the thread CPU time of its own steps only."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        self.coroutine = coroutine
        self.cpu_s = 0.0

    def __await__(self) -> Generator[Any, Any, Any]:
        step: Callable[[], Any] = partial(self.coroutine.send, None)
        while True:
            before = time.thread_time()
            try:
                waiting_on = step()
            except StopIteration as done:
                return done.value
            finally:
                self.cpu_s += time.thread_time() - before
            try:
                sent = yield waiting_on  # the event loop runs other coroutines meanwhile
            except BaseException as exc:  # cancellation: pass it in
                step = partial(self.coroutine.throw, exc)
            else:
                step = partial(self.coroutine.send, sent)


def task_record(index: int, start: float, cpu_start: float, value: Any) -> dict[str, Any]:
    """What a finished task hands the runner: where and when it ran, its CPU, its value, and
    its worker's timeline not yet handed over (when due; a user's function records none)."""
    pid, tid = thread_key()
    return {
        "index": index,
        "pid": pid,
        "tid": tid,
        "start": start,
        "end": time.monotonic(),
        "cpu_s": time.thread_time() - cpu_start,
        "value": value,
        "timeline": take_due(),
    }


def checksum_of(value: int | bytes) -> int:
    """The checksum of a task's return value (bytes are checked after they crossed back)."""
    return zlib.crc32(value) if isinstance(value, bytes) else value


def _recv_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("echo server closed the connection")
        data += chunk
    return data


class _EchoHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(64):  # pragma: no mutate (any buffer size)
            time.sleep(NET_DELAY_S)
            self.request.sendall(data)


class EchoServer(socketserver.ThreadingTCPServer):
    """A delayed echo server on 127.0.0.1 and an ephemeral port, for the net workload."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _EchoHandler)
        self._thread = threading.Thread(target=self.serve_forever, name="gilviz-echo", daemon=True)

    def __enter__(self) -> EchoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
