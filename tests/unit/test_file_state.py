"""deploy/file_state.py and deploy/naming.py: what HostConfig watches and how
names give context paths, on a temporary folder (no server)."""

from __future__ import annotations

import os

import pytest

from catalina_py.deploy.file_state import code_sig, file_sig, folder_sig, settled, tree_sig
from catalina_py.deploy.naming import ContextName, base_name_for, context_path_for, newest, newest_first
from catalina_py.errors import ConfigError


def test_file_sig_is_mtime_and_size_or_none(tmp_path):
    path = tmp_path / "a.txt"
    assert file_sig(str(path)) is None
    path.write_text("abc")
    st = os.stat(path)
    assert file_sig(str(path)) == (st.st_mtime_ns, 3)


def test_code_sig_sees_only_code_under_web_inf(tmp_path):
    classes = tmp_path / "WEB-INF" / "classes"
    (classes / "__pycache__").mkdir(parents=True)
    (classes / "__pycache__" / "m.py").write_text("x")
    (classes / "notes.txt").write_text("x")
    assert code_sig(str(tmp_path)) == frozenset()
    (classes / "m.py").write_text("x = 1")
    (tmp_path / "WEB-INF" / "lib").mkdir()
    (tmp_path / "WEB-INF" / "lib" / "dep.WHL").write_text("zip")
    assert sorted(os.path.basename(e[0]) for e in code_sig(str(tmp_path))) == ["dep.WHL", "m.py"]


def test_tree_and_folder_sig_count_folders_and_sizes(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("12345")
    entries = tree_sig(str(tmp_path))
    assert {e[2] for e in entries} == {-1, 5}
    count, newest, size = folder_sig(str(tmp_path))
    assert (count, size) == (3, 5) and newest > 0


def test_a_change_settles_after_two_equal_looks():
    seen: dict = {"web.xml": (1, 1)}
    pending: dict = {}
    assert not settled(seen, pending, "web.xml", (1, 1)) and pending == {}
    assert not settled(seen, pending, "web.xml", (2, 1))
    assert not settled(seen, pending, "web.xml", (3, 1))  # still changing
    assert settled(seen, pending, "web.xml", (3, 1))
    assert not settled(seen, pending, "web.xml", (1, 1)) and pending == {}  # back as deployed


@pytest.mark.parametrize(("name", "path"), [("ROOT", ""), ("examples", "/examples"), ("a#b", "/a/b")])
def test_context_names(name, path):
    assert context_path_for(name) == path
    assert base_name_for(path) == name


@pytest.mark.parametrize("name", ["", "a#", "#b"])
def test_bad_context_names(name):
    with pytest.raises(ConfigError):
        context_path_for(name)


@pytest.mark.parametrize(
    ("name", "strip", "path", "version", "base"),
    [
        ("shop##2", False, "/shop", "2", "shop##2"),
        ("shop##2.war", True, "/shop", "2", "shop##2"),
        ("a#b##v1.0", False, "/a/b", "v1.0", "a#b##v1.0"),
        ("ROOT##3", False, "", "3", "ROOT##3"),
        ("##3", False, "", "3", "ROOT##3"),
        ("ROOT.war", True, "", "", "ROOT"),
        ("app.XML", True, "/app", "", "app"),
        ("app.war", False, "/app.war", "", "app.war"),
        ("a##1##2", False, "/a", "1##2", "a##1##2"),
    ],
)
def test_versioned_context_names(name, strip, path, version, base):
    cn = ContextName.from_base_name(name, strip_extension=strip)
    assert (cn.path, cn.version, cn.base_name) == (path, version, base)
    assert cn.name == path + (f"##{version}" if version else "")
    assert base_name_for(path, version) == base


@pytest.mark.parametrize("name", ["shop##", "a#..#b", "a#.#b", "..", "a#", "##", ".war"])
def test_bad_versioned_names(name):
    with pytest.raises(ConfigError):
        ContextName.from_base_name(name, strip_extension=True)


def test_the_newest_version_is_the_greatest_string_as_in_tomcat():
    names = [ContextName("/a", v) for v in ("", "1", "9", "10")]
    assert newest(names) == ContextName("/a", "9")  # "10" < "9" as strings
    assert newest([]) is None
    assert context_path_for("a##2") == "/a"


def test_folders_of_one_path_come_newest_version_first():
    names = ["b", "a##1", "ROOT", "a", "a##2", "a#x", "bad#", "##5"]
    assert newest_first(names) == ["##5", "ROOT", "a##2", "a##1", "a", "a#x", "b", "bad#"]
