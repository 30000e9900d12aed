"""A WAR served from the archive, without a server: the resources of
servlets/resources.py (lookups, folders, listings, ranges) and the
WebappLoader importing WEB-INF/classes from the zip (zipimport), its own
absolute imports, a wheel of WEB-INF/lib, and a WAR replaced at the same
path."""

from __future__ import annotations

import io
import os
import sys
import zipfile

import pytest

from catalina_py.config.web_xml import WebXml
from catalina_py.deploy.context_config import build_web_xml, scan_annotations
from catalina_py.deploy.loader import WebappLoader
from catalina_py.servlets.resources import ArchiveResources, file_resource, is_archive


def make_war(path, entries: dict[str, bytes | str]) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as war:
        for name, data in entries.items():
            war.writestr(name, data)
    return str(path)


def wheel_bytes(package: str, value: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr(f"{package}/__init__.py", f"VALUE = {value!r}\n")
        wheel.writestr(f"{package}-1.0.dist-info/METADATA", f"Name: {package}\nVersion: 1.0\n")
    return buffer.getvalue()


def test_lookups_in_an_archive(tmp_path):
    war = make_war(tmp_path / "app.war", {"index.html": "home", "a/b/c.txt": "0123456789", "empty/": ""})
    assert is_archive(war) and not is_archive(str(tmp_path))
    resources = ArchiveResources(war)
    page = resources.get("/index.html")
    assert page is not None and not page.is_directory and page.length == 4 and page.real_path is None
    with page.open() as data:
        assert data.read() == b"home"
    nested = resources.get("/a/b/c.txt")
    with nested.open() as data:  # seekable, for byte ranges
        data.seek(5)
        assert data.read(3) == b"567"
    for folder in ("/", "/a", "/a/", "/a/b", "/empty"):
        found = resources.get(folder)
        assert found is not None and found.is_directory, folder
    for missing in ("/nope", "/index.html/", "/a/../index.html", "/./index.html", "/a//b/c.txt", "/a\\b", "/x\x00"):
        assert resources.get(missing) is None, missing
    assert resources.list("/") == ["a/", "empty/", "index.html"]
    assert resources.list("/a") == ["b/"] and resources.list("/a/b/") == ["c.txt"]
    assert resources.list("/index.html") is None
    assert resources.read("a/b/c.txt") == b"0123456789" and resources.read("nope") is None
    resources.close()


def test_file_resource(tmp_path):
    (tmp_path / "f.txt").write_bytes(b"abc")
    found = file_resource("/f.txt", str(tmp_path / "f.txt"))
    assert found is not None and found.length == 3 and found.real_path == str(tmp_path / "f.txt")
    assert file_resource("/", str(tmp_path)).is_directory
    assert file_resource("/x", str(tmp_path / "x")) is None and file_resource("/x", None) is None


def test_classes_imported_from_the_zip(tmp_path):
    war = make_war(
        tmp_path / "app.war",
        {
            "WEB-INF/classes/hello.py": "import util\nclass Hello:\n    text = util.NAME\n",
            "WEB-INF/classes/util.py": "NAME = 'from the zip'\n",
            "WEB-INF/classes/pkg/__init__.py": "",
            "WEB-INF/classes/pkg/deep.py": "from . import sibling\nVALUE = sibling.X\n",
            "WEB-INF/classes/pkg/sibling.py": "X = 42\n",
            "WEB-INF/lib/tiny-1.0-py3-none-any.whl": wheel_bytes("tiny", "from the wheel"),
        },
    )
    loader = WebappLoader(war, "/app", str(tmp_path / "work"))
    try:
        assert loader.load_class("hello.Hello").text == "from the zip"
        assert loader.import_module("pkg.deep").VALUE == 42
        assert loader.import_module("tiny").VALUE == "from the wheel"
        assert "util" not in sys.modules and "hello" not in sys.modules
        assert loader.provides("util") and loader.provides("pkg") and not loader.provides("json")
        module = sys.modules[f"{loader.package}.hello"]
        assert module.__file__.startswith(war + os.sep)
    finally:
        loader.unload()
    assert not os.path.exists(tmp_path / "work" / "lib")


def test_a_war_replaced_at_the_same_path_is_read_anew(tmp_path):
    path = tmp_path / "app.war"
    make_war(path, {"WEB-INF/classes/v.py": "V = 1\n"})
    first = WebappLoader(str(path), "/app")
    assert first.import_module("v").V == 1
    first.unload()
    # A longer module shifts every offset: a stale directory would break.
    make_war(path, {"WEB-INF/classes/a.py": "# " + "x" * 500 + "\n", "WEB-INF/classes/v.py": "V = 2\n"})
    second = WebappLoader(str(path), "/app")
    try:
        assert second.import_module("v").V == 2
    finally:
        second.unload()


def test_web_xml_and_annotations_from_the_zip(tmp_path):
    war = make_war(
        tmp_path / "app.war",
        {
            "WEB-INF/web.xml": '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">'
            "<display-name>zipped</display-name></web-app>",
            "WEB-INF/classes/annotated.py": "from catalina_py.servlet import HttpServlet, web_servlet\n\n"
            "@web_servlet('/a')\nclass A(HttpServlet):\n    pass\n",
        },
    )
    web = build_web_xml(war, WebXml())
    assert web.display_name == "zipped"
    loader = WebappLoader(war, "/app")
    try:
        assert [found.name for found in scan_annotations(loader)] == ["annotated.A"]
    finally:
        loader.unload()


def test_a_bad_web_xml_in_the_zip_names_the_entry(tmp_path):
    from catalina_py.errors import ConfigError

    war = make_war(tmp_path / "app.war", {"WEB-INF/web.xml": "<web-app"})
    with pytest.raises(ConfigError) as error:
        build_web_xml(war, WebXml())
    assert "app.war!/WEB-INF/web.xml" in str(error.value)
