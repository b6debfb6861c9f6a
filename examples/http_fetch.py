"""Fetching over HTTP from a local server that runs in its own process (so its work does not
share the GIL being measured) and takes DELAY_S to answer: waiting on the network needs no
GIL and no core, so threads overlap their waits.

`python -m examples.http_fetch` runs the server alone and prints its port."""

from __future__ import annotations

import atexit
import contextlib
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DELAY_S = 0.1
BODY_BYTES = 64_000


def fetch(url: str) -> int:
    """A page's checksum."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return zlib.crc32(response.read())


@contextlib.contextmanager
def serving() -> Iterator[str]:
    """The server's address while it runs in its own process."""
    server = subprocess.Popen(
        [sys.executable, "-m", "examples.http_fetch"],
        cwd=Path(__file__).resolve().parent.parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,  # never the runner's own stdout: that carries its events
        stderr=subprocess.DEVNULL,
    )
    try:
        assert server.stdout is not None
        yield f"http://127.0.0.1:{int(server.stdout.readline())}"
    finally:
        server.terminate()
        server.wait()


def make_input(page: int, address: str) -> str:
    return f"{address}/page/{page}"


def inputs() -> list[str]:
    """Sixteen pages of a server started for this run, stopped when the run's process ends."""
    server = serving()
    address = server.__enter__()
    atexit.register(server.__exit__, None, None, None)
    return [make_input(page, address) for page in range(16)]


class _SlowPages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(DELAY_S)
        body = (self.path.encode() * BODY_BYTES)[:BODY_BYTES]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the server's own output would only be noise."""


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowPages)
    print(server.server_port, flush=True)
    server.serve_forever()
