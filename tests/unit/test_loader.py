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


# -- absolute imports, WEB-INF/lib, isolation ---------------------------------

import zipfile  # noqa: E402

from catalina_py.deploy.loader import extract_archive  # noqa: E402


def make_webapp(root, name, files):
    """A webapp folder with the given {relative path: text} files."""
    base = root / name
    for rel, text in files.items():
        target = base / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return base


def make_wheel(path, package, value):
    """A minimal pure-Python wheel: the package and a dist-info folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{package}/__init__.py", "from .inner import VALUE\n")
        wheel.writestr(f"{package}/inner.py", f"VALUE = {value!r}\n")
        wheel.writestr(f"{package}-1.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
        wheel.writestr(
            f"{package}-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{package}-1.0.dist-info/RECORD", "")


HELLO = (
    "import util\nfrom util import NAME\nimport pkg.sub\n"
    "class Hello:\n    text = util.NAME + '/' + NAME + '/' + pkg.sub.WHO\n"
)


def test_absolute_import_of_own_modules(tmp_path):
    apps = [
        WebappLoader(
            str(
                make_webapp(
                    tmp_path,
                    name,
                    {
                        "WEB-INF/classes/hello.py": HELLO,
                        "WEB-INF/classes/util.py": f"NAME = {name!r}\n",
                        "WEB-INF/classes/pkg/__init__.py": "",
                        "WEB-INF/classes/pkg/sub.py": f"WHO = 'sub-{name}'\n",
                    },
                )
            ),
            f"/{name}",
        )
        for name in ("one", "two")
    ]
    try:
        assert apps[0].load_class("hello.Hello").text == "one/one/sub-one"
        assert apps[1].load_class("hello.Hello").text == "two/two/sub-two"
        assert "util" not in sys.modules and "pkg" not in sys.modules
        util = sys.modules[f"{apps[0].package}.util"]
        assert util.__name__ == f"{apps[0].package}.util"
    finally:
        for app in apps:
            app.unload()


def test_absolute_import_falls_back_to_normal_modules(tmp_path):
    loader = WebappLoader(
        str(
            make_webapp(
                tmp_path,
                "app",
                {
                    "WEB-INF/classes/hello.py": "import json\nimport catalina_py.servlet\n"
                    "class Hello:\n    text = json.dumps([catalina_py.servlet.__name__])\n",
                },
            )
        ),
        "/app",
    )
    try:
        assert loader.load_class("hello.Hello").text == '["catalina_py.servlet"]'
    finally:
        loader.unload()


def test_webapp_cannot_shadow_the_container_api(tmp_path):
    loader = WebappLoader(
        str(
            make_webapp(
                tmp_path,
                "app",
                {
                    "WEB-INF/classes/catalina_py/__init__.py": "HACKED = True\n",
                    "WEB-INF/classes/hello.py": "import catalina_py\nclass Hello:\n"
                    "    text = str(getattr(catalina_py, 'HACKED', False))\n",
                },
            )
        ),
        "/app",
    )
    try:
        assert loader.load_class("hello.Hello").text == "False"
    finally:
        loader.unload()


def test_webapp_cannot_import_another_webapps_modules(tmp_path):
    other = WebappLoader(
        str(make_webapp(tmp_path, "other", {"WEB-INF/classes/secret.py": "KEY = 'other'\n"})), "/other"
    )
    __import__(f"{other.package}.secret")
    probe = (
        f"try:\n    import {other.package}.secret\n    RESULT = 'leaked'\n"
        "except ImportError:\n    RESULT = 'refused'\n"
        "try:\n    import secret\n    RESULT2 = 'leaked'\n"
        "except ImportError:\n    RESULT2 = 'refused'\n"
        "class Hello:\n    text = RESULT + ',' + RESULT2\n"
    )
    loader = WebappLoader(str(make_webapp(tmp_path, "app", {"WEB-INF/classes/hello.py": probe})), "/app")
    try:
        assert loader.load_class("hello.Hello").text == "refused,refused"
    finally:
        loader.unload()
        other.unload()


def test_unload_drops_every_module_including_lib(tmp_path):
    base = make_webapp(
        tmp_path,
        "app",
        {
            "WEB-INF/classes/hello.py": "import util, greeting\nclass Hello:\n    text = greeting.WORD\n",
            "WEB-INF/classes/util.py": "",
            "WEB-INF/lib/greeting/__init__.py": "WORD = 'hi'\n",
        },
    )
    loader = WebappLoader(str(base), "/app")
    assert loader.load_class("hello.Hello").text == "hi"
    assert {f"{loader.package}.{m}" for m in ("hello", "util", "greeting")} <= set(sys.modules)
    loader.unload()
    assert loader.modules() == []
    assert loader.package not in sys.modules


def test_wheel_and_zip_in_lib_are_extracted_to_the_work_dir(tmp_path):
    base = make_webapp(
        tmp_path,
        "app",
        {
            "WEB-INF/classes/hello.py": "import tinywheel\nfrom zipped import X\n"
            "class Hello:\n    text = f'{tinywheel.VALUE}-{X}'\n",
        },
    )
    make_wheel(base / "WEB-INF" / "lib" / "tinywheel-1.0-py3-none-any.whl", "tinywheel", "wheel!")
    with zipfile.ZipFile(base / "WEB-INF" / "lib" / "extra.zip", "w") as zipped:
        zipped.writestr("zipped.py", "X = 42\n")
    work = tmp_path / "work"
    loader = WebappLoader(str(base), "/app", str(work))
    other = WebappLoader(
        str(
            make_webapp(
                tmp_path,
                "other",
                {
                    "WEB-INF/classes/hello.py": "try:\n    import tinywheel\n    T = 'leaked'\n"
                    "except ImportError:\n    T = 'absent'\nclass Hello:\n    text = T\n",
                },
            )
        ),
        "/other",
    )
    try:
        assert loader.load_class("hello.Hello").text == "wheel!-42"
        assert (work / "lib" / "tinywheel-1.0-py3-none-any.whl" / "tinywheel" / "inner.py").is_file()
        assert other.load_class("hello.Hello").text == "absent"
        assert "tinywheel" not in sys.modules
    finally:
        loader.unload()
        other.unload()
    assert not (work / "lib").exists()  # removed with the webapp


def test_no_bytecode_written_into_the_webapp(tmp_path):
    base = make_webapp(tmp_path, "app", {"WEB-INF/classes/hello.py": "class Hello:\n    text = 'x'\n"})
    loader = WebappLoader(str(base), "/app")
    try:
        loader.load_class("hello.Hello")
        assert not (base / "WEB-INF" / "classes" / "__pycache__").exists()
    finally:
        loader.unload()


def test_rewritten_module_is_fresh_after_unload(tmp_path):
    base = make_webapp(tmp_path, "app", {"WEB-INF/classes/hello.py": "class Hello:\n    text = 'v1'\n"})
    first = WebappLoader(str(base), "/app")
    assert first.load_class("hello.Hello").text == "v1"
    first.unload()
    # Same size, same second: a .pyc keyed by mtime seconds would be stale.
    (base / "WEB-INF" / "classes" / "hello.py").write_text("class Hello:\n    text = 'v2'\n")
    second = WebappLoader(str(base), "/app")
    try:
        assert second.load_class("hello.Hello").text == "v2"
    finally:
        second.unload()


def test_bad_archives_are_refused(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zipped:
        zipped.writestr("../escape.py", "")
    with pytest.raises(ImportError, match="outside"):
        extract_archive(str(evil), str(tmp_path / "out"))
    native = tmp_path / "native.whl"
    with zipfile.ZipFile(native, "w") as zipped:
        zipped.writestr("fast/_speed.cpython-311-x86_64-linux-gnu.so", b"\x7fELF")
    with pytest.raises(ImportError, match="native extension"):
        extract_archive(str(native), str(tmp_path / "out2"))
    broken = tmp_path / "broken.whl"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ImportError, match="not a valid wheel"):
        extract_archive(str(broken), str(tmp_path / "out3"))
