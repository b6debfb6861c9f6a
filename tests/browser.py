"""Headless Chromium driven over the DevTools protocol (aiohttp's websocket client): enough to
open a page, press keys and take a screenshot. Chromium comes from Debian's package (README)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WATCH_SOCKETS = """
const Native = window.WebSocket;
window.WebSocket = function (...args) {
    const socket = new Native(...args);
    socket.addEventListener("message", () => { window.lastSocketMessage = performance.now(); });
    return socket;
};
window.WebSocket.prototype = Native.prototype;
"""
"""Run in the page before its own scripts: when a websocket last brought a message."""


class Browser:
    """One headless Chromium showing `url`, at `width` x `height` pixels."""

    def __init__(self, url: str, width: int = 1280, height: int = 800) -> None:
        assert CHROMIUM is not None
        self.profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)  # renderers linger
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile.name}",
                f"--window-size={width},{height}",
                "about:blank",  # the page is opened once it is watched (__aenter__)
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = url
        self.ids = itertools.count(1)
        self.session: aiohttp.ClientSession | None = None
        self.page: aiohttp.ClientWebSocketResponse | None = None

    async def __aenter__(self) -> Browser:
        assert self.process.stderr is not None
        for line in self.process.stderr:  # Chromium says where its DevTools listen, first
            if found := re.search(r"DevTools listening on ws://([\d.:]+)/", line):
                break
        else:
            raise RuntimeError("chromium exited before it listened")
        self.session = aiohttp.ClientSession()
        for _ in range(200):
            async with self.session.get(f"http://{found[1]}/json/list") as reply:
                pages = [t for t in await reply.json() if t["type"] == "page"]
            if pages:
                break
            await asyncio.sleep(0.05)
        self.page = await self.session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        await self.call("Page.addScriptToEvaluateOnNewDocument", source=WATCH_SOCKETS)
        await self.call("Network.enable")  # this machine reaches no font service: fail at once
        await self.call("Network.setBlockedURLs", urls=["*fonts.googleapis.com*"])
        await self.call("Page.navigate", url=self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.page is not None:
            await self.page.close()
        if self.session is not None:
            await self.session.close()
        self.process.kill()
        self.process.wait()
        self.profile.cleanup()

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        assert self.page is not None
        number = next(self.ids)
        await self.page.send_json({"id": number, "method": method, "params": params})
        while True:
            message = json.loads((await self.page.receive()).data)
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        answer = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return answer["result"].get("value")

    async def until(self, expression: str, limit_s: float = 30) -> None:
        """Wait (bounded) until a JavaScript expression is true in the page."""
        end = time.monotonic() + limit_s
        while not await self.evaluate(expression):
            if time.monotonic() > end:
                raise AssertionError(f"never true in the page: {expression}")
            await asyncio.sleep(0.1)

    async def settle(self, quiet_ms: int = 300, limit_s: float = 30) -> None:
        """Wait until the page's websockets have brought nothing for `quiet_ms` (the app
        behind it has drawn its frame), as the terminal tests wait for a quiet pty."""
        await self.until(f"performance.now() - (window.lastSocketMessage || 0) > {quiet_ms}")

    async def press(self, key: str) -> None:
        """A key as a person types it (a letter), into what has focus."""
        code = {"key": key, "text": key, "code": f"Key{key.upper()}"}
        code["windowsVirtualKeyCode"] = ord(key.upper())  # type: ignore[assignment]
        await self.call("Input.dispatchKeyEvent", type="keyDown", **code)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **code)

    async def click(self, x: int, y: int) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            await self.call(
                "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
            )

    async def screenshot(self, path: Path) -> bytes:
        png = base64.b64decode((await self.call("Page.captureScreenshot"))["data"])
        path.write_bytes(png)
        return png
