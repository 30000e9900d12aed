"""The shipped examples webapp, each page as a user would open it."""

from __future__ import annotations

import re
import time

import requests


def url(catalina, path: str) -> str:
    return catalina.url + "/examples/" + path


def test_request_parameters_from_query_and_form(catalina):
    text = requests.get(url(catalina, "servlets/requestparams?firstname=Ada&colour=red&colour=blue"), timeout=10).text
    assert "First name: <b>Ada</b>" in text and "Colours: <b>red, blue</b>" in text
    text = requests.post(
        url(catalina, "servlets/requestparams"), data={"firstname": "Grace", "lastname": "<Hopper>"}, timeout=10
    ).text
    assert "First name: <b>Grace</b>" in text and "&lt;Hopper&gt;" in text


def test_cookie_example_sets_and_lists(catalina):
    with requests.Session() as browser:
        response = browser.post(
            url(catalina, "servlets/cookies"), data={"cookiename": "flavour", "cookievalue": "ginger"}, timeout=10
        )
        assert "Set cookie <b>flavour=ginger</b>" in response.text
        assert "<td>flavour</td><td>ginger</td>" in browser.get(url(catalina, "servlets/cookies"), timeout=10).text


def test_session_counter(catalina):
    with requests.Session() as browser:
        counts = []
        for _ in range(3):
            text = browser.get(url(catalina, "servlets/sessions"), timeout=10).text
            counts.append(int(re.search(r"loaded this page <b>(\d+)</b>", text).group(1)))
        assert counts == [1, 2, 3]
        assert browser.cookies.get("JSESSIONID", path="/examples")
        text = browser.get(url(catalina, "servlets/sessions?invalidate=1"), timeout=10).text
        assert "loaded this page <b>1</b>" in text


def test_include_and_forward(catalina):
    text = requests.get(url(catalina, "servlets/dispatch"), timeout=10).text
    assert "<h1>Include</h1>" in text and "<td>INCLUDE</td>" in text
    assert "<th>jakarta.servlet.include.servlet_path</th><td>/servlets/target</td>" in text
    text = requests.get(url(catalina, "servlets/dispatch?mode=forward"), timeout=10).text
    assert "<h1>Forwarded</h1>" in text
    assert "<th>jakarta.servlet.forward.request_uri</th><td>/examples/servlets/dispatch</td>" in text


def test_timing_filter_header(catalina):
    for path in ["servlets/requestparams", "servlets/sessions", "wsgi/x"]:  # by servlet name, by URL
        response = requests.get(url(catalina, path), timeout=10)
        assert re.fullmatch(r"\d+\.\d\d ms", response.headers["X-Response-Time"]), path
    # Hello World is left bare on purpose (the shortest path, and the benchmark).
    assert "X-Response-Time" not in requests.get(url(catalina, "servlets/helloworld"), timeout=10).headers


def test_error_pages(catalina):
    response = requests.get(url(catalina, "servlets/fail"), timeout=10)
    assert response.status_code == 500
    assert "the webapp's own error page" in response.text
    assert "ExampleFailure: FailingServlet failed on purpose" in response.text
    response = requests.get(url(catalina, "no/such/page"), timeout=10)
    assert response.status_code == 404
    assert "<th>jakarta.servlet.error.request_uri</th><td>/examples/no/such/page</td>" in response.text


def test_long_poll_clock_answers_at_the_next_tick(catalina):
    started = time.monotonic()
    response = requests.get(url(catalina, "async/clock"), timeout=15)
    assert response.status_code == 200
    assert re.fullmatch(r"\d\d:\d\d:\d\d", response.json()["time"])
    assert time.monotonic() - started < 2.5
    assert "start_async()" in requests.get(url(catalina, "clock.html"), timeout=10).text


def test_wsgi_app_through_the_bridge(catalina):
    text = requests.get(url(catalina, "wsgi/some/path?x=1"), timeout=10).text
    assert "Hello from a WSGI app" in text
    assert "<th>SCRIPT_NAME</th><td>/examples/wsgi</td>" in text
    assert "<th>PATH_INFO</th><td>/some/path</td>" in text


def test_root_page_links_every_example(catalina):
    text = requests.get(catalina.url + "/", timeout=10).text
    for link in [
        "servlets/requestparams",
        "servlets/cookies",
        "servlets/sessions",
        "servlets/dispatch",
        "servlets/fail",
        "clock.html",
        "wsgi/",
    ]:
        assert f'href="/examples/{link}' in text
