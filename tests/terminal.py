"""The real gilviz app in a pseudo-terminal, read back through a terminal emulator (pyte).

What `Terminal.screen` holds is what a person would see: text and colours per cell.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable, Mapping

import pyte

from tests.conftest import ROOT


class Terminal:
    """`gilviz ARGS` running in a pty of `cols` x `rows`."""

    def __init__(
        self, args: list[str], env: Mapping[str, str], cols: int = 120, rows: int = 36
    ) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.exited = False
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the app
            os.chdir(ROOT)
            # An explicit environment: COLUMNS and LINES, which would pin the size, stay out
            # even where a library of this process has set them behind os.environ's back.
            child_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
            os.execve(sys.executable, [sys.executable, "-m", "gilviz", *args], child_env | env)
        self.resize(cols, rows)

    def resize(self, cols: int, rows: int) -> None:
        self.screen.resize(rows, cols)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(self.pid, signal.SIGWINCH)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def read(self, seconds: float) -> None:
        """Feed the emulator whatever the app writes within `seconds`."""
        end = time.monotonic() + seconds
        while not self.exited and (left := end - time.monotonic()) > 0:
            self._feed(min(left, 0.05))

    def wait_for(self, text: str, timeout: float = 20.0) -> None:
        """Read until `text` is on the screen and the frame around it is complete."""
        self.wait_until(lambda: text in self.text(), repr(text), timeout)

    def wait_until(self, shown: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
        """Read until `shown()` holds for the screen and the frame around it is complete."""
        end = time.monotonic() + timeout
        while not shown():
            if time.monotonic() > end or self.exited:
                raise AssertionError(f"{what} never appeared; the screen:\n{self.text()}")
            self.read(0.05)
        self.settle()

    def settle(self, quiet: float = 0.2) -> None:
        """Read until the app has written nothing for `quiet` seconds (a frame is whole)."""
        while self._feed(quiet):
            pass

    def _feed(self, wait: float) -> bool:
        """Feed what arrives within `wait` seconds; False when nothing did."""
        if self.exited or not select.select([self.fd], [], [], wait)[0]:
            return False
        try:
            self.stream.feed(os.read(self.fd, 65536))
        except OSError:  # the app has exited and the pty is closed
            self.exited = True
            return False
        return True

    def press(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def hang_up(self, timeout: float = 10.0) -> bool:
        """Close the terminal as a dropped SSH session does (the kernel sends SIGHUP, then
        SIGCONT); whether the app then exited within `timeout` seconds (it is killed if not)."""
        os.close(self.fd)
        self.fd, self.exited = -1, True
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                return True
            time.sleep(0.05)  # polling a process that has no other way to say it ended
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return False

    def close(self) -> None:
        """Quit the app if it still runs, and reap it."""
        if self.fd < 0:  # hung up: reaped already
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        self.read(0.2)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


XTERM_16 = {
    "black": "000000",
    "red": "cd0000",
    "green": "00cd00",
    "brown": "cdcd00",
    "blue": "0000ee",
    "magenta": "cd00cd",
    "cyan": "00cdcd",
    "white": "e5e5e5",
    "brightblack": "7f7f7f",
    "brightred": "ff0000",
    "brightgreen": "00ff00",
    "brightbrown": "ffff00",
    "brightblue": "5c5cff",
    "brightmagenta": "ff00ff",
    "brightcyan": "00ffff",
    "brightwhite": "ffffff",
}
"""pyte's names for the 16 colours, as xterm draws them by default."""


def _rgb(colour: str, default: str) -> tuple[float, ...]:
    code = XTERM_16.get(colour, default if colour == "default" else colour)
    return tuple(int(code[i : i + 2], 16) / 255 for i in (0, 2, 4))


def _luminance(rgb: tuple[float, ...]) -> float:
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(char: pyte.screens.Char) -> float:
    """WCAG contrast ratio of a cell's text against its background (a dark terminal's defaults)."""
    fg, bg = _luminance(_rgb(char.fg, "d0d0d0")), _luminance(_rgb(char.bg, "000000"))
    light, dark = max(fg, bg), min(fg, bg)
    return (light + 0.05) / (dark + 0.05)
