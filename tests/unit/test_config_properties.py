"""Tests of catalina_py.config.properties: .properties files, -D options
and ${name} substitution (Tomcat's IntrospectionUtils.replaceProperties)."""

from __future__ import annotations

import os

import pytest

from catalina_py.config.properties import (
    build_properties,
    load_properties,
    parse_defines,
    parse_properties,
    substitute,
    substitute_with_unknown,
)
from catalina_py.errors import ConfigError

# --------------------------------------------------------------------------
# .properties syntax
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=b", {"a": "b"}),
        ("a:b", {"a": "b"}),
        ("a b", {"a": "b"}),
        ("a = b", {"a": "b"}),
        ("   a   :   b c  ", {"a": "b c  "}),
        ("a\tb", {"a": "b"}),
        ("a", {"a": ""}),
        ("a=", {"a": ""}),
        ("a==b", {"a": "=b"}),
        ("a = = b", {"a": "= b"}),
        ("# comment\n! other\n\n   \na=1", {"a": "1"}),
        ("  # indented comment\na=1", {"a": "1"}),
        ("a=1\na=2", {"a": "2"}),
        ("a=one \\\n    two", {"a": "one two"}),
        ("a=x\\\n\\\n  y", {"a": "xy"}),
        ("a=ends\\\\", {"a": "ends\\"}),
        ("a=c:\\\\dir\\\\file", {"a": "c:\\dir\\file"}),
        ("key\\ with\\ spaces=v", {"key with spaces": "v"}),
        ("k\\=eq=v", {"k=eq": "v"}),
        ("k\\:c=v", {"k:c": "v"}),
        ("a=\\t\\n\\r\\f", {"a": "\t\n\r\f"}),
        ("a=caf\\u00e9", {"a": "café"}),
        ("\\u0041=b", {"A": "b"}),
        ("a=\\q", {"a": "q"}),
        ("a=1\r\nb=2\rc=3", {"a": "1", "b": "2", "c": "3"}),
        ("# comment ending in backslash \\\na=1", {"a": "1"}),
        ("a=continued at eof\\", {"a": "continued at eof"}),
        ("a=${catalina.base}/x", {"a": "${catalina.base}/x"}),
    ],
)
def test_parse_properties_syntax(text: str, expected: dict[str, str]) -> None:
    assert parse_properties(text) == expected


def test_malformed_unicode_escape_is_an_error_with_line(tmp_path) -> None:
    path = tmp_path / "bad.properties"
    path.write_text("# header\nok=1\nbad=\\u12G4\n")
    with pytest.raises(ConfigError) as info:
        load_properties(str(path))
    assert info.value.file == str(path)
    assert info.value.line == 3
    assert str(info.value).startswith(f"{path}:3: malformed \\u escape")
    assert "four hexadecimal digits" in str(info.value)


def test_missing_properties_file_gives_empty_dict(tmp_path) -> None:
    assert load_properties(str(tmp_path / "none.properties")) == {}


def test_load_properties_utf8_latin1_and_bom(tmp_path) -> None:
    utf8 = tmp_path / "utf8.properties"
    utf8.write_bytes("\ufeffname=café\n".encode())
    latin = tmp_path / "latin.properties"
    latin.write_bytes("name=café\n".encode("iso-8859-1"))
    assert load_properties(str(utf8)) == {"name": "café"}
    assert load_properties(str(latin)) == {"name": "café"}


def test_shipped_catalina_properties_loads() -> None:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "conf", "catalina.properties")
    assert os.path.exists(path)
    assert isinstance(load_properties(path), dict)


# --------------------------------------------------------------------------
# -D options and precedence
# --------------------------------------------------------------------------


def test_parse_defines() -> None:
    assert parse_defines(["-Da=1", "-Db=x=y", "-Dempty", "c=3"]) == {"a": "1", "b": "x=y", "empty": "", "c": "3"}


@pytest.mark.parametrize("option", ["-D", "-D=value", "=value"])
def test_parse_defines_rejects_nameless(option: str) -> None:
    with pytest.raises(ConfigError, match="invalid property definition"):
        parse_defines([option])


def test_build_properties_precedence(tmp_path) -> None:
    home = tmp_path / "home"
    base = tmp_path / "base"
    (base / "conf").mkdir(parents=True)
    home.mkdir()
    (base / "conf" / "catalina.properties").write_text("from.file=file\nboth=file\ncatalina.base=/nope\n")
    props = build_properties(str(home), str(base), {"both": "define", "only.define": "d", "catalina.home": "/nope"})
    assert props["from.file"] == "file"
    assert props["both"] == "define"
    assert props["only.define"] == "d"
    assert props["catalina.home"] == str(home)
    assert props["catalina.base"] == str(base)


def test_build_properties_base_defaults_to_home(tmp_path) -> None:
    props = build_properties(str(tmp_path))
    assert props["catalina.base"] == props["catalina.home"] == str(tmp_path)


# --------------------------------------------------------------------------
# ${name} substitution
# --------------------------------------------------------------------------

PROPS = {
    "a": "A",
    "port": "8080",
    "empty": "",
    "ref": "${a}",
    "with:-colon": "WHOLE",
}


@pytest.mark.parametrize(
    ("text", "expected", "unknown"),
    [
        ("plain", "plain", []),
        ("${a}", "A", []),
        ("x${a}y${a}z", "xAyAz", []),
        ("${port}", "8080", []),
        ("${empty}", "", []),
        ("${missing}", "${missing}", ["missing"]),
        ("${missing}-${other}", "${missing}-${other}", ["missing", "other"]),
        ("${missing:-fallback}", "fallback", []),
        ("${a:-fallback}", "A", []),
        ("${missing:-}", "", []),
        ("${missing:-a:-b}", "a:-b", []),
        ("${with:-colon}", "WHOLE", []),
        ("${ref}", "${a}", []),  # replacement text is not scanned again
        ("$a", "$a", []),
        ("cost: 5$", "cost: 5$", []),
        ("$$", "$$", []),
        ("${a", "${a", []),
        ("x ${", "x ${", []),
        ("${}", "${}", [""]),
        ("${a}}", "A}", []),
    ],
)
def test_substitute(text: str, expected: str, unknown: list[str]) -> None:
    assert substitute_with_unknown(text, PROPS) == (expected, unknown)
    assert substitute(text, PROPS) == expected
