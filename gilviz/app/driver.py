"""Textual's terminal driver, with an input thread that sleeps until there is input.

Textual's Linux (POSIX) driver polls the terminal ten times a second, input or not: on this
machine that alone costs an idle app 0.13-0.15% of a core (a bare Textual app that never
redraws, `benchmarks/textual_floor.py`), half of gilviz's idle budget. This driver's thread
waits until a key arrives or the app ends (a pipe wakes it), and polls only while the parser
waits to tell a lone escape key from the start of a sequence, as Textual's own thread does.
"""

from __future__ import annotations

import contextlib
import os
import selectors
from codecs import getincrementaldecoder

from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

ESCAPE_POLL_S = 0.1
"""How often a pending escape key is checked for its timeout (Textual's own poll)."""


class QuietLinuxDriver(LinuxDriver):
    """LinuxDriver whose input thread wakes on input, on a pending escape key, or to end."""

    _wake: tuple[int, int] | None = None

    def start_application_mode(self) -> None:
        if self._wake is not None:
            # Resumed without a suspend: Textual resumes on any SIGCONT, and a hang-up sends
            # one after SIGHUP. The input thread running would never be woken: end it first.
            self.disable_input()
        self._wake = os.pipe()
        super().start_application_mode()  # type: ignore[no-untyped-call]

    def disable_input(self) -> None:
        wake = self._wake
        if wake is not None:  # left unread: the thread wakes until it sees the exit event
            os.write(wake[1], b"\0")
        super().disable_input()  # sets the exit event and joins the thread
        if wake is not None and not self.exit_event.is_set():
            self._wake = None
            for fd in wake:
                os.close(fd)

    def run_input_thread(self) -> None:
        """Textual's loop (`LinuxDriver.run_input_thread`), blocking instead of polling."""
        assert self._wake is not None
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        with selectors.DefaultSelector() as selector:
            selector.register(self.fileno, selectors.EVENT_READ)
            selector.register(self._wake[0], selectors.EVENT_READ)
            while not self.exit_event.is_set():
                # Textual's parser keeps when a lone escape key is due; unknown: poll as it does.
                pending = getattr(parser, "_timeout_time", 0.0) is not None
                for key, _ in selector.select(ESCAPE_POLL_S if pending else None):
                    if key.fd != self.fileno:
                        continue
                    data = os.read(self.fileno, 4096)
                    if not data:  # the input ended (stdin piped): nothing more to read
                        selector.unregister(self.fileno)
                        continue
                    for message in parser.feed(decode(data)):
                        self.process_message(message)
                for message in parser.tick():
                    self.process_message(message)
        with contextlib.suppress(EOFError, ParseError):
            for message in parser.feed(decode(b"", final=True)):
                self.process_message(message)
