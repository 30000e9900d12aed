"""Deployment (HostConfig) and per-webapp code isolation (WebappLoader),
against a real server: autoDeploy, descriptors, reloadable contexts,
failure isolation, requests in flight."""

from __future__ import annotations

import shutil
import threading
import time
import zipfile
from pathlib import Path

import pytest
import requests

from tests.server import TEST_WEBAPPS

APPS = TEST_WEBAPPS / "deploy"

SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" {connector_attrs}/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" autoDeploy="AUTO" backgroundProcessorDelay="1">
        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs"
               prefix="localhost_access_log" suffix=".txt" pattern="{log_pattern}"/>
        CONTEXTS
      </Host>
    </Engine>
  </Service>
</Server>
"""


def server_xml(auto_deploy: bool = True, contexts: str = "") -> str:
    return SERVER_XML.replace("AUTO", "true" if auto_deploy else "false").replace("CONTEXTS", contexts)


def get(server, path: str, timeout: float = 5.0) -> requests.Response:
    return requests.get(server.url + path, timeout=timeout)


def wait_for(server, path: str, predicate, timeout: float = 8.0) -> requests.Response:
    """Poll *path* until predicate(response) holds; fail with the last answer."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = get(server, path)
            if predicate(last):
                return last
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.1)
    detail = last if not isinstance(last, requests.Response) else f"{last.status_code} {last.text[:200]}"
    raise AssertionError(
        f"{path} did not answer as expected within {timeout} s: {detail}\n" f"{server.output()[-3000:]}"
    )


def status_is(code: int):
    return lambda r: r.status_code == code


def text_is(text: str):
    return lambda r: r.status_code == 200 and r.text == text


def make_wheel(path: Path, package: str, value: str) -> None:
    """A minimal pure-Python wheel (a zip with the package and its dist-info)."""
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{package}/__init__.py", f"VALUE = {value!r}\n")
        wheel.writestr(f"{package}-1.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
        wheel.writestr(
            f"{package}-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{package}-1.0.dist-info/RECORD", "")


def test_two_webapps_with_same_module_names(make_server):
    server = make_server(
        webapps={"one": APPS / "one", "two": APPS / "two"}, server_xml=server_xml(auto_deploy=False)
    ).start()
    assert get(server, "/one/hello").text == "hello from one"
    assert get(server, "/two/hello").text == "hello from two"
    # Each webapp's `import util` is its own module, under its own package.
    one = get(server, "/one/import?module=util").text
    two = get(server, "/two/import?module=util").text
    assert one.startswith("catalina_py.webapps.one_") and one.endswith(".util -")
    assert two.startswith("catalina_py.webapps.two_") and two.endswith(".util -")
    # Nothing of either webapp is visible to the other by name.
    other_package = one.split()[0].rsplit(".", 1)[0]
    assert get(server, f"/two/import?module={other_package}.util").text.startswith("ImportError")
    # Normal modules still import normally from webapp code.
    assert get(server, "/one/import?module=json").text == "json -"


def test_lib_folder_and_wheel_importable_by_their_webapp_only(make_server, tmp_path):
    server = make_server(
        webapps={"libapp": APPS / "libapp", "one": APPS / "one"}, server_xml=server_xml(auto_deploy=False)
    )
    make_wheel(
        server.base / "webapps" / "libapp" / "WEB-INF" / "lib" / "tinywheel-1.0-py3-none-any.whl",
        "tinywheel",
        "from-the-wheel",
    )
    server.start()
    assert get(server, "/libapp/import?module=greeting").text.endswith(".greeting greeting-from-lib")
    assert get(server, "/libapp/import?module=tinywheel").text.endswith(".tinywheel from-the-wheel")
    assert get(server, "/one/import?module=tinywheel").text.startswith("ImportError")
    assert get(server, "/one/import?module=greeting").text.startswith("ImportError")
    # The wheel was extracted into the context's work directory.
    extracted = server.base / "work" / "Catalina" / "localhost" / "libapp" / "lib"
    assert (extracted / "tinywheel-1.0-py3-none-any.whl" / "tinywheel" / "__init__.py").is_file()


def test_broken_webapp_answers_503_beside_a_good_one(make_server):
    server = make_server(
        webapps={"broken": APPS / "broken", "one": APPS / "one", "ROOT": APPS / "two"},
        server_xml=server_xml(auto_deploy=False),
    ).start()
    assert get(server, "/broken/boom").status_code == 503
    assert get(server, "/broken/anything/else").status_code == 503
    assert get(server, "/one/hello").text == "hello from one"
    assert get(server, "/hello").text == "hello from two"  # ROOT
    output = server.output()
    assert "Context [/broken] failed to start" in output
    assert "a_module_that_does_not_exist" in output


def test_webapp_copied_in_and_removed_while_running(make_server):
    server = make_server(webapps={"one": APPS / "one"}, server_xml=server_xml()).start()
    assert get(server, "/two/hello").status_code == 404
    started = time.monotonic()
    shutil.copytree(APPS / "two", server.base / "webapps" / "two")
    wait_for(server, "/two/hello", text_is("hello from two"), timeout=5)
    assert time.monotonic() - started < 5
    started = time.monotonic()
    shutil.rmtree(server.base / "webapps" / "two")
    wait_for(server, "/two/hello", status_is(404), timeout=5)
    assert get(server, "/one/hello").text == "hello from one"
    assert "Undeploying context [/two]" in server.output()


def test_web_xml_change_redeploys(make_server):
    server = make_server(webapps={"one": APPS / "one"}, server_xml=server_xml()).start()
    assert get(server, "/one/hello").status_code == 200
    assert get(server, "/one/greeting").status_code == 404
    web_xml = server.base / "webapps" / "one" / "WEB-INF" / "web.xml"
    text = web_xml.read_text().replace("<url-pattern>/hello</url-pattern>", "<url-pattern>/greeting</url-pattern>")
    web_xml.write_text(text)
    wait_for(server, "/one/greeting", text_is("hello from one"))
    assert get(server, "/one/hello").status_code == 404


def test_reloadable_context_picks_up_changed_module(make_server, tmp_path):
    doc_base = tmp_path / "reloading"
    shutil.copytree(APPS / "one", doc_base)
    context = f'<Context path="/re" docBase="{doc_base}" reloadable="true"/>'
    server = make_server(webapps={}, server_xml=server_xml(auto_deploy=False, contexts=context)).start()
    assert get(server, "/re/hello").text == "hello from one"
    # Same length, written at once: a stale bytecode cache would miss it.
    (doc_base / "WEB-INF" / "classes" / "util.py").write_text('NAME = "ONE"\n')
    wait_for(server, "/re/hello", text_is("hello from ONE"))
    assert "Reloading Context with name [/re] is completed" in server.output()


def test_not_reloadable_context_keeps_its_modules(make_server, tmp_path):
    doc_base = tmp_path / "fixed"
    shutil.copytree(APPS / "one", doc_base)
    context = f'<Context path="/fixed" docBase="{doc_base}"/>'
    server = make_server(webapps={}, server_xml=server_xml(auto_deploy=True, contexts=context)).start()
    assert get(server, "/fixed/hello").text == "hello from one"
    (doc_base / "WEB-INF" / "classes" / "util.py").write_text('NAME = "changed"\n')
    time.sleep(2.5)  # two checks and more: nothing may happen
    assert get(server, "/fixed/hello").text == "hello from one"


def test_context_descriptor_deploys_and_follows_its_file(make_server, tmp_path):
    doc_base = tmp_path / "elsewhere"
    shutil.copytree(APPS / "two", doc_base)
    server = make_server(webapps={"one": APPS / "one"}, server_xml=server_xml())
    descriptors = server.base / "conf" / "Catalina" / "localhost"
    descriptors.mkdir(parents=True)
    (descriptors / "shop#v1.xml").write_text(
        f'<?xml version="1.0"?>\n<Context path="/ignored" docBase="{doc_base}"/>\n'
    )
    server.start()
    assert get(server, "/shop/v1/hello").text == "hello from two"
    assert "The path attribute with value [/ignored] in deployment descriptor [" in server.output()
    assert "has been ignored: the file name gives the path [/shop/v1]" in server.output()
    # A descriptor added while running deploys; removing it undeploys.
    (descriptors / "ROOT.xml").write_text(f'<Context docBase="{doc_base}"/>\n')
    wait_for(server, "/hello", text_is("hello from two"))
    (descriptors / "ROOT.xml").unlink()
    wait_for(server, "/hello", status_is(404))
    # A descriptor pointing at another docBase (outside appBase) redeploys there.
    other = tmp_path / "other"
    shutil.copytree(APPS / "one", other)
    (descriptors / "shop#v1.xml").write_text(f'<Context docBase="{other}" reloadable="true"/>\n')
    wait_for(server, "/shop/v1/hello", text_is("hello from one"))


def test_bad_descriptor_fails_with_its_location(make_server):
    server = make_server(webapps={"one": APPS / "one"}, server_xml=server_xml(auto_deploy=False))
    descriptors = server.base / "conf" / "Catalina" / "localhost"
    descriptors.mkdir(parents=True)
    (descriptors / "bad.xml").write_text('<Context\n   reloadable="maybe"/>\n')
    server.start()
    assert get(server, "/bad/x").status_code == 503
    assert get(server, "/one/hello").status_code == 200
    assert "bad.xml:1: attribute reloadable of <Context> must be true or false" in server.output()


def test_broken_webapp_is_retried_after_it_is_fixed(make_server):
    server = make_server(webapps={"broken": APPS / "broken"}, server_xml=server_xml()).start()
    assert get(server, "/broken/boom").status_code == 503
    boom = server.base / "webapps" / "broken" / "WEB-INF" / "classes" / "boom.py"
    boom.write_text(
        boom.read_text()
        .replace("import a_module_that_does_not_exist  # noqa: F401\n", "")
        .replace('"unreachable"', '"fixed"')
    )
    wait_for(server, "/broken/boom", text_is("fixed"))


def test_half_copied_webapp_waits_until_stable(make_server):
    server = make_server(webapps={}, server_xml=server_xml()).start()
    target = server.base / "webapps" / "late"
    (target / "WEB-INF" / "classes").mkdir(parents=True)
    (target / "WEB-INF" / "classes" / "util.py").write_text('NAME = "late"\n')
    shutil.copy(APPS / "one" / "WEB-INF" / "classes" / "hello.py", target / "WEB-INF" / "classes")
    # Keep "copying" for a while: the folder changes on every check.
    for index in range(12):
        (target / f"part{index}.txt").write_text("x" * index)
        time.sleep(0.25)
    shutil.copy(APPS / "one" / "WEB-INF" / "web.xml", target / "WEB-INF" / "web.xml")
    wait_for(server, "/late/hello", text_is("hello from late"))
    # Deployed once, complete: never with a missing web.xml before.
    assert server.output().count("Deploying web application directory") == 1


def long_request(server, path: str, results: list) -> None:
    try:
        results.append(get(server, path, timeout=20))
    except requests.RequestException as exc:  # pragma: no cover - reported below
        results.append(exc)


def test_request_in_flight_survives_deploy_and_undeploy_of_another_webapp(make_server):
    server = make_server(webapps={"one": APPS / "one"}, server_xml=server_xml()).start()
    results: list = []
    thread = threading.Thread(target=long_request, args=(server, "/one/slow?ms=4000", results))
    thread.start()
    shutil.copytree(APPS / "two", server.base / "webapps" / "two")
    wait_for(server, "/two/hello", text_is("hello from two"))
    shutil.rmtree(server.base / "webapps" / "two")
    wait_for(server, "/two/hello", status_is(404))
    assert thread.is_alive(), "the slow request should still be in flight"
    thread.join(20)
    assert isinstance(results[0], requests.Response), results
    assert results[0].status_code == 200 and results[0].text == "slow done in one"


def test_request_in_flight_finishes_before_its_webapp_is_undeployed(make_server):
    server = make_server(webapps={"two": APPS / "two"}, server_xml=server_xml()).start()
    results: list = []
    thread = threading.Thread(target=long_request, args=(server, "/two/slow?ms=2500", results))
    thread.start()
    time.sleep(0.3)  # let the request reach the servlet
    shutil.rmtree(server.base / "webapps" / "two")
    wait_for(server, "/two/hello", status_is(404))
    thread.join(20)
    assert isinstance(results[0], requests.Response), results
    assert results[0].status_code == 200 and results[0].text == "slow done in two"


@pytest.mark.parametrize("auto", [False])
def test_auto_deploy_false_ignores_new_folders(make_server, auto):
    server = make_server(webapps={"one": APPS / "one"}, server_xml=server_xml(auto_deploy=auto)).start()
    shutil.copytree(APPS / "two", server.base / "webapps" / "two")
    time.sleep(2.5)
    assert get(server, "/two/hello").status_code == 404


# -- in process: naming rules and descriptor parsing -------------------------


def test_context_path_naming_rules():
    from catalina_py.deploy.naming import base_name_for, context_path_for
    from catalina_py.errors import ConfigError

    assert context_path_for("ROOT") == ""
    assert context_path_for("shop") == "/shop"
    assert context_path_for("a#b#c") == "/a/b/c"
    assert base_name_for("/a/b") == "a#b" and base_name_for("") == "ROOT"
    assert context_path_for("a##2") == "/a"  # a parallel deployment version of /a
    for bad in ("a##", "a#", "#a"):
        with pytest.raises(ConfigError):
            context_path_for(bad)


def test_load_context_descriptor(tmp_path):
    from catalina_py.config.context_spec import load_context_descriptor
    from catalina_py.errors import ConfigError

    good = tmp_path / "a#b.xml"
    good.write_text('<Context path="/x" docBase="${app.dir}" reloadable="true"/>')
    config, warnings = load_context_descriptor(str(good), "/a/b", {"app.dir": "/srv/app"})
    assert (config.path, config.doc_base, config.reloadable) == ("/a/b", "/srv/app", True)
    assert any("path attribute with value [/x]" in str(w) for w in warnings)
    wrong_root = tmp_path / "w.xml"
    wrong_root.write_text("<web-app/>")
    with pytest.raises(ConfigError, match="must be <Context>"):
        load_context_descriptor(str(wrong_root), "/w", {})
    broken = tmp_path / "broken.xml"
    broken.write_text("<Context>\n<Valve className='nope'/>\n</Context>")
    with pytest.raises(ConfigError) as info:
        load_context_descriptor(str(broken), "/broken", {})
    assert info.value.line == 2 and info.value.file == str(broken)
