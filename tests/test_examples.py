"""The examples (examples/): each function gives the right answer on a small input, and runs
through gilviz by name as the README shows, on every executor it names."""

from __future__ import annotations

import json

import psutil
import pytest

import gilviz
from examples import http_fetch, json_parse, pbkdf2, regex_scan, sqlite_query, zlib_compress
from gilviz.cli.main import main

pytestmark = pytest.mark.usefixtures("no_leftovers")


@pytest.mark.parametrize(
    ("task", "small", "expected"),
    [
        (json_parse.parse, json_parse.make_input(30), 30),
        (regex_scan.scan, "write to ada@example.com or bob.smith@python.org, not x@y", 2),
        (
            sqlite_query.total,
            sqlite_query.make_input(3),
            sum((i * 7919 % 1000) ** 2 % 97 for i in range(sqlite_query.ROWS) if i % 50 != 3),
        ),
    ],
    ids=["json", "regex", "sqlite"],
)
def test_each_example_computes_what_it_says(task, small, expected):
    assert task(small) == expected


def test_zlib_reports_the_compressed_size():
    assert zlib_compress.compress(b"gil" * 1000) < 100
    assert zlib_compress.compress(zlib_compress.make_input(10_000)) < 5_000


def test_pbkdf2_derives_the_standard_key():
    assert (
        pbkdf2.derive("p")
        == pbkdf2.hashlib.pbkdf2_hmac("sha256", b"p", b"gilviz-salt", pbkdf2.ROUNDS).hex()
    )


@pytest.mark.parametrize(
    ("task", "inputs"),
    [
        (json_parse.parse, [json_parse.make_input(n) for n in (10, 20)]),
        (zlib_compress.compress, [zlib_compress.make_input(10_000, seed) for seed in (0, 1)]),
        (regex_scan.scan, [regex_scan.make_input(1_000, seed) for seed in (0, 1)]),
        (pbkdf2.derive, [pbkdf2.make_input(n) for n in (0, 1)]),
    ],
    ids=["json", "zlib", "regex", "pbkdf2"],
)
def test_each_example_runs_through_gilviz_on_every_executor(task, inputs):
    comparison = gilviz.compare(task, inputs, workers=[2], repeat=1, warmup=0)
    assert comparison.error is None
    assert [r.executor for r in comparison.results] == ["serial", "threads", "processes"]
    assert all(r.checksum_ok and r.tasks == 2 for r in comparison.results)


def test_sqlite_opens_one_database_per_worker_with_setup():
    comparison = gilviz.compare(
        sqlite_query.total, [0, 1], setup=sqlite_query.open_database, repeat=1, warmup=0
    )
    assert comparison.error is None and all(r.checksum_ok for r in comparison.results)


def test_http_fetch_serves_from_its_own_process_and_stops_it():
    with http_fetch.serving() as address:
        pages = [http_fetch.make_input(page, address) for page in (0, 1)]
        assert http_fetch.fetch(pages[0]) != http_fetch.fetch(pages[1])
        comparison = gilviz.compare(http_fetch.fetch, pages, workers=[2], repeat=1, warmup=0)
    assert comparison.error is None and all(r.checksum_ok for r in comparison.results)


def test_the_readme_command_starts_the_server_in_the_runner_and_leaves_nothing(capsys):
    command = ["run", "--task", "examples.http_fetch:fetch"]
    command += ["--inputs", "examples.http_fetch:inputs", "--executor", "threads"]
    options = ["--workers", "4", "--repeat", "1", "--warmup", "0", "--no-save", "--format", "json"]
    assert main([*command, *options]) == 0
    threads = json.loads(capsys.readouterr().out)[1]
    assert threads["tasks"] == 16 and threads["checksum_ok"]
    left = [
        p
        for p in psutil.process_iter(["cmdline"])
        if "examples.http_fetch" in (p.info["cmdline"] or [])
    ]
    assert not left, f"the example's server outlived the run: {left}"
