"""The echo probe: a window of round trips, with one at least however short the window."""

from __future__ import annotations

import sys
import time

from gilviz.measure.echo_probe import EchoProbe


def test_a_window_shorter_than_the_period_still_times_a_round_trip():
    probe = EchoProbe()
    probe.start()
    for _ in range(20):  # each window closes at once, well within PERIOD_S
        probe.begin()
        samples = probe.take()
        assert samples, "a round trip is sent when the window opens"
        assert all(0 < ms < 1000 for ms in samples)
    probe.stop()


def test_a_take_returns_each_round_trip_once():
    probe = EchoProbe()
    probe.start()
    probe.begin()
    first = probe.take()
    second = probe.take()
    assert first and second, "the next take waits for the next round trip"
    assert len(first) + len(second) <= 3, "nothing counted twice"
    probe.stop()
    assert not probe.is_alive()


def test_a_round_trip_is_timed_from_when_it_was_due_not_from_when_its_sender_got_the_gil():
    probe = EchoProbe()
    probe.start()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(5.0)  # nothing takes the GIL from the loop below
    try:
        probe.begin()
        start = time.perf_counter()
        while time.perf_counter() - start < 0.1:  # holds the GIL: the probe cannot send
            pass
        held_ms = (time.perf_counter() - start) * 1000
    finally:
        sys.setswitchinterval(interval)
    samples = probe.take()
    probe.stop()
    assert max(samples) >= held_ms, "the round trip due at begin() waited out the whole hold"
