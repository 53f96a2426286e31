"""A headless Chromium driven over the DevTools protocol on a pipe (stdlib only).

Chromium started with ``--remote-debugging-pipe`` reads protocol commands from its file
descriptor 3 and writes answers and events to descriptor 4, one JSON message per
NUL-terminated chunk. No port, no WebSocket, no driver binary and no Python package: the
same protocol that ChromeDriver and Playwright speak to the browser, used directly.

>>> with Browser.start() as browser:                               # doctest: +SKIP
...     page = browser.new_page(width=1600, height=1000)
...     page.goto("file:///tmp/map.html")
...     page.click(200, 300)
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

#: How to get the browser on Debian (the distribution's own build, no download at test time).
INSTALL = "apt-get install -y chromium"
#: Environment variable naming another Chromium or Chrome executable.
ENV = "UMKM_ALLOC_CHROMIUM"

#: Flags for a quiet, offline, reproducible headless browser (root in CI needs --no-sandbox).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
)
_DEADLINE = 60.0  # seconds: a safety net against a hung browser, never a measured time


class BrowserError(RuntimeError):
    """The browser answered a command with an error, or stopped answering."""


def find_chromium() -> str | None:
    """Return the Chromium executable to use, or ``None`` when none is installed."""
    named = os.environ.get(ENV)
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium_version(executable: str) -> str:
    """Return what ``chromium --version`` prints (``Chromium 156.0.8078.114 ...``)."""
    out = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.strip()


class Browser:
    """One headless Chromium process and its protocol pipe."""

    def __init__(
        self, proc: subprocess.Popen[bytes], to_browser: int, from_browser: int, home: str
    ):
        self._proc = proc
        self._out = to_browser
        self._in = from_browser
        self._home = home
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    @classmethod
    def start(cls, executable: str | None = None) -> Browser:
        """Start a headless Chromium with a new empty profile."""
        executable = executable or find_chromium()
        if executable is None:
            raise BrowserError(f"no Chromium found; install it: {INSTALL}")
        home = tempfile.mkdtemp(prefix="umkm-chromium-")
        cmd_read, cmd_write = os.pipe()  # we write commands, the browser reads fd 3
        ans_read, ans_write = os.pipe()  # the browser writes fd 4, we read answers

        def wire() -> None:  # in the child, before exec: the pipe ends become fds 3 and 4
            a, b = os.dup(cmd_read), os.dup(ans_write)
            os.dup2(a, 3)
            os.dup2(b, 4)

        proc = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={home}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=wire,  # fds 3 and 4 must be placed before exec
        )
        os.close(cmd_read)
        os.close(ans_write)
        return cls(proc, cmd_write, ans_read, home)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Ask the browser to quit, wait for it, and remove its profile."""
        try:
            if self._proc.poll() is None:
                self.send("Browser.close", timeout=10)
        except (BrowserError, OSError):
            pass
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._out, self._in):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._home, ignore_errors=True)

    # ------------------------------------------------ the protocol

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        timeout: float = _DEADLINE,
    ) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._out, data) :]
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def pump(self, seconds: float = 0.0) -> None:
        """Collect the events that arrive within ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                reply = self._receive(deadline)
            except TimeoutError:
                return
            if "method" in reply:
                self.events.append(reply)

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from the browser")
            ready, _, _ = select.select([self._in], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise BrowserError(f"the browser closed the pipe (exit {self._proc.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def new_page(self, *, width: int, height: int) -> Page:
        """Open a new tab of ``width`` x ``height`` CSS pixels and attach to it."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Network", "Log"):
            page.send(f"{domain}.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page


class Page:
    """One tab: navigation, script evaluation, real input events, screenshots."""

    def __init__(self, browser: Browser, session: str):
        self.browser = browser
        self.session = session

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a command to this tab."""
        return self.browser.send(method, params, session=self.session)

    def events(self, method: str) -> list[dict[str, Any]]:
        """Return the parameters of this tab's events called ``method`` so far."""
        return [
            e["params"]
            for e in self.browser.events
            if e.get("method") == method and e.get("sessionId") == self.session
        ]

    def goto(self, url: str) -> None:
        """Load ``url`` and wait for its load event."""
        self.send("Page.navigate", {"url": url})
        self.wait_for(lambda: self.events("Page.loadEventFired"), what=f"load of {url}")

    def wait_for(self, check: Callable[[], Any], *, what: str) -> Any:
        """Poll ``check`` until it returns something true (a hung page fails after a minute)."""
        deadline = time.monotonic() + _DEADLINE
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"waited in vain for {what}")
            self.browser.pump(0.05)

    def js(self, expression: str) -> Any:
        """Evaluate ``expression`` in the page and return its value (JSON)."""
        reply = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"script failed: {text}")
        return reply["result"].get("value")

    def settle(self) -> None:
        """Wait for two animation frames (the page has drawn what it was told to)."""
        self.js("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def click(self, x: float, y: float) -> None:
        """Click with the left mouse button at viewport position ``(x, y)``: real input."""
        base = {"x": x, "y": y, "button": "left", "clickCount": 1}
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        self.send("Input.dispatchMouseEvent", {**base, "type": "mousePressed", "buttons": 1})
        self.send("Input.dispatchMouseEvent", {**base, "type": "mouseReleased", "buttons": 0})
        self.settle()

    def screenshot(self) -> bytes:
        """Return a PNG of the viewport."""
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
