"""The examples' pages as headless Chromium lays them out: long values
wrap inside their tables, and no page asks for a favicon that is not there.

Uses the DevTools-driven ``Chromium`` of test_browser.py. Without chromium
the tests are skipped, except with ``CI=true``.
"""

from __future__ import annotations

import time

import pytest

from tests.interop.test_browser import CHROMIUM, TARGET_TIMEOUT, Chromium
from tests.server import CatalinaProcess

#: Longest a page may take to finish loading, seconds.
LOAD_TIMEOUT = 30.0

PAGES = [
    "/examples/",
    "/examples/servlets/requestinfo/x?long=" + "x" * 400,
    "/examples/servlets/sessions",
    "/examples/servlets/cookies",
    "/examples/servlets/fail",
    "/examples/servlets/dispatch",
    "/examples/websocket/echo.html",
    "/examples/source/",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed: the browser interop tests must run on CI")
    process = CatalinaProcess(tmp_path_factory.mktemp("browser_examples_base"), log_pattern="combined")
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser(server):
    with Chromium(CHROMIUM) as chromium:
        yield chromium


def evaluate_when_loaded(browser: Chromium, url: str, expression: str):
    """Open *url*, wait until the document is complete, evaluate *expression*."""
    target = browser.call("Target.createTarget", {"url": url}, timeout=TARGET_TIMEOUT)["targetId"]
    session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    deadline = time.monotonic() + LOAD_TIMEOUT
    try:
        while True:
            try:
                # A new target starts on about:blank, which is complete at once.
                state = browser.call(
                    "Runtime.evaluate",
                    {"expression": "location.href + ' ' + document.readyState", "returnByValue": True},
                    session=session,
                )
                if state.get("result", {}).get("value") == f"{url} complete":
                    result = browser.call(
                        "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
                    )
                    return result.get("result", {}).get("value")
            except RuntimeError as exc:  # still navigating
                if "closed its pipe" in str(exc):
                    raise
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{url} did not finish loading in {LOAD_TIMEOUT} s")
            time.sleep(0.05)
    finally:
        try:
            browser.call("Target.closeTarget", {"targetId": target})
        except Exception:
            pass


#: The widest right edge of any table, and the right edge of the body's content.
WIDTHS = """(() => {
    const body = document.body.getBoundingClientRect();
    const style = getComputedStyle(document.body);
    const tables = [...document.querySelectorAll("table")].map(t => t.getBoundingClientRect().right);
    return {tables: tables.length ? Math.max(...tables) : 0,
            body: body.right - parseFloat(style.paddingRight),
            nav: !!document.querySelector("nav.example-nav, a[href='source/']")};
})()"""


@pytest.mark.parametrize("path", PAGES)
def test_tables_stay_within_the_page_and_the_page_has_its_links(server, browser, path):
    widths = evaluate_when_loaded(browser, server.url + path, WIDTHS)
    assert widths["tables"] <= widths["body"] + 1, widths
    assert widths["nav"], path


def test_no_page_asks_for_a_missing_favicon(server, browser):
    for path in PAGES:
        evaluate_when_loaded(browser, server.url + path, "1")
    deadline = time.monotonic() + 5
    while "favicon.svg" not in server.access_log() and time.monotonic() < deadline:
        time.sleep(0.1)  # the access log is written about once a second
    time.sleep(1.5)
    log = server.access_log()
    assert '"GET /examples/favicon.svg HTTP/1.1" 200' in log, log[-2000:]
    missing = [line for line in log.splitlines() if "favicon" in line and '" 404 ' in line]
    assert not missing, missing
