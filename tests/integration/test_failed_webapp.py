"""A webapp that fails to start: the classes its web.xml names are
imported at start (so a missing servlet class fails the deployment, not
the first request), and its requests get a 503 page saying the
application failed to start and where the log is."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.integration.test_deploy import server_xml
from tests.server import REPO

WEB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <servlet>
    <servlet-name>s</servlet-name>
    <servlet-class>hello.NoSuchServlet</servlet-class>
  </servlet>
  <servlet-mapping><servlet-name>s</servlet-name><url-pattern>/s</url-pattern></servlet-mapping>
</web-app>
"""


def _broken_app(tmp_path: Path) -> Path:
    app = tmp_path / "src" / "broken"
    (app / "WEB-INF" / "classes").mkdir(parents=True)
    (app / "WEB-INF" / "web.xml").write_text(WEB_XML)
    (app / "WEB-INF" / "classes" / "hello.py").write_text("class Hello:\n    pass\n")
    (app / "index.html").write_text("static page of the broken app")
    return app


def test_missing_servlet_class_fails_the_start_and_the_page_says_so(make_server, tmp_path, monkeypatch):
    monkeypatch.setenv("CATALINA_OUT", str(tmp_path / "base0" / "logs" / "catalina.out"))
    server = make_server(
        webapps={"broken": _broken_app(tmp_path), "examples": REPO / "webapps" / "examples"},
        server_xml=server_xml(auto_deploy=False),
    ).start()
    output = server.output()
    assert "Context [/broken] failed to start" in output
    assert "web.xml:3: servlet 's': servlet-class 'hello.NoSuchServlet' cannot be imported" in output
    for path in ("/broken/s", "/broken/", "/broken/index.html"):
        response = requests.get(server.url + path, timeout=5)
        assert response.status_code == 503, path
        assert response.headers["Content-Type"] == "text/html;charset=utf-8"
        assert "The application [/broken] failed to start" in response.text
        assert "logs/catalina.out" in response.text
        assert "temporary overload" not in response.text
        assert "NoSuchServlet" not in response.text  # the cause stays in the log
    assert requests.get(server.url + "/examples/", timeout=5).status_code == 200


def test_without_catalina_out_the_page_names_the_console(make_server, tmp_path, monkeypatch):
    monkeypatch.delenv("CATALINA_OUT", raising=False)
    server = make_server(webapps={"broken": _broken_app(tmp_path)}, server_xml=server_xml(auto_deploy=False)).start()
    response = requests.get(server.url + "/broken/s", timeout=5)
    assert response.status_code == 503
    assert "console output" in response.text
