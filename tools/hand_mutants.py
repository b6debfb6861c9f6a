"""Break measuring code one way at a time, by hand-picked changes; a test must go red for each.

Run: .venv/bin/python tools/hand_mutants.py [timeline|measuring] [N ...]   (N picks mutants)
- timeline: 27 ways to break the timeline (a few minutes);
- measuring: the five breaks issue 9 found the suite blind to (a minute).
Each mutant edits one line, runs that set's tests, and puts the line back. The broad run over
every measuring module is mutmut's (README: Development); these are the known-dangerous ones.
"""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMELINE_TESTS = [
    "tests/test_timeline.py",
    "tests/test_lanes_and_trace.py",
    "tests/test_timeline_engine.py",
    "tests/test_store_and_report.py",
    "tests/test_repaint.py",
]
TIMELINE = [
    (
        "gilviz/measure/timeline.py",
        "            if off > STALL_MIN_NS:",
        "            if False:",
        "stalls never detected",
    ),
    (
        "gilviz/measure/timeline.py",
        "half = (wall - off) // 2",
        "half = 0",
        "stall placed at the chunk's start",
    ),
    (
        "gilviz/measure/timeline.py",
        "off = min(wall, (now - self.read_at) - (cpu - self.cpu))",
        "off = min(wall, (now - start) - (cpu - self.cpu))",
        "off-CPU time from the wrong span",
    ),
    (
        "gilviz/measure/timeline.py",
        "and wall <= fastest + STALL_MIN_NS and",
        "and wall <= fastest * 100 and",
        "slow chunks taken as fast",
    ),
    (
        "gilviz/measure/timeline.py",
        "and now - self.read_at < FLUSH_NS",
        "and True",
        "CPU clock never re-anchored",
    ),
    (
        "gilviz/measure/timeline.py",
        "working += spent[RUN] + spent[C]",
        "working += spent[RUN]",
        "overlap ignores C without the GIL",
    ),
    (
        "gilviz/measure/timeline.py",
        "overlap=working / span,",
        "overlap=working / span / 2,",
        "overlap halved",
    ),
    (
        "gilviz/measure/timeline.py",
        "lane.resumes += state == STALL and lane.last != (STALL, start)",
        "lane.resumes += state == STALL",
        "a split stall counted twice",
    ),
    (
        "gilviz/measure/timeline.py",
        "handoffs_per_s=sum(lane.resumes for lane in lanes) / (span / 1e9),",
        "handoffs_per_s=0.0,",
        "hand-offs never counted",
    ),
    (
        "gilviz/measure/timeline.py",
        "if j != i and shared_gil and lanes[j].key[0] == lanes[i].key[0]",
        "if j != i and lanes[j].key[0] == lanes[i].key[0]",
        "separate GILs treated as shared",
    ),
    (
        "gilviz/measure/timeline.py",
        "if j != i and shared_gil and lanes[j].key[0] == lanes[i].key[0]",
        "if j != i and shared_gil",
        "other processes' runs count as GIL holders",
    ),
    (
        "gilviz/measure/timeline.py",
        "out.append((GIL, at, cut))",
        "out.append((CORE, at, cut))",
        "GIL waits called core waits",
    ),
    (
        "gilviz/measure/timeline.py",
        "spent = [lane.totals[RUN], lane.totals[C], max(lane.totals[IO], drawn[IO]), 0, 0]",
        "spent = [drawn[RUN], drawn[C], drawn[IO], 0, 0]",
        "shares from downsampled intervals",
    ),
    (
        "gilviz/measure/timeline.py",
        "while len(lane.intervals) > self.lane_cap:",
        "if len(lane.intervals) > 10**9:",
        "lanes unbounded",
    ),
    (
        "gilviz/measure/timeline.py",
        "ordered = [_fill_gaps(lane, start, end, IO) for lane in ordered]",
        "pass",
        "event loop gaps not I/O",
    ),
    (
        "gilviz/measure/timeline.py",
        'name: "".join(LEVELS[min(9, round(c[s] * 9))] for c in columns)',
        'name: "".join(LEVELS[min(9, round(c[s] * 8))] for c in columns)',
        "stored bins scaled wrong",
    ),
    (
        "gilviz/measure/workloads.py",
        "        mark(RUN)\n    return acc",
        "    return acc",
        "cpu workload never marks",
    ),
    (
        "gilviz/measure/workloads.py",
        "        digest.update(_HASH_BLOCK)\n        mark(C)",
        "        digest.update(_HASH_BLOCK)\n        mark(RUN)",
        "hash marked as Python",
    ),
    (
        "gilviz/measure/workloads.py",
        "        time.sleep(min(left, SLEEP_CHUNK_S))\n        mark(IO)",
        "        time.sleep(min(left, SLEEP_CHUNK_S))\n        mark(RUN)",
        "sleep marked as running",
    ),
    (
        "gilviz/measure/executors.py",
        "            timeline.recorder().mark(timeline.IO)\n",
        "",
        "event loop never marks its waits",
    ),
    (
        "gilviz/measure/runner.py",
        '"overlap": statistics.median(t.overlap for t in timelines),',
        '"overlap": timelines[0].overlap * 0,',
        "overlap lost on the way out",
    ),
    (
        "gilviz/measure/runner.py",
        '            self.collector.add((record["pid"], record["tid"]), recorded)\n',
        "            pass\n",
        "task records' intervals dropped",
    ),
    (
        "gilviz/analysis/lanes.py",
        "            others_ran = shared_gil and ran[pid][column] - shares[0] > 1e-9",
        "            others_ran = shared_gil",
        "live stalls always GIL",
    ),
    (
        "gilviz/analysis/lanes.py",
        '        return HEIGHTS[max(0, min(7, round(run * 8) - 1))], "run"',
        '        return HEIGHTS[7], "run"',
        "bar height ignores the share",
    ),
    (
        "gilviz/measure/executors.py",
        "        if rest and leftovers is not None:",
        "        if False:",
        "what no task record took is lost",
    ),
    (
        "gilviz/analysis/trace.py",
        "        offset += span + GAP_US",
        "        offset += 0",
        "cells overlap in the trace",
    ),
    (
        "gilviz/analysis/results.py",
        "for w in workers) / len(workers), 4)",
        "for w in workers), 4)",
        "mean shares summed",
    ),
]


MEASURING_TESTS = [
    "tests/test_checksums.py",
    "tests/test_cpu_usage.py",
    "tests/test_gil_probe.py",
    "tests/test_runner.py",
    "tests/test_executors.py",
    "tests/test_live_timeline.py",
    "tests/test_workloads.py",
    "tests/test_engine.py",
    "tests/test_results.py",
    "tests/test_verdict.py",
    "tests/test_store_and_report.py",
    "tests/test_spec.py",
    "tests/test_cli.py",
]
MEASURING = [
    (
        "gilviz/measure/runner.py",
        "ok = checksum_of(value) == self.expected",
        "ok = True",
        "the checksum check replaced by ok = True",
    ),
    (
        "gilviz/measure/workloads.py",
        '"cpu_s": time.thread_time() - cpu_start,',
        '"cpu_s": 0.0,',
        "every task's CPU time recorded as 0.0",
    ),
    (
        "gilviz/measure/runner.py",
        "self._samples.append(ProbeSample(late_ms, queue_ms))",
        "self._samples.append(ProbeSample(0.0, 0.0))",
        "the GIL probe recording 0.0 ms always",
    ),
    (
        "gilviz/measure/workloads.py",
        "acc = (acc * 31 + i) % _MODULUS",
        "acc = (acc * 37 + i) % _MODULUS",
        "the cpu workload's formula changed",
    ),
    (
        "gilviz/measure/executors.py",
        "        work_start = time.monotonic()\n        futures",
        "        work_start = start\n        futures",
        "the pool's start-up counted inside wall_s",
    ),
]
SETS = {"timeline": (TIMELINE_TESTS, TIMELINE), "measuring": (MEASURING_TESTS, MEASURING)}


def main() -> int:
    chosen = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] in SETS else "timeline"
    only = [arg for arg in sys.argv[1:] if arg not in SETS]
    tests, mutants = SETS[chosen]
    ran, survivors = 0, []
    for n, (path, old, new, what) in enumerate(mutants):
        if only and str(n) not in only:
            continue
        file = ROOT / path
        text = file.read_text()
        assert text.count(old) == 1, (n, what, text.count(old))
        file.write_text(text.replace(old, new))
        try:
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-x",
                    "-p",
                    "no:cacheprovider",
                    *tests,
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
            )
        finally:
            file.write_text(text)
        ran += 1
        killed = run.returncode != 0
        print(f"{'killed  ' if killed else 'SURVIVED'} {n:2} {what}", flush=True)
        if not killed:
            survivors.append(what)
    print(f"{ran - len(survivors)} of {ran} killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main())
