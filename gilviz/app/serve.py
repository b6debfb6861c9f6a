"""`gilviz serve`: the app in a web browser, through textual-serve, for audiences without a
terminal. Each browser tab gets its own app process, started with the options given here.

The page a browser receives names the server's address in its script and websocket URLs, so
that address must be one the audience's browsers can reach: a wildcard host (0.0.0.0) is
replaced by this machine's own address on the network, or by `--public-url`.
"""

from __future__ import annotations

import ipaddress
import shlex
import socket
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

LOOPBACK_ONLY = "127.0.0.1"
WILDCARDS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def network_address() -> str:
    """This machine's address on its network: the one its route out leaves from (no packet
    is sent), else the first non-loopback IPv4 address of an interface that is up."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("198.51.100.1", 9))  # TEST-NET-2: routed like any, never answered
            address = str(probe.getsockname()[0])
            if not is_loopback(address):
                return address
    except OSError:
        pass
    import psutil

    stats = psutil.net_if_stats()
    for name, addresses in psutil.net_if_addrs().items():
        up = name in stats and stats[name].isup
        for found in addresses:
            if up and found.family == socket.AF_INET and not is_loopback(found.address):
                return str(found.address)
    return socket.gethostname()


def public_url(host: str, port: int, given: str | None = None) -> str:
    """The URL browsers are sent to: `given`, else this host and port, with a wildcard host
    replaced by this machine's network address (0.0.0.0 in a page means the viewer's own)."""
    if given:
        parts = urlsplit(given)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"--public-url {given!r}: give http://HOST:PORT or https://HOST")
        return given.rstrip("/")
    shown = network_address() if host in WILDCARDS else host
    if ":" in shown:  # an IPv6 address, bracketed in a URL
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def app_command(app_args: Sequence[str]) -> str:
    """The shell command textual-serve starts for each browser: this Python running the app."""
    return shlex.join([sys.executable, "-m", "gilviz", *app_args])


def serve(host: str, port: int, app_args: Sequence[str], url: str) -> None:
    """Serve the app on host:port until interrupted; browsers are sent to `url`
    (`public_url`)."""
    from textual_serve.server import Server

    if not is_loopback(host):
        print(
            f"gilviz: warning: serving on {host}: anyone who can reach it can run experiments "
            f"on this machine (the default, {LOOPBACK_ONLY}, is reachable from here only)",
            file=sys.stderr,
        )
    print(f"gilviz: open {url}/ in a browser (ctrl+c stops)", file=sys.stderr)
    Server(app_command(app_args), host=host, port=port, title="gilviz", public_url=url).serve()
