"""Round trips between two threads of the runner, timed while cells run (standard library).

One thread sends a byte through a socket pair every few milliseconds; another echoes it.
Each leg wakes a thread blocked in a system call, and a woken thread must take the GIL
before it runs again. While threads of the runner burn CPU, each wake-up waits for the
holder to give the GIL up, after up to one switch interval: the convoy effect, measured as
the round trip's time.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque

PERIOD_S = 0.005


class EchoProbe(threading.Thread):
    """Times a one-byte round trip through an echoing thread every PERIOD_S, in ms."""

    def __init__(self) -> None:
        super().__init__(name="gilviz-echo-probe", daemon=True)
        self._near, self._far = socket.socketpair()
        self._echo = threading.Thread(target=self._echo_forever, name="gilviz-echo", daemon=True)
        self._samples: deque[float] = deque(maxlen=200_000)
        self._lock = threading.Lock()

    def start(self) -> None:
        self._echo.start()
        super().start()

    def run(self) -> None:
        while True:
            start = time.perf_counter()
            self._near.sendall(b"x")
            self._near.recv(1)
            rtt_ms = (time.perf_counter() - start) * 1000
            with self._lock:
                self._samples.append(rtt_ms)
            time.sleep(PERIOD_S)

    def _echo_forever(self) -> None:
        while data := self._far.recv(1):
            self._far.sendall(data)

    @property
    def native_ids(self) -> list[int]:
        """Its two threads' ids (the sampler leaves them out of the workers)."""
        return [tid for tid in (self.native_id, self._echo.native_id) if tid is not None]

    def take(self) -> list[float]:
        """The round trips since the last take."""
        with self._lock:
            samples = list(self._samples)
            self._samples.clear()
        return samples
