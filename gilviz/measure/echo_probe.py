"""Round trips between two threads of the runner, timed while cells run (standard library).

One thread sends a byte through a socket pair every few milliseconds; another echoes it.
Each round trip wakes a thread three times: the sender when it is due, the echoer when the
byte comes, the sender when it comes back. A woken thread must take the GIL before it runs
again. While threads of the runner burn CPU, each wake-up waits for the holder to give the
GIL up, after up to one switch interval: the convoy effect, measured as the time from when a
round trip was due to when its answer was read.
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

    A round trip is timed from when it was due, not from when the sending thread got the GIL
    to send it: a sender kept waiting by the GIL holders is part of what the probe measures.
    `begin()` opens a window and makes a round trip due at once; `take()` returns the round
    trips due since, waiting for any due in the window that has not come back yet. A window
    shorter than PERIOD_S still gets the round trip `begin()` made due; one due before the
    window is not counted in it.
    """

    def __init__(self) -> None:
        super().__init__(name="gilviz-echo-probe", daemon=True)
        self._near, self._far = socket.socketpair()
        self._echo = threading.Thread(target=self._echo_forever, name="gilviz-echo", daemon=True)
        self._trips: deque[tuple[float, float]] = deque(maxlen=200_000)  # (due, ms)
        self._due = time.perf_counter()  # when the next round trip is to begin
        self._window_start = 0.0
        self._stopping = False
        self._changed = threading.Condition()

    def start(self) -> None:
        self._echo.start()
        super().start()

    def run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(self._time_to_send, self._due - time.perf_counter())
                if self._stopping:
                    return
                due = self._due
            self._near.sendall(b"x")
            self._near.recv(1)
            done = time.perf_counter()
            with self._changed:
                self._trips.append((due, (done - due) * 1000))
                if self._due == due:  # begin() made none due meanwhile
                    self._due = done + PERIOD_S
                self._changed.notify_all()

    def _time_to_send(self) -> bool:
        return self._stopping or time.perf_counter() >= self._due

    def stop(self) -> None:
        """Ends both threads and closes the sockets."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
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
        """Opens a window: forgets earlier round trips and makes one due now."""
        with self._changed:
            self._trips.clear()
            self._window_start = self._due = time.perf_counter()
            self._changed.notify_all()

    def take(self) -> list[float]:
        """The round trips due in the window, which ends now; if none was due in it (a
        window shorter than the probe's period), the first due after it opened."""
        end = time.perf_counter()

        def settled() -> bool:
            owed = self._window_start <= self._due < end  # due in the window, not back yet
            return not owed and any(due >= self._window_start for due, _ in self._trips)

        with self._changed:
            self._changed.wait_for(settled, timeout=WAIT_S)
            trips = [(due, ms) for due, ms in self._trips if due >= self._window_start]
            self._trips.clear()
            self._window_start = end
        within = [ms for due, ms in trips if due < end]
        return within or [ms for _, ms in trips[:1]]
