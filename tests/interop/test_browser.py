"""The WebSocket examples in a real browser: headless Chromium.

A compliant browser must accept our handshake and our framing, so each
test opens an example page in its self-test mode (``?selftest=1``, see
``webapps/examples/websocket/echo.html`` and ``chat.html``): the page
connects, sends, checks what comes back and writes
``<pre id="selftest">PASS ...</pre>`` (or ``FAIL ...``).

Chromium's ``--dump-dom --virtual-time-budget`` does not wait for
WebSocket traffic (it dumps the DOM while the echoes are still on their
way), so the tests drive the browser through the DevTools protocol over
``--remote-debugging-pipe`` (file descriptors 3 and 4, NUL-terminated
JSON): open the page in a new target, poll the DOM until the self-test
has a verdict (bounded by ``PAGE_TIMEOUT``), take the DOM and parse it.

Without chromium the tests are skipped -- except with ``CI=true``, where a
skipped real-component test is a failure.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from html.parser import HTMLParser

import pytest

from tests.server import CatalinaProcess

#: Longest one page may take to reach a verdict, seconds.
PAGE_TIMEOUT = 60.0
#: Longest the browser may take to open a page (a cold start included), seconds.
TARGET_TIMEOUT = 45.0

#: Flags chromium needs on this machine (no sandbox as root, no GPU, and
#: no background connections, which the closed network refuses).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
]

_ON_CI = os.environ.get("CI", "").lower() == "true"


def _find_chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return None


CHROMIUM = _find_chromium()

if CHROMIUM is None and not _ON_CI:
    pytest.skip(
        "chromium is not installed (looked on PATH and /usr/bin/chromium); "
        "apt-get install chromium to run the browser interop tests",
        allow_module_level=True,
    )


class Chromium:
    """A headless chromium driven over ``--remote-debugging-pipe``.

    Started in its own process group and stopped by that group's id:
    ``Browser.close`` first, then SIGTERM, then SIGKILL."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.proc: subprocess.Popen | None = None
        self._next_id = 0
        self._buffer = b""

    def __enter__(self) -> Chromium:
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        # Our ends: we write commands to to_browser_w, read from from_browser_r.
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def child_fds() -> None:
            # The protocol wants fd 3 (commands in) and fd 4 (answers out).
            # dup2's copies are inheritable; every other descriptor of
            # this process is not (PEP 446), hence close_fds=False below.
            # (Copied above 10 first, in case a pipe end already is 3 or 4.)
            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.close(high_r)
            os.close(high_w)

        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [self.binary, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            close_fds=False,
            preexec_fn=child_fds,
            start_new_session=True,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        return self

    def __exit__(self, *exc_info) -> None:
        assert self.proc is not None
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close", timeout=5)
                except Exception:
                    pass
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    for sig in (signal.SIGTERM, signal.SIGKILL):
                        try:
                            os.killpg(self.proc.pid, sig)
                            self.proc.wait(5)
                            break
                        except (ProcessLookupError, subprocess.TimeoutExpired):
                            continue
        finally:
            # Helpers (zygote, renderers) share the group; none may outlive us.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            os.close(self._to_browser)
            os.close(self._from_browser)
            self._stderr.close()
            self._profile.cleanup()

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-4000:]

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 10.0) -> dict:
        """Sends one command and returns its result (events are skipped)."""
        self._next_id += 1
        message: dict = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer from chromium in time")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 65536)
                if not chunk:
                    raise RuntimeError(f"chromium closed its pipe:\n{self.stderr()}")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def run_self_test(self, url: str, timeout: float = PAGE_TIMEOUT) -> str:
        """Opens ``url`` in a new page and returns that page's DOM once its
        ``#selftest`` element holds a verdict (or when ``timeout`` ends)."""
        deadline = time.monotonic() + timeout
        # The first page of a fresh profile can take a cold browser more
        # than the 10 s of an ordinary command to create.
        target = self.call("Target.createTarget", {"url": url}, timeout=TARGET_TIMEOUT)["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            return self._poll_self_test(session, deadline)
        finally:
            try:
                self.call("Target.closeTarget", {"targetId": target})
            except Exception:
                pass

    def _poll_self_test(self, session: str, deadline: float) -> str:
        expression = """(() => {
            const e = document.getElementById("selftest");
            return e && e.textContent !== "RUNNING" ? document.documentElement.outerHTML : null;
        })()"""
        while True:
            try:
                result = self.call(
                    "Runtime.evaluate",
                    {"expression": expression, "returnByValue": True},
                    session=session,
                    timeout=max(0.1, deadline - time.monotonic()),
                )
                dom = result.get("result", {}).get("value")
                if dom:
                    return dom
            except RuntimeError as exc:  # e.g. the page is still navigating
                if "closed its pipe" in str(exc):
                    raise
            if time.monotonic() >= deadline:
                html = self.call(
                    "Runtime.evaluate",
                    {"expression": "document.documentElement.outerHTML", "returnByValue": True},
                    session=session,
                )
                return html.get("result", {}).get("value") or ""
            time.sleep(0.05)


class _SelfTestResult(HTMLParser):
    """The text of ``<pre id="selftest">`` in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: str | None = None
        self._inside = False

    def handle_starttag(self, tag, attrs):
        if tag == "pre" and ("id", "selftest") in attrs:
            self._inside = True
            self.text = ""

    def handle_endtag(self, tag):
        if tag == "pre":
            self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.text += data


def self_test_result(dom: str) -> str | None:
    parser = _SelfTestResult()
    parser.feed(dom)
    return parser.text


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The examples on a server whose access log has the User-Agent
    (``combined``): the shared ``catalina`` fixture logs ``common``,
    without it."""
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed: the browser interop tests must run on CI")
    process = CatalinaProcess(tmp_path_factory.mktemp("browser_base"), log_pattern="combined")
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser(server):
    with Chromium(CHROMIUM) as chromium:
        yield chromium


def wait_for_log_line(server: CatalinaProcess, needle: str, timeout: float = 5.0) -> list[str]:
    """The access log lines containing ``needle`` (the log is buffered and
    written about once a second)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in server.access_log().splitlines() if needle in line]
        if lines or time.monotonic() >= deadline:
            return lines
        time.sleep(0.1)


def assert_browser_handshake(server: CatalinaProcess, path: str) -> None:
    lines = wait_for_log_line(server, f'"GET {path} HTTP/1.1" 101 ')
    assert lines, f"no 101 for {path} in the access log:\n{server.access_log()}"
    assert all("HeadlessChrome/" in line for line in lines), lines


@pytest.mark.parametrize("endpoint", ["echo", "echoAsync"])
def test_echo_page_in_chromium(server, browser, endpoint):
    url = f"{server.url}/examples/websocket/echo.html?selftest=1&endpoint={endpoint}"
    dom = browser.run_self_test(url)
    result = self_test_result(dom)
    assert result is not None, f"no #selftest element:\n{dom[-3000:]}\n{browser.stderr()}"
    assert result.startswith("PASS "), f"{result}\n{dom[-3000:]}"
    assert f"endpoint={endpoint} " in result
    # 26 bytes of UTF-8 text + bytes 0..255, back as a Blob; then a clean close.
    assert "binary=282 bytes" in result and result.endswith("close=1000"), result
    assert_browser_handshake(server, f"/examples/websocket/{endpoint}")


@pytest.mark.parametrize("page", ["upload", "calculator"])
def test_upload_and_calculator_pages_in_chromium(server, browser, page):
    # upload: 16 MiB generated by the page, sent as one Blob, hashed by the
    # endpoint in parts and compared with the page's own SHA-256;
    # calculator: a result and a refused message, through the coders.
    dom = browser.run_self_test(f"{server.url}/examples/websocket/{page}.html?selftest=1")
    result = self_test_result(dom)
    assert result is not None, f"no #selftest element:\n{dom[-3000:]}\n{browser.stderr()}"
    assert result.startswith("PASS "), f"{result}\n{dom[-3000:]}"
    assert_browser_handshake(server, f"/examples/websocket/{page}")


def test_chat_page_in_chromium(server, browser):
    name = f"browser-{uuid.uuid4().hex[:8]}"
    url = f"{server.url}/examples/websocket/chat.html?selftest=1&name={name}"
    dom = browser.run_self_test(url)
    result = self_test_result(dom)
    assert result is not None, f"no #selftest element:\n{dom[-3000:]}\n{browser.stderr()}"
    assert result.startswith("PASS "), f"{result}\n{dom[-3000:]}"
    assert_browser_handshake(server, f"/examples/websocket/chat?name={name}")
