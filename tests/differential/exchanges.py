"""The exchanges of the differential test, generated from compact tables.

Each :class:`Exchange` is one or more raw requests (steps, each on a new
connection) sent byte for byte to both servers. A step may use values
the previous step's answer gave (``{sid}``, ``{etag}``, ``{lastmod}``,
filled in per server). Ids are ``area/name``; the known-differences file
refers to them by glob.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

from tests.differential.deploy import LINKS, MTIME

H11 = "HTTP/1.1"
HOST = (("Host", "localhost"),)
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
LASTMOD = "Tue, 14 Nov 2023 22:13:20 GMT"  # deploy.MTIME as an HTTP date
assert MTIME == 1_700_000_000


@dataclass(frozen=True)
class Step:
    """One connection: the bytes sent and how to read the answer."""

    data: bytes
    head: bool = False
    responses: int = 1
    frames: tuple[bytes, ...] = ()
    probe: bool = True
    split: tuple[int, ...] = ()  # offsets where the client pauses (bytes in pieces)


@dataclass(frozen=True)
class Exchange:
    """One named case: its steps run in order on new connections."""

    id: str
    steps: tuple[Step, ...] = field(default_factory=tuple)


def req(
    target: str = "/diff/echo/x",
    method: str = "GET",
    version: str = H11,
    headers: tuple[tuple[str, str], ...] = HOST,
    body: bytes = b"",
    eol: bytes = b"\r\n",
    length: bool | None = None,
) -> bytes:
    """A request head (and body): ``length`` adds Content-Length (by
    default when there is a body)."""
    line = f"{method} {target} {version}" if version else f"{method} {target}"
    lines = [line.encode("latin-1")]
    lines += [f"{n}: {v}".encode("latin-1") for n, v in headers]
    if length or (length is None and body):
        lines.append(f"Content-Length: {len(body)}".encode())
    return eol.join(lines) + eol + eol + body


def raw(data: str | bytes) -> bytes:
    return data.encode("latin-1") if isinstance(data, str) else data


def frame(
    opcode: int, payload: bytes = b"", fin: bool = True, rsv: int = 0, masked: bool = True, length: int | None = None
) -> bytes:
    """A client frame (masked unless told), ``length`` overriding the real one."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    mbit = 0x80 if masked else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    mask = b"\x11\x22\x33\x44"
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close(code: int | None = 1000, reason: bytes = b"") -> bytes:
    return frame(8, b"" if code is None else struct.pack(">H", code) + reason)


CLOSE = close(1000)


def ws_headers(**over: str | None) -> tuple[tuple[str, str], ...]:
    """A valid handshake's headers with some replaced (None drops one)."""
    base = {
        "Host": "localhost",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": KEY,
        "Sec-WebSocket-Version": "13",
    }
    for name, value in over.items():
        base[name.replace("_", "-")] = value  # type: ignore[assignment]
    return tuple((n, v) for n, v in base.items() if v is not None)


def accept_of(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()


def one(id_: str, data: bytes, **kw: object) -> Exchange:
    return Exchange(id_, (Step(data, **kw),))  # type: ignore[arg-type]


def _request_line() -> list[Exchange]:
    out = []
    methods = [
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "DELETE",
        "OPTIONS",
        "TRACE",
        "PATCH",
        "FOO",
        "get",
        "G@T",
        "CONNECT",
        "PROPFIND",
        "M" * 300,
    ]
    for m in methods:
        out.append(one(f"method/{m[:20]}", req(method=m), head=m == "HEAD"))
        out.append(one(f"method-static/{m[:20]}", req("/diff/static/hello.txt", method=m), head=m == "HEAD"))
    versions = [
        "HTTP/1.1",
        "HTTP/1.0",
        "HTTP/1",
        "HTTP/2.0",
        "HTTP/2",
        "HTTP/1.2",
        "HTTP/3.0",
        "HTTP/0.9",
        "http/1.1",
        "HTTP/1.10",
        "HTTP/01.1",
        "HTTP/1.1x",
        "HTTP/1.",
        "HTTP/",
        "HTTPS/1.1",
        "HTTP/9.9",
        "HTTP/1.1 ",
        "HTTP/A.B",
    ]
    for v in versions:
        out.append(one(f"version/{v.strip()}{'-sp' if v.endswith(' ') else ''}", req(version=v)))
    out.append(one("version/none-0.9", b"GET /diff/echo/x\r\n\r\n"))
    lines = {
        "double-space-after-method": "GET  /diff/echo/x HTTP/1.1",
        "double-space-before-version": "GET /diff/echo/x  HTTP/1.1",
        "tab-separators": "GET\t/diff/echo/x\tHTTP/1.1",
        "leading-space": " GET /diff/echo/x HTTP/1.1",
        "no-target": "GET HTTP/1.1",
        "empty-method": " /diff/echo/x HTTP/1.1",
        "star-get": "GET * HTTP/1.1",
        "star-options": "OPTIONS * HTTP/1.1",
        "absolute-form": "GET http://localhost/diff/echo/x?q=1 HTTP/1.1",
        "absolute-form-other-host": "GET http://other.example/diff/echo/x HTTP/1.1",
        "absolute-form-https": "GET https://localhost/diff/echo/x HTTP/1.1",
        "absolute-form-no-path": "GET http://localhost HTTP/1.1",
        "absolute-form-userinfo": "GET http://user@localhost/diff/echo/x HTTP/1.1",
        "absolute-form-port": "GET http://localhost:8080/diff/echo/x HTTP/1.1",
        "absolute-form-upper-scheme": "GET HTTP://localhost/diff/echo/x HTTP/1.1",
        "absolute-form-ftp": "GET ftp://localhost/diff/echo/x HTTP/1.1",
        "authority-form": "CONNECT localhost:80 HTTP/1.1",
        "no-leading-slash": "GET diff/echo/x HTTP/1.1",
        "nul-in-target": "GET /diff/echo/\x00x HTTP/1.1",
        "ctl-in-target": "GET /diff/echo/\x01x HTTP/1.1",
        "del-in-target": "GET /diff/echo/\x7fx HTTP/1.1",
        "raw-utf8-target": "GET /diff/echo/caf\xc3\xa9 HTTP/1.1",
        "raw-latin1-target": "GET /diff/echo/caf\xe9 HTTP/1.1",
        "fragment": "GET /diff/echo/x#frag HTTP/1.1",
        "space-in-query": "GET /diff/echo/x?a=b c HTTP/1.1",
    }
    for name, line in lines.items():
        out.append(one(f"line/{name}", raw(line + "\r\nHost: localhost\r\n\r\n")))
    for ch in '{}|^`"<>\\[]':
        code = f"{ord(ch):02x}"
        out.append(one(f"char-path/{code}", raw(f"GET /diff/echo/a{ch}b HTTP/1.1\r\nHost: localhost\r\n\r\n")))
        out.append(one(f"char-query/{code}", raw(f"GET /diff/echo/x?a={ch} HTTP/1.1\r\nHost: localhost\r\n\r\n")))
    out.append(one("line/leading-crlf", b"\r\n" + req()))
    out.append(one("line/leading-2crlf", b"\r\n\r\n" + req()))
    out.append(one("line/bare-lf", req(eol=b"\n")))
    out.append(one("line/bare-cr", req(eol=b"\r")))
    for size in (1000, 7000, 8100, 9000, 70000):
        out.append(one(f"line/target-{size}", req("/diff/echo/" + "a" * size)))
        out.append(one(f"line/query-{size}", req("/diff/echo/x?a=" + "b" * size)))
    return out


def _headers() -> list[Exchange]:
    out = []
    hosts = {
        "none-11": None,
        "empty": "",
        "port": "localhost:8080",
        "ip": "127.0.0.1",
        "ipv6": "[::1]:80",
        "bad-port": "localhost:abc",
        "big-port": "localhost:99999",
        "space": "local host",
        "underscore": "my_host",
        "trailing-dot": "localhost.",
        "userinfo": "user@localhost",
        "comma": "a,b",
        "upper": "LOCALHOST",
        "percent": "local%20host",
    }
    for name, value in hosts.items():
        headers = () if value is None else (("Host", value),)
        out.append(one(f"host/{name}", req(headers=headers)))
    out.append(one("host/none-10", req(version="HTTP/1.0", headers=())))
    out.append(one("host/none-10-keepalive", req(version="HTTP/1.0", headers=(("Connection", "keep-alive"),))))
    out.append(one("host/two", req(headers=(("Host", "localhost"), ("Host", "localhost")))))
    out.append(one("host/two-differ", req(headers=(("Host", "localhost"), ("Host", "other")))))
    out.append(
        one("host/absolute-form-wins", raw("GET http://other:81/diff/echo/x HTTP/1.1\r\nHost: localhost\r\n\r\n"))
    )
    lines = {
        "space-before-colon": "X-A : v",
        "tab-before-colon": "X-A\t: v",
        "no-colon": "X-A v",
        "empty-name": ": v",
        "bad-name-char": "X(A): v",
        "name-with-space": "X A: v",
        "obs-fold": "X-A: v\r\n continued",
        "obs-fold-tab": "X-A: v\r\n\tcontinued",
        "nul-in-value": "X-A: a\x00b",
        "ctl-in-value": "X-A: a\x01b",
        "del-in-value": "X-A: a\x7fb",
        "tab-in-value": "X-A: a\tb",
        "high-bytes-value": "X-A: caf\xc3\xa9",
        "latin1-value": "X-A: caf\xe9",
        "spaces-around-value": "X-A:    v   ",
        "empty-value": "X-A:",
        "no-space-value": "X-A:v",
        "dup-header": "X-A: 1\r\nX-A: 2",
        "case-mixed": "x-a: 1\r\nX-a: 2",
        "cr-in-value": "X-A: a\rb",
        "leading-ws-line": " X-A: v",
        "utf8-name": "X-caf\xc3\xa9: v",
    }
    for name, line in lines.items():
        out.append(one(f"header/{name}", raw(f"GET /diff/echo/x HTTP/1.1\r\nHost: localhost\r\n{line}\r\n\r\n")))
    for count in (50, 99, 101, 200):
        hs = HOST + tuple((f"X-H{i}", "v") for i in range(count))
        out.append(one(f"header/count-{count}", req(headers=hs)))
    for size in (4000, 8000, 8150, 8300, 20000):
        out.append(one(f"header/size-{size}", req(headers=HOST + (("X-Big", "v" * size),))))
    for value in ("close", "Close", "keep-alive", "upgrade", "foo", "keep-alive, close", "close, keep-alive", "TE"):
        out.append(one(f"connection-11/{value}", req(headers=HOST + (("Connection", value),))))
        out.append(one(f"connection-10/{value}", req(version="HTTP/1.0", headers=HOST + (("Connection", value),))))
    out.append(one("connection-10/none", req(version="HTTP/1.0")))
    out.append(one("connection-10/static", req("/diff/static/hello.txt", version="HTTP/1.0")))
    out.append(
        one(
            "connection-10/keepalive-static",
            req("/diff/static/hello.txt", version="HTTP/1.0", headers=HOST + (("Connection", "keep-alive"),)),
        )
    )
    out.append(
        one(
            "connection-10/keepalive-flush",
            req("/diff/bytes?n=10&flush=1", version="HTTP/1.0", headers=HOST + (("Connection", "keep-alive"),)),
        )
    )
    for value in ("100-continue", "100-CONTINUE", "foo", "100-continue, foo"):
        hs = HOST + (("Expect", value), ("Content-Length", "5"))
        out.append(one(f"expect/{value}", req(method="POST", headers=hs) + b"hello"))
    # The head alone: the client waits for 100 before it sends the body.
    expect = HOST + (("Expect", "100-continue"), ("Content-Length", "5"))
    for name, target in (
        ("reads", "/diff/echo/x"),
        ("ignores", "/diff/status?code=200"),
        ("not-found", "/diff/nothing"),
    ):
        out.append(one(f"expect-head-only/{name}", req(target, method="POST", headers=expect), probe=False))
    out.append(
        one(
            "expect/100-continue-10",
            req(method="POST", version="HTTP/1.0", headers=HOST + (("Expect", "100-continue"), ("Content-Length", "5")))
            + b"hello",
        )
    )
    return out


def _framing() -> list[Exchange]:
    out = []
    post = "POST /diff/echo/x HTTP/1.1\r\nHost: localhost\r\n"
    cases = {
        "cl": "Content-Length: 5\r\n\r\nhello",
        "cl-0": "Content-Length: 0\r\n\r\n",
        "cl-leading-zeros": "Content-Length: 005\r\n\r\nhello",
        "cl-plus": "Content-Length: +5\r\n\r\nhello",
        "cl-negative": "Content-Length: -1\r\n\r\nhello",
        "cl-spaces": "Content-Length:   5  \r\n\r\nhello",
        "cl-list-same": "Content-Length: 5, 5\r\n\r\nhello",
        "cl-two-same": "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        "cl-two-differ": "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "cl-huge": "Content-Length: 99999999999999999999\r\n\r\nhello",
        "cl-hex": "Content-Length: 0x5\r\n\r\nhello",
        "cl-empty": "Content-Length:\r\n\r\nhello",
        "cl-short-body": "Content-Length: 10\r\n\r\nhello",
        "cl-extra-body": "Content-Length: 3\r\n\r\nhello",
        "chunked": "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "chunked-two": "Transfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n",
        "chunked-upper-hex": "Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
        "chunked-leading-zeros": "Transfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\n0\r\n\r\n",
        "chunked-ext": "Transfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n0\r\n\r\n",
        "chunked-ext-quoted": 'Transfer-Encoding: chunked\r\n\r\n5;n="v;x"\r\nhello\r\n0\r\n\r\n',
        "chunked-ext-bad": "Transfer-Encoding: chunked\r\n\r\n5;\x01\r\nhello\r\n0\r\n\r\n",
        "chunked-space-size": "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
        "chunked-bad-hex": "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        "chunked-negative": "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
        "chunked-overflow": "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
        "chunked-no-crlf-after-data": "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        "chunked-lf-only": "Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n",
        "chunked-trailer": "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
        "chunked-trailer-bad": "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T 1\r\n\r\n",
        "chunked-trailer-cl": "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nContent-Length: 9\r\n\r\n",
        "chunked-incomplete": "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "chunked-and-cl": "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "cl-and-chunked": "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "te-Chunked": "Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "te-chunked-space": "Transfer-Encoding: chunked \r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "te-identity": "Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello",
        "te-gzip-chunked": "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "te-chunked-gzip": "Transfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "te-chunked-chunked": "Transfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "te-two-headers": "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "te-xchunked": "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "te-foo": "Transfer-Encoding: foo\r\n\r\nhello",
        "te-empty": "Transfer-Encoding:\r\n\r\nhello",
        "te-comma": "Transfer-Encoding: ,chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    }
    for name, rest in cases.items():
        out.append(one(f"framing/{name}", raw(post + rest)))
        if name.startswith(("chunked", "te-")):
            out.append(one(f"framing-10/{name}", raw(post.replace(H11, "HTTP/1.0") + rest)))
    out.append(one("framing/get-with-body", req(body=b"hello")))
    out.append(one("framing/delete-with-body", req(method="DELETE", body=b"hello")))
    out.append(one("framing/head-with-body", req(method="HEAD", body=b"hello"), head=True))
    out.append(one("framing/post-no-length", raw(post + "\r\n")))
    out.append(one("framing/static-post-body", req("/diff/static/hello.txt", method="POST", body=b"hello")))
    out.append(one("framing/big-body", req(method="POST", body=b"z" * 100000)))
    out.append(one("framing/not-found-with-body", req("/diff/nothing", method="POST", body=b"hello")))
    # Bodies the servlet does not read: swallowed (up to maxSwallowSize,
    # 2 MiB) or the connection closed.
    unread = "/diff/status?code=200"
    out.append(one("swallow/small", req(unread, method="POST", body=b"x" * 100)))
    out.append(one("swallow/1mb", req(unread, method="POST", body=b"x" * 1_000_000)))
    out.append(one("swallow/3mb", req(unread, method="POST", body=b"x" * 3_000_000)))
    out.append(
        one(
            "swallow/chunked",
            req(unread, method="POST", headers=HOST + (("Transfer-Encoding", "chunked"),)) + b"5\r\nhello\r\n0\r\n\r\n",
        )
    )
    out.append(
        one(
            "swallow/chunked-bad-size",
            req(unread, method="POST", headers=HOST + (("Transfer-Encoding", "chunked"),))
            + b"zz\r\nhello\r\n0\r\n\r\n",
        )
    )
    out.append(
        one(
            "swallow/chunked-bad-trailer",
            req(unread, method="POST", headers=HOST + (("Transfer-Encoding", "chunked"),))
            + b"5\r\nhello\r\n0\r\nX\r\n\r\n",
        )
    )
    out.append(one("swallow/error-404", req("/diff/nothing", method="POST", body=b"x" * 100)))
    out.append(one("swallow/error-500", req("/diff/throw", method="POST", body=b"x" * 100)))
    out.append(one("swallow/static", req("/diff/static/hello.txt", method="POST", body=b"x" * 100)))
    out.append(one("swallow/redirect", req("/diff/redirect?to=/x", method="POST", body=b"x" * 100)))
    for name, value in (("upgrade-h2c", "h2c"), ("upgrade-foo", "foo")):
        hs = HOST + (
            ("Upgrade", value),
            ("Connection", "Upgrade, HTTP2-Settings"),
            ("HTTP2-Settings", "AAMAAABkAAQAAP__"),
        )
        out.append(one(f"framing/{name}", req(headers=hs)))
    out.append(one("framing/h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
    pipe = req("/diff/echo/1") + req("/diff/echo/2")
    out.append(one("pipeline/two-gets", pipe, responses=2))
    out.append(
        one(
            "pipeline/get-post-get",
            req("/diff/echo/1") + req(method="POST", body=b"abc") + req("/diff/static/hello.txt"),
            responses=3,
        )
    )
    out.append(one("pipeline/chunked-then-get", raw(post + cases["chunked"]) + req("/diff/echo/2"), responses=2))
    out.append(
        one("pipeline/bad-then-get", raw("GET /diff/echo/x HTTP/9.9\r\nHost: localhost\r\n\r\n") + req(), responses=2)
    )
    out.append(one("pipeline/error-then-get", req("/diff/error?code=400") + req(), responses=2))
    out.append(one("pipeline/404-then-get", req("/diff/nothing") + req(), responses=2))
    out.append(one("pipeline/close-then-get", req(headers=HOST + (("Connection", "close"),)) + req(), responses=2))
    return out


def _targets() -> list[Exchange]:
    out = []
    paths = [
        "/diff/echo",
        "/diff/echo/",
        "/diff/echo/a/b",
        "/diff/echo/a%20b",
        "/diff/echo/a+b",
        "/diff/echo/%2F",
        "/diff/echo/a%2fb",
        "/diff/echo/a%5cb",
        "/diff/echo/a%00b",
        "/diff/echo/%25",
        "/diff/echo/%zz",
        "/diff/echo/%2",
        "/diff/echo/%C3%A9",
        "/diff/echo/%c3%a9",
        "/diff/echo/%E9",
        "/diff/echo/%C0%AE",
        "/diff/echo/%C0%AF",
        "/diff/echo/%E0%80%AF",
        "/diff/echo/%FF",
        "/diff/echo/%ED%A0%80",
        "/diff/echo/%F0%9F%98%80",
        "/diff/echo/%F4%90%80%80",
        "/diff/echo/../echo/x",
        "/diff/echo/./x",
        "/diff/echo/x/..",
        "/diff/echo/x/.",
        "/diff/echo/%2e%2e/echo/x",
        "/diff/echo/%2E/x",
        "/diff/echo/.%2e/x",
        "/diff/../diff/echo/x",
        "/../diff/echo/x",
        "/diff/echo/../../x",
        "//diff/echo/x",
        "/diff//echo/x",
        "/diff/echo//x",
        "/diff/echo/x//",
        "/diff/echo;a=b/x",
        "/diff;x/echo/x",
        "/diff/echo/x;a=b",
        "/diff/echo/x;jsessionid=abc",
        "/diff/echo/x;a=b;c=d",
        "/diff/echo/;x",
        "/diff/echo/..;/echo/x",
        "/diff/echo/x%3bb",
        "/diff/echo/a\\b".replace("\\", "%5C"),
        "/diff/x.do",
        "/diff/a/b.do",
        "/diff/echo.do",
        "/diff/x.DO",
        "/diff/.do",
        "/DIFF/echo/x",
        "/diff/ECHO/x",
        "/diff",
        "/diff/",
        "/diff?a=b",
        "/",
        "/nothing",
        "/diff/echo/x/",
        "/diff/echo/%7e",
        "/diff/echo/~",
        "/diff/echo/%41",
        "/diff/echo/x?",
        "/diff/echo/x??",
        "/diff/echo/x?#",
        "/%64iff/echo/x",
        "/diff/%65cho/x",
        "/diff/static/%68ello.txt",
        "/diff%3Bx/echo/x",
        "/diff/echo%3Bx/y",
        "/diff/echo/%2e",
        "/diff/echo/%2e%2e",
        "/diff/%2e/echo/x",
        "/diff/echo/x%2F..%2F..%2Fy",
    ]
    for p in paths:
        out.append(one(f"target/{p}", req(p)))
    queries = [
        "a=b",
        "a=b&a=c",
        "a",
        "=b",
        "a=",
        "&&a=1&&",
        "a=%ZZ&b=1",
        "a=%2&b=1",
        "a=%C3%A9",
        "a=%E9",
        "a=%FF%FE",
        "a=+b",
        "a=b+c",
        "a=%2B",
        "a=1;b=2",
        "a=%00",
        "a=b=c",
        "%C3%A9=1",
        "a=%u00e9",
        "a=%ED%A0%80",
        "a=%F0%9F%98%80",
        "a=%C0%AE",
        "a=1&" + "&".join(f"p{i}=1" for i in range(1000)),
    ]
    for q in queries:
        out.append(one(f"query/{q[:40]}", req("/diff/echo/x?" + q)))
    return out


def _forms() -> list[Exchange]:
    out = []
    bodies = {
        "plain": (b"a=b&c=d", "application/x-www-form-urlencoded"),
        "utf8": (b"a=%C3%A9", "application/x-www-form-urlencoded"),
        "raw-utf8": (b"a=caf\xc3\xa9", "application/x-www-form-urlencoded"),
        "latin1-charset": (b"a=%E9", "application/x-www-form-urlencoded; charset=ISO-8859-1"),
        "utf8-charset": (b"a=%C3%A9", "application/x-www-form-urlencoded;charset=UTF-8"),
        "bogus-charset": (b"a=%C3%A9", "application/x-www-form-urlencoded; charset=bogus"),
        "quoted-charset": (b"a=%E9", 'application/x-www-form-urlencoded; charset="ISO-8859-1"'),
        "bad-percent": (b"a=%ZZ&b=1", "application/x-www-form-urlencoded"),
        "invalid-utf8": (b"a=%FF&b=1", "application/x-www-form-urlencoded"),
        "plus": (b"a=b+c", "application/x-www-form-urlencoded"),
        "upper-type": (b"a=b", "APPLICATION/X-WWW-FORM-URLENCODED"),
        "text-plain": (b"a=b", "text/plain"),
        "text-sjis": (b"a=b", "text/plain; charset=Shift_JIS"),
        "no-type": (b"a=b", ""),
        "query-and-body": (b"a=2", "application/x-www-form-urlencoded"),
    }
    for name, (body, ctype) in bodies.items():
        hs = HOST + ((("Content-Type", ctype),) if ctype else ())
        target = "/diff/echo/x?a=1" if name == "query-and-body" else "/diff/echo/x"
        out.append(one(f"form/{name}", req(target, method="POST", headers=hs, body=body)))
        if name in ("plain", "utf8"):
            out.append(one(f"form-put/{name}", req(target, method="PUT", headers=hs, body=body)))
    multipart = (
        b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="f.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nfile\r\n--XyZ--\r\n"
    )
    mp_type = HOST + (("Content-Type", "multipart/form-data; boundary=XyZ"),)
    out.append(one("form/multipart-no-config", req("/diff/echo/x?q=1", method="POST", body=multipart, headers=mp_type)))
    out.append(one("form/multipart-bad", req(method="POST", body=b"garbage", headers=mp_type)))
    readers = {
        "utf8-no-charset": (b"caf\xc3\xa9", "text/plain"),
        "utf8-charset": (b"caf\xc3\xa9", "text/plain; charset=UTF-8"),
        "latin1-charset": (b"caf\xe9", "text/plain; charset=ISO-8859-1"),
        "invalid-utf8": (b"a\xffb\xc3", "text/plain; charset=UTF-8"),
        "utf16-charset": ("hi".encode("utf-16-be"), "text/plain; charset=UTF-16BE"),
        "bogus-charset": (b"abc", "text/plain; charset=bogus"),
        "no-type": (b"caf\xc3\xa9", ""),
        "surrogates-utf8": (b"\xed\xa0\x80", "text/plain"),
        "emoji": ("\U0001f600".encode(), "text/plain"),
    }
    for name, (body, ctype) in readers.items():
        hs = HOST + ((("Content-Type", ctype),) if ctype else ())
        out.append(one(f"reader/{name}", req("/diff/reader", method="POST", headers=hs, body=body)))
    for name, query in {
        "latin1-euro": "ct=text/plain&enc=ISO-8859-1&text=%E2%82%AC",
        "ascii-e-acute": "ct=text/plain&enc=US-ASCII&text=%C3%A9",
        "utf8-emoji": "ct=text/plain&text=%F0%9F%98%80",
        "latin1-e-acute": "ct=text/plain;charset=ISO-8859-1&text=%C3%A9",
    }.items():
        out.append(one(f"writer/{name}", req("/diff/type?" + query)))
    chunked = HOST + (("Content-Type", "application/x-www-form-urlencoded"), ("Transfer-Encoding", "chunked"))
    out.append(one("form/chunked", req(method="POST", headers=chunked) + b"3\r\na=b\r\n0\r\n\r\n"))
    many = "&".join(f"p{i}=1" for i in range(1001)).encode()
    out.append(
        one(
            "form/1001-params",
            req(method="POST", body=many, headers=HOST + (("Content-Type", "application/x-www-form-urlencoded"),)),
        )
    )
    out.append(
        one(
            "form/3mb",
            req(
                method="POST",
                body=b"a=" + b"b" * 3_000_000,
                headers=HOST + (("Content-Type", "application/x-www-form-urlencoded"),),
            ),
        )
    )
    return out


def _static() -> list[Exchange]:
    out = []
    files = [
        "hello.txt",
        "hello.txt/",
        "hello.txt.",
        "hello.txt%20",
        "HELLO.TXT",
        "dir",
        "dir/",
        "dir/index.html",
        "dir/index.html/",
        "nowelcome",
        "nowelcome/",
        "emptydir",
        "emptydir/",
        "a%20b.txt",
        "a+b.txt",
        "caf%C3%A9.txt",
        "caf%E9.txt",
        "data.json",
        "empty.txt",
        "big.bin",
        "err418.html",
        "missing.txt",
        "missing/",
        "hello.txt;x=y",
        "dir;x=y/",
        "./hello.txt",
        "../static/hello.txt",
        "%2e%2e/WEB-INF/secret.txt",
        "..%2fWEB-INF/secret.txt",
        "..%5cWEB-INF/secret.txt",
        "x.jsp",
    ]
    for f in files:
        out.append(one(f"static/{f}", req("/diff/static/" + f)))
        if f in ("hello.txt", "dir", "dir/", "big.bin", "missing.txt", "hello.txt/"):
            out.append(one(f"static-head/{f}", req("/diff/static/" + f, method="HEAD"), head=True))
    for link in LINKS:
        for suffix in ("", "/", "/secret.txt", "/web.xml", "/index.html", "/diff/WEB-INF/secret.txt"):
            if suffix and link.endswith(".txt"):
                continue
            out.append(one(f"symlink/{link}{suffix}", req(f"/diff/static/{link}{suffix}")))
    protected = [
        "/diff/WEB-INF/secret.txt",
        "/diff/WEB-INF/",
        "/diff/WEB-INF",
        "/diff/web-inf/secret.txt",
        "/diff/WEB-INF/web.xml",
        "/diff/META-INF/secret.txt",
        "/diff/meta-inf/secret.txt",
        "/diff/%57EB-INF/secret.txt",
        "/diff/WEB-INF%2fsecret.txt",
        "/diff/./WEB-INF/secret.txt",
        "/diff/static/../WEB-INF/secret.txt",
        "/diff/WEB-INF;x/secret.txt",
        "/diff/WEB-INF./secret.txt",
        "/diff/WEB-INF/classes/diffapp.py",
        "/diff/static/%c0%ae%c0%ae/WEB-INF/secret.txt",
        "/diff/static/..%c0%afWEB-INF/secret.txt",
        "/diff/static/%252e%252e/WEB-INF/secret.txt",
        "/diff/static/..;/WEB-INF/secret.txt",
        "/diff/static/..%3b/WEB-INF/secret.txt",
        "/diff/static/%5c..%5cWEB-INF%5csecret.txt",
        "/diff/static/hello.txt%00.html",
        "/diff/static/hello.txt::$DATA",
        "/diff/WEB-INF%00/secret.txt",
        "/diff/%2fWEB-INF/secret.txt",
        "/diff//WEB-INF/secret.txt",
        "/diff/static/../../diff/WEB-INF/secret.txt",
        "/diff/static/%2e%2e%2f%2e%2e%2fetc/passwd",
        "/diff/static/../../../../etc/passwd",
    ]
    for p in protected:
        out.append(one(f"protected/{p}", req(p)))
    types = Path(__file__).resolve().parent / "webapp" / "static" / "types"
    for path in sorted(types.iterdir()):
        out.append(one(f"mime/{path.name}", req("/diff/static/types/" + path.name, method="HEAD"), head=True))
    for name, hs in {
        "gzip": (("Accept-Encoding", "gzip"),),
        "query": (),
        "accept-html": (("Accept", "text/html"),),
        "cache-control": (("Cache-Control", "no-cache"), ("Pragma", "no-cache")),
    }.items():
        target = "/diff/static/hello.txt" + ("?a=b" if name == "query" else "")
        out.append(one(f"static-extra/{name}", req(target, headers=HOST + hs)))
    for m in ("PUT", "DELETE", "OPTIONS", "POST", "TRACE", "FOO"):
        out.append(one(f"static-method/{m}", req("/diff/static/hello.txt", method=m, body=b"x" if m == "PUT" else b"")))
    f = "/diff/static/big.bin"
    cond = {
        "ims-equal": (("If-Modified-Since", LASTMOD),),
        "ims-older": (("If-Modified-Since", "Mon, 13 Nov 2023 22:13:20 GMT"),),
        "ims-newer": (("If-Modified-Since", "Wed, 15 Nov 2023 22:13:20 GMT"),),
        "ims-invalid": (("If-Modified-Since", "yesterday"),),
        "ims-rfc850": (("If-Modified-Since", "Tuesday, 14-Nov-23 22:13:20 GMT"),),
        "ims-asctime": (("If-Modified-Since", "Tue Nov 14 22:13:20 2023"),),
        "ius-past": (("If-Unmodified-Since", "Mon, 13 Nov 2023 22:13:20 GMT"),),
        "ius-equal": (("If-Unmodified-Since", LASTMOD),),
        "inm-star": (("If-None-Match", "*"),),
        "inm-other": (("If-None-Match", '"nope"'),),
        "inm-weak-guess": (("If-None-Match", 'W/"20000-1700000000000"'),),
        "inm-strong-guess": (("If-None-Match", '"20000-1700000000000"'),),
        "im-star": (("If-Match", "*"),),
        "im-other": (("If-Match", '"nope"'),),
        "im-weak-guess": (("If-Match", 'W/"20000-1700000000000"'),),
        "inm-and-ims": (("If-None-Match", '"nope"'), ("If-Modified-Since", LASTMOD)),
    }
    for name, hs in cond.items():
        out.append(one(f"conditional/{name}", req(f, headers=HOST + hs)))
    out.append(one("conditional/ims-equal-head", req(f, method="HEAD", headers=HOST + cond["ims-equal"]), head=True))
    out.append(one("conditional/inm-star-post", req(f, method="POST", headers=HOST + cond["inm-star"])))
    out.append(
        Exchange("conditional/inm-etag", (Step(req(f)), Step(req(f, headers=HOST + (("If-None-Match", "{etag}"),)))))
    )
    out.append(Exchange("conditional/im-etag", (Step(req(f)), Step(req(f, headers=HOST + (("If-Match", "{etag}"),))))))
    out.append(
        Exchange(
            "conditional/ims-lastmod",
            (Step(req(f)), Step(req(f, headers=HOST + (("If-Modified-Since", "{lastmod}"),)))),
        )
    )
    ranges = [
        "bytes=0-9",
        "bytes=-10",
        "bytes=19990-",
        "bytes=0-0",
        "bytes=5-2",
        "bytes=20000-",
        "bytes=19999-30000",
        "bytes=0-9,20-29",
        "bytes=0-9,5-14",
        "bytes=abc",
        "items=0-1",
        "bytes= 0-9",
        "bytes=0-9,-",
        "bytes=-0",
        "bytes=0-",
        "BYTES=0-9",
        "bytes=0-9, 10-19",
        "bytes=00-09",
        "bytes=-30000",
    ]
    for r in ranges:
        out.append(one(f"range/{r}", req(f, headers=HOST + (("Range", r),))))
    out.append(one("range/head", req(f, method="HEAD", headers=HOST + (("Range", "bytes=0-9"),)), head=True))
    out.append(one("range/servlet", req(headers=HOST + (("Range", "bytes=0-9"),))))
    out.append(one("range/empty-file", req("/diff/static/empty.txt", headers=HOST + (("Range", "bytes=0-9"),))))
    out.append(one("range/if-range-date", req(f, headers=HOST + (("Range", "bytes=0-9"), ("If-Range", LASTMOD)))))
    out.append(
        one(
            "range/if-range-old",
            req(f, headers=HOST + (("Range", "bytes=0-9"), ("If-Range", "Mon, 13 Nov 2023 22:13:20 GMT"))),
        )
    )
    out.append(one("range/if-range-other", req(f, headers=HOST + (("Range", "bytes=0-9"), ("If-Range", '"nope"')))))
    out.append(
        Exchange(
            "range/if-range-etag",
            (Step(req(f)), Step(req(f, headers=HOST + (("Range", "bytes=0-9"), ("If-Range", "{etag}"))))),
        )
    )
    return out


def _servlet() -> list[Exchange]:
    out = []
    targets = [
        "/diff/error?code=400",
        "/diff/error?code=401",
        "/diff/error?code=403&msg=no",
        "/diff/error?code=404",
        "/diff/error?code=404&msg=gone",
        "/diff/error?code=405",
        "/diff/error?code=418",
        "/diff/error?code=500&msg=x",
        "/diff/error?code=503",
        "/diff/error?code=204",
        "/diff/error?code=302",
        "/diff/error?code=999",
        "/diff/error?code=200",
        "/diff/error?code=abc",
        "/diff/error",
        "/diff/error?code=404&msg=%3Cb%3E",
        "/diff/status?code=404",
        "/diff/status?code=500",
        "/diff/status?code=201",
        "/diff/status?code=204",
        "/diff/status?code=304",
        "/diff/status?code=199",
        "/diff/status?code=600",
        "/diff/status?code=418",
        "/diff/throw",
        "/diff/flushthrow",
        "/diff/errpage",
        "/diff/type?ct=text/html",
        "/diff/type?ct=text/html;charset=ISO-8859-1",
        "/diff/type?ct=application/json",
        "/diff/type?ct=text/plain&enc=ISO-8859-1&text=%C3%A9",
        "/diff/type?ct=text/plain&text=%C3%A9",
        "/diff/type?ct=foo",
        "/diff/type?ct=text/plain;%20charset=utf-8",
        "/diff/type?ct=text/plain;charset=bogus",
        "/diff/type?ct=text/plain&enc=UTF-16",
        "/diff/type?ct=image/png",
        "/diff/type?ct=text/xml",
        "/diff/type?ct=text/plain;charset=%22UTF-8%22",
        "/diff/bytes?n=10",
        "/diff/bytes?n=0",
        "/diff/bytes?n=10&flush=1",
        "/diff/bytes?n=9000",
        "/diff/bytes?n=8192",
        "/diff/bytes?n=8193",
        "/diff/header?name=X-A&value=1",
        "/diff/header?name=X-A&value=a%0D%0AX-B:%202",
        "/diff/header?name=X-A&value=a%0Ab",
        "/diff/header?name=X-A&value=caf%C3%A9",
        "/diff/header?name=X-A&value=%E2%82%AC",
        "/diff/header?name=X%0D%0AB&value=1",
        "/diff/header?name=Content-Length&value=3",
        "/diff/header?name=X-A&value=a%00b",
        "/diff/header?name=X-A&value=",
        "/diff/header?name=Content-Type&value=text/x-a",
        "/diff/header?name=Connection&value=close",
        "/diff/header?name=Transfer-Encoding&value=chunked",
        "/diff/header?name=X-A&value=a%09b",
        "/diff/forward?to=/echo/y",
        "/diff/forward?to=/static/hello.txt",
        "/diff/forward?to=/nothing",
        "/diff/forward?to=/echo/y%3Fq=1",
        "/diff/forward?to=/WEB-INF/secret.txt",
        "/diff/forward?to=/error%3Fcode=503",
        "/diff/include?to=/echo/z",
        "/diff/include?to=/static/hello.txt",
        "/diff/include?to=/nothing",
        "/diff/include?to=/error%3Fcode=503",
        "/diff/redirect?to=/diff/x",
        "/diff/redirect?to=x",
        "/diff/redirect?to=../x",
        "/diff/redirect?to=./x?a=b",
        "/diff/redirect?to=http://other.example/x",
        "/diff/redirect?to=//evil.example/x",
        "/diff/redirect?to=%2F%2Fevil.example%2Fx",
        "/diff/redirect?to=a%0D%0AX-B:%201",
        "/diff/redirect?to=/caf%C3%A9",
        "/diff/redirect?to=",
        "/diff/redirect?to=/a%20b",
        "/diff/redirect?to=/a%2520b",
        "/diff/redirect?to=%5C%5Cevil.example",
        "/diff/redirect?to=http:evil",
        "/diff/redirect?to=/x%23frag",
        "/diff/redirect?to=?q=1",
        "/diff/static/dir?a=b",
        "//evil.example/..;/diff/static/dir",
        "/diff/static/dir;x=1",
        "/diff;jsessionid=abc",
    ]
    for t in targets:
        out.append(one(f"servlet/{t}", req(t)))
    for t in ("x", "/diff/x", "../x", "?q=1", "//evil.example/x", "http://other.example/x", ""):
        target = "/diff/redirect?to=" + t.replace("?", "%3F").replace("/", "%2F")
        out.append(one(f"redirect-10/{t or 'empty'}", req(target, version="HTTP/1.0")))
        out.append(one(f"redirect-10-host/{t or 'empty'}", req(target, version="HTTP/1.0", headers=())))
    out.append(one("redirect-10/static-dir", req("/diff/static/dir", version="HTTP/1.0")))
    out.append(one("redirect-10/context-root", req("/diff", version="HTTP/1.0", headers=())))
    for t in (
        "/diff/error?code=404",
        "/diff/throw",
        "/diff/error?code=418",
        "/diff/nothing",
        "/diff/error?code=500&msg=x",
    ):
        out.append(
            one(
                f"servlet-post/{t}",
                req(
                    t,
                    method="POST",
                    body=b"x=1",
                    headers=HOST + (("Content-Type", "application/x-www-form-urlencoded"),),
                ),
            )
        )
        out.append(one(f"servlet-head/{t}", req(t, method="HEAD"), head=True))
    return out


def _cookies() -> list[Exchange]:
    out = []
    cookies = [
        "a=b",
        "a=b; c=d",
        "a=b;c=d",
        'a="quoted"',
        'a="q"x',
        "a= b ",
        "a=",
        "a",
        "=b",
        "$Version=1; a=b",
        '$Version="1"; a=b; $Path=/diff',
        "a b=c",
        "a=b c",
        "a=caf\xc3\xa9",
        "a=b,c=d",
        "a=b;;c=d",
        "a=%41",
        "a=b; a=c",
        "a=\x01",
        "a=b=c",
        "JSESSIONID=abc",
        "a=[b]",
        "a={b}",
        "a=b; c",
        'a="b;c"',
        "a=b\t; c=d",
        ";",
        "",
        " a=b",
        "$Path=/; a=b",
        "a=" + "v" * 4000,
        "a=b; $Domain=x",
        "A=1; a=2",
    ]
    for c in cookies:
        out.append(one(f"cookie/{c}", raw(f"GET /diff/echo/x HTTP/1.1\r\nHost: localhost\r\nCookie: {c}\r\n\r\n")))
    many = "; ".join(f"c{i}=v{i}" for i in range(200))
    out.append(
        one("cookie/200-cookies", raw(f"GET /diff/echo/x HTTP/1.1\r\nHost: localhost\r\nCookie: {many}\r\n\r\n"))
    )
    out.append(
        one(
            "cookie/two-headers",
            raw("GET /diff/echo/x HTTP/1.1\r\nHost: localhost\r\nCookie: a=b\r\nCookie: c=d\r\n\r\n"),
        )
    )
    sets = [
        "name=a&value=b",
        "name=a&value=b&path=/diff&httponly=1&secure=1",
        "name=a&value=b&maxage=0",
        "name=a&value=b&maxage=60",
        "name=a&value=b%20c",
        "name=a&value=%22b%22",
        "name=a&value=b%3Bc",
        "name=a&value=b%2Cc",
        "name=a&value=",
        "name=a%20b&value=c",
        "name=%24x&value=c",
        "name=a&value=b%0D%0AX:1",
        "name=a&value=caf%C3%A9",
        "name=a&value=b%5Cc",
        "name=a&value=b&path=/a%3Bb",
        "name=&value=b",
        "name=a=b&value=c",
        "name=a&value=b&domain=example.com",
        "name=a&value=b&domain=.Example.COM",
        "name=a&value=b&domain=bad%3Bdomain",
        "name=a&value=b&attr=SameSite&attrvalue=Strict",
        "name=a&value=b&attr=Partitioned&attrvalue=",
        "name=a&value=b&attr=Max-Age&attrvalue=10",
        "name=a&value=b&attr=X%3BY&attrvalue=1",
        "name=a&value=" + "v" * 5000,
        "name=a&value=b&maxage=-5",
    ]
    for s in sets:
        out.append(one(f"set-cookie/{s}", req("/diff/cookie?" + s)))
    return out


def _sessions() -> list[Exchange]:
    out = []
    s = "/diff/session"
    out.append(one("session/create", req(s + "?op=create")))
    out.append(one("session/get-none", req(s + "?op=get")))
    out.append(one("session/bogus-cookie", req(s + "?op=get", headers=HOST + (("Cookie", "JSESSIONID=bogus"),))))
    out.append(
        one("session/bogus-cookie-create", req(s + "?op=create", headers=HOST + (("Cookie", "JSESSIONID=bogus"),)))
    )
    out.append(one("session/bogus-url", req(s + ";jsessionid=bogus?op=get")))
    out.append(one("session/url-param-upper", req(s + ";JSESSIONID=bogus?op=get")))
    create = Step(req(s + "?op=create"))
    steps = {
        "cookie": req(s + "?op=get", headers=HOST + (("Cookie", "JSESSIONID={sid}"),)),
        "url": req(s + ";jsessionid={sid}?op=get"),
        "url-and-bogus-cookie": req(s + ";jsessionid={sid}?op=get", headers=HOST + (("Cookie", "JSESSIONID=bogus"),)),
        "two-cookies": req(s + "?op=get", headers=HOST + (("Cookie", "JSESSIONID=bogus; JSESSIONID={sid}"),)),
        "cookie-create": req(s + "?op=create", headers=HOST + (("Cookie", "JSESSIONID={sid}"),)),
        "invalidate": req(s + "?op=invalidate", headers=HOST + (("Cookie", "JSESSIONID={sid}"),)),
        "cookie-other-path": req("/diff/echo/x", headers=HOST + (("Cookie", "JSESSIONID={sid}"),)),
        "quoted-cookie": req(s + "?op=get", headers=HOST + (("Cookie", 'JSESSIONID="{sid}"'),)),
    }
    for name, data in steps.items():
        out.append(Exchange(f"session/{name}", (create, Step(data))))
    urls = "url=x&url=/diff/x&url=/other/x&url=http://localhost/diff/x&url=http://other.example/diff/x&url=x%3Fa=b%23f"
    encode = "/diff/encode?" + urls
    out.append(one("session/encode-no-session", req(encode)))
    out.append(one("session/encode-new-session", req(encode + "&create=1")))
    out.append(
        Exchange("session/encode-cookie", (create, Step(req(encode, headers=HOST + (("Cookie", "JSESSIONID={sid}"),)))))
    )
    out.append(Exchange("session/encode-url", (create, Step(req("/diff/encode;jsessionid={sid}?" + urls)))))
    inv = req(s + "?op=invalidate", headers=HOST + (("Cookie", "JSESSIONID={sid}"),))
    after = req(s + "?op=get", headers=HOST + (("Cookie", "JSESSIONID={sid}"),))
    out.append(Exchange("session/after-invalidate", (create, Step(inv), Step(after))))
    return out


def _websocket() -> list[Exchange]:
    out = []
    ws = "/diff/ws/plain"
    variants: dict[str, tuple[str, tuple[tuple[str, str], ...], str, str]] = {
        "valid": (ws, ws_headers(), "GET", H11),
        "valid-chat": ("/diff/ws", ws_headers(), "GET", H11),
        "version-8": (ws, ws_headers(Sec_WebSocket_Version="8"), "GET", H11),
        "version-12": (ws, ws_headers(Sec_WebSocket_Version="12"), "GET", H11),
        "version-14": (ws, ws_headers(Sec_WebSocket_Version="14"), "GET", H11),
        "version-list": (ws, ws_headers(Sec_WebSocket_Version="13, 8"), "GET", H11),
        "version-list-8-13": (ws, ws_headers(Sec_WebSocket_Version="8, 13"), "GET", H11),
        "version-missing": (ws, ws_headers(Sec_WebSocket_Version=None), "GET", H11),
        "version-abc": (ws, ws_headers(Sec_WebSocket_Version="abc"), "GET", H11),
        "key-missing": (ws, ws_headers(Sec_WebSocket_Key=None), "GET", H11),
        "key-short": (ws, ws_headers(Sec_WebSocket_Key="c2hvcnQ="), "GET", H11),
        "key-not-base64": (ws, ws_headers(Sec_WebSocket_Key="not base64 at all!!"), "GET", H11),
        "key-empty": (ws, ws_headers(Sec_WebSocket_Key=""), "GET", H11),
        "upgrade-case": (ws, ws_headers(Upgrade="WebSocket"), "GET", H11),
        "upgrade-list": (ws, ws_headers(Upgrade="websocket, h2c"), "GET", H11),
        "upgrade-h2c-first": (ws, ws_headers(Upgrade="h2c, websocket"), "GET", H11),
        "upgrade-other": (ws, ws_headers(Upgrade="foo"), "GET", H11),
        "upgrade-missing": (ws, ws_headers(Upgrade=None), "GET", H11),
        "connection-list": (ws, ws_headers(Connection="keep-alive, Upgrade"), "GET", H11),
        "connection-case": (ws, ws_headers(Connection="upgrade"), "GET", H11),
        "connection-missing": (ws, ws_headers(Connection=None), "GET", H11),
        "connection-close": (ws, ws_headers(Connection="close"), "GET", H11),
        "post": (ws, ws_headers(), "POST", H11),
        "head": (ws, ws_headers(), "HEAD", H11),
        "http10": (ws, ws_headers(), "GET", "HTTP/1.0"),
        "origin-same": (ws, ws_headers(Origin="http://localhost"), "GET", H11),
        "origin-other": (ws, ws_headers(Origin="http://evil.example"), "GET", H11),
        "origin-null": (ws, ws_headers(Origin="null"), "GET", H11),
        "subprotocol-chat": ("/diff/ws", ws_headers(Sec_WebSocket_Protocol="chat"), "GET", H11),
        "subprotocol-order": ("/diff/ws", ws_headers(Sec_WebSocket_Protocol="superchat, chat"), "GET", H11),
        "subprotocol-unknown": ("/diff/ws", ws_headers(Sec_WebSocket_Protocol="foo"), "GET", H11),
        "subprotocol-none-offered": (ws, ws_headers(Sec_WebSocket_Protocol="chat"), "GET", H11),
        "subprotocol-case": ("/diff/ws", ws_headers(Sec_WebSocket_Protocol="CHAT"), "GET", H11),
        "ext-deflate": (ws, ws_headers(Sec_WebSocket_Extensions="permessage-deflate"), "GET", H11),
        "ext-deflate-cmwb": (
            ws,
            ws_headers(Sec_WebSocket_Extensions="permessage-deflate; client_max_window_bits"),
            "GET",
            H11,
        ),
        "ext-deflate-snct": (
            ws,
            ws_headers(Sec_WebSocket_Extensions="permessage-deflate; server_no_context_takeover"),
            "GET",
            H11,
        ),
        "ext-deflate-smwb": (
            ws,
            ws_headers(Sec_WebSocket_Extensions="permessage-deflate; server_max_window_bits=10"),
            "GET",
            H11,
        ),
        "ext-deflate-bad": (ws, ws_headers(Sec_WebSocket_Extensions="permessage-deflate; foo=1"), "GET", H11),
        "ext-deflate-two": (
            ws,
            ws_headers(Sec_WebSocket_Extensions="permessage-deflate; server_max_window_bits=10, permessage-deflate"),
            "GET",
            H11,
        ),
        "ext-deflate-quoted": (
            ws,
            ws_headers(Sec_WebSocket_Extensions='permessage-deflate; client_max_window_bits="10"'),
            "GET",
            H11,
        ),
        "ext-deflate-cmwb-8": (
            ws,
            ws_headers(Sec_WebSocket_Extensions="permessage-deflate; client_max_window_bits=8"),
            "GET",
            H11,
        ),
        "ext-deflate-cmwb-16": (
            ws,
            ws_headers(Sec_WebSocket_Extensions="permessage-deflate; client_max_window_bits=16"),
            "GET",
            H11,
        ),
        "ext-deflate-smwb-15": (
            ws,
            ws_headers(Sec_WebSocket_Extensions="permessage-deflate; server_max_window_bits=15"),
            "GET",
            H11,
        ),
        "ext-deflate-both-nct": (
            ws,
            ws_headers(
                Sec_WebSocket_Extensions="permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            ),
            "GET",
            H11,
        ),
        "ext-deflate-dup-param": (
            ws,
            ws_headers(
                Sec_WebSocket_Extensions="permessage-deflate; server_no_context_takeover; server_no_context_takeover"
            ),
            "GET",
            H11,
        ),
        "ext-deflate-upper": (ws, ws_headers(Sec_WebSocket_Extensions="PERMESSAGE-DEFLATE"), "GET", H11),
        "ext-deflate-spaces": (
            ws,
            ws_headers(Sec_WebSocket_Extensions="  permessage-deflate ;  client_max_window_bits  "),
            "GET",
            H11,
        ),
        "ext-unknown-then-deflate": (ws, ws_headers(Sec_WebSocket_Extensions="foo, permessage-deflate"), "GET", H11),
        "subprotocol-spaces": ("/diff/ws", ws_headers(Sec_WebSocket_Protocol=" foo ,  chat "), "GET", H11),
        "subprotocol-empty": ("/diff/ws", ws_headers(Sec_WebSocket_Protocol=""), "GET", H11),
        "key-spaces": (ws, ws_headers(Sec_WebSocket_Key=" " + KEY + " "), "GET", H11),
        "host-missing": (ws, ws_headers(Host=None), "GET", H11),
        "version-13-spaces": (ws, ws_headers(Sec_WebSocket_Version=" 13 "), "GET", H11),
        "version-013": (ws, ws_headers(Sec_WebSocket_Version="013"), "GET", H11),
        "upgrade-websocket-version": (ws, ws_headers(Upgrade="websocket/13"), "GET", H11),
        "ext-unknown": (ws, ws_headers(Sec_WebSocket_Extensions="x-webkit-deflate-frame"), "GET", H11),
        "not-an-endpoint": ("/diff/echo/x", ws_headers(), "GET", H11),
        "static-path": ("/diff/static/hello.txt", ws_headers(), "GET", H11),
        "query": (ws + "?a=b", ws_headers(), "GET", H11),
        "trailing-slash": (ws + "/", ws_headers(), "GET", H11),
    }
    for name, (target, hs, method, version) in variants.items():
        out.append(
            one(
                f"ws-handshake/{name}",
                req(target, method=method, version=version, headers=hs),
                frames=(CLOSE,),
                head=method == "HEAD",
            )
        )
    out.append(
        one("ws-handshake/two-keys", req(ws, headers=ws_headers() + (("Sec-WebSocket-Key", KEY),)), frames=(CLOSE,))
    )
    out.append(
        one(
            "ws-handshake/two-versions",
            req(ws, headers=ws_headers() + (("Sec-WebSocket-Version", "13"),)),
            frames=(CLOSE,),
        )
    )
    out.append(
        one(
            "ws-handshake/two-protocol-headers",
            req("/diff/ws", headers=ws_headers(Sec_WebSocket_Protocol="foo") + (("Sec-WebSocket-Protocol", "chat"),)),
            frames=(CLOSE,),
        )
    )
    out.append(
        one(
            "ws-handshake/two-extension-headers",
            req(
                ws,
                headers=ws_headers(Sec_WebSocket_Extensions="foo")
                + (("Sec-WebSocket-Extensions", "permessage-deflate"),),
            ),
            frames=(CLOSE,),
        )
    )
    out.append(
        one(
            "ws-frames/chat-subprotocol-text",
            req("/diff/ws", headers=ws_headers(Sec_WebSocket_Protocol="chat")),
            frames=(frame(1, b"hi"), CLOSE),
        )
    )
    out.append(
        one("ws-handshake/two-upgrades", req(ws, headers=ws_headers() + (("Upgrade", "websocket"),)), frames=(CLOSE,))
    )
    hello = frame(1, b"hello")
    big = b"x" * 70000
    masked_hello_16bit = b"\x81\xfe\x00\x05\x11\x22\x33\x44" + bytes(
        b ^ m for b, m in zip(b"hello", b"\x11\x22\x33\x44\x11", strict=False)
    )
    # Each entry: the blobs the client sends, pausing for the server's
    # frames between them (so a message is answered before the close).
    frames: dict[str, tuple[bytes, ...]] = {
        "text": (hello, CLOSE),
        "binary": (frame(2, b"\x00\x01\xff"), CLOSE),
        "empty-text": (frame(1), CLOSE),
        "empty-binary": (frame(2), CLOSE),
        "utf8-text": (frame(1, "caf\u00e9 \U0001f600".encode()), CLOSE),
        "text-125": (frame(1, b"a" * 125), CLOSE),
        "text-126": (frame(1, b"a" * 126), CLOSE),
        "text-8192": (frame(1, b"a" * 8192), CLOSE),
        "text-8193": (frame(1, b"a" * 8193), CLOSE),
        "binary-8193": (frame(2, b"a" * 8193), CLOSE),
        "text-65536": (frame(1, b"a" * 65536), CLOSE),
        "two-texts": (hello + frame(1, b"world"), CLOSE),
        "ping": (frame(9, b"p"), CLOSE),
        "ping-empty": (frame(9), CLOSE),
        "pong": (frame(10, b"p") + hello, CLOSE),
        "fragmented": (frame(1, b"hel", fin=False) + frame(0, b"lo"), CLOSE),
        "fragmented-empty-parts": (frame(1, b"", fin=False) + frame(0, b"", fin=False) + frame(0, b"x"), CLOSE),
        "fragmented-binary": (frame(2, b"\x01", fin=False) + frame(0, b"\x02"), CLOSE),
        "fragmented-ping-between": (frame(1, b"hel", fin=False) + frame(9, b"p") + frame(0, b"lo"), CLOSE),
        "split-utf8-fragmented": (frame(1, b"\xc3", fin=False) + frame(0, b"\xa9"), CLOSE),
        "len-16bit-for-small": (masked_hello_16bit, CLOSE),
        "text-then-close-same-segment": (hello + CLOSE,),
        "binary-then-close-same-segment": (frame(2, b"\x00\x01\xff") + CLOSE,),
        "ping-then-close-same-segment": (frame(9, b"p") + CLOSE,),
        "text-then-unmasked-same-segment": (hello + frame(1, b"x", masked=False),),
        "text-then-bad-utf8-same-segment": (hello + frame(1, b"\xff"),),
        "text-then-too-big-same-segment": (hello + frame(1, b"a" * 70000),),
        "two-texts-then-close-same-segment": (hello + frame(1, b"world") + CLOSE,),
        "close-no-code": (close(None),),
        "close-1000-reason": (close(1000, b"bye"),),
        "close-1001": (close(1001),),
        "close-1002": (close(1002),),
        "close-1003": (close(1003),),
        "close-1005": (close(1005),),
        "close-1006": (close(1006),),
        "close-1004": (close(1004),),
        "close-1007": (close(1007),),
        "close-1011": (close(1011),),
        "close-1012": (close(1012),),
        "close-1014": (close(1014),),
        "close-1015": (close(1015),),
        "close-999": (close(999),),
        "close-1016": (close(1016),),
        "close-2999": (close(2999),),
        "close-3000": (close(3000),),
        "close-4999": (close(4999),),
        "close-5000": (close(5000),),
        "close-65535": (close(65535),),
        "close-1-byte": (frame(8, b"\x03"),),
        "close-bad-utf8": (close(1000, b"\xff"),),
        "close-utf8-reason": (close(1000, "caf\u00e9".encode()),),
        "close-long": (frame(8, b"\x03\xe8" + b"r" * 124),),
        "close-fragmented": (frame(8, b"\x03\xe8", fin=False),),
        "close-unmasked": (frame(8, b"\x03\xe8", masked=False),),
        "unmasked": (frame(1, b"hello", masked=False),),
        "rsv1": (frame(1, b"hello", rsv=4),),
        "rsv2": (frame(1, b"hello", rsv=2),),
        "rsv3": (frame(1, b"hello", rsv=1),),
        "rsv1-ping": (frame(9, b"p", rsv=4),),
        "opcode-3": (frame(3, b"x"),),
        "opcode-7": (frame(7, b"x"),),
        "opcode-11": (frame(11, b"x"),),
        "opcode-15": (frame(15, b"x"),),
        "ping-fragmented": (frame(9, b"p", fin=False),),
        "pong-fragmented": (frame(10, b"p", fin=False),),
        "ping-126": (frame(9, b"p" * 126),),
        "ping-125": (frame(9, b"p" * 125), CLOSE),
        "continuation-first": (frame(0, b"x"),),
        "text-during-fragment": (frame(1, b"a", fin=False) + frame(1, b"b"),),
        "binary-during-fragment": (frame(2, b"a", fin=False) + frame(2, b"b"),),
        "bad-utf8": (frame(1, b"\xff\xfe"),),
        "overlong-utf8": (frame(1, b"\xc0\xaf"),),
        "bad-utf8-fragmented": (frame(1, b"\xc3", fin=False) + frame(0, b"\x28"),),
        "surrogate-utf8": (frame(1, b"\xed\xa0\x80"),),
        "big-text": (frame(1, big),),
        "big-binary": (frame(2, big),),
        "len-64bit-msb": (frame(2, b"", length=1 << 63),),
        "data-after-close": (CLOSE + hello,),
    }
    for name, blobs in frames.items():
        out.append(one(f"ws-frames/{name}", req(ws, headers=ws_headers()), frames=blobs))
    # A client that does not wait for the 101: its first frame comes with the handshake.
    eager = req(ws, headers=ws_headers()) + hello
    out.append(one("ws-frames/frame-with-handshake", eager, frames=(CLOSE,)))
    out.append(one("ws-frames/close-with-handshake", req(ws, headers=ws_headers()) + CLOSE, frames=()))
    deflate = ws_headers(Sec_WebSocket_Extensions="permessage-deflate")
    # "hello" compressed (RFC 7692 7.2.3.1 example), with RSV1.
    compressed = frame(1, bytes.fromhex("f248cdc9c90700"), rsv=4)
    out.append(one("ws-deflate/compressed-text", req(ws, headers=deflate), frames=(compressed, CLOSE)))
    out.append(one("ws-deflate/uncompressed-text", req(ws, headers=deflate), frames=(hello, CLOSE)))
    out.append(
        one(
            "ws-deflate/rsv1-on-continuation",
            req(ws, headers=deflate),
            frames=(frame(1, b"a", fin=False) + frame(0, b"b", rsv=4),),
        )
    )
    out.append(one("ws-deflate/rsv1-on-ping", req(ws, headers=deflate), frames=(frame(9, b"p", rsv=4),)))
    out.append(one("ws-deflate/bad-deflate-data", req(ws, headers=deflate), frames=(frame(1, b"\xff\xff\xff", rsv=4),)))
    return out


def _split() -> list[Exchange]:
    """The same requests in pieces: the answer must not depend on how the
    bytes arrive."""
    out = []
    get = req()
    post = req(method="POST", body=b"hello")
    chunked = req(method="POST", headers=HOST + (("Transfer-Encoding", "chunked"),)) + b"5\r\nhello\r\n0\r\n\r\n"
    cases = {
        "in-method": (get, (2,)),
        "in-target": (get, (10,)),
        "before-version": (get, (get.index(b"HTTP/"),)),
        "in-crlf": (get, (get.index(b"\r\n") + 1,)),
        "before-final-crlf": (get, (len(get) - 2,)),
        "between-final-cr-lf": (get, (len(get) - 1,)),
        "every-10": (get, tuple(range(10, len(get), 10))),
        "head-then-body": (post, (post.index(b"hello"),)),
        "in-body": (post, (post.index(b"hello") + 2,)),
        "in-chunk-size": (chunked, (chunked.index(b"5\r\n") + 1,)),
        "in-last-chunk": (chunked, (len(chunked) - 3,)),
        "bad-version-late": (req(version="HTTP/1.x"), (20,)),
        "ws-handshake": (req("/diff/ws/plain", headers=ws_headers()), (30, 60)),
    }
    for name, (data, offsets) in cases.items():
        frames = (frame(1, b"hi"), CLOSE) if name.startswith("ws") else ()
        out.append(Exchange(f"split/{name}", (Step(data, split=offsets, frames=frames),)))
    return out


def _heads_and_options() -> list[Exchange]:
    """HEAD and OPTIONS on what the servlets and the container answer."""
    out = []
    targets = [
        "/diff/bytes?n=10",
        "/diff/bytes?n=9000",
        "/diff/bytes?n=10&flush=1",
        "/diff/bytes?n=0",
        "/diff/redirect?to=/x",
        "/diff/error?code=404",
        "/diff/error?code=503",
        "/diff/throw",
        "/diff/session?op=create",
        "/diff/cookie?name=a&value=b",
        "/diff/static/dir/",
        "/diff/static/empty.txt",
        "/diff",
        "/diff/static/nowelcome/",
        "/diff/WEB-INF/secret.txt",
    ]
    for t in targets:
        out.append(one(f"head/{t}", req(t, method="HEAD"), head=True))
    for t in ("/diff/echo/x", "/diff/errpage", "/diff/static/hello.txt", "/diff/nothing", "/diff/ws/plain", "*"):
        out.append(one(f"options/{t}", req(t, method="OPTIONS")))
    return out


def all_exchanges() -> list[Exchange]:
    """Every exchange, ids unique."""
    exchanges = (
        _request_line()
        + _headers()
        + _framing()
        + _targets()
        + _forms()
        + _static()
        + _servlet()
        + _cookies()
        + _sessions()
        + _split()
        + _heads_and_options()
        + _websocket()
    )
    seen: set[str] = set()
    for ex in exchanges:
        assert ex.id not in seen, ex.id
        seen.add(ex.id)
    return exchanges
