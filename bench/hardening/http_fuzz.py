"""Fuzz the HTTP/1.1 request parser (catalina_py.http.parser.RequestParser
and its body readers) in-process.

Inputs come from a structured generator (valid requests, and requests that
play games: CL/TE combinations, duplicated headers, boundary numbers, odd
line endings, obs-fold, pipelining, heads at the size limit) followed, most
of the time, by byte-level mutations (bench/hardening/mutate.py).

Every input is checked (:func:`check_http`) for:

* no exception but :class:`HttpParseError`, whose status is a 4xx/5xx the
  connector can answer with and whose reason is short printable ASCII;
* bounded work: each ``next_event()`` either makes progress or returns
  NEED_DATA, never NEED_DATA after EOF, never an empty ``Data``, and at
  most a few events per input byte;
* the same outcome (requests, bodies, trailers, final status) whether the
  bytes are fed whole, cut at random points, or one byte at a time;
* invariants of every accepted head (token method, no controls in the
  target or header values, consistent framing and Content-Length);
* for inputs both accept, the same request as an independent parser, h11
  (when it is installed), field by field.

Run (1,000,000 inputs on 2 processes, at most 30 minutes)::

    .venv/bin/python bench/hardening/http_fuzz.py --count 1000000 --workers 2 --seconds 1800

Reproducers of any failure are written to ``--out`` (default
``$TMPDIR/catalina_py-fuzz``); ``--replay FILE`` re-checks one.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.hardening.mutate import Mutator, random_splits
from catalina_py.http.errors import HttpParseError
from catalina_py.http.parser import CLOSED, NEED_DATA, Data, EndOfMessage, RequestHead, RequestParser

try:
    import h11
except ImportError:  # the oracle is optional
    h11 = None  # type: ignore[assignment]

__all__ = [
    "ALLOWED_STATUSES",
    "HttpResult",
    "Problem",
    "check_http",
    "game_request",
    "generate",
    "run_parser",
    "valid_request",
]

#: Statuses a parse error may carry (what the connector can answer with).
ALLOWED_STATUSES = frozenset((400, 413, 414, 417, 431, 501, 505))

_TOKEN_RE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_TOKEN_STR_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_CTL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_TARGET_BAD_RE = re.compile(r"[\x00-\x20\x7f]")


class Problem(Exception):
    """An invariant the parser broke (a finding, not a parse error)."""


# ---------------------------------------------------------------- generator

_METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "PROPFIND", "X-Custom"]
_PATHS = [
    "/",
    "/examples/",
    "/examples/servlets/helloworld",
    "/a/b/c.txt",
    "/search?q=a+b&x=%20y",
    "/a;jsessionid=ABC?x=1",
    "/%7Euser/index.html",
    "/x?redirect=/y?z",
    "/~!$&'()*+,;=:@",
]
_HOSTS = ["localhost", "127.0.0.1", "localhost:8080", "[::1]:80", "example.com", "a-b.example."]
_NAMES = ["Accept", "User-Agent", "X-Test", "Cookie", "Accept-Language", "If-None-Match", "X_Under", "x-lower"]
_VALUES = ["*/*", "text/html, application/xhtml+xml;q=0.9", "a=b; c=d", 'W/"etag"', "é-latin1", "", "v  w"]
_BODY_METHODS = {"POST", "PUT", "PATCH", "PROPFIND", "X-Custom", "DELETE"}

_BOUNDARY_NUMBERS = [
    "0",
    "1",
    "-1",
    "+1",
    " 1",
    "1 ",
    "01",
    "0x10",
    "1e3",
    "00000000000000000001",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999",
    "4294967296",
    "2147483648",
    "1,1",
    "1, 2",
    "",
    "١",  # an Arabic-Indic digit: str.isdigit() says yes
    "²",
]
_CHUNK_SIZES = [
    "0",
    "1",
    "a",
    "A",
    "7fffffff",
    "80000000",
    "ffffffff",
    "100000000",
    "000000001",
    "0000000001",
    "-1",
    "0x1",
    " 1",
    "1 ",
    "1;",
    "1;a",
    "1;a=b",
    '1;a="q"',
    "1 ;a",
    "g",
    "",
]
_TE_VALUES = [
    "chunked",
    "Chunked",
    "CHUNKED",
    " chunked",
    "chunked ",
    "chunked, chunked",
    "gzip, chunked",
    "chunked, gzip",
    "identity",
    "identity, chunked",
    "chunked;q=1",
    "chunked\x0b",
    ",chunked",
    "chunked,",
    "x",
    "",
    '"chunked"',
]
_VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1", "http/1.1", "HTTP/1.10", "HTTP/0.9", "HTTP/9.9", "HTTP/1.1 "]
#: Byte strings the mutator inserts whole (line ends, framing headers, tricks).
DICTIONARY = [
    b"\r\n",
    b"\r\n\r\n",
    b"\n",
    b"\r",
    b": ",
    b"Transfer-Encoding: chunked\r\n",
    b"Content-Length: 5\r\n",
    b"Content-Length: 0\r\n",
    b"Host: localhost\r\n",
    b"Expect: 100-continue\r\n",
    b"Connection: close\r\n",
    b"0\r\n\r\n",
    b"ffffffff\r\n",
    b" HTTP/1.1",
    b"GET / HTTP/1.1\r\n",
    b"%00",
    b"%2e%2e/",
    b"\r\n ",
    b"\t",
    b"\xc0\xaf",
    b"\x00",
]


def _rand_body(rng: random.Random) -> bytes:
    n = rng.choice((0, 1, 5, 10, 100, 1000, 5000))
    return bytes(rng.randrange(256) for _ in range(min(n, 64))) * (n // 64 + 1) if n > 64 else rng.randbytes(n)


def _chunked(rng: random.Random, body: bytes, trailers: list[tuple[str, str]], ext: bool = True) -> bytes:
    out = []
    pos = 0
    while pos < len(body):
        n = rng.randint(1, max(1, len(body) - pos))
        size = f"{n:x}" if rng.random() < 0.8 else f"{n:X}".rjust(rng.randint(1, 8), "0")
        if ext and rng.random() < 0.2:
            size += rng.choice((";a", ";a=b", ';name="v a l"', "; x = y"))
        out.append(size.encode() + b"\r\n" + body[pos : pos + n] + b"\r\n")
        pos += n
    out.append(b"0\r\n")
    for name, value in trailers:
        out.append(f"{name}: {value}\r\n".encode("latin-1"))
    out.append(b"\r\n")
    return b"".join(out)


def valid_request(rng: random.Random) -> bytes:
    """A request both RFC 9112 and Tomcat accept (the oracle applies)."""
    method = rng.choice(_METHODS)
    version = "HTTP/1.1" if rng.random() < 0.85 else "HTTP/1.0"
    if rng.random() < 0.05:
        target = "http://localhost" + rng.choice(_PATHS)
        host = "localhost"
    else:
        target = rng.choice(_PATHS)
        host = rng.choice(_HOSTS)
    headers: list[tuple[str, str]] = []
    if version == "HTTP/1.1" or rng.random() < 0.7:
        headers.append(("Host", host))
    for _ in range(rng.randint(0, 6)):
        headers.append((rng.choice(_NAMES), rng.choice(_VALUES)))
    if version == "HTTP/1.0" and rng.random() < 0.5:
        headers.append(("Connection", "keep-alive"))
    body = b""
    if method in _BODY_METHODS and rng.random() < 0.8:
        body = _rand_body(rng)
        if version == "HTTP/1.1" and rng.random() < 0.4:
            trailers = [("X-Trailer", "t")] if rng.random() < 0.2 else []
            headers.append(("Transfer-Encoding", "chunked"))
            body = _chunked(rng, body, trailers)
        else:
            headers.append(("Content-Length", str(len(body))))
    rng.shuffle(headers)
    eol = "\r\n"
    head = f"{method} {target} {version}{eol}" + "".join(f"{n}: {v}{eol}" for n, v in headers) + eol
    return head.encode("latin-1") + body


def game_request(rng: random.Random) -> bytes:
    """A request with one or more of the classic tricks played on it."""
    method = rng.choice(_METHODS + ["POST", "POST", "GET", "G ET", "", "get", "CONNECT"])
    target = rng.choice(_PATHS + ["*", "localhost:80", "http://evil.com/x", "//a", "/a b", "/\x7f", "/é", ""])
    version = rng.choice(_VERSIONS) if rng.random() < 0.3 else "HTTP/1.1"
    headers: list[tuple[str, str]] = []
    if rng.random() < 0.9:
        headers.append(("Host", rng.choice(_HOSTS + ["", "a b", "a:b:c", "[::1", "x:99999999999", "é"])))
    for _ in range(rng.randint(0, 4)):
        headers.append((rng.choice(_NAMES), rng.choice(_VALUES)))
    body = _rand_body(rng)
    games = rng.sample(range(14), rng.randint(1, 3))
    chunked_body = False
    for game in games:
        if game == 0:  # CL and TE together
            headers.append(("Content-Length", str(len(body))))
            headers.append(("Transfer-Encoding", rng.choice(_TE_VALUES)))
            chunked_body = True
        elif game == 1:  # two Content-Length
            a = str(len(body))
            headers.append(("Content-Length", a))
            headers.append(("Content-Length", rng.choice((a, str(len(body) + 1), "0"))))
        elif game == 2:  # odd TE spellings
            headers.append(("Transfer-Encoding", rng.choice(_TE_VALUES)))
            if rng.random() < 0.3:
                headers.append(("Transfer-Encoding", rng.choice(_TE_VALUES)))
            chunked_body = True
        elif game == 3:  # boundary Content-Length
            headers.append(("Content-Length", rng.choice(_BOUNDARY_NUMBERS)))
        elif game == 4:  # duplicated headers, up to the count limit
            name, value = rng.choice(headers) if headers else ("X", "y")
            headers.extend([(name, value)] * rng.choice((1, 2, 98, 99, 100, 101)))
        elif game == 5:  # obs-fold / whitespace before colon / empty name
            headers.append(
                rng.choice([("X-Fold", "a\r\n b"), ("X-Sp ", "v"), ("", "v"), ("X\x00", "v"), ("X", "a\rb")])
            )
        elif game == 6:  # head size at the 8 KiB boundary
            pad = 8192 - 60 - sum(len(n) + len(v) + 4 for n, v in headers) + rng.randint(-4, 4)
            headers.append(("X-Pad", "p" * max(0, pad)))
        elif game == 7:  # Expect
            headers.append(("Expect", rng.choice(("100-continue", "100-Continue", "200-ok", ""))))
        elif game == 8:  # Connection tokens
            headers.append(("Connection", rng.choice(("close", "keep-alive", "Upgrade", "close, keep-alive", ","))))
        elif game == 9:  # TE on HTTP/1.0
            version = "HTTP/1.0"
            headers.append(("Transfer-Encoding", "chunked"))
            chunked_body = True
        elif game == 10:  # duplicated Host
            headers.append(("Host", rng.choice(_HOSTS)))
        elif game == 11:  # Unicode in names / values
            headers.append(("X-Ü", "ü") if rng.random() < 0.5 else ("X-U", "\u00ff\u0080"))
        elif game == 12:  # trailers that are forbidden or huge
            headers.append(("Transfer-Encoding", "chunked"))
            chunked_body = True
        else:  # Content-Length smaller / larger than the body
            headers.append(("Content-Length", str(max(0, len(body) + rng.choice((-3, -1, 1, 7))))))
    if chunked_body:
        if rng.random() < 0.5:
            sizes = rng.choice(_CHUNK_SIZES)
            body = sizes.encode("latin-1") + b"\r\n" + body[:8] + b"\r\n0\r\n\r\n"
        else:
            trailers = [("X-T", "v")] if rng.random() < 0.7 else [("X-T", "v" * rng.choice((10, 8200)))]
            body = _chunked(rng, body, trailers)
    eol = rng.choice(("\r\n",) * 8 + ("\n", "\r", "\n\r"))
    lead = rng.choice(("",) * 10 + ("\r\n", "\n", "\r\n\r\n", " "))
    head = f"{lead}{method} {target} {version}{eol}" + "".join(f"{n}: {v}{eol}" for n, v in headers) + eol
    return head.encode("utf-8" if rng.random() < 0.3 else "latin-1", "replace") + body


def generate(rng: random.Random, mutator: Mutator) -> tuple[bytes, str]:
    """One fuzzed input and its kind (valid / game / mutated / pipelined)."""
    r = rng.random()
    if r < 0.15:
        return valid_request(rng), "valid"
    if r < 0.20:
        return b"".join(valid_request(rng) for _ in range(rng.randint(2, 3))), "pipelined"
    if r < 0.40:
        return game_request(rng), "game"
    seed = valid_request(rng) if rng.random() < 0.5 else game_request(rng)
    if rng.random() < 0.15:
        seed += valid_request(rng)
    data, _ = mutator.mutate(seed)
    return data, "mutated"


# ----------------------------------------------------------------- checking


@dataclass
class HttpResult:
    """What the parser made of one input: the complete requests (head
    fields, body, trailers), an incomplete last request, and how it ended
    ("closed" or the parse error's status)."""

    requests: list[tuple[Any, ...]] = field(default_factory=list)
    partial: tuple[Any, ...] | None = None
    end: str = ""
    reason: str = ""

    def key(self) -> tuple[Any, ...]:
        """What must not depend on how the bytes were split."""
        return (self.requests, self.partial, self.end)


def _check_head(head: RequestHead) -> None:
    if _TOKEN_STR_RE.match(head.method) is None:
        raise Problem(f"method is not a token: {head.method!r}")
    if not head.target or _TARGET_BAD_RE.search(head.target):
        raise Problem(f"target with controls or spaces: {head.target!r}")
    if head.version not in ("HTTP/1.0", "HTTP/1.1"):
        raise Problem(f"version {head.version!r} accepted")
    for name, value in head.headers:
        if _TOKEN_STR_RE.match(name) is None:
            raise Problem(f"header name is not a token: {name!r}")
        if _CTL_RE.search(value) or value[:1] in (" ", "\t") or value[-1:] in (" ", "\t"):
            raise Problem(f"header value with CTL or untrimmed: {value!r}")
    if head.version == "HTTP/1.1" and "host" not in head.headers:
        raise Problem("HTTP/1.1 request without Host accepted")
    if head.body == "chunked":
        # RFC 9112 6.3 lets a server either refuse CL + TE or let TE win
        # (Tomcat does); either way the length must not be used.
        if head.content_length is not None:
            raise Problem("chunked with a Content-Length")
    elif head.body == "length":
        if head.content_length is None or head.content_length < 0:
            raise Problem("length framing without a length")
    elif head.body == "none":
        if head.content_length not in (None, 0):
            raise Problem("no body but a Content-Length")
        if "transfer-encoding" in head.headers:
            raise Problem("Transfer-Encoding ignored")
    else:
        raise Problem(f"unknown framing {head.body!r}")


def _head_key(head: RequestHead) -> tuple[Any, ...]:
    return (
        head.method,
        head.target,
        head.version,
        tuple(head.headers),
        head.body,
        head.content_length,
        head.expect_continue,
        head.keep_alive,
    )


def run_parser(chunks: list[bytes]) -> HttpResult:
    """Feed *chunks* to a new RequestParser, then EOF; drive it to the end.

    Raises :class:`Problem` for a broken invariant; any exception other
    than HttpParseError escapes (a crash)."""
    parser = RequestParser()
    result = HttpResult()
    total = sum(len(c) for c in chunks)
    budget = 3 * total + 16 * (len(chunks) + 1) + 16
    steps = 0
    head: RequestHead | None = None
    body = bytearray()

    def pump(eof: bool) -> bool:
        nonlocal steps, head, body
        while True:
            steps += 1
            if steps > budget:
                raise Problem(f"more than {budget} events for {total} bytes: no progress")
            ev = parser.next_event()
            if ev is NEED_DATA:
                if eof:
                    raise Problem("NEED_DATA after EOF (would hang)")
                return False
            if ev is CLOSED:
                if not eof or head is not None:
                    raise Problem("CLOSED before EOF or inside a request")
                return True
            if type(ev) is RequestHead:
                if head is not None:
                    raise Problem("a second head before EndOfMessage")
                _check_head(ev)
                head, body = ev, bytearray()
            elif type(ev) is Data:
                if head is None or not ev.data:
                    raise Problem("Data outside a request, or empty")
                body += ev.data
            elif type(ev) is EndOfMessage:
                if head is None:
                    raise Problem("EndOfMessage without a head")
                if head.body == "length" and len(body) != head.content_length:
                    raise Problem(f"body of {len(body)} bytes for Content-Length {head.content_length}")
                if head.body == "none" and body:
                    raise Problem("body bytes for a body-less request")
                if ev.trailers and head.body != "chunked":
                    raise Problem("trailers without chunked")
                result.requests.append((_head_key(head), bytes(body), tuple(ev.trailers)))
                head = None
                parser.start_next_request()
            else:
                raise Problem(f"unknown event {ev!r}")

    try:
        for chunk in chunks:
            if not chunk:
                continue  # feed(b"") means EOF
            parser.feed(chunk)
            pump(False)
        parser.feed(b"")
        pump(True)
        result.end = "closed"
    except HttpParseError as exc:
        if exc.status not in ALLOWED_STATUSES:
            raise Problem(f"parse error status {exc.status}")
        if not exc.reason or len(exc.reason) > 200 or not all(" " <= c <= "~" for c in exc.reason):
            raise Problem(f"parse error reason not short printable ASCII: {exc.reason!r}")
        try:
            parser.next_event()
        except HttpParseError as again:
            if again.status != exc.status:
                raise Problem("a failed parser raised a different error next time")
        else:
            raise Problem("a failed parser recovered")
        result.end = str(exc.status)
        result.reason = exc.reason
    if head is not None:
        result.partial = (_head_key(head),)
    return result


def _h11_requests(data: bytes) -> tuple[list[tuple[Any, ...]], bool]:
    """The complete requests h11 reads from *data* and whether it stopped
    on an error (h11 goes on after a request only while it may)."""
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 20)
    # RFC 9112 2.2: a server SHOULD ignore empty lines before the request
    # line (Tomcat and catalina_py do); h11 does not, so they are cut here.
    conn.receive_data(data.lstrip(b"\r\n"))
    conn.receive_data(b"")
    out: list[tuple[Any, ...]] = []
    req = None
    body = bytearray()
    try:
        for _ in range(10_000):
            ev = conn.next_event()
            if isinstance(ev, h11.Request):
                req, body = ev, bytearray()
            elif isinstance(ev, h11.Data):
                body += ev.data
            elif isinstance(ev, h11.EndOfMessage):
                assert req is not None
                out.append((req, bytes(body), ev))
                conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                conn.send(h11.EndOfMessage())
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                    conn.start_next_cycle()
                else:
                    return out, False
            else:
                return out, False
    except h11.RemoteProtocolError:
        return out, True
    except h11.LocalProtocolError:
        # CONNECT or Upgrade: h11 switches protocols and stops reading.
        return out, False
    return out, False


def _normalised(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Undo h11's own normalisations before comparing: it lower-cases the
    Transfer-Encoding value and keeps one of several identical
    Content-Length fields."""
    out: list[tuple[str, str]] = []
    for name, value in fields:
        lower = name.lower()
        if lower == "transfer-encoding":
            value = value.lower()
        elif lower == "content-length" and any(n.lower() == lower and v == value for n, v in out):
            continue
        out.append((name, value))
    return out


def _same_as_h11(ours: tuple[Any, ...], theirs: tuple[Any, ...]) -> str | None:
    """None if the request is the same for both parsers, else what differs."""
    (method, target, version, headers, _framing, _cl, _expect, _ka), body, trailers = ours
    req, tbody, eom = theirs
    if req.method.decode("latin-1") != method:
        return "method"
    if req.target.decode("latin-1") != target:
        return "target"
    if "HTTP/" + req.http_version.decode() != version:
        return "version"
    theirs_h = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in req.headers.raw_items()]
    if _normalised(theirs_h) != _normalised(list(headers)):
        return "headers"
    if tbody != body:
        return "body"
    tt = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in eom.headers.raw_items()]
    if _normalised(tt) != _normalised(list(trailers)):
        return "trailers"
    return None


def check_http(data: bytes, rng: random.Random, bytewise: bool | None = None, oracle: bool = True) -> list[str]:
    """Check one input; return outcome labels (the first is the parser's
    outcome). Raises :class:`Problem` for a finding (crashes escape)."""
    whole = run_parser([data])
    split = run_parser(random_splits(rng, data))
    if split.key() != whole.key():
        raise Problem(f"split feed differs: whole={whole.end} {whole.reason!r}, split={split.end} {split.reason!r}")
    if bytewise is None:
        bytewise = len(data) <= 600 and rng.random() < 0.1
    if bytewise:
        one = run_parser([data[i : i + 1] for i in range(len(data))])
        if one.key() != whole.key():
            raise Problem(f"byte-at-a-time feed differs: whole={whole.end} {whole.reason!r}, bytewise={one.end}")
    labels = [f"{len(whole.requests)} request(s), then {whole.end}" if whole.end == "closed" else f"error {whole.end}"]
    if oracle and h11 is not None:
        theirs, _ = _h11_requests(data)
        if whole.requests and theirs:
            diff = _same_as_h11(whole.requests[0], theirs[0])
            if diff is not None:
                raise Problem(f"h11 reads the same request differently ({diff})")
            labels.append("oracle: same request as h11")
        elif whole.requests:
            labels.append("oracle: only catalina accepts")
        elif theirs:
            labels.append("oracle: only h11 accepts")
        else:
            labels.append("oracle: both refuse")
    return labels


# --------------------------------------------------------------------- main


def _worker(args: tuple[int, int, float, str]) -> tuple[Counter[str], list[tuple[str, bytes, str]], int]:
    seed, count, deadline, out = args
    rng = random.Random(seed)
    corpus = [valid_request(rng) for _ in range(200)] + [game_request(rng) for _ in range(200)]
    mutator = Mutator(rng, corpus, DICTIONARY)
    counts: Counter[str] = Counter()
    failures: list[tuple[str, bytes, str]] = []
    done = 0
    for done in range(1, count + 1):
        data, kind = generate(rng, mutator)
        counts[f"kind: {kind}"] += 1
        try:
            for label in check_http(data, rng):
                counts[label] += 1
        except Problem as exc:
            counts["FINDING: invariant broken"] += 1
            if len(failures) < 50:
                failures.append(("problem", data, str(exc)))
        except Exception as exc:  # a crash: anything but HttpParseError
            counts["CRASH: exception"] += 1
            if len(failures) < 50:
                failures.append(("crash", data, f"{type(exc).__name__}: {exc}"))
        if done % 1000 == 0 and time.time() > deadline:
            break
    return counts, failures, done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000, help="inputs in all (default 100000)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=1800, help="stop after this long even if count is not reached")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--out",
        default=str(Path(tempfile.gettempdir()) / "catalina_py-fuzz"),
        help="where reproducers of failures go (default: $TMPDIR/catalina_py-fuzz)",
    )
    ap.add_argument("--replay", help="re-check one saved input and print the outcome")
    a = ap.parse_args(argv)
    if a.replay:
        data = Path(a.replay).read_bytes()
        print(check_http(data, random.Random(0), bytewise=True))
        return 0
    start = time.time()
    per = a.count // a.workers
    jobs = [
        (a.seed * 1000 + i, per + (a.count % a.workers if i == 0 else 0), start + a.seconds, a.out)
        for i in range(a.workers)
    ]
    with multiprocessing.Pool(a.workers) as pool:
        results = pool.map(_worker, jobs)
    elapsed = time.time() - start
    total: Counter[str] = Counter()
    failures = []
    done = 0
    for counts, fails, n in results:
        total.update(counts)
        failures.extend(fails)
        done += n
    print(
        f"HTTP parser fuzz: {done} inputs in {elapsed:.1f} s ({done / elapsed:.0f}/s), {a.workers} workers, seed {a.seed}"
    )
    print(f"oracle: {'h11 ' + h11.__version__ if h11 is not None else 'h11 not installed (skipped)'}")
    for label, n in sorted(total.items()):
        print(f"  {n:9d}  {label}")
    if failures:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        for i, (what, data, text) in enumerate(failures):
            (out / f"http-{what}-{i}.bin").write_bytes(data)
            (out / f"http-{what}-{i}.txt").write_text(text + "\n")
            print(f"  {what}: {text}  -> {out / f'http-{what}-{i}.bin'}")
        return 1
    print("  0 crashes, 0 invariant violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
