"""`gilviz serve`: the app in a web browser, through textual-serve, for audiences without a
terminal. Each browser tab gets its own app process, started with the options given here."""

from __future__ import annotations

import ipaddress
import shlex
import sys
from collections.abc import Sequence

LOOPBACK_ONLY = "127.0.0.1"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def app_command(app_args: Sequence[str]) -> str:
    """The shell command textual-serve starts for each browser: this Python running the app."""
    return shlex.join([sys.executable, "-m", "gilviz", *app_args])


def serve(host: str, port: int, app_args: Sequence[str]) -> None:
    """Serve the app on http://host:port/ until interrupted."""
    from textual_serve.server import Server

    if not is_loopback(host):
        print(
            f"gilviz: warning: serving on {host}: anyone who can reach it can run experiments "
            f"on this machine (the default, {LOOPBACK_ONLY}, is reachable from here only)",
            file=sys.stderr,
        )
    print(f"gilviz: open http://{host}:{port}/ in a browser (ctrl+c stops)", file=sys.stderr)
    Server(app_command(app_args), host=host, port=port, title="gilviz").serve()
