"""The DefaultServlet over real sockets: types, validators, conditional
requests, ranges, HEAD, welcome files, directories, streaming."""

from __future__ import annotations

import re

import requests

from tests.conftest import LARGE_FILE
from tests.integration.test_connector_raw import parse_responses
from tests.server import raw_request


def url(catalina, path):
    return catalina.url + "/testapp/static" + path


def test_static_file_with_validators(catalina):
    response = requests.get(url(catalina, "/hello.txt"), timeout=10)
    assert response.status_code == 200
    assert response.text == "Hello, static world.\n"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert re.fullmatch(r'W/"21-\d+"', response.headers["ETag"])
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert response.headers["Accept-Ranges"] == "bytes"


def test_if_none_match_and_if_modified_since_give_304(catalina):
    first = requests.get(url(catalina, "/hello.txt"), timeout=10)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    response = requests.get(url(catalina, "/hello.txt"), headers={"If-None-Match": etag}, timeout=10)
    assert response.status_code == 304 and response.content == b""
    assert response.headers["ETag"] == etag
    response = requests.get(url(catalina, "/hello.txt"), headers={"If-Modified-Since": modified}, timeout=10)
    assert response.status_code == 304
    response = requests.get(url(catalina, "/hello.txt"), headers={"If-None-Match": 'W/"0-0"'}, timeout=10)
    assert response.status_code == 200


def test_single_range(catalina):
    response = requests.get(url(catalina, "/large.bin"), headers={"Range": "bytes=100-199"}, timeout=10)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(LARGE_FILE)}"
    assert response.content == LARGE_FILE[100:200]
    response = requests.get(url(catalina, "/large.bin"), headers={"Range": "bytes=-10"}, timeout=10)
    assert response.content == LARGE_FILE[-10:]


def test_multiple_ranges_are_multipart(catalina):
    response = requests.get(url(catalina, "/large.bin"), headers={"Range": "bytes=0-9,1000-1009"}, timeout=10)
    assert response.status_code == 206
    ctype = response.headers["Content-Type"]
    assert ctype.replace(" ", "").startswith("multipart/byteranges;boundary=")
    boundary = ctype.split("boundary=")[1].encode()
    assert int(response.headers["Content-Length"]) == len(response.content)
    parts = response.content.split(b"--" + boundary)
    bodies = [p.split(b"\r\n\r\n", 1)[1][:-2] for p in parts[1:-1]]
    assert bodies == [LARGE_FILE[0:10], LARGE_FILE[1000:1010]]
    assert parts[-1].startswith(b"--")


def test_unsatisfiable_range_is_416(catalina):
    response = requests.get(url(catalina, "/hello.txt"), headers={"Range": "bytes=500-600"}, timeout=10)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */21"


def test_if_range_mismatch_gives_whole_file(catalina):
    response = requests.get(
        url(catalina, "/hello.txt"), headers={"Range": "bytes=0-4", "If-Range": 'W/"1-1"'}, timeout=10
    )
    assert response.status_code == 200
    assert response.text == "Hello, static world.\n"


def test_head_has_length_and_no_body(catalina):
    response = requests.head(url(catalina, "/large.bin"), timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(LARGE_FILE))
    assert response.content == b""


def test_large_file_streamed_whole(catalina):
    response = requests.get(url(catalina, "/large.bin"), timeout=30)
    assert response.headers["Content-Length"] == str(len(LARGE_FILE))
    assert response.content == LARGE_FILE


def test_welcome_file_and_directory_redirect(catalina):
    response = requests.get(url(catalina, "/"), timeout=10)
    assert response.status_code == 200 and "static index" in response.text
    response = requests.get(url(catalina, "") + "?a=b", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/testapp/static/?a=b")


def test_no_directory_listing(catalina):
    response = requests.get(catalina.url + "/testapp/WEB-INF/", timeout=10)
    assert response.status_code == 404
    response = requests.get(catalina.url + "/examples/servlets/", timeout=10)
    assert response.status_code == 404


def test_put_is_not_allowed(catalina):
    response = requests.put(url(catalina, "/hello.txt"), data=b"x", timeout=10)
    assert response.status_code == 405
    assert "PUT" not in response.headers["Allow"]


def test_head_and_get_over_one_connection(catalina):
    data = (
        b"HEAD /testapp/static/hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /testapp/static/hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    raw = raw_request(catalina.port, data)
    head_part, _, rest = raw.partition(b"\r\n\r\n")
    assert b"Content-Length: 21" in head_part
    ((status, _, body),) = parse_responses(rest)
    assert status == 200 and body == b"Hello, static world.\n"
