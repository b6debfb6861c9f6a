"""`gilviz serve`: the app in a browser. Headless Chromium opens it, presses r, and the app
behind the page runs an experiment (its results file fills)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gilviz.serve import app_command, is_loopback
from tests.browser import CHROMIUM, Browser
from tests.conftest import ROOT

SHOT = os.environ.get("GILVIZ_BROWSER_SHOT")
"""Where to save the browser's screenshot (screenshots/make.py sets it)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Path]]:
    """`gilviz serve` on a free port (its whole process group stopped at the end)."""
    port, results = free_port(), tmp_path / "results.jsonl"
    options = ["--workload", "sleep", "--size", "50", "--tasks", "2", "--results", str(results)]
    server = subprocess.Popen(
        [sys.executable, "-m", "gilviz", "serve", "--port", str(port), *options],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(300):
            if listening(port):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/", results
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package (README)")
async def test_the_browser_view_draws_the_app_and_runs_an_experiment(served, tmp_path):
    url, results = served
    async with Browser(url) as browser:
        await browser.until("document.querySelector('canvas') !== null")
        for _ in range(60):  # the app behind the page starts in its own process: focus the
            await browser.click(640, 400)  # terminal and press r until it has drawn and
            await browser.press("r")  # takes the key
            for _ in range(20):
                if results.exists() and len(results.read_text().splitlines()) >= 2:
                    break
                time.sleep(0.05)
            else:
                continue
            break
        lines = results.read_text().splitlines() if results.exists() else []
        assert len(lines) >= 2, "the serial baseline and threads x2 ran behind the page"
        time.sleep(0.5)  # the page draws the finished run
        png = await browser.screenshot(Path(SHOT) if SHOT else tmp_path / "browser.png")
    assert png.startswith(b"\x89PNG") and len(png) > 20_000, "a drawn app, not a blank page"


def test_only_loopback_is_quiet_and_the_app_runs_under_this_python():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert app_command(["--workload=cpu"]).split()[1:] == ["-m", "gilviz", "--workload=cpu"]
