"""The inspector page and the examples' handshake explanation in a real
headless Chromium, driven over the DevTools protocol (see test_browser.py).

1. The inspector page (``/inspector/``) is open in one tab; the echo example
   in a second tab connects and sends a message; the inspector's DOM must
   then list that connection, and, once the row is clicked, show its
   handshake checks, the ``Sec-WebSocket-Accept`` computation step by step
   and the decoded frames. Screenshots of both tabs go to the test output
   folder (``build/test-output/screenshots/``; docs/tour.md shows copies).
2. With the examples' allowed origins set to another site, the echo page's
   handshake is refused (403); the page cannot read that answer, so it asks
   the server with a plain GET and shows the reason (explain.js).

Skipped without chromium, except with ``CI=true``.
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.interop.test_browser import CHROMIUM, TARGET_TIMEOUT, Chromium
from tests.server import REPO, CatalinaProcess

#: Where screenshots go (CATALINA_TEST_OUTPUT overrides; build/ is not committed).
OUTPUT = Path(os.environ.get("CATALINA_TEST_OUTPUT", REPO / "build" / "test-output")) / "screenshots"
TIMEOUT = 30.0


class Tab:
    """One page of the browser, with helpers to read and drive its DOM."""

    def __init__(self, browser: Chromium, url: str) -> None:
        self.browser = browser
        self.target = browser.call("Target.createTarget", {"url": url}, timeout=TARGET_TIMEOUT)["targetId"]
        self.session = browser.call("Target.attachToTarget", {"targetId": self.target, "flatten": True})["sessionId"]

    def evaluate(self, expression: str) -> object:
        try:
            result = self.browser.call(
                "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=self.session
            )
        except RuntimeError as exc:  # still navigating
            if "closed its pipe" in str(exc):
                raise
            return None
        return result.get("result", {}).get("value")

    def wait(self, expression: str, what: str, timeout: float = TIMEOUT) -> object:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                body = self.evaluate("document.body ? document.body.innerText : ''")
                raise AssertionError(f"timed out waiting for {what}; the page shows:\n{str(body)[:3000]}")
            time.sleep(0.1)

    def screenshot(self, name: str) -> Path:
        self.browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 1400, "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )
        data = self.browser.call("Page.captureScreenshot", {"format": "png"}, session=self.session, timeout=30)["data"]
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / name
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self.browser.call("Target.closeTarget", {"targetId": self.target})
        except Exception:
            pass


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but chromium is not installed: the browser tests must run on CI")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with Chromium(CHROMIUM) as chromium:
        yield chromium


def test_the_inspector_shows_an_echo_connection_its_handshake_and_frames(tmp_path, browser):
    server = CatalinaProcess(
        tmp_path / "base",
        webapps={"examples": REPO / "webapps" / "examples", "inspector": REPO / "webapps" / "inspector"},
    ).start()
    try:
        inspector = Tab(browser, f"{server.url}/inspector/")
        inspector.wait("document.body && document.body.dataset.ready === '1'", "the inspector's hello")
        echo = Tab(browser, f"{server.url}/examples/websocket/echo.html")
        echo.wait("document.readyState === 'complete' && document.getElementById('connect') !== null", "the echo page")
        echo.evaluate("document.getElementById('connect').click()")
        echo.wait("document.getElementById('log').innerText.includes('Open.')", "the echo socket to open")
        echo.evaluate(
            "document.getElementById('message').value = 'Hello, inspector';"
            "document.getElementById('send-text').click()"
        )
        echo.wait("document.getElementById('log').innerText.includes('Received text: Hello, inspector')", "the echo")
        # The connections table lists the upgraded connection of the echo.
        row_id = inspector.wait(
            """(() => {
                for (const row of document.querySelectorAll('tr.conn')) {
                    if (row.innerText.includes('/examples/websocket/echo')) return row.dataset.connectionId;
                }
                return null;
            })()""",
            "the echo connection in the connections table",
        )
        inspector.evaluate(f"document.querySelector('tr.conn[data-connection-id=\"{row_id}\"]').click()")
        steps = inspector.wait(
            "(() => { const s = [...document.querySelectorAll('#accept-steps li')].map(li => li.innerText);"
            " return s.length >= 4 ? s : null; })()",
            "the Sec-WebSocket-Accept steps",
        )
        assert isinstance(steps, list) and "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" in steps[1]
        checks = inspector.wait("document.getElementById('handshake-checks').innerText", "the handshake checks")
        for check in ("method", "upgrade", "connection", "version", "key", "origin"):
            assert check in str(checks), checks
        frames = inspector.wait(
            """(() => {
                const rows = [...document.querySelectorAll('#frame-rows tr.frame')];
                const text = rows.filter(r => r.dataset.opcode === 'text');
                return text.some(r => r.dataset.direction === 'in') && text.some(r => r.dataset.direction === 'out')
                    ? text.map(r => r.innerText) : null;
            })()""",
            "the decoded text frames in and out",
        )
        # Chromium offers permessage-deflate: the frames carry RSV1 and the
        # compressed payload; the message event shows the text.
        assert all("\t1\t1\t0\t0\ttext" in str(f) for f in frames), frames  # type: ignore[union-attr]
        inspector.evaluate(
            "document.querySelector('#timeline li.event[data-event=\"MessageReceived\"] .event-head').click()"
        )
        inspector.wait(
            "document.querySelector('#timeline li.event[data-event=\"MessageReceived\"]').innerText"
            ".includes('Hello, inspector')",
            "the message's text in its expanded timeline entry",
        )
        timeline = inspector.wait(
            "[...document.querySelectorAll('#timeline li.event')].map(li => li.dataset.event)", "the timeline"
        )
        assert {"RequestHeadParsed", "HandshakeAccepted", "Upgraded", "FrameReceived"} <= set(timeline)  # type: ignore[arg-type]
        shot = inspector.screenshot("inspector-echo.png")
        echo.screenshot("echo-page.png")
        assert shot.stat().st_size > 10_000
        echo.close()
        inspector.close()
    finally:
        server.stop()


def test_a_refused_handshake_is_explained_on_the_echo_page(tmp_path, browser):
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "webapps" / "examples", examples)
    web_xml = examples / "WEB-INF" / "web.xml"
    text = web_xml.read_text()
    # Only another site may open the examples' sockets: the browser's own
    # origin is refused with 403.
    param = (
        "<context-param><param-name>catalina_py.websocket.allowed_origins</param-name>"
        "<param-value>https://elsewhere.example</param-value></context-param>"
    )
    web_xml.write_text(text.replace("<display-name>", param + "\n  <display-name>", 1))
    server = CatalinaProcess(tmp_path / "base", webapps={"examples": examples}).start()
    try:
        echo = Tab(browser, f"{server.url}/examples/websocket/echo.html")
        echo.wait("document.readyState === 'complete' && document.getElementById('connect') !== null", "the echo page")
        echo.evaluate("document.getElementById('connect').click()")
        shown = echo.wait(
            "(() => { const t = document.getElementById('log').innerText;"
            " return t.includes('was refused with 403') ? t : null; })()",
            "the explanation of the refused handshake",
        )
        assert "the server says (426" in str(shown) and "Origin" in str(shown), shown
        echo.screenshot("echo-refused.png")
        echo.close()
    finally:
        server.stop()
    assert "Traceback" not in server.output()
