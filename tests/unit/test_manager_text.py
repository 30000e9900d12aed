"""The Manager's pure parts: Tomcat's messages, the context-path rules of
its commands, the session histogram, and the CSRF nonce cache."""

from __future__ import annotations

from catalina_py.manager.csrf import NONCE_CACHE_SIZE, NonceCache
from catalina_py.manager.text import escape, message, parse_context_path, session_histogram


def test_messages_are_tomcats():
    assert message("deployed", "/x") == "OK - Deployed application at context path [/x]"
    assert message("invalidPath", None) == "FAIL - Invalid context path [null] was specified"
    assert message("copyFail", "/a", "/b") == (
        "FAIL - Unable to copy [/a] to [/b], details of the error may be in the server logs"
    )
    assert message("listitem", "/", "running", 0, "ROOT") == "/:running:0:ROOT"


def test_escape_is_tomcats_html_element_content():
    assert escape("/nope") == "&#47;nope"
    assert escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"


def test_context_paths():
    assert parse_context_path("/") == ""
    assert parse_context_path("") == ""
    assert parse_context_path("/shop") == "/shop"
    assert parse_context_path("/a/b") == "/a/b"
    for bad in (None, "shop", "/shop/", "//x", "/a//b", "/..", "/a/../b", "/./a", "/a#b", "/a\\b", "/a\x00", "/ROOT"):
        assert parse_context_path(bad) is None, bad


def test_histogram_of_a_30_minute_timeout():
    lines = session_histogram(30, [5.0, 59.9, 61.0, 45 * 60.0, None])
    assert lines == [
        "Default maximum session inactive interval is [30] minutes",
        "Inactive for [<1] minutes: [2] sessions",
        "Inactive for [1 - <2] minutes: [1] sessions",
        "Inactive for [>=30] minutes: [1] sessions",
        "Unlimited time: [1] sessions",
    ]


def test_histogram_of_a_long_timeout_uses_wider_intervals():
    # 600 minutes: 60 intervals of 10 minutes, as Tomcat cuts them
    lines = session_histogram(600, [0.0, 15 * 60.0, 700 * 60.0])
    assert lines[1:] == [
        "Inactive for [<10] minutes: [1] sessions",
        "Inactive for [10 - <20] minutes: [1] sessions",
        "Inactive for [>=600] minutes: [1] sessions",
    ]


def test_histogram_with_expire():
    assert session_histogram(30, [], idle=0, expired=0) == [
        "Default maximum session inactive interval is [30] minutes",
        "Inactive for [>0] minutes: [0] sessions were expired",
    ]


def test_nonce_cache_keeps_the_last_few():
    cache = NonceCache()
    issued = [cache.issue() for _ in range(NONCE_CACHE_SIZE + 2)]
    assert len(set(issued)) == len(issued) and all(len(n) == 32 for n in issued)
    assert not cache.accepts(issued[0]) and not cache.accepts(issued[1])
    assert all(cache.accepts(n) for n in issued[2:])
    assert not cache.accepts(None) and not cache.accepts("") and not cache.accepts("0" * 32)
    again = NonceCache.from_list(cache.to_list())
    assert again.accepts(issued[-1]) and not again.accepts(issued[0])
    assert NonceCache.from_list("not a list").to_list() == []
    assert NonceCache.from_list([1, None, issued[-1]]).to_list() == [issued[-1]]
