"""Tests for catalina_py.http.grammar: the RFC 9110/9112 pieces every
other module uses (token, lists, Host, field lines)."""

from __future__ import annotations

import pytest

from catalina_py.http.errors import HttpParseError
from catalina_py.http.grammar import (
    TCHAR_SET,
    TOKEN_RE,
    connection_tokens,
    is_token,
    list_contains,
    parse_fields,
    split_host,
    split_list,
    token_list,
    valid_host,
)


def test_token_and_tchar_agree() -> None:
    for code in range(128):
        char = chr(code)
        assert (char in TCHAR_SET) == is_token(char), repr(char)
    assert is_token("Content-Type") and not is_token("") and not is_token("a b") and not is_token("a\n")
    assert TOKEN_RE.fullmatch("x-y") is not None


def test_split_list_drops_empty_elements_and_whitespace() -> None:
    assert split_list(["chat, superchat", "v2", " , ,\tx\t"]) == ["chat", "superchat", "v2", "x"]
    assert split_list([]) == []


def test_list_contains_ignores_case_and_whitespace() -> None:
    assert list_contains(["keep-alive, Close "], "close")
    assert not list_contains(["closed"], "close")


def test_token_list_as_tomcat() -> None:
    assert token_list(["gzip, Chunked"]) == ["gzip", "chunked"]
    assert token_list([" , "]) is None
    assert token_list(["a b"]) is None


def test_connection_tokens() -> None:
    assert connection_tokens(["Close"]) == ("close",)
    assert connection_tokens(["keep-alive, Upgrade", "x"]) == {"keep-alive", "upgrade", "x"}


@pytest.mark.parametrize(
    "value, name, port, bracketed",
    [
        ("example.com", "example.com", None, "example.com"),
        ("example.com:8080", "example.com", 8080, "example.com"),
        ("[::1]:8443", "::1", 8443, "[::1]"),
        ("[::1]", "::1", None, "[::1]"),
        ("host:", "host", None, "host"),
        ("host:abc", "host", None, "host"),
        ("", "", None, ""),
        ("[::1", "[::1", None, "[::1"),
    ],
)
def test_split_host(value: str, name: str, port: int | None, bracketed: str) -> None:
    assert split_host(value) == (name, port)
    assert split_host(value, brackets=True) == (bracketed, port)


def test_valid_host() -> None:
    assert valid_host("a.example:80") and valid_host("[::1]:1") and valid_host("1.2.3.4")
    assert not valid_host("a_b") and not valid_host("[zz::1]") and not valid_host("a:99999999999")
    assert valid_host("a:80", require_port=True) and not valid_host("a", require_port=True)


def test_parse_fields() -> None:
    items, index = parse_fields(["GET / HTTP/1.1", "Host: a", "X:  b \t", "x: c"], 1, "header", 10)
    assert items == [("Host", "a"), ("X", "b"), ("x", "c")]
    assert index == {"host": ["a"], "x": ["b", "c"]}
    with pytest.raises(HttpParseError, match="Obsolete line folding"):
        parse_fields([" folded"], 0, "header", -1)
    with pytest.raises(HttpParseError, match="Too many trailer fields"):
        parse_fields(["a: 1", "b: 2"], 0, "trailer", 1)
