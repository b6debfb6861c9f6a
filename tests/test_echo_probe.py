"""The echo probe: a window of round trips, with one at least however short the window."""

from __future__ import annotations

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
