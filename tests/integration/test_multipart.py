"""Multipart requests over real sockets (webapp tests/integration/webapps/multipart).

The servlets print what they received in the format of the Java servlets
the behaviour was compared with on Tomcat 10.1.60; the expected texts below
are Tomcat's answers to the same requests (docs/multipart.md)."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import time

import pytest
import requests

from tests.server import TEST_WEBAPPS, CatalinaProcess

B = "XyZ"
CT = f"multipart/form-data; boundary={B}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = CatalinaProcess(tmp_path_factory.mktemp("multipart_base"), webapps={"mp": TEST_WEBAPPS / "multipart"})
    process.start()
    yield process
    process.stop()


def work_dir(server) -> str:
    return str(server.base / "work" / "Catalina" / "localhost" / "mp")


def temp_files(server) -> list[str]:
    found = []
    for _root, _dirs, files in os.walk(work_dir(server)):
        found += [name for name in files if name.startswith("upload_")]
    return found


def no_temp_files_left(server) -> bool:
    """Whether the temporary files are gone: they are deleted when the
    request is recycled, just after its response was sent (as in Tomcat),
    so the client may look a moment too early; bounded polling."""
    for _ in range(100):
        if not temp_files(server):
            return True
        time.sleep(0.05)
    return False


def mp(*parts: tuple[bytes, bytes], end: bool = True) -> bytes:
    out = b""
    for headers, data in parts:
        out += b"--" + B.encode() + b"\r\n" + headers + b"\r\n\r\n" + data + b"\r\n"
    if end:
        out += b"--" + B.encode() + b"--\r\n"
    return out


def field(name: bytes, data: bytes) -> tuple[bytes, bytes]:
    return b'Content-Disposition: form-data; name="' + name + b'"', data


def post(server, path: str, body: bytes, ctype: str | None = CT) -> requests.Response:
    headers = {} if ctype is None else {"Content-Type": ctype}
    return requests.post(f"{server.url}/mp{path}", data=body, headers=headers, timeout=30)


def test_fields_and_a_file_with_requests(server):
    r = requests.post(
        f"{server.url}/mp/up?q=1&a=0",
        data={"a": "hello", "n\u00e9": "h\u00e9llo \u20ac"},
        files={"f": ("x.txt", b"file data", "text/plain")},
        timeout=10,
    )
    assert r.status_code == 200
    lines = r.text.splitlines()
    assert "parts 3" in lines
    assert "part name=f file=x.txt ctype=text/plain size=9" in lines
    assert "param a=[0, hello]" in lines  # query string first, as Tomcat
    assert "param n\u00e9=[h\u00e9llo \u20ac]" in lines
    assert "param q=[1]" in lines
    assert "getPart(nosuch)=null" in lines
    assert lines[-1] == "tempfiles 0"  # all under the 100-byte threshold


def test_answers_as_tomcat_does(server):
    r = post(
        server,
        "/up",
        mp(
            field(b"a", b"hello"),
            (b'Content-Disposition: form-data; name="f"; filename="x.txt"\r\nContent-Type: text/plain', b"file data"),
        ),
    )
    # Tomcat 10.1.60, byte for byte.
    assert r.text == (
        "parts 2\n"
        "part name=a file=null ctype=null size=5\n"
        '  header content-disposition: [form-data; name="a"] first=form-data; name="a"\n'
        "  body hello\n"
        "  class ByteArrayInputStream\n"
        "part name=f file=x.txt ctype=text/plain size=9\n"
        '  header content-disposition: [form-data; name="f"; filename="x.txt"] '
        'first=form-data; name="f"; filename="x.txt"\n'
        "  header content-type: [text/plain] first=text/plain\n"
        "  body file data\n"
        "  class ByteArrayInputStream\n"
        "getPart(nosuch)=null\n"
        "param a=[hello]\n"
        "tempfiles 0\n"
    )


def test_part_headers_as_tomcat_reads_them(server):
    r = post(server, "/up", mp((b'Content-Disposition: form-data; name="a"\r\nX-A: 1\r\nx-a: 2\r\nX-B: 3', b"x")))
    assert "  header x-a: [1, 2] first=1\n  header x-b: [3] first=3\n" in r.text
    r = post(server, "/up", mp((b"Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E2%82%AC.txt", b"x")))
    assert "part name=f file=\u20ac.txt ctype=null size=1" in r.text


def test_parts_without_a_form_data_name_are_skipped(server):
    r = post(server, "/up", mp((b"Content-Disposition: form-data", b"x"), field(b"b", b"y"), (b"X-A: 1", b"z")))
    assert r.text.startswith("parts 1\npart name=b ")


def test_threshold_keeps_small_parts_in_memory_and_writes_larger_ones(server):
    r = post(
        server,
        "/up",
        mp(
            (b'Content-Disposition: form-data; name="f"; filename="a"', b"x" * 100),
            (b'Content-Disposition: form-data; name="g"; filename="b"', b"x" * 101),
        ),
    )
    lines = r.text.splitlines()
    assert lines[4] == "  class ByteArrayInputStream"  # 100 bytes: at the threshold, in memory
    assert lines[8] == "  class ChannelInputStream"  # 101 bytes: on disk
    assert lines[-1] == "tempfiles 1"  # while the request ran
    assert no_temp_files_left(server)  # deleted at its end


def test_large_uploads_stream_to_disk_and_are_deleted(server):
    # 20 MiB plus 3 MiB, with Content-Length and chunked: the digests match
    # (the servlet reads the parts back from their files), the temporary
    # files exist while the request runs and are gone after it.
    big = os.urandom(1 << 20) * 20
    small = os.urandom(3 << 20)
    files = {"f": ("big.bin", big), "g": ("small.bin", small)}
    r = requests.post(f"{server.url}/mp/digest", files=files, data={"x": "y"}, timeout=120)
    assert r.status_code == 200
    assert r.text.splitlines() == [
        f"x 1 {hashlib.sha256(b'y').hexdigest()} memory",  # requests sends the fields first
        f"f {len(big)} {hashlib.sha256(big).hexdigest()} disk",
        f"g {len(small)} {hashlib.sha256(small).hexdigest()} disk",
        "tempfiles 2",
    ]
    assert no_temp_files_left(server)
    prepared = requests.Request("POST", f"{server.url}/mp/digest", files={"f": ("big.bin", big)}).prepare()
    body = prepared.body
    assert isinstance(body, bytes)

    def chunks():
        for start in range(0, len(body), 1 << 20):
            yield body[start : start + (1 << 20)]

    r = requests.post(
        f"{server.url}/mp/digest",
        data=chunks(),
        headers={"Content-Type": prepared.headers["Content-Type"]},
        timeout=120,
    )
    assert r.text.splitlines() == [f"f {len(big)} {hashlib.sha256(big).hexdigest()} disk", "tempfiles 1"]
    assert no_temp_files_left(server)


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        # max-file-size 1000: 1000 bytes pass, 1001 fail (a field too).
        ("/up", mp((b'Content-Disposition: form-data; name="f"; filename="a"', b"x" * 1000)), "parts 1"),
        (
            "/up",
            mp((b'Content-Disposition: form-data; name="f"; filename="a"', b"x" * 1001)),
            "EXC java.lang.IllegalStateException: The field f exceeds its maximum permitted size of 1000 bytes.",
        ),
        (
            "/up",
            mp(field(b"a", b"x" * 1001)),
            "EXC java.lang.IllegalStateException: The field a exceeds its maximum permitted size of 1000 bytes.",
        ),
        # a part without a form-data name is skipped, unchecked, as in Tomcat
        ("/up", mp((b"Content-Disposition: form-data", b"x" * 1001), field(b"a", b"y")), "parts 1"),
        # max-request-size 5000, known from Content-Length before reading.
        (
            "/up",
            mp(*[field(b"a", b"x" * 900)] * 6),
            "EXC java.lang.IllegalStateException: the request was rejected because its size (5727) "
            "exceeds the configured maximum (5000)",
        ),
        # the Connector's maxPartCount (50) and maxPartHeaderSize (512)
        ("/big", mp(*[field(b"a", b"x")] * 50), "parts 50"),
        (
            "/big",
            mp(*[field(b"a", b"x")] * 51),
            "EXC java.lang.IllegalStateException: the request has more than 50 parts (the Connector's maxPartCount)",
        ),
        (
            "/big",
            mp((b'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + b"p" * 460, b"x")),
            "EXC java.lang.IllegalStateException: Header section has more than 512 bytes "
            "(maybe it is not properly terminated)",
        ),
        # malformed bodies
        (
            "/up",
            mp(field(b"a", b"x"), end=False),
            "EXC java.io.IOException: Processing of multipart/form-data request failed. Stream ended unexpectedly",
        ),
        ("/up", b"no delimiter at all", "parts 0"),
    ],
)
def test_limits_and_malformed_bodies(server, path, body, expected):
    r = post(server, path, body)
    assert r.status_code == 200
    assert r.text.splitlines()[0] == expected
    if expected.startswith("EXC"):
        assert r.text.endswith("tempfiles 0\n")  # the parts of a failed parse are deleted at once


def test_header_block_of_exactly_512_bytes_passes(server):
    r = post(server, "/big", mp((b'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + b"p" * 459, b"x")))
    assert r.text.startswith("parts 1\n")


def test_not_multipart_is_a_servlet_exception(server):
    r = post(server, "/up", b"a=1", "application/x-www-form-urlencoded")
    assert r.text.splitlines() == [
        "EXC jakarta.servlet.ServletException: the request doesn't contain a multipart/form-data or "
        "multipart/mixed stream, content type header is application/x-www-form-urlencoded",
        "param a=[1]",
        "tempfiles 0",
    ]


def test_no_boundary_is_an_io_error(server):
    r = post(server, "/up", mp(field(b"a", b"x")), "multipart/form-data")
    assert r.text.splitlines()[0] == (
        "EXC java.io.IOException: the request was rejected because no multipart boundary was found"
    )


def test_uncaught_errors_are_500(server):
    body = mp((b'Content-Disposition: form-data; name="f"; filename="a"', b"x" * 1001))
    assert post(server, "/up?throw=1", body).status_code == 500
    assert post(server, "/big?throw=1", mp(*[field(b"a", b"x")] * 51)).status_code == 500


def test_without_multipart_config(server):
    # get_parts() first: IllegalStateError, and no parameters from the parts.
    r = post(server, "/nocfg2", mp(field(b"a", b"1")))
    assert r.text.splitlines() == [
        "EXC java.lang.IllegalStateException: Unable to process parts as no multi-part configuration "
        "has been provided",
        "param null",
    ]
    assert post(server, "/nocfg2?x", mp(field(b"a", b"1"))).status_code == 500
    # parameters first: the parts are silently not parsed, get_parts() is empty.
    r = post(server, "/nocfg", mp(field(b"a", b"1")))
    assert r.text.splitlines() == ["parts 0", "getPart(nosuch)=null", "tempfiles 0"]


def test_the_servlet_first_mapped_decides(server):
    # As Tomcat 10.1.60: a forward's target does not bring its own
    # multipart configuration, nor lose the one of the servlet forwarding.
    r = post(server, "/fwdcfg", mp(field(b"a", b"1")))
    assert r.text.splitlines() == ["ok", "param 1"]
    r = post(server, "/fwd2", mp(field(b"a", b"1")))
    assert r.text.splitlines() == ["parts 0", "getPart(nosuch)=null", "tempfiles 0"]


def test_write_and_delete(server):
    data = os.urandom(5000)
    r = requests.post(f"{server.url}/mp/save?as=out.bin", files={"f": ("a.bin", data)}, timeout=10)
    assert r.text.splitlines() == ["saved 5000", "tempfiles 0"]
    saved = os.path.join(work_dir(server), "uploads", "out.bin")
    with open(saved, "rb") as file:
        assert file.read() == data
    assert no_temp_files_left(server)


def test_the_connection_survives_a_refused_upload(server):
    # Over max-request-size: refused before reading; the small body is
    # swallowed and the connection serves the next request.
    body = mp(*[field(b"a", b"x" * 900)] * 6)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        head = f"POST /mp/up HTTP/1.1\r\nHost: x\r\nContent-Type: {CT}\r\nContent-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode() + body + b"GET /mp/nosuch HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")
    assert b"HTTP/1.1 404" in data


def test_connector_limits_are_configurable(make_server):
    server = make_server(
        webapps={"mp": TEST_WEBAPPS / "multipart"}, connector_attrs='maxPartCount="2" maxPartHeaderSize="-1"'
    )
    server.start()
    r = post(server, "/big", mp(*[field(b"a", b"x")] * 3))
    assert r.text.startswith("EXC java.lang.IllegalStateException: the request has more than 2 parts")
    r = post(server, "/big", mp((b'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + b"p" * 5000, b"x")))
    assert r.text.startswith("parts 1\n")


# -- the upload example of webapps/examples ----------------------------------


def test_upload_example(catalina):
    url = f"{catalina.url}/examples/servlets/upload"
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    index = requests.get(f"{catalina.url}/examples/", timeout=10).text
    assert 'href="servlets/upload"' in index
    big = b"\x00" * 100_000
    r = requests.post(
        url,
        data={"description": "two <files>"},
        files=[("files", ("a.txt", b"hello", "text/plain")), ("files", ("b.bin", big, "application/octet-stream"))],
        timeout=10,
    )
    assert r.status_code == 200
    assert "3 part(s) received" in r.text
    assert "<b>two &lt;files&gt;</b>" in r.text
    assert "<td>a.txt</td><td>text/plain</td><td>5 bytes</td><td>memory</td>" in r.text
    assert "<td>b.bin</td><td>application/octet-stream</td><td>100,000 bytes</td><td>temporary file</td>" in r.text
    assert hashlib.sha256(b"hello").hexdigest()[:16] in r.text


def test_upload_example_refuses_a_file_over_its_limit(catalina):
    r = requests.post(
        f"{catalina.url}/examples/servlets/upload",
        files={"files": ("big.bin", b"\x00" * (10 * 1024 * 1024 + 1))},
        timeout=30,
    )
    assert r.status_code == 413
    assert "Refused: The field files exceeds its maximum permitted size of 10485760 bytes." in r.text


def test_allow_casual_multipart_parsing(make_server, tmp_path):
    # <Context allowCasualMultipartParsing="true">: get_parts() works for a
    # servlet without a multipart config, with maxPostSize as every limit.
    webapp = tmp_path / "mp"
    shutil.copytree(TEST_WEBAPPS / "multipart", webapp)
    (webapp / "META-INF").mkdir()
    (webapp / "META-INF" / "context.xml").write_text('<Context allowCasualMultipartParsing="true"/>\n')
    server = make_server(webapps={"mp": webapp})
    server.start()
    r = post(server, "/nocfg2", mp(field(b"a", b"1")))
    assert r.text.splitlines() == ["ok", "param 1"]
