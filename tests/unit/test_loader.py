"""Per-webapp module namespaces (deploy/loader.py)."""

from __future__ import annotations

import sys

import pytest

from catalina_py.deploy.loader import WebappLoader


def make_app(root, name, text):
    classes = root / name / "WEB-INF" / "classes"
    classes.mkdir(parents=True)
    (classes / "hello.py").write_text(f"class Hello:\n    text = {text!r}\n")
    return root / name


def test_two_webapps_with_same_module_name(tmp_path):
    one = WebappLoader(str(make_app(tmp_path, "one", "first")), "/one")
    two = WebappLoader(str(make_app(tmp_path, "two", "second")), "/two")
    assert one.load_class("hello.Hello").text == "first"
    assert two.load_class("hello.Hello").text == "second"
    assert one.package != two.package
    assert "hello" not in sys.modules  # nothing leaks into the global namespace


def test_unload_drops_modules(tmp_path):
    loader = WebappLoader(str(make_app(tmp_path, "app", "x")), "/app")
    loader.load_class("hello.Hello")
    assert f"{loader.package}.hello" in sys.modules
    loader.unload()
    assert not [name for name in sys.modules if name.startswith(loader.package)]


def test_missing_class_and_bad_name(tmp_path):
    loader = WebappLoader(str(make_app(tmp_path, "app", "x")), "/app")
    with pytest.raises(ImportError):
        loader.load_class("hello.Nope")
    with pytest.raises(ImportError):
        loader.load_class("Nodots")


def test_container_classes_resolve_outside_webapp(tmp_path):
    loader = WebappLoader(str(make_app(tmp_path, "app", "x")), "/app")
    from catalina_py.servlets.default import DefaultServlet
    assert loader.load_class("catalina_py.servlets.default.DefaultServlet") is DefaultServlet
