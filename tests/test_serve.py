"""`gilviz serve`: the app in a browser. Headless Chromium opens it, presses r, and the app
behind the page runs an experiment (its results file fills)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gilviz.app.serve import app_command, is_loopback, network_address, public_url
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
    """`gilviz serve --host 0.0.0.0` on a free port, opened through this machine's address
    on its network as another laptop would (its whole process group stopped at the end)."""
    port, results = free_port(), tmp_path / "results.jsonl"
    options = ["--workload", "sleep", "--size", "50", "--tasks", "2", "--repeat", "1"]
    options += ["--results", str(results), "--host", "0.0.0.0", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "gilviz", "serve", *options],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stderr is not None
        said = [server.stderr.readline() for _ in range(2)]  # the warning, then the address
        url = f"http://{network_address()}:{port}/"
        assert f"gilviz: open {url} in a browser" in said[1], said
        for _ in range(300):
            if listening(port):
                break
            time.sleep(0.05)
        yield url, results
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package (README)")
@pytest.mark.skipif(is_loopback(network_address()), reason="this machine has no network address")
async def test_another_laptops_browser_draws_the_app_and_runs_an_experiment(served, tmp_path):
    url, results = served
    async with Browser(url) as browser:
        await browser.until("document.querySelector('canvas') !== null")
        page = await browser.evaluate("document.documentElement.outerHTML")
        assert "0.0.0.0" not in page and url.rstrip("/") in page, "its URLs reach this machine"
        for _ in range(60):  # the app behind the page starts in its own process: focus the
            await browser.click(640, 400)  # terminal and press r until it has drawn and
            await browser.press("r")  # takes the key
            for _ in range(20):
                if results.exists() and len(results.read_text().splitlines()) >= 2:
                    break
                await asyncio.sleep(0.05)
            else:
                continue
            break
        lines = results.read_text().splitlines() if results.exists() else []
        assert len(lines) >= 2, "the serial baseline and threads x2 ran behind the page"
        await browser.settle()  # the page has drawn the finished run
        png = await browser.screenshot(Path(SHOT) if SHOT else tmp_path / "browser.png")
    assert png.startswith(b"\x89PNG") and len(png) > 20_000, "a drawn app, not a blank page"


def test_only_loopback_is_quiet_and_the_app_runs_under_this_python():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert app_command(["--workload=cpu"]).split()[1:] == ["-m", "gilviz", "--workload=cpu"]


def test_browsers_are_sent_to_an_address_they_can_reach():
    assert public_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert public_url("192.168.1.5", 8080) == "http://192.168.1.5:8080"
    assert public_url("0.0.0.0", 8000) == f"http://{network_address()}:8000"
    assert "0.0.0.0" not in public_url("0.0.0.0", 8000) and "::" not in public_url("::", 80)
    given = "https://gilviz.example.org/"
    assert public_url("0.0.0.0", 8000, given) == "https://gilviz.example.org"
    with pytest.raises(ValueError, match="give http://HOST:PORT"):
        public_url("0.0.0.0", 8000, "gilviz.example.org")
