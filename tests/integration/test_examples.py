"""The shipped examples webapp, each page as a user would open it."""

from __future__ import annotations

import re
import time

import requests


def url(catalina, path: str) -> str:
    return catalina.url + "/examples/" + path


def test_cookie_example_refuses_an_invalid_cookie_with_a_500(catalina):
    # Tomcat's CookieExample lets the IllegalArgumentException through: 500.
    # (A CR LF in the value is refused by add_cookie itself on i10-container;
    # the example no longer catches it either.)
    for query in ["cookiename=a%20b&cookievalue=c", "cookiename=a;b&cookievalue=c"]:
        response = requests.get(url(catalina, "servlets/cookies?" + query), timeout=10)
        assert response.status_code == 500, query
        assert "X:1" not in response.headers.get("Set-Cookie", "") and "X" not in response.headers, query


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


# -- what a new user sees on every page ----------------------------------------------------------

#: Every example page, and the source file its "source" link shows.
PAGES = {
    "servlets/requestinfo/x": "requestinfo.py",
    "servlets/requestparams": "params.py",
    "servlets/cookies": "cookies.py",
    "servlets/sessions": "sessions.py",
    "servlets/dispatch": "dispatch.py",
    "servlets/dispatch?mode=forward": "dispatch.py",
    "servlets/fail": "errors.py",
    "wsgi/x": "wsgiapp.py",
    "clock.html": "clock.py",
    "websocket/echo.html": "websocket/echo.py",
    "websocket/chat.html": "websocket/chat.py",
    "websocket/drawboard.html": "websocket/drawboard.py",
}


def _links(text: str) -> list[str]:
    return re.findall(r'<a[^>]* href="([^"]*)"', text)


def _resolve(page: str, href: str) -> str:
    from urllib.parse import urljoin

    return urljoin("/examples/" + page, href)


def test_every_page_links_the_index_its_source_and_a_favicon_that_exists(catalina):
    for page, source in PAGES.items():
        text = requests.get(url(catalina, page), timeout=10).text
        icon = re.search(r'<link rel="icon" href="([^"]+)"', text)
        assert icon, page
        favicon = requests.get(catalina.url + _resolve(page, icon.group(1)), timeout=10)
        assert favicon.status_code == 200 and favicon.headers["Content-Type"].startswith("image/svg+xml"), page
        links = {_resolve(page, href) for href in _links(text)}
        assert "/examples/" in links, (page, links)
        assert f"/examples/source/{source}" in links, (page, links)
    # The index: a favicon, and a source link per example.
    text = requests.get(url(catalina, ""), timeout=10).text
    assert '<link rel="icon" href="favicon.svg"' in text
    for source in set(PAGES.values()) | {"hello.py"}:
        assert f'href="source/{source}"' in text, source


def test_source_links_show_the_examples_python_source_as_plain_text(catalina):
    index = requests.get(url(catalina, "source/"), timeout=10)
    assert index.status_code == 200
    listed = re.findall(r'href="/examples/source/([^"]+)"', index.text)
    assert {"hello.py", "cookies.py", "websocket/echo.py", "source.py"} <= set(listed)
    for name in listed:
        response = requests.get(url(catalina, "source/" + name), timeout=10)
        assert response.status_code == 200, name
        assert response.headers["Content-Type"] == "text/plain;charset=UTF-8", name
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.content == (catalina.base / "webapps/examples/WEB-INF/classes" / name).read_bytes(), name


def test_the_source_servlet_shows_nothing_but_the_examples_sources(catalina):
    from tests.server import raw_request

    web_xml = (catalina.base / "webapps/examples/WEB-INF/web.xml").read_text()
    assert "<web-app" in web_xml
    for target in [
        "source/web.xml",
        "source/../web.xml",
        "source/%2e%2e/web.xml",
        "source/..%2fweb.xml",
        "source/%2e%2e%2fweb.xml",
        "source/..%5cweb.xml",
        "source//etc/passwd",
        "source/%2fetc%2fpasswd",
        "source/websocket/../../web.xml",
        "source/timing.py%00.txt",
        "source/timing.pyc",
        "source/__pycache__/",
        "source/../../../ROOT/index.html",
        "source/hello.py/",
        "source/HELLO.PY",
    ]:
        reply = raw_request(
            catalina.port, f"GET /examples/{target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        status = int(reply.split(b" ", 2)[1])
        assert status in (400, 404), (target, reply[:200])
        assert b"<web-app" not in reply and b"root:" not in reply, target


def test_values_are_shown_as_tomcat_shows_them_not_as_python_prints_them(catalina):
    # The error page: the exception's class by the name web.xml uses.
    text = requests.get(url(catalina, "servlets/fail"), timeout=10).text
    assert "<td>errors.ExampleFailure</td>" in text
    assert "<td>errors.ExampleFailure: FailingServlet failed on purpose</td>" in text
    assert "catalina_py.webapps" not in text
    # Sessions: words, not True/False.
    with requests.Session() as browser:
        first = browser.get(url(catalina, "servlets/sessions"), timeout=10).text
        second = browser.get(url(catalina, "servlets/sessions"), timeout=10).text
    assert "new in this request" in first and "not new" in second
    # Booleans and None in tables: true/false/null.
    text = requests.get(url(catalina, "servlets/requestinfo/x"), timeout=10).text
    assert "<th>Secure</th><td>false</td>" in text and "<th>Query string</th><td><em>null</em></td>" in text
    text = requests.get(url(catalina, "servlets/dispatch"), timeout=10).text
    assert "<th>jakarta.servlet.include.path_info</th><td><em>null</em></td>" in text
    for page in ["servlets/fail", "servlets/sessions", "servlets/requestinfo/x", "servlets/dispatch", "wsgi/x"]:
        text = requests.get(url(catalina, page), timeout=10).text
        assert not re.search(r">(True|False|None)<|: (True|False|None)\b", text), page


def test_long_values_wrap_inside_their_table(catalina):
    css = requests.get(url(catalina, "examples.css"), timeout=10)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "td { overflow-wrap: anywhere; }" in css.text and "table { max-width: 100%; }" in css.text
