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
    trips begun since, waiting for any still on its way, since a round trip delayed by the
    window's GIL holders comes back late. A window shorter than PERIOD_S still gets the
    round trip `begin()` sent; one begun before the window is not counted in it.
    """

    def __init__(self) -> None:
        super().__init__(name="gilviz-echo-probe", daemon=True)
        self._near, self._far = socket.socketpair()
        self._echo = threading.Thread(target=self._echo_forever, name="gilviz-echo", daemon=True)
        self._trips: deque[tuple[float, float]] = deque(maxlen=200_000)  # (begun, ms)
        self._in_flight: float | None = None  # when the round trip on its way began
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
            begun = time.perf_counter()
            with self._changed:
                self._in_flight = begun
            self._near.sendall(b"x")
            self._near.recv(1)
            rtt_ms = (time.perf_counter() - begun) * 1000
            with self._changed:
                self._in_flight = None
                self._trips.append((begun, rtt_ms))
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
        """Opens a window: forgets earlier round trips and sends one now."""
        with self._changed:
            self._trips.clear()
            self._window_start = time.perf_counter()
        self._now.set()

    def take(self) -> list[float]:
        """The round trips begun in the window, which ends now; if none began in it (a
        window shorter than the probe's wake-up), the first begun after it opened."""
        end = time.perf_counter()

        def settled() -> bool:
            late = self._in_flight is not None and self._window_start <= self._in_flight < end
            return not late and any(begun >= self._window_start for begun, _ in self._trips)

        with self._changed:
            self._changed.wait_for(settled, timeout=WAIT_S)
            trips = [(begun, ms) for begun, ms in self._trips if begun >= self._window_start]
            self._trips.clear()
            self._window_start = end
        within = [ms for begun, ms in trips if begun < end]
        return within or [ms for _, ms in trips[:1]]
