"""``configtest`` imports every class a webapp names, as deployment does,
and says where the name is and what to write instead."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tests.scripts.test_scripts import make_base, run
from tests.server import REPO

WEB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
{body}
</web-app>
"""


def _app(base: Path, name: str, body: str, modules: dict[str, str] | None = None) -> Path:
    app = base / "webapps" / name
    (app / "WEB-INF" / "classes").mkdir(parents=True)
    (app / "WEB-INF" / "web.xml").write_text(WEB_XML.format(body=body))
    for module, source in (modules or {}).items():
        (app / "WEB-INF" / "classes" / f"{module}.py").write_text(source)
    return app


def _configtest(base: Path):
    return run([sys.executable, "-m", "catalina_py", "configtest"], base)


SERVLET = """from catalina_py.servlet import HttpServlet


class Hello(HttpServlet):
    def do_get(self, request, response):
        response.get_writer().write("hi")
"""


def test_a_servlet_class_that_does_not_exist_fails_with_file_line_and_a_suggestion(tmp_path):
    base, _ = make_base(tmp_path)
    _app(
        base,
        "app",
        "  <servlet>\n    <servlet-name>s</servlet-name>\n    <servlet-class>hello.Helo</servlet-class>\n"
        "  </servlet>\n  <servlet-mapping><servlet-name>s</servlet-name><url-pattern>/s</url-pattern>"
        "</servlet-mapping>",
        {"hello": SERVLET},
    )
    result = _configtest(base)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Configuration OK" not in result.stdout
    assert f"{base}/webapps/app/WEB-INF/web.xml:3: servlet 's': servlet-class 'hello.Helo' cannot be imported" in (
        result.stderr
    )
    assert "did you mean hello.Hello?" in result.stderr
    assert "expected: module.ClassName" in result.stderr


def test_every_broken_webapp_is_reported_and_the_good_ones_pass(tmp_path):
    base, _ = make_base(tmp_path)
    _app(
        base,
        "nomodule",
        "  <servlet><servlet-name>s</servlet-name><servlet-class>nowhere.Servlet</servlet-class></servlet>",
    )
    _app(
        base,
        "badfilter",
        "  <filter><filter-name>f</filter-name><filter-class>hello.Hello</filter-class></filter>",
        {"hello": SERVLET},
    )
    _app(base, "badlistener", "  <listener><listener-class>no.such.Listener</listener-class></listener>")
    _app(
        base,
        "raising",
        "  <servlet><servlet-name>s</servlet-name><servlet-class>boom.Servlet</servlet-class></servlet>",
        {"boom": "raise RuntimeError('no database configured')\n"},
    )
    _app(
        base,
        "annotated",
        "",
        {"annotated": "from catalina_py.servlet import web_servlet\nimport not_installed_anywhere\n"},
    )
    _app(
        base,
        "endpoint",
        "",
        {
            "chat": "from catalina_py.websocket import server_endpoint\n\n\n@server_endpoint('/chat')\nclass Chat:\n"
            "    x = undefined_name\n"
        },
    )
    result = _configtest(base)
    assert result.returncode == 1
    err = result.stderr
    assert "nomodule/WEB-INF/web.xml:3: servlet 's': servlet-class 'nowhere.Servlet' cannot be imported" in err
    assert "ModuleNotFoundError" in err
    assert "badfilter/WEB-INF/web.xml:3: filter-class of filter" not in err
    assert "badfilter/WEB-INF/web.xml:3: filter 'f': filter-class 'hello.Hello' is not a filter class" in err
    assert "badlistener/WEB-INF/web.xml:3: listener-class 'no.such.Listener' cannot be imported" in err
    assert "raising/WEB-INF/web.xml:3: servlet 's': servlet-class 'boom.Servlet' cannot be imported: " in err
    assert "RuntimeError: no database configured" in err and "boom.py:1" in err
    assert "annotated/WEB-INF/classes/annotated.py:2: cannot import annotated.py" in err
    assert "endpoint/WEB-INF/classes/chat.py:6: cannot import chat.py" in err and "NameError" in err
    assert err.count("SEVERE:") == 6
    # The shipped examples (and the copied ones) pass.
    assert "examples" not in err


def test_each_webapp_imports_its_own_modules(tmp_path):
    """Two webapps with a module of the same name: each is checked with a
    loader of its own (the second must not see the first's hello.py)."""
    base, _ = make_base(tmp_path)
    mapping = "<servlet-mapping><servlet-name>s</servlet-name><url-pattern>/s</url-pattern></servlet-mapping>"
    _app(
        base,
        "first",
        f"<servlet><servlet-name>s</servlet-name><servlet-class>hello.Hello</servlet-class></servlet>{mapping}",
        {"hello": SERVLET},
    )
    _app(
        base,
        "second",
        f"<servlet><servlet-name>s</servlet-name><servlet-class>hello.Hello</servlet-class></servlet>{mapping}",
        {"hello": "class Other:\n    pass\n"},
    )
    result = _configtest(base)
    assert result.returncode == 1
    assert "second/WEB-INF/web.xml:3" in result.stderr and "first/" not in result.stderr
    shutil.rmtree(base / "webapps" / "second")
    result = _configtest(base)
    assert result.returncode == 0, result.stderr
    assert "Configuration OK" in result.stdout


def test_shipped_configuration_and_webapps_pass(tmp_path):
    base, _ = make_base(tmp_path)
    for name in ("ROOT", "inspector"):
        shutil.copytree(REPO / "webapps" / name, base / "webapps" / name)
    result = _configtest(base)
    assert result.returncode == 0, result.stdout + result.stderr


def test_wars_are_checked_too(tmp_path):
    import zipfile

    base, _ = make_base(tmp_path)
    body = (
        "  <servlet>\n    <servlet-name>s</servlet-name>\n    <servlet-class>hello.Helo</servlet-class>\n"
        "  </servlet>\n  <servlet-mapping><servlet-name>s</servlet-name><url-pattern>/s</url-pattern>"
        "</servlet-mapping>"
    )
    with zipfile.ZipFile(base / "webapps" / "typo.war", "w") as war:
        war.writestr("WEB-INF/web.xml", WEB_XML.format(body=body))
        war.writestr("WEB-INF/classes/hello.py", SERVLET)
    with zipfile.ZipFile(base / "webapps" / "evil.war", "w") as war:
        war.writestr("../escaped.txt", "x")
    result = _configtest(base)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{base}/webapps/typo.war!/WEB-INF/web.xml:3: servlet 's': servlet-class 'hello.Helo'" in result.stderr
    assert "entry [../escaped.txt] has a '..' segment" in result.stderr
    assert not (base / "webapps" / "typo").exists() and not (base / "escaped.txt").exists()
