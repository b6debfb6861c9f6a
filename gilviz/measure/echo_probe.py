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
WAIT_S = 1.0  # pragma: no mutate (a bound for a stuck probe, never reached when it runs)


class EchoProbe(threading.Thread):
    """Times a one-byte round trip through an echoing thread every PERIOD_S, in ms.

    `begin()` opens a window and sends a round trip at once; `take()` returns the round
    trips begun since, waiting for the first if none has come back. So a cell shorter
    than PERIOD_S still gets a figure, and a round trip begun before the window is not
    counted in it.
    """

    def __init__(self) -> None:
        super().__init__(name="gilviz-echo-probe", daemon=True)
        self._near, self._far = socket.socketpair()
        self._echo = threading.Thread(target=self._echo_forever, name="gilviz-echo", daemon=True)
        self._samples: deque[float] = deque(maxlen=200_000)
        self._window_start = 0.0
        self._now = threading.Event()
        self._stopping = threading.Event()
        self._changed = threading.Condition()

    def start(self) -> None:
        self._echo.start()
        super().start()

    def run(self) -> None:
        while True:
            self._now.wait(PERIOD_S)
            self._now.clear()
            if self._stopping.is_set():
                return
            start = time.perf_counter()
            self._near.sendall(b"x")
            self._near.recv(1)
            rtt_ms = (time.perf_counter() - start) * 1000
            with self._changed:
                if start >= self._window_start:
                    self._samples.append(rtt_ms)
                    self._changed.notify_all()

    def stop(self) -> None:
        """Ends both threads and closes the sockets."""
        self._stopping.set()
        self._now.set()
        self.join()
        self._near.close()  # the echoing thread reads the end of the stream and returns
        self._echo.join()
        self._far.close()

    def _echo_forever(self) -> None:
        while data := self._far.recv(1):
            self._far.sendall(data)

    @property
    def native_ids(self) -> list[int]:
        """Its two threads' ids (the sampler leaves them out of the workers)."""
        return [tid for tid in (self.native_id, self._echo.native_id) if tid is not None]

    def begin(self) -> None:
        """Forgets earlier round trips and sends one now."""
        with self._changed:
            self._samples.clear()
            self._window_start = time.perf_counter()
        self._now.set()

    def take(self) -> list[float]:
        """The round trips begun since `begin()`, at least one unless the probe is stuck."""
        with self._changed:
            self._changed.wait_for(lambda: self._samples, timeout=WAIT_S)
            samples = list(self._samples)
            self._samples.clear()
        return samples
