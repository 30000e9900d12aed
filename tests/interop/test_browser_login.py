"""FORM login in a real headless Chromium (driven over the DevTools
protocol, see test_browser.py): the browser asks for a protected page, gets
the login form, the test types the user and password and submits it, and
the browser follows the 303 back to the page it asked for, with the
session cookie the login changed. Screenshots of the login page and of the
page reached go to ``build/test-output/screenshots/`` (docs/security.md
shows a copy of the first).

Skipped without chromium, except with ``CI=true``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.ci import skip_or_fail
from tests.integration.test_login import SERVER_XML, USERS, make_webapps
from tests.interop.test_browser import CHROMIUM, Chromium
from tests.interop.test_browser_inspector import OUTPUT, Tab
from tests.server import CatalinaProcess


def screenshot(tab: Tab, name: str, width: int = 900, height: int = 160) -> Path:
    """A small PNG of the top of the page (the pages are short)."""
    tab.browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=tab.session,
    )
    data = tab.browser.call("Page.captureScreenshot", {"format": "png"}, session=tab.session, timeout=30)["data"]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / name
    path.write_bytes(base64.b64decode(data))
    return path


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        skip_or_fail("chromium is not installed (apt-get install chromium)")
    with Chromium(CHROMIUM) as chromium:
        yield chromium


def test_form_login_in_chromium(tmp_path, browser) -> None:
    apps = make_webapps(tmp_path / "apps")
    server = CatalinaProcess(tmp_path / "base", webapps={"form": apps["form"]}, server_xml=SERVER_XML)
    (server.base / "conf" / "tomcat-users.xml").write_text(USERS)
    server.start()
    try:
        tab = Tab(browser, f"{server.url}/form/secure/page?p=from-browser")
        tab.wait("document.getElementById('go') !== null", "the login form")
        assert tab.evaluate("location.pathname") == "/form/secure/page"  # a forward, not a redirect
        tab.evaluate("document.getElementById('u').value = 'alice';" "document.getElementById('p').value = 'secret';")
        screenshot(tab, "form-login.png")
        tab.evaluate("document.getElementById('go').click()")
        text = tab.wait(
            "document.body && document.body.innerText.includes('alice') ? document.body.innerText : null",
            "the protected page after the login",
        )
        who = json.loads(str(text))
        assert (who["user"], who["auth_type"], who["p"], who["method"]) == ("alice", "FORM", "from-browser", "GET")
        assert tab.evaluate("location.pathname + location.search") == "/form/secure/page?p=from-browser"
        screenshot(tab, "form-login-done.png", height=90)
        tab.close()
    finally:
        server.stop()
