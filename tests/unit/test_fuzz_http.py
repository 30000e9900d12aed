"""Property tests of the HTTP request parser: a small, bounded version of
bench/hardening/http_fuzz.py (which runs a million inputs) so that a
regression fails the suite.

The three property tests draw 1,200 examples between them (derandomized: the same examples on
every run, no database) and checks, through ``http_fuzz.check_http``: no
exception but HttpParseError (with a 4xx/5xx status and a short printable
reason), bounded work per input (progress or NEED_DATA, never NEED_DATA
after EOF), the same result fed whole, split at random points and one byte
at a time, and for valid requests the same request as h11 reads.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.hardening import http_fuzz
from bench.hardening.mutate import Mutator
from catalina_py.http.errors import HttpParseError
from catalina_py.http.parser import RequestParser

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
PATH_CHARS = "abcXYZ019-._~%!$&'()*+,;=:@/"
token = st.text(alphabet=TCHARS, min_size=1, max_size=12)
# Field values: visible ASCII and obs-text, inner spaces; no leading or
# trailing whitespace (both parsers strip it).
field_value = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=20
).flatmap(lambda v: st.just(v) if len(v) < 3 else st.sampled_from([v, v[0] + " " + v[1:], v[0] + "\t" + v[1:]]))
# Field names a request may repeat freely (no framing, Host or Expect).
extra_name = token.filter(
    lambda n: n.lower() not in ("host", "content-length", "transfer-encoding", "expect", "connection", "upgrade")
)


@st.composite
def valid_requests(draw: st.DrawFn) -> bytes:
    """A request RFC 9112, Tomcat and h11 all accept, with its body."""
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS"]) | token)
    target = "/" + draw(st.text(alphabet=PATH_CHARS, max_size=30))
    if draw(st.booleans()):
        target += "?" + draw(st.text(alphabet=PATH_CHARS + "?", max_size=20))
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0"]))
    headers = [("Host", draw(st.sampled_from(["localhost", "127.0.0.1:8080", "[::1]", "a.example"])))]
    headers += draw(st.lists(st.tuples(extra_name, field_value), max_size=6))
    body = draw(st.binary(max_size=300))
    framing = draw(st.sampled_from(["length", "chunked", "none"] if version == "HTTP/1.1" else ["length", "none"]))
    payload = b""
    if framing == "length":
        headers.append(("Content-Length", str(len(body))))
        payload = body
    elif framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        sizes = draw(st.lists(st.integers(1, 64), max_size=6))
        pos = 0
        for n in sizes:
            piece = body[pos : pos + n]
            if not piece:
                break
            payload += b"%x\r\n" % len(piece) + piece + b"\r\n"
            pos += len(piece)
        payload += b"0\r\n"
        for name, value in draw(st.lists(st.tuples(extra_name, field_value), max_size=2)):
            payload += f"{name}: {value}\r\n".encode("latin-1")
        payload += b"\r\n"
    order = draw(st.permutations(headers))
    head = f"{method} {target} {version}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in order) + "\r\n"
    return head.encode("latin-1") + payload


@settings(FUZZ, max_examples=400)
@given(data=valid_requests(), rng=st.randoms(use_true_random=False))
def test_valid_requests_read_as_h11_reads_them(data: bytes, rng: random.Random) -> None:
    labels = http_fuzz.check_http(data, rng, bytewise=len(data) < 300)
    assert labels == ["1 request(s), then closed", "oracle: same request as h11"], (labels, data)


@st.composite
def mutated_requests(draw: st.DrawFn) -> bytes:
    """A valid or game request with up to four byte-level edits, drawn so
    that hypothesis can shrink a failure to a small reproducer."""
    seed = (
        draw(valid_requests())
        if draw(st.booleans())
        else http_fuzz.game_request(draw(st.randoms(use_true_random=False)))
    )
    rng = draw(st.randoms(use_true_random=False))
    mutator = Mutator(rng, [seed], http_fuzz.DICTIONARY)
    mutated, _ = mutator.mutate(seed)
    return mutated


@settings(FUZZ, max_examples=400)
@given(data=mutated_requests(), rng=st.randoms(use_true_random=False))
def test_mutated_requests_keep_the_invariants(data: bytes, rng: random.Random) -> None:
    http_fuzz.check_http(data, rng, bytewise=len(data) < 300)


@settings(FUZZ, max_examples=400)
@given(data=st.binary(max_size=400), rng=st.randoms(use_true_random=False))
def test_random_bytes_keep_the_invariants(data: bytes, rng: random.Random) -> None:
    http_fuzz.check_http(data, rng, bytewise=True, oracle=False)


# Inputs the fuzzer's games are built from, checked one by one: the classic
# smuggling shapes, boundary numbers and line-ending tricks.
CASES = [
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \xd9\xa1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\nabc",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n100000000\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n0\r\nX: y\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
    b"GET / HTTP/1.1\nHost: a\n\n",
    b"GET / HTTP/1.1\rHost: a\r\r",
    b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET http://a/x HTTP/1.1\r\nHost: b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
    b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"v" * 8200 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: v\r\n" * 100 + b"\r\n",
    b"\r\n" * 5000,
    b"",
]


@pytest.mark.parametrize("data", CASES, ids=range(len(CASES)))
def test_edge_cases_keep_the_invariants(data: bytes) -> None:
    http_fuzz.check_http(data, random.Random(0), bytewise=True)


def test_the_checks_catch_a_parser_that_misbehaves(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness is worth something only if it fails a broken parser: a
    parse error with a status the connector cannot answer is reported."""
    original = RequestParser.next_event

    def broken(self: RequestParser):  # type: ignore[no-untyped-def]
        try:
            return original(self)
        except HttpParseError as exc:
            raise HttpParseError(200, exc.reason) from None

    monkeypatch.setattr(RequestParser, "next_event", broken)
    with pytest.raises(http_fuzz.Problem):
        http_fuzz.check_http(b"GET / HTTP/9.9\r\n\r\n", random.Random(0))
