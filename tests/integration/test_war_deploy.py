"""WAR deployment against a real server: a WAR built here with zipfile
(WEB-INF/web.xml, a static file, a Python servlet under WEB-INF/classes)
is expanded and served, redeployed when it changes, undeployed (and its
expanded folder removed) when it goes; a malicious WAR writes nothing
outside its folder and the rest of the container keeps serving;
``##version`` names."""

from __future__ import annotations

import os
import shutil
import stat
import threading
import time
import zipfile
from pathlib import Path

import requests

from tests.integration.test_deploy import APPS, get, server_xml, status_is, text_is, wait_for

WEB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <servlet><servlet-name>hello</servlet-name><servlet-class>hello.HelloServlet</servlet-class></servlet>
  <servlet-mapping><servlet-name>hello</servlet-name><url-pattern>/hello</url-pattern></servlet-mapping>
</web-app>
"""

SERVLET = """
import util
from catalina_py.servlet import HttpServlet


class HelloServlet(HttpServlet):
    def do_get(self, request, response):
        if request.get_parameter("session"):
            request.get_session(True)
        response.set_content_type("text/plain")
        response.get_writer().write("hello " + util.VERSION)
"""


def build_war(path: Path, version: str, extra: tuple[tuple[str, bytes], ...] = (), symlinks=()) -> Path:
    """A WAR whose servlet answers ``hello <version>`` at /hello and whose
    index.html says ``static <version>``; written beside *path* and moved
    in at once (a real copy is covered by the stable-size check)."""
    temp = path.with_name("." + path.name + ".tmp")
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as war:
        war.writestr("WEB-INF/web.xml", WEB_XML)
        war.writestr("WEB-INF/classes/hello.py", SERVLET)
        war.writestr("WEB-INF/classes/util.py", f"VERSION = {version!r}\n")
        war.writestr("index.html", f"static {version}")
        for name, data in extra:
            war.writestr(name, data)
        for name, target in symlinks:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            war.writestr(info, target)
    if path.exists():
        # A new mtime for sure, even within the file system's resolution.
        st = path.stat()
        os.utime(temp, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    os.replace(temp, path)
    return path


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_war_in_appbase_at_start_is_expanded_and_served(make_server):
    server = make_server(webapps={}, server_xml=server_xml(auto_deploy=False))
    build_war(server.base / "webapps" / "shop.war", "v1")
    server.start()
    assert get(server, "/shop/hello").text == "hello v1"
    page = get(server, "/shop/index.html")
    assert page.status_code == 200 and page.text == "static v1"
    assert get(server, "/shop/").text == "static v1"  # the welcome file
    assert get(server, "/shop/WEB-INF/web.xml").status_code == 404
    expanded = server.base / "webapps" / "shop"
    assert (expanded / "WEB-INF" / "classes" / "hello.py").is_file()
    tracker = expanded / "META-INF" / "war-tracker"
    assert tracker.stat().st_mtime_ns == (server.base / "webapps" / "shop.war").stat().st_mtime_ns
    assert "Deploying web application archive" in server.output()


def test_war_dropped_replaced_and_removed_while_running(make_server):
    server = make_server(webapps={"one": APPS / "one"}, server_xml=server_xml()).start()
    webapps = server.base / "webapps"
    assert get(server, "/shop/hello").status_code == 404
    war = build_war(webapps / "shop.war", "v1")
    wait_for(server, "/shop/hello", text_is("hello v1"))
    assert get(server, "/shop/index.html").text == "static v1"

    build_war(war, "v2")
    wait_for(server, "/shop/hello", text_is("hello v2"))
    assert get(server, "/shop/index.html").text == "static v2"
    assert (webapps / "shop" / "index.html").read_text() == "static v2"

    war.unlink()
    wait_for(server, "/shop/hello", status_is(404))
    assert get(server, "/shop/index.html").status_code == 404
    assert not (webapps / "shop").exists()
    assert sorted(os.listdir(webapps)) == ["one"]
    assert get(server, "/one/hello").text == "hello from one"
    output = server.output()
    assert "Web application archive [" in output and "] was removed" in output


def test_a_changed_war_is_redeployed_beside_the_running_version(make_server):
    """A changed WAR is a redeploy without a gap: a client asking all the
    while gets only 200s (v1, then v2); a changed WAR that is refused
    leaves the running version serving, its folder untouched."""
    server = make_server(webapps={}, server_xml=server_xml())
    war = build_war(server.base / "webapps" / "shop.war", "v1")
    server.start()
    assert get(server, "/shop/hello").text == "hello v1"
    answers: list[tuple[int, str]] = []
    stop = threading.Event()

    def ask() -> None:
        with requests.Session() as client:
            deadline = time.monotonic() + 30
            while not stop.is_set() and time.monotonic() < deadline:
                reply = client.get(f"{server.url}/shop/hello", timeout=10)
                answers.append((reply.status_code, reply.text))

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        build_war(war, "v2")
        wait_for(server, "/shop/hello", text_is("hello v2"))
        time.sleep(0.3)
    finally:
        stop.set()
        asker.join(timeout=15)
    assert answers and {status for status, _ in answers} == {200}, answers[-5:]
    assert {text for _, text in answers} <= {"hello v1", "hello v2"} and answers[-1][1] == "hello v2"

    build_war(war, "v3", symlinks=(("WEB-INF/classes/link.py", "/etc/passwd"),))
    deadline = time.monotonic() + 20
    while "The changed WAR is refused" not in server.output():
        assert time.monotonic() < deadline, server.output()[-2000:]
        time.sleep(0.2)
    assert get(server, "/shop/hello").text == "hello v2"
    assert (server.base / "webapps" / "shop" / "index.html").read_text() == "static v2"
    assert not [name for name in os.listdir(server.base / "webapps") if name.startswith(".")]


def test_a_malicious_war_deploys_nothing_outside_its_folder(make_server):
    server = make_server(webapps={"one": APPS / "one"}, server_xml=server_xml())
    base = server.base
    build_war(base / "webapps" / "evil.war", "x", extra=(("../escaped.txt", b"pwned"),))
    server.start()
    before = files_under(base)
    # Refused at start: a placeholder answers 503, nothing expanded.
    assert get(server, "/evil/hello").status_code == 503
    assert get(server, "/one/hello").text == "hello from one"
    assert not (base / "webapps" / "evil").exists()
    assert not (base / "escaped.txt").exists() and not (base / "webapps" / "escaped.txt").exists()
    assert "entry [../escaped.txt] has a '..' segment" in server.output()

    # Dropped while running: an absolute path, then a symlink.
    build_war(base / "webapps" / "abs.war", "x", extra=(("/tmp/catalina-py-war-escape.txt", b"pwned"),))
    build_war(base / "webapps" / "link.war", "x", symlinks=(("WEB-INF/classes/passwd.py", "/etc/passwd"),))
    wait_for(server, "/abs/hello", status_is(503))
    wait_for(server, "/link/hello", status_is(503))
    assert not os.path.exists("/tmp/catalina-py-war-escape.txt")
    output = server.output()
    assert "entry [/tmp/catalina-py-war-escape.txt] is an absolute path" in output
    assert "entry [WEB-INF/classes/passwd.py] is a symbolic link" in output
    # Nothing new anywhere but the two WARs and the log files.
    after = {p for p in files_under(base) - before if not p.startswith(("logs", "work"))}
    assert after == {"webapps/abs.war", "webapps/link.war"}
    assert get(server, "/one/hello").text == "hello from one"

    # Fixed: the WAR replaced by a good one deploys.
    build_war(base / "webapps" / "evil.war", "fixed")
    wait_for(server, "/evil/hello", text_is("hello fixed"))


def test_versions_are_deployed_side_by_side(make_server):
    """Parallel deployment: every ``##version`` WAR is expanded and
    deployed; new requests go to the newest version, a request with a
    session of an older version stays on it (Tomcat's rule)."""
    server = make_server(webapps={}, server_xml=server_xml())
    webapps = server.base / "webapps"
    build_war(webapps / "shop##001.war", "v1")
    server.start()
    first = requests.get(f"{server.url}/shop/hello?session=1", timeout=5)
    assert first.text == "hello v1"
    session_id = first.cookies["JSESSIONID"]

    build_war(webapps / "shop##002.war", "v2")
    wait_for(server, "/shop/hello", text_is("hello v2"))
    assert (webapps / "shop##001").is_dir() and (webapps / "shop##002").is_dir()
    on_v1 = requests.get(f"{server.url}/shop/hello", cookies={"JSESSIONID": session_id}, timeout=5)
    assert on_v1.text == "hello v1"

    third = build_war(webapps / "shop##003.war", "v3")
    wait_for(server, "/shop/hello", text_is("hello v3"))
    third.unlink()
    wait_for(server, "/shop/hello", text_is("hello v2"))
    assert not (webapps / "shop##003").exists()
    assert requests.get(f"{server.url}/shop/hello", cookies={"JSESSIONID": session_id}, timeout=5).text == "hello v1"


def test_a_folder_put_there_by_hand_wins_and_is_kept(make_server):
    # Tomcat's ExpandWar: a folder of the WAR's name without the tracker is
    # used as it is (not overwritten); removing the WAR does not delete it.
    server = make_server(webapps={"one": APPS / "one"}, server_xml=server_xml())
    webapps = server.base / "webapps"
    war = build_war(webapps / "one.war", "from-the-war")
    server.start()
    assert get(server, "/one/hello").text == "hello from one"
    assert not (webapps / "one" / "META-INF" / "war-tracker").exists()
    war.unlink()
    wait_for(server, "/one/hello", text_is("hello from one"))
    assert (webapps / "one" / "WEB-INF" / "web.xml").is_file()


def test_an_expanded_folder_removed_is_expanded_again(make_server):
    server = make_server(webapps={}, server_xml=server_xml())
    webapps = server.base / "webapps"
    build_war(webapps / "shop.war", "v1")
    server.start()
    assert get(server, "/shop/hello").text == "hello v1"
    shutil.rmtree(webapps / "shop")
    wait_for(server, "/shop/hello", status_is(404))
    wait_for(server, "/shop/hello", text_is("hello v1"))
    assert (webapps / "shop" / "META-INF" / "war-tracker").is_file()


ARCHIVE_SERVLET = '''
from catalina_py.servlet import HttpServlet, web_servlet


@web_servlet("/resource")
class ResourceServlet(HttpServlet):
    """Reads a webapp file through the ServletContext: no real path, but a
    stream and a jar: URL."""

    def do_get(self, request, response):
        context = request.get_servlet_context()
        name = request.get_parameter("name")
        stream = context.get_resource_as_stream(name)
        body = stream.read().decode() if stream is not None else "-"
        if stream is not None:
            stream.close()
        response.set_content_type("text/plain")
        response.get_writer().write(
            f"{context.get_real_path(name)}|{body}|{context.get_resource(name)}|"
            f"{sorted(context.get_resource_paths('/') or [])}"
        )
'''


def archive_xml() -> str:
    return server_xml().replace('autoDeploy="true"', 'autoDeploy="true" unpackWARs="false"')


def test_unpack_wars_false_serves_from_the_archive(make_server):
    server = make_server(webapps={}, server_xml=archive_xml())
    webapps = server.base / "webapps"
    extra = (("WEB-INF/classes/probe.py", ARCHIVE_SERVLET.encode()), ("css/site.css", b"body { color: red }"))
    build_war(webapps / "shop.war", "v1", extra=extra)
    server.start()
    # Python code imported from the zip (its own `import util` too).
    assert get(server, "/shop/hello").text == "hello v1"
    # Static files by the DefaultServlet, with their validators and ranges.
    page = get(server, "/shop/index.html")
    assert page.status_code == 200 and page.text == "static v1" and page.headers["ETag"].startswith('W/"9-')
    assert get(server, "/shop/").text == "static v1"  # welcome file
    ranged = requests_get(server, "/shop/css/site.css", headers={"Range": "bytes=5-9"})
    assert ranged.status_code == 206 and ranged.text == "{ col"
    folder = requests_get(server, "/shop/css", allow_redirects=False)
    assert folder.status_code == 302 and folder.headers["Location"].endswith("/shop/css/")
    assert get(server, "/shop/css/").status_code == 404  # no listings
    assert get(server, "/shop/WEB-INF/web.xml").status_code == 404
    assert get(server, "/shop/missing.html").status_code == 404
    # The ServletContext: no real path, the bytes, a jar: URL.
    real, body, url, listing = get(server, "/shop/resource?name=/index.html").text.split("|")
    assert real == "None" and body == "static v1"
    assert url.startswith("jar:file:") and url.endswith("/webapps/shop.war!/index.html")
    assert listing == "['/WEB-INF/', '/css/', '/index.html']"
    assert not (webapps / "shop").exists()  # nothing expanded

    # Replaced: the new code and files (zipimport reads the new archive).
    build_war(webapps / "shop.war", "v2", extra=extra)
    wait_for(server, "/shop/hello", text_is("hello v2"))
    assert get(server, "/shop/index.html").text == "static v2"
    # Removed: gone.
    (webapps / "shop.war").unlink()
    wait_for(server, "/shop/hello", status_is(404))
    assert sorted(os.listdir(webapps)) == []


def test_unpack_wars_false_refuses_a_malicious_war_too(make_server):
    server = make_server(webapps={"one": APPS / "one"}, server_xml=archive_xml())
    build_war(server.base / "webapps" / "evil.war", "x", symlinks=(("passwd.html", "/etc/passwd"),))
    server.start()
    assert get(server, "/evil/index.html").status_code == 503
    assert "entry [passwd.html] is a symbolic link" in server.output()
    assert get(server, "/one/hello").text == "hello from one"


def requests_get(server, path: str, **kwargs) -> requests.Response:
    return requests.get(server.url + path, timeout=5, **kwargs)


def test_a_war_changed_while_stopped_is_expanded_again_at_start(make_server):
    server = make_server(webapps={}, server_xml=server_xml(auto_deploy=False))
    webapps = server.base / "webapps"
    build_war(webapps / "shop.war", "v1")
    server.start()
    assert get(server, "/shop/hello").text == "hello v1"
    server.stop()
    build_war(webapps / "shop.war", "v2")
    server.start()
    assert get(server, "/shop/hello").text == "hello v2"
    assert (webapps / "shop" / "index.html").read_text() == "static v2"
    assert "changed since" in server.output()


def test_unpack_wars_false_applies_its_context_xml(make_server):
    """The META-INF/context.xml inside a WAR served from the archive is
    read (its valve refuses this client); a malformed one fails that webapp
    with the file:line inside the WAR."""
    server = make_server(webapps={}, server_xml=archive_xml())
    context_xml = (
        b'<Context>\n  <Valve className="org.apache.catalina.valves.RemoteAddrValve" deny="127\\..*"/>\n</Context>'
    )
    build_war(server.base / "webapps" / "shop.war", "v1", extra=(("META-INF/context.xml", context_xml),))
    build_war(
        server.base / "webapps" / "bad.war",
        "v1",
        extra=(("META-INF/context.xml", b"<Context>\n<Parameter/>\n</Context>"),),
    )
    build_war(server.base / "webapps" / "plain.war", "v1")
    server.start()
    assert get(server, "/shop/hello").status_code == 403
    assert get(server, "/bad/hello").status_code == 503
    assert get(server, "/plain/hello").text == "hello v1"
    assert "bad.war!/META-INF/context.xml:2:" in server.output()
