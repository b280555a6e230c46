"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for pages a test opens.

    with Chromium(tmp_path / "chromium") as browser, browser.page() as page:
        page.open(Path("report.html"))
        page.evaluate("document.title"), page.console_errors, page.requests, page.screenshot(path)

The browser listens on a free loopback port, has its own profile folder, and is stopped by PID
(process group) however the test ends. The protocol client is `websockets`' synchronous one.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.helpers.stack import ServerProcess

# Each plotly chart of a page: its id, the points per trace in its data and as drawn, trace names and y.
PLOTLY_CHARTS = """
Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
  id: el.id,
  data: el.data.map(t => (t.type === 'pie' ? t.labels : t.x).length),
  drawn: Array.from(el.querySelectorAll('g.trace')).map(g => g.querySelectorAll('.point, .slice').length),
  names: el.data.map(t => t.name || ''),
  y: el.data.map(t => Array.from(t.type === 'pie' ? t.values : t.y)),
}))
"""


class Chromium(ServerProcess):
    ready_path = "/json/version"

    def argv(self) -> list[str]:
        found = shutil.which("chromium")
        if found is None:
            pytest.fail("chromium is not installed: apt-get install chromium")
        return [
            found,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--remote-debugging-port={self.port}",
            f"--user-data-dir={self.workdir / 'profile'}",
            "--window-size=1280,900",
            "about:blank",
        ]

    def page(self) -> Page:
        request = urllib.request.Request(f"{self.url}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            target = json.loads(response.read())
        return Page(connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=10))


class Page:
    """One tab: commands, and the console errors, exceptions and requests it saw."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket.__enter__()  # the connection's own context: closed in __exit__
        self.next_id = 0
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def _event(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        self.events.append(message)
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.console_errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            self.console_errors.append(json.dumps(params["exceptionDetails"])[:2000])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.console_errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])

    def send(self, method: str, timeout: float = 60.0, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def wait_for_event(self, method: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for message in self.events:
            if message.get("method") == method:
                return message
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            self._event(message)
            if message.get("method") == method:
                return message
        raise AssertionError(f"no {method} within {timeout}s")

    def open(self, path: Path, timeout: float = 60.0) -> None:
        self.events.clear()
        self.send("Page.navigate", url=path.resolve().as_uri())
        self.wait_for_event("Page.loadEventFired", timeout)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.socket.close()
