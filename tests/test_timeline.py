"""The timeline: stamps into intervals, stalls classified by evidence, bounded memory, figures."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading

import pytest

from gilviz.measure import timeline
from gilviz.measure.timeline import CORE, GIL, IO, RUN, STALL, C, Collector, Recorder, analyse

MS = 1_000_000


class Clocks:
    """A wall clock and a thread CPU clock, moved by hand."""

    def __init__(self) -> None:
        self.wall = 0
        self.cpu = 0

    def spend(self, wall_ms: float, cpu_ms: float) -> None:
        self.wall += round(wall_ms * MS)
        self.cpu += round(cpu_ms * MS)


def recorder(clocks: Clocks, sink=None) -> Recorder:
    return Recorder(sink, wall_ns=lambda: clocks.wall, cpu_ns=lambda: clocks.cpu)


def intervals(flat: list[int]) -> list[tuple[int, int, int]]:
    return [(flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)]


def test_chunks_on_the_cpu_merge_into_one_interval():
    clocks = Clocks()
    rec = recorder(clocks)
    for _ in range(10):
        clocks.spend(0.2, 0.2)
        rec.mark(RUN)
    assert intervals(rec.take()) == [(RUN, 0, 2 * MS)]


def test_a_chunk_off_the_cpu_is_a_stall_between_halves_of_its_work():
    clocks = Clocks()
    rec = recorder(clocks)
    clocks.spend(0.2, 0.2)
    rec.mark(RUN)
    clocks.spend(5.2, 0.2)  # 5 ms off the CPU inside this chunk
    rec.mark(RUN)
    assert intervals(rec.take()) == [
        (RUN, 0, round(0.3 * MS)),
        (STALL, round(0.3 * MS), round(5.3 * MS)),
        (RUN, round(5.3 * MS), round(5.4 * MS)),
    ]


def test_off_cpu_time_below_the_noise_floor_is_no_stall():
    clocks = Clocks()
    rec = recorder(clocks)
    clocks.spend(0.25, 0.2)  # 50 µs: an interrupt, not a stall
    rec.mark(RUN)
    assert [state for state, _, _ in intervals(rec.take())] == [RUN]


def test_chunks_that_ran_straight_through_read_no_cpu_clock():
    clocks = Clocks()
    reads = []
    rec = Recorder(wall_ns=lambda: clocks.wall, cpu_ns=lambda: reads.append(1) or clocks.cpu)
    reads.clear()
    for _ in range(200):  # 40 ms of 0.2 ms chunks
        clocks.spend(0.2, 0.2)
        rec.mark(RUN)
    assert len(reads) == 1, "the CPU clock (a system call) is read for the first chunk only"
    clocks.spend(5.2, 0.2)
    rec.mark(RUN)
    assert len(reads) == 2 and intervals(rec.take())[1][0] == STALL


def test_off_cpu_time_under_the_floor_surfaces_at_the_next_reading():
    clocks = Clocks()
    rec = recorder(clocks)
    clocks.spend(0.2, 0.2)
    rec.mark(RUN)
    for _ in range(500):  # each 0.05 ms off the CPU: under the floor, chunk by chunk
        clocks.spend(0.25, 0.2)
        rec.mark(RUN)
    stalls = [iv for iv in intervals(rec.take()) if iv[0] == STALL]
    assert stalls, "the clock is read at least every 100 ms, so the drift shows as a stall"
    assert all(hi - lo <= round(0.25 * MS) for _, lo, hi in stalls), "within the one chunk"


def test_waiting_on_io_is_never_a_stall_and_begin_skips_time_between_tasks():
    clocks = Clocks()
    rec = recorder(clocks)
    clocks.spend(50, 0.01)
    rec.mark(IO)
    clocks.spend(30, 0)  # between tasks
    rec.begin()
    clocks.spend(1, 1)
    rec.mark(C)
    assert intervals(rec.take()) == [(IO, 0, 50 * MS), (C, 80 * MS, 81 * MS)]


def test_the_sink_gets_intervals_at_most_every_flush_interval():
    clocks = Clocks()
    received = []
    rec = recorder(clocks, sink=lambda key, flat: received.append(intervals(flat)))
    for _ in range(30):  # 300 ms of 10 ms chunks
        clocks.spend(10, 10)
        rec.mark(RUN)
    assert len(received) == 3, "a flush every 100 ms"
    assert received[0] == [(RUN, 0, 100 * MS)]
    assert rec.take() == [], "everything handed over"


def test_a_tasks_record_takes_what_was_recorded_at_most_every_take_ns():
    clocks = Clocks()
    rec = recorder(clocks)
    taken = []
    for _ in range(40):  # 40 tasks of 1 ms: their records carry it in batches
        rec.begin()
        clocks.spend(1, 1)
        rec.mark(RUN)
        taken.append(rec.take_due())
    batches = [intervals(flat) for flat in taken if flat is not None]
    every = timeline.TAKE_NS // MS
    assert len(batches) == 1 + (40 - 1) // every, "the first task's, then one per TAKE_NS"
    assert batches[:2] == [[(RUN, 0, MS)], [(RUN, MS, (1 + every) * MS)]]
    rest = intervals(rec.take())
    assert sum(end - start for batch in [*batches, rest] for _, start, end in batch) == 40 * MS


def test_a_threads_key_is_read_once_and_again_in_a_forked_child():
    assert timeline.thread_key() == (os.getpid(), threading.get_native_id())
    fork = multiprocessing.get_context("fork")
    with cf.ProcessPoolExecutor(1, fork) as pool:  # forked from this (the keyed) thread
        key = pool.submit(timeline.thread_key).result()
        pid = pool.submit(os.getpid).result()
    assert key == (pid, pid) and pid != os.getpid(), "the child's own, not its parent's"


def test_recording_off_costs_a_no_op():
    assert not timeline.recording()
    mark = timeline.marker()
    mark(RUN)
    assert timeline.take_pending() is None


def lane_of(collector: Collector, key: tuple[int, int]) -> timeline.Lane:
    return collector.lanes[key]


def test_a_lane_stays_bounded_however_long_the_cell_and_keeps_its_start():
    collector = Collector(lane_cap=1000)
    flat = []
    for i in range(50_000):  # 50 s of alternating 1 ms run and stall
        flat.extend((RUN if i % 2 == 0 else STALL, i * MS, (i + 1) * MS))
    for start in range(0, len(flat), 3000):
        collector.add((1, 1), flat[start : start + 3000])
    lane = lane_of(collector, (1, 1))
    assert len(lane.intervals) <= 1000
    assert min(lo for _, lo, _ in lane.intervals) == 0, "the start is downsampled, not dropped"
    assert max(hi for _, _, hi in lane.intervals) == 50_000 * MS
    assert lane.totals[RUN] == lane.totals[STALL] == 25_000 * MS, "totals stay exact"
    assert lane.resumes == 25_000
    figures = collector.finish(shared_gil=False)
    assert figures.overlap == pytest.approx(0.5), "figures come from the exact totals"
    assert figures.workers[0]["shares"]["core"] == pytest.approx(0.5)


def test_downsampling_keeps_each_cells_main_state_under_a_long_interval_too():
    collector = Collector(lane_cap=80)  # past 80, the older half goes onto 10 cells
    flat = [IO, 0, 300 * MS]  # one long wait, over several of the cells
    for i in range(30):  # then 8 ms runs between two 1 ms waits: mostly running, in time
        t = 300 * MS + i * 10 * MS
        flat.extend((RUN, t, t + 8 * MS, IO, t + 8 * MS, t + 9 * MS, IO, t + 9 * MS, t + 10 * MS))
    for i in range(40):  # the recent part, kept as it is
        flat.extend((STALL, 600 * MS + i * MS, 600 * MS + i * MS + MS // 2))
    collector.add((1, 1), flat)
    lane = lane_of(collector, (1, 1))
    older = 500 * MS  # the older half: the wait and 21 runs, now on cells about 51 ms wide
    coarse = sorted((iv for iv in lane.intervals if iv[1] < older), key=lambda iv: iv[1])
    assert [state for state, _, _ in coarse] == [IO, RUN], coarse
    assert coarse[0][1] == 0 and abs(coarse[0][2] - 300 * MS) < 55 * MS, "within a cell"
    assert lane.totals[IO] == (300 + 60) * MS and lane.totals[RUN] == 240 * MS, "still exact"


def test_a_stall_split_by_a_flush_is_one_resume():
    collector = Collector()
    collector.add((1, 1), [RUN, 0, 1 * MS, STALL, 1 * MS, 3 * MS])
    collector.add((1, 1), [STALL, 3 * MS, 6 * MS, RUN, 6 * MS, 7 * MS])
    assert lane_of(collector, (1, 1)).resumes == 1


def test_a_stall_is_a_gil_wait_only_while_another_worker_of_its_process_runs():
    collector = Collector()
    collector.add((7, 1), [RUN, 0, 10 * MS, STALL, 10 * MS, 20 * MS, RUN, 20 * MS, 30 * MS])
    collector.add((7, 2), [STALL, 0, 12 * MS, RUN, 12 * MS, 18 * MS, STALL, 18 * MS, 30 * MS])
    cell = collector.finish(shared_gil=True)
    first = cell.intervals[0]
    assert (GIL, 12_000, 18_000) in first
    assert (CORE, 10_000, 12_000) in first and (CORE, 18_000, 20_000) in first
    assert cell.workers[0]["shares"]["gil"] == pytest.approx(0.2)
    assert cell.workers[0]["shares"]["core"] == pytest.approx(2 * 2 / 30, abs=1e-3)


def test_separate_interpreters_never_wait_for_each_others_gil():
    collector = Collector()
    collector.add((1, 1), [RUN, 0, 10 * MS, STALL, 10 * MS, 20 * MS])
    collector.add((2, 1), [RUN, 0, 20 * MS])
    cell = collector.finish(shared_gil=False)
    assert cell.workers[0]["shares"]["gil"] == 0.0
    assert cell.workers[0]["shares"]["core"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("pids", "shared_gil", "why"),
    [
        ((1, 1), False, "threads of a free-threaded build share no GIL"),
        ((1, 2), True, "another process's running worker holds another GIL"),
    ],
)
def test_a_stall_beside_a_running_worker_is_a_gil_wait_only_on_a_shared_gil(pids, shared_gil, why):
    collector = Collector()
    collector.add((pids[0], 1), [RUN, 0, 10 * MS, STALL, 10 * MS, 20 * MS])
    collector.add((pids[1], 2), [RUN, 0, 20 * MS])
    shares = collector.finish(shared_gil=shared_gil).workers[0]["shares"]
    assert (shares["gil"], shares["core"]) == (0.0, pytest.approx(0.5)), why


def test_overlap_counts_workers_running_at_once_and_handoffs_count_resumes():
    turns = Collector()  # two threads taking 5 ms turns for 100 ms
    for worker in (0, 1):
        flat = []
        for slot in range(20):
            state = RUN if slot % 2 == worker else STALL
            flat.extend((state, slot * 5 * MS, (slot + 1) * 5 * MS))
        turns.add((1, worker), flat)
    taking_turns = turns.finish(shared_gil=True)
    assert taking_turns.overlap == pytest.approx(1.0)
    assert taking_turns.handoffs_per_s == pytest.approx(20 / 0.1)
    together = Collector()
    together.add((1, 1), [RUN, 0, 100 * MS])
    together.add((2, 1), [C, 0, 50 * MS, IO, 50 * MS, 100 * MS])
    side_by_side = together.finish(shared_gil=False)
    assert side_by_side.overlap == pytest.approx(1.5), "C without the GIL counts, I/O does not"
    assert side_by_side.handoffs_per_s == 0.0


def test_an_event_loop_waits_for_io_between_its_callbacks():
    collector = Collector()
    collector.add((1, 1), [RUN, 0, 10 * MS, RUN, 90 * MS, 100 * MS])
    cell = collector.finish(shared_gil=True, gaps_are_io=True)
    assert cell.workers[0]["shares"]["io"] == pytest.approx(0.8)


def test_the_stored_form_is_compact_and_groups_many_workers():
    collector = Collector()
    for worker in range(20):
        collector.add((1, worker), [RUN, 0, 50 * MS, IO, 50 * MS, 100 * MS])
    stored = collector.finish(shared_gil=False).stored()
    assert len(stored["lanes"]) == timeline.STORED_LANES
    labels = [lane["label"] for lane in stored["lanes"]]
    assert labels[:4] == ["w1", "w2", "w3", "w4-5"] and labels[-1] == "w19-20"
    assert sum(lane["workers"] for lane in stored["lanes"]) == 20
    bins = stored["lanes"][0]["bins"]
    assert len(bins["run"]) == timeline.STORED_BINS
    assert bins["run"][: timeline.STORED_BINS // 2] == "9" * (timeline.STORED_BINS // 2)
    assert bins["io"][timeline.STORED_BINS // 2 :] == "9" * (timeline.STORED_BINS // 2)


def test_nothing_recorded_gives_empty_figures():
    cell = analyse([], shared_gil=True)
    assert (cell.overlap, cell.handoffs_per_s, cell.workers) == (0.0, 0.0, [])


def test_headless_workers_hand_nothing_over_and_leftovers_still_arrive():
    from gilviz.measure import executors

    handed: list[list[int]] = []
    records: list[dict] = []
    sink = lambda key, flat: handed.append(flat)  # noqa: E731
    threads = executors.Batch("cpu", 200_000, 4, None, record=True)
    executors.run("threads", threads, 2, records.append, sink=sink, live=False)
    assert not handed and all(r["timeline"] for r in records), "all of it rides in the records"
    loop = executors.Batch("sleep", 20, 2, None, record=True)
    executors.run("asyncio", loop, 2, records.append, sink=sink, live=False)
    assert handed and handed[-1][-3] == IO, "the event loop's last wait, which no record took"


def test_live_thread_workers_hand_their_timelines_over_as_they_go():
    from gilviz.measure import executors

    handed: list[list[int]] = []
    sink = lambda key, flat: handed.append(flat)  # noqa: E731
    batch = executors.Batch("cpu", 1_500_000, 2, None, record=True)  # past the 0.1 s flush
    executors.run("threads", batch, 2, lambda record: None, sink=sink, live=True)
    assert handed and all(handed), "the workers' recorders wrote to the live sink"


def test_a_collector_keeps_live_updates_only_when_streaming():
    quiet, streaming = Collector(), Collector(streaming=True)
    for collector in (quiet, streaming):
        collector.add((1, 1), [RUN, 0, MS])
    assert quiet.take_new() == [] and len(streaming.take_new()) == 1


# --- lanes from stack samples (a user's function) ---------------------------------------


def test_sampled_lanes_come_classified_and_count_no_handoffs():
    collector = Collector()
    # Two threads of one process, a GIL wait beside the other's run: stamps would be sorted
    # by overlap, samples were sorted by the kernel (a lock wait, a core wait) and stay so.
    collector.add_sampled((1, 1), [RUN, 0, 40 * MS, timeline.LOCK, 40 * MS, 100 * MS], False)
    collector.add_sampled((1, 2), [CORE, 0, 40 * MS, RUN, 40 * MS, 70 * MS], False)
    collector.add_sampled((1, 2), [GIL, 70 * MS, 100 * MS], False)  # nobody ran: still the GIL's
    cell = collector.finish(shared_gil=True)
    first, second = (worker["shares"] for worker in cell.workers)
    assert first["run"] == pytest.approx(0.4) and first["lock"] == pytest.approx(0.6)
    assert second["core"] == pytest.approx(0.4) and second["gil"] == pytest.approx(0.3)
    assert cell.intervals[1][-1] == (GIL, 70_000, 100_000), "drawn as sampled"
    assert cell.handoffs_per_s is None, "a sample every 5-12 ms misses most hand-offs"
    assert cell.overlap == pytest.approx(0.7)
    stored = cell.stored()
    assert stored["source"] == "samples"
    assert set(stored["lanes"][0]["bins"]) == {"run", "lock"}, "a state never in is left out"


def test_a_stamped_timeline_says_so_and_counts_its_handoffs():
    collector = Collector()
    collector.add((1, 1), [RUN, 0, 50 * MS, STALL, 50 * MS, 100 * MS])
    collector.add((1, 2), [STALL, 0, 50 * MS, RUN, 50 * MS, 100 * MS])
    cell = collector.finish(shared_gil=True)
    assert cell.stored()["source"] == "stamps" and cell.handoffs_per_s == pytest.approx(20.0)


def test_the_functions_own_threads_come_after_the_workers_packed_one_after_another():
    collector = Collector()
    collector.add_sampled((1, 9), [RUN, 0, 30 * MS], True)  # a helper, seen first
    collector.add_sampled((1, 1), [IO, 0, 100 * MS], False)
    collector.add_sampled((1, 10), [RUN, 40 * MS, 70 * MS], True)  # the next call's helper
    collector.add_sampled((1, 11), [RUN, 50 * MS, 100 * MS], True)  # beside it
    cell = collector.finish(shared_gil=True)
    assert [worker.get("own", False) for worker in cell.workers] == [False, True, True, True]
    assert cell.own == 3
    stored = cell.stored()
    assert [(lane["label"], lane.get("threads")) for lane in stored["lanes"]] == [
        ("w1", None),
        ("own1", 2),
        ("own2", 1),
    ]
    row = stored["lanes"][1]["bins"]["run"]
    assert row[: timeline.STORED_BINS * 3 // 10].strip("9") == "", "the first helper's run"
    assert row[timeline.STORED_BINS * 4 // 10 : timeline.STORED_BINS * 7 // 10].strip("9") == ""


def test_pack_puts_a_lane_in_the_first_row_free_when_it_starts():
    lanes = [[(RUN, 0, 10)], [(RUN, 5, 20)], [(RUN, 10, 30)], [], [(RUN, 25, 40)]]
    rows = timeline.pack(lanes)
    assert [(count, [iv[1] for iv in row]) for row, count in rows] == [
        (2, [0, 10]),
        (2, [5, 25]),
    ]


def test_stored_groups_keep_the_own_threads_apart_from_the_workers():
    groups = timeline.stored_groups(20, 6)
    assert [label for *_, label in groups][-5:] == ["w19-20", "own1", "own2-3", "own4", "own5-6"]
    assert groups[-4][:2] == (20, 21), "own lanes are numbered from the first after the workers"
    assert timeline.stored_groups(2, 0) == [(0, 1, "w1"), (1, 2, "w2")]
