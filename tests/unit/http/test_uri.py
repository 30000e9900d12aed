"""Tests for catalina_py.http.uri (Tomcat's CoyoteAdapter URI handling)."""

from __future__ import annotations

import random
import re

import pytest

from catalina_py.http import uri as uri_mod
from catalina_py.http.uri import ParsedUri, UriError, parse_uri, split_target


def decoded(path: str, encoding: str = "utf-8") -> str:
    """Shorthand: the decoded path of ``path``."""
    return parse_uri(path, None, encoding).decoded_path


def rejected(path: str, encoding: str = "utf-8") -> UriError:
    """Assert that ``path`` is refused with a 400 and return the error."""
    with pytest.raises(UriError) as info:
        parse_uri(path, None, encoding)
    assert info.value.status == 400
    assert info.value.reason
    return info.value


# --------------------------------------------------------------- split_target


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/", ("/", None, None)),
        ("/examples/hello", ("/examples/hello", None, None)),
        ("/a?b=c", ("/a", "b=c", None)),
        ("/a?", ("/a", "", None)),
        ("/a?b?c=/d", ("/a", "b?c=/d", None)),
        ("/a;jsessionid=1?x", ("/a;jsessionid=1", "x", None)),
        ("/%7Euser/", ("/%7Euser/", None, None)),
        ("*", ("*", None, None)),
        ("http://h:8080/p?q", ("/p", "q", "h:8080")),
        ("http://h", ("/", None, "h")),
        ("http://h?q=1", ("/", "q=1", "h")),
        ("HTTPS://Example.COM/x/y", ("/x/y", None, "Example.COM")),
        ("http://user:pw@h/p", ("/p", None, "h")),
        ("http://h/p@q", ("/p@q", None, "h")),
        ("http://[::1]:80/p", ("/p", None, "[::1]:80")),
    ],
)
def test_split_target_forms(target, expected):
    assert split_target(target) == expected


@pytest.mark.parametrize(
    "target",
    [
        "",
        "/a#frag",
        "/a?b#c",
        "#",
        "a/b",
        "ftp://h/p",
        "http:/h/p",
        "httpx://h/",
        "h:80",
        "http:///p",
        "http://us er@h/p",
        "/a b",
        "/a\tb",
        "/a\x00",
        "/a\x7f",
        "/a\r\n",
        "/é",
        "/a\\b",
        '/a"b',
        "/a<b",
        "/a>b",
        "/a^b",
        "/a`b",
        "/a{b",
        "/a|b",
        "/a}b",
        "/a[b",
        "/a]b",
        "/a?b c",
        "/a?é",
        "/a?x[0]=1",
        "/a?x|y",
    ],
)
def test_split_target_rejects(target):
    with pytest.raises(UriError) as info:
        split_target(target)
    assert info.value.status == 400


def test_split_target_relaxed_chars():
    assert split_target("/a?x[0]=1", relaxed_query_chars="[]") == ("/a", "x[0]=1", None)
    assert split_target("/a|b", relaxed_path_chars="|") == ("/a|b", None, None)
    with pytest.raises(UriError):
        split_target("/a|b", relaxed_query_chars="|")


# -------------------------------------------------------------- the basics


def test_fast_path_result():
    parsed = parse_uri("/examples/hello", "a=1")
    assert parsed == ParsedUri("/examples/hello", "/examples/hello", {}, "a=1")


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/", "/"),
        ("/index.html", "/index.html"),
        ("/a/b/", "/a/b/"),
        ("/a+b", "/a+b"),  # '+' is not a space in a path
        ("/a%20b", "/a b"),
        ("/a%2Bb", "/a+b"),
        ("/%7euser", "/~user"),
        ("/%7Euser", "/~user"),  # mixed-case escapes
        ("/a%25b", "/a%b"),  # %25 decodes once only
        ("/a%252fb", "/a%2fb"),
        ("/caf%C3%A9", "/café"),
        ("/caf%c3%a9", "/café"),
        ("/%E2%82%AC", "/€"),
        ("/.hidden", "/.hidden"),
        ("/a/...", "/a/..."),
        ("/a/..b", "/a/..b"),
        ("/a./b", "/a./b"),
        ("/x.y/z", "/x.y/z"),
    ],
)
def test_decoding(path, expected):
    assert decoded(path) == expected


def test_query_untouched():
    parsed = parse_uri("/a%20b", "x=%2F&y=+")
    assert parsed.query == "x=%2F&y=+"
    assert parsed.raw_path == "/a%20b"


def test_asterisk():
    assert parse_uri("*", None) == ParsedUri("*", "*", {}, None)


# ----------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "path, expected",
    [
        ("//a//b", "/a/b"),
        ("///", "/"),
        ("/a///b/", "/a/b/"),
        ("/a/./b", "/a/b"),
        ("/./a", "/a"),
        ("/a/././b", "/a/b"),
        ("/a/./", "/a/"),
        ("/a/.", "/a"),  # the helper slash is removed again
        ("/.", "/"),
        ("/a/..", "/"),
        ("/a/b/..", "/a"),
        ("/a/b/../", "/a/"),
        ("/a/b/../c", "/a/c"),
        ("/a/b/../../c", "/c"),
        ("/a/b/c/../../d/./e/..", "/a/d"),
        ("/a//../b", "/b"),
        ("/a/.//b", "/a/b"),
        ("/a/b/./..", "/a"),
    ],
)
def test_normalisation(path, expected):
    assert decoded(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/..",
        "/../",
        "/../x",
        "/a/../../x",
        "/a/b/../../../x",
        "/./../x",
        "//../x",
        "/a/../..",
        "/%2e%2e/x",
        "/%2E%2E/x",
        "/%2e./x",
        "/.%2E/x",
        "/a/%2e%2e/%2e%2e/x",
        "/a/%2e%2e/%2e%2e",
        "/..;x=1/a",  # path parameters are gone before ".."
        "/a/..;/../x",
    ],
)
def test_traversal_above_root_rejected(path):
    rejected(path)


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/a/%2e%2e/x", "/x"),
        ("/a/%2e/x", "/a/x"),
        ("/a/b/%2e%2e", "/a"),
        ("/a/..;jsessionid=1/b", "/b"),  # Tomcat strips ";..." from every segment
    ],
)
def test_encoded_dots_resolved(path, expected):
    assert decoded(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/a/..%2fx",  # encodedSolidusHandling="reject"
        "/a%2f..%2fx",
        "/a%2Fb",
        "/%2f",
        "/a%5cb",  # %5c decodes to '\', then allowBackslash=false
        "/a%5C..%5Cb",
        "/a\\b",
        "\\..\\x",
        "/a/\\..\\",
        "/a%00b",  # NUL
        "/a\x00b",
        "/a%",  # invalid escapes
        "/a%2",
        "/a%zz",
        "/a%2g",
        "/a%%41",
        "/%g0",
        "/a%c3",  # invalid UTF-8
        "/a%ff",
        "/a%c3%28",
        "/a%c0%ae%c0%ae/x",  # overlong UTF-8 '.'
        "/a%e2%82",
        "/a%ed%a0%80",  # UTF-16 surrogate in UTF-8
        "",
        "a/b",
        "%2fa",
        ";x=1/a",
        "/é",  # non-ASCII never comes off the wire
    ],
)
def test_rejected(path):
    rejected(path)


def test_error_has_status_and_reason():
    err = rejected("/a%2fb")
    assert "2f" in err.reason.lower()
    assert str(err) == err.reason


# --------------------------------------------------------- path parameters


@pytest.mark.parametrize(
    "path, expected_path, expected_params",
    [
        ("/a;jsessionid=ABC", "/a", {"jsessionid": "ABC"}),
        ("/app/page.jsp;jsessionid=ABC", "/app/page.jsp", {"jsessionid": "ABC"}),
        ("/a;x=1/b;y=2", "/a/b", {"x": "1", "y": "2"}),
        ("/a;x=1;y=2/b", "/a/b", {"x": "1", "y": "2"}),
        ("/a;x=1;x=2", "/a", {"x": "2"}),
        ("/a;novalue/b", "/a/b", {}),
        ("/a;/b", "/a/b", {}),
        ("/a;x=/b", "/a/b", {"x": ""}),
        ("/a;x=1=2", "/a", {"x": "1=2"}),
        ("/a;x=%41", "/a", {"x": "%41"}),  # parameters stay raw
        ("/;x=1", "/", {"x": "1"}),
        ("/a%3bx=1", "/a;x=1", {}),  # an encoded ';' is data
        ("/a;x=%2f/b", "/a/b", {"x": "%2f"}),  # stripped before %2f is checked
    ],
)
def test_path_parameters(path, expected_path, expected_params):
    parsed = parse_uri(path, None)
    assert parsed.decoded_path == expected_path
    assert parsed.path_params == expected_params
    assert parsed.raw_path == path


def test_raw_path_keeps_everything():
    parsed = parse_uri("/a/./b;jsessionid=X/%41", "q")
    assert parsed.raw_path == "/a/./b;jsessionid=X/%41"
    assert parsed.decoded_path == "/a/b/A"
    assert parsed.path_params == {"jsessionid": "X"}


# --------------------------------------------------------------- encodings


def test_other_ascii_superset_encoding():
    assert decoded("/caf%E9", "iso-8859-1") == "/café"
    assert decoded("/caf%E9", "latin-1") == "/café"
    rejected("/caf%E9", "utf-8")


def test_shift_jis_backslash_byte_is_rejected_before_charset_decoding():
    # 0x5C is '\' at byte level, so Tomcat refuses it even where the
    # charset would make it the second byte of a character.
    rejected("/%83%5C", "shift_jis")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "cp500", "no-such-codec"])
def test_non_ascii_superset_encoding_refused(encoding):
    with pytest.raises(ValueError):
        parse_uri("/a%41", None, encoding)
    with pytest.raises(ValueError):
        parse_uri("/plain", None, encoding)


# ----------------------------------------------------- fast path equivalence


def _tomcat_normalize(path: str) -> str | None:
    """An independent, literal rendering of Tomcat's string-replace algorithm."""
    if not path or path[0] != "/" or "\\" in path or "\x00" in path:
        return None
    while "//" in path:
        path = path.replace("//", "/")
    appended = False
    if path.endswith("/.") or path.endswith("/.."):
        path += "/"
        appended = True
    while "/./" in path:
        i = path.index("/./")
        path = path[:i] + path[i + 2 :]
    while "/../" in path:
        i = path.index("/../")
        if i == 0:
            return None
        j = path.rindex("/", 0, i)
        path = path[:j] + path[i + 3 :]
    if appended and len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


_ALPHABET = ["/", "/", "/", ".", ".", "a", "b", "%2e", "%2E", ";x=1", "%41", "c.d", "%c3%a9"]


def _random_paths(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return ["/" + "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(0, 9))) for _ in range(count)]


@pytest.mark.parametrize("seed", range(5))
def test_normalisation_matches_tomcat_algorithm(seed):
    for path in _random_paths(400, seed):
        # Path parameters and decoding are exercised elsewhere: compare the
        # normaliser on already-decoded input.
        plain = re.sub(r";[^;/]*", "", path)
        plain = plain.replace("%2e", ".").replace("%2E", ".")
        plain = plain.replace("%41", "A").replace("%c3%a9", "e")
        expected = _tomcat_normalize(plain)
        if expected is None:
            with pytest.raises(UriError):
                parse_uri(plain, None)
        else:
            assert parse_uri(plain, None).decoded_path == expected, plain


@pytest.mark.parametrize("seed", range(3))
def test_random_paths_encoded_vs_plain(seed):
    # Path parameters go first and decoding happens before normalisation:
    # encoded dots behave exactly like literal ones.
    for path in _random_paths(300, seed + 100):
        plain = re.sub(r";[^;/]*", "", path)
        plain = plain.replace("%2e", ".").replace("%2E", ".")
        plain = plain.replace("%41", "A").replace("%c3%a9", "\u00e9")
        expected = _tomcat_normalize(plain)
        if expected is None:
            with pytest.raises(UriError):
                parse_uri(path, None)
        else:
            parsed = parse_uri(path, None)
            assert parsed.decoded_path == expected, path
            assert bool(parsed.path_params) == (";x=1" in path)


FAST_PATHS = [
    "/",
    "/examples",
    "/examples/",
    "/examples/hello",
    "/index.html",
    "/a/b/c/d.e.f",
    "/a-b_c~d/e!f$g&h'i(j)k*l+m,n=o:p@q",
    "/x.",
    "/WEB-INF/web.xml",
    "/a/b.",
    "/~user/",
    "/deep" * 20 + "/",
]


@pytest.mark.parametrize("path", FAST_PATHS)
def test_fast_path_equals_slow_path(path):
    fast = parse_uri(path, "q=1")
    slow = uri_mod._parse_slow(path, "q=1", "utf-8")
    assert fast == slow
    assert fast.decoded_path == path


@pytest.mark.parametrize("seed", range(3))
def test_fast_and_slow_agree_on_random_inputs(seed):
    rnd = random.Random(seed)
    alphabet = ["/", "a", "b", ".", "-", "_", "~", "x.y", "/."]
    for _ in range(500):
        path = "/" + "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 10)))
        try:
            fast = parse_uri(path, None)
        except UriError:
            with pytest.raises(UriError):
                uri_mod._parse_slow(path, None, "utf-8")
            continue
        assert fast == uri_mod._parse_slow(path, None, "utf-8"), path


def test_fast_path_gives_fresh_params_dict():
    first = parse_uri("/a", None)
    first.path_params["x"] = "1"
    assert parse_uri("/a", None).path_params == {}
