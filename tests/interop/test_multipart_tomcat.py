"""Multipart requests answered by a real Tomcat 10.1 and by catalina_py,
compared line by line (docs/multipart.md, "How this was checked").

The Java servlets of ``tests/interop/multipart_java`` are compiled with
``javac`` against Tomcat's ``servlet-api.jar`` and deployed on a Tomcat
started in a CATALINA_BASE of its own on a free loopback port (stopped by
its PID; tests/tomcat.py); their Python twins are ``tests/integration/webapps/multipart``.
Each raw request goes to both; the outputs must match once the status
reason and the Java exception subclasses that stand for the same
exception are set aside (the message of an exception is compared only
where catalina_py words it as Tomcat does).

Skipped when Tomcat 10 (Debian's ``tomcat10``) or ``javac`` is missing,
unless ``CI=true`` (then it fails).
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest

from tests.server import TEST_WEBAPPS, CatalinaProcess
from tests.tomcat import SERVLET_API, TomcatProcess, missing_tomcat

JAVA_SOURCES = Path(__file__).resolve().parent / "multipart_java"
_ON_CI = os.environ.get("CI", "").lower() == "true"
_MISSING = missing_tomcat()

if _MISSING is not None and not _ON_CI:
    pytest.skip(f"not installed: {_MISSING}", allow_module_level=True)

B = b"XyZ"
CT = "multipart/form-data; boundary=XyZ"


def mp(*parts: tuple[bytes, bytes], end: bool = True, pre: bytes = b"") -> bytes:
    out = pre
    for headers, data in parts:
        out += b"--" + B + b"\r\n" + headers + b"\r\n\r\n" + data + b"\r\n"
    if end:
        out += b"--" + B + b"--\r\n"
    return out


def cd(value: bytes) -> bytes:
    return b"Content-Disposition: " + value


def pad(total: int) -> bytes:
    """A header block of *total* bytes with its blank line."""
    start = b'Content-Disposition: form-data; name="a"\r\nX-Pad: '
    return start + b"p" * (total - 4 - len(start))


A = cd(b'form-data; name="a"')
F = cd(b'form-data; name="f"; filename="a"')

#: name: (path, content type, body)
CASES: dict[str, tuple[str, str | None, bytes]] = {
    "basic": (
        "/up",
        CT,
        mp((A, b"hello"), (cd(b'form-data; name="f"; filename="x.txt"\r\nContent-Type: text/plain'), b"d")),
    ),
    "utf8field": ("/up", CT, mp((cd('form-data; name="né"'.encode()), "héllo €".encode()))),
    "latin1field": ("/up", CT + "; charset=ISO-8859-1", mp((A, "héllo".encode("latin-1")))),
    "utf8fname": ("/up", CT, mp((cd('form-data; name="f"; filename="€.txt"'.encode()), b"x"))),
    "rfc2231fname": ("/up", CT, mp((cd(b"form-data; name=\"f\"; filename*=UTF-8''%E2%82%AC.txt"), b"x"))),
    "bothfname": ("/up", CT, mp((cd(b'form-data; name="f"; filename="a"; filename*=UTF-8\'\'%E2%82%AC'), b"x"))),
    "emptyfname": ("/up", CT, mp((cd(b'form-data; name="f"; filename=""'), b""))),
    "pathfname": ("/up", CT, mp((cd(b'form-data; name="f"; filename="C:\\dir\\a.txt"'), b"x"))),
    "quotedfname": ("/up", CT, mp((cd(b'form-data; name="f"; filename="a\\"b;c.txt"'), b"x"))),
    "unquoted": ("/up", CT, mp((cd(b"form-data; name=a; filename=b.txt"), b"x"))),
    "case": ("/up", CT, mp((b'content-disposition: FORM-DATA; NAME="a"', b"x"))),
    "noname": ("/up", CT, mp((cd(b"form-data"), b"x"), (cd(b'form-data; name="b"'), b"y"))),
    "attachment": ("/up", CT, mp((cd(b'attachment; name="a"'), b"x"))),
    "nodisposition": ("/up", CT, mp((b"Content-Type: text/plain", b"x"))),
    "baddisposition": ("/up", CT, mp((cd(b';;;"'), b"x"))),
    "partcharset": (
        "/up",
        CT,
        mp((A + b"\r\nContent-Type: text/plain; charset=ISO-8859-1", "h\u00e9llo".encode("latin-1"))),
    ),
    "twodispositions": ("/up", CT, mp((A + b'\r\nContent-Disposition: form-data; name="b"', b"x"))),
    "emptyname": ("/up", CT, mp((cd(b'form-data; name=""'), b"x"))),
    "longboundary": ("/up", "multipart/form-data; boundary=" + "b" * 200, mp((A, b"x")).replace(b"XyZ", b"b" * 200)),
    "headers": ("/up", CT, mp((A + b"\r\nX-A: 1\r\nx-a: 2\r\nX-B: 3", b"x"))),
    "folded": ("/up", CT, mp((cd(b'form-data;\r\n name="a"'), b"x"))),
    "nocolon": ("/up", CT, mp((A + b"\r\ngarbage", b"x"))),
    "samename": ("/up", CT, mp((A, b"1"), (A, b"2"))),
    "preamble": ("/up", CT, mp((A, b"x"), pre=b"preamble\r\n")),
    "preamble_nocrlf": ("/up", CT, mp((A, b"x"), pre=b"preamble")),
    "epilogue": ("/up", CT, mp((A, b"x")) + b"epilogue"),
    "nofinal": ("/up", CT, mp((A, b"x"), end=False)),
    "cutinpart": ("/up", CT, b"--XyZ\r\n" + A + b"\r\n\r\nxyz"),
    "final_nocrlf": ("/up", CT, mp((A, b"x"))[:-2]),
    "nodelimiter": ("/up", CT, b"just some text"),
    "empty": ("/up", CT, b""),
    "onlyfinal": ("/up", CT, b"--XyZ--\r\n"),
    "junkafterfirst": ("/up", CT, b"--XyZ  \r\n" + A + b"\r\n\r\nx\r\n--XyZ--\r\n"),
    "junkafterlater": ("/up", CT, mp((A, b"x\r\n--XyZa more"))),
    "boundarylike": ("/up", CT, mp((A, b"x\r\n--XyYa --XyZ more"))),
    "crlfdata": ("/up", CT, mp((A, b"\r\n\r\n--\r\n"))),
    "noboundary": ("/up", "multipart/form-data", mp((A, b"x"))),
    "quotedboundary": ("/up", 'multipart/form-data; boundary="XyZ"', mp((A, b"x"))),
    "lf_only": ("/up", CT, mp((A, b"x")).replace(b"\r\n", b"\n")),
    "uppercase_type": ("/up", "MULTIPART/FORM-DATA; BOUNDARY=XyZ", mp((A, b"x"))),
    "mixed": ("/up", "multipart/mixed; boundary=XyZ", mp((A, b"x"))),
    "textplain": ("/up", "text/plain", b"a=1"),
    "urlencoded": ("/up", "application/x-www-form-urlencoded", b"a=1"),
    "nocontenttype": ("/up", None, b"a=1"),
    "noconfig_params_first": ("/nocfg", CT, mp((A, b"x"))),
    "noconfig_parts_first": ("/nocfg2", CT, mp((A, b"x"))),
    "noconfig_uncaught": ("/nocfg2?x", CT, mp((A, b"x"))),
    "fileatmax": ("/up", CT, mp((F, b"x" * 1000))),
    "filetoobig": ("/up", CT, mp((F, b"x" * 1001))),
    "fieldtoobig": ("/up", CT, mp((A, b"x" * 1001))),
    "skippedtoobig": ("/up", CT, mp((cd(b"form-data"), b"x" * 1001), (A, b"y"))),
    "skippedheadertoobig": ("/big", CT, mp((b"X-Pad: " + b"p" * 502, b"x"), (A, b"y"))),
    "filetoobig_uncaught": ("/up?throw=1", CT, mp((F, b"x" * 1001))),
    "requesttoobig": ("/up", CT, mp(*[(A, b"x" * 900)] * 6)),
    "requesttoobig_uncaught": ("/up?throw=1", CT, mp(*[(A, b"x" * 900)] * 6)),
    "chunked": ("/up#chunked", CT, mp((A, b"x" * 900), (F, b"y" * 1000))),
    "chunked_requesttoobig": ("/up#chunked", CT, mp(*[(A, b"x" * 900)] * 6)),
    "chunked_filetoobig": ("/up#chunked", CT, mp((F, b"x" * 1001))),
    "threshold": ("/up", CT, mp((F, b"x" * 100), (cd(b'form-data; name="g"; filename="b"'), b"x" * 101))),
    "parts50": ("/big", CT, mp(*[(A, b"x")] * 50)),
    "parts51": ("/big", CT, mp(*[(A, b"x")] * 51)),
    "parts50_and_a_nameless": ("/big", CT, mp(*[(A, b"x")] * 50, (cd(b"form-data"), b"z"))),
    "parts51_uncaught": ("/big?throw=1", CT, mp(*[(A, b"x")] * 51)),
    "header512": ("/big", CT, mp((pad(512), b"x"))),
    "header513": ("/big", CT, mp((pad(513), b"x"))),
    "query_and_parts": ("/up?q=1&a=0", CT, mp((A, b"x"))),
    # the servlet first mapped decides, not a forward's target
    "forward_nocfg_to_nocfg": ("/fwd", CT, mp((A, b"x"))),
    "forward_cfg_to_nocfg": ("/fwdcfg", CT, mp((A, b"x"))),
    "forward_nocfg_to_cfg": ("/fwd2", CT, mp((A, b"x"))),
}

#: Java exception classes that catalina_py raises as one Python class.
_SAME_EXCEPTION = {
    "org.apache.tomcat.util.http.fileupload.impl.IOFileUploadException": "java.io.IOException",
    "org.apache.tomcat.util.http.fileupload.FileUploadException": "java.io.IOException",
}
#: Messages catalina_py words differently on purpose (docs/multipart.md).
_OWN_MESSAGES = ("FileCountLimitExceededException", "the request has more than")


def normalise(status: str, body: str) -> list[str]:
    lines = [re.sub(r"^(HTTP/1\.1 \d{3}).*", r"\1", status)]
    for line in body.splitlines():
        if line.startswith("CAUSE "):
            continue  # Java's exception chain
        if line.startswith("EXC "):
            kind, _, message = line[4:].partition(": ")
            kind = _SAME_EXCEPTION.get(kind, kind)
            own = any(text in message for text in _OWN_MESSAGES)
            # Tomcat wraps the FileUpload exception: "Wrapper: impl.Cause: message".
            message = re.sub(r"^org\.apache\.tomcat\.util\.http\.fileupload\.[\w.]+: ", "", message)
            if kind == "java.io.IOException" or own:
                message = ""
            line = f"EXC {kind}: {message}"
        lines.append(line)
    return lines


def exchange(port: int, path: str, ctype: str | None, body: bytes) -> tuple[str, str]:
    head = f"POST /mp{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if ctype is not None:
        head += f"Content-Type: {ctype}\r\n"
    if path.endswith("#chunked"):
        path = path[: -len("#chunked")]
        head = head.replace(f"/mp{path}#chunked", f"/mp{path}")
        head += "Transfer-Encoding: chunked\r\n\r\n"
        body = b"".join(
            b"%x\r\n" % len(body[i : i + 1000]) + body[i : i + 1000] + b"\r\n" for i in range(0, len(body), 1000)
        )
        body += b"0\r\n\r\n"
    else:
        head += f"Content-Length: {len(body)}\r\n\r\n"
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head.encode() + body)
        for _ in range(10000):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head_bytes, _, content = data.partition(b"\r\n\r\n")
    status = head_bytes.split(b"\r\n", 1)[0].decode("latin-1")
    text = content.decode("utf-8", "replace")
    if status.split(" ")[1:2] != ["200"]:
        text = ""  # error pages differ in their HTML; the status is compared
    return status, text


@pytest.fixture(scope="module")
def tomcat(tmp_path_factory):
    """The port of a Tomcat serving the Java servlets at /mp (its stock configuration)."""
    if _MISSING is not None:
        pytest.fail(f"CI=true but not installed: {_MISSING}")
    server = TomcatProcess(tmp_path_factory.mktemp("tomcat_base"))
    (server.base / "webapps" / "mp").mkdir()
    server.compile("mp", sorted(JAVA_SOURCES.glob("*.java")), jars=[SERVLET_API])
    try:
        server.start(timeout=120, ready_url="/mp/up", ready_method="POST")
    except RuntimeError as exc:
        pytest.fail(f"Tomcat did not start: {str(exc)[-3000:]}")
    try:
        yield server.port
    finally:
        server.stop(timeout=30)


@pytest.fixture(scope="module")
def catalina_mp(tmp_path_factory):
    server = CatalinaProcess(tmp_path_factory.mktemp("mp_base"), webapps={"mp": TEST_WEBAPPS / "multipart"})
    server.start()
    yield server.port
    server.stop()


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_answer_as_tomcat(tomcat, catalina_mp, name):
    path, ctype, body = CASES[name]
    expected = normalise(*exchange(tomcat, path, ctype, body))
    got = normalise(*exchange(catalina_mp, path, ctype, body))
    assert got == expected
