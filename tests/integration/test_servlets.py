"""The container over real sockets, through `requests`: mapping, the
servlet API, errors, redirects, cookies, parameters."""

from __future__ import annotations

import json

import pytest
import requests


def get_json(catalina, path, **kwargs):
    response = requests.get(catalina.url + path, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def test_examples_welcome_page(catalina):
    response = requests.get(catalina.url + "/examples/", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Hello World" in response.text


def test_root_welcome_page_links_examples(catalina):
    response = requests.get(catalina.url + "/", timeout=10)
    assert response.status_code == 200
    assert 'href="/examples/"' in response.text


def test_context_root_redirect_keeps_query(catalina):
    response = requests.get(catalina.url + "/examples?x=1", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/examples/?x=1")


def test_hello_servlet(catalina):
    response = requests.get(catalina.url + "/examples/servlets/helloworld", timeout=10)
    assert response.status_code == 200
    assert "<h1>Hello World!</h1>" in response.text
    assert response.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert int(response.headers["Content-Length"]) == len(response.content)


def test_request_info_servlet(catalina):
    response = requests.get(catalina.url + "/examples/servlets/requestinfo/a/b?name=value", timeout=10)
    assert response.status_code == 200
    assert "<th>Path info</th><td>/a/b</td>" in response.text
    assert "<th>Servlet path</th><td>/servlets/requestinfo</td>" in response.text


@pytest.mark.parametrize(
    "path, servlet_path, path_info",
    [
        ("/testapp/info/x/y", "/info", "/x/y"),
        ("/testapp/info", "/info", None),
        ("/testapp/exact", "/exact", None),
        ("/testapp/some/thing.do", "/some/thing.do", None),
    ],
)
def test_mapping_paths(catalina, path, servlet_path, path_info):
    data = get_json(catalina, path)
    assert data["context_path"] == "/testapp"
    assert data["servlet_path"] == servlet_path
    assert data["path_info"] == path_info
    assert data["request_uri"] == path


def test_request_fields(catalina):
    data = get_json(
        catalina, "/testapp/info/p?a=1&a=2&b=%C3%A9&c", headers={"X-Test": "yes", "Cookie": 'k1=v1; k2="v2"'}
    )
    assert data["method"] == "GET"
    assert data["protocol"] == "HTTP/1.1"
    assert data["query_string"] == "a=1&a=2&b=%C3%A9&c"
    assert data["parameters"] == {"a": ["1", "2"], "b": ["\u00e9"], "c": [""]}
    assert data["headers"]["x-test"] == ["yes"]
    assert data["remote_addr"] == "127.0.0.1"
    assert data["scheme"] == "http"
    assert data["server_name"] == "127.0.0.1"
    assert data["server_port"] == catalina.port
    assert data["request_url"] == f"http://127.0.0.1:{catalina.port}/testapp/info/p"
    assert data["cookies"] == {"k1": "v1", "k2": "v2"}
    assert data["init_param"] == "blue"
    assert data["context_param"] == "hi"


def test_path_parameter_is_stripped_before_mapping(catalina):
    data = get_json(catalina, "/testapp/info/x;jsessionid=ABC123")
    assert data["path_info"] == "/x"
    assert data["jsessionid"] == "ABC123"
    assert data["request_uri"] == "/testapp/info/x;jsessionid=ABC123"


def test_form_post_parameters(catalina):
    response = requests.post(
        catalina.url + "/testapp/behave/form?q=1", data={"name": "J\u00f6rg", "x": ["1", "2"]}, timeout=10
    )
    assert response.json() == {"q": ["1"], "name": ["J\u00f6rg"], "x": ["1", "2"]}


def test_post_body_echo_with_content_length(catalina):
    body = bytes(range(256)) * 100
    response = requests.post(catalina.url + "/testapp/echo", data=body, timeout=10)
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["X-Content-Length"] == str(len(body))


def test_post_chunked_body_echo(catalina):
    def gen():
        for i in range(20):
            yield (f"chunk-{i};" * 100).encode()

    response = requests.post(catalina.url + "/testapp/echo", data=gen(), timeout=10)
    expected = b"".join((f"chunk-{i};" * 100).encode() for i in range(20))
    assert response.content == expected
    assert response.headers["X-Content-Length"] == "-1"


def test_servlet_exception_gives_500_error_page_and_server_goes_on(catalina):
    response = requests.get(catalina.url + "/testapp/behave/raise", timeout=10)
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    assert "HTTP Status 500" in response.text
    assert "Traceback" not in response.text and "<script>" not in response.text
    assert requests.get(catalina.url + "/testapp/exact", timeout=10).status_code == 200


def test_exception_after_commit_closes_connection(catalina):
    with requests.Session() as session, pytest.raises(requests.exceptions.ChunkedEncodingError):
        session.get(catalina.url + "/testapp/behave/raise_after_commit", timeout=10)
    assert requests.get(catalina.url + "/testapp/exact", timeout=10).status_code == 200


def test_servlet_failing_init_is_500(catalina):
    """A servlet class that does not exist fails the deployment
    (test_failed_webapp.py); one whose init raises fails its requests."""
    response = requests.get(catalina.url + "/testapp/broken", timeout=10)
    assert response.status_code == 500


def test_status_without_send_error_keeps_body(catalina):
    response = requests.get(catalina.url + "/testapp/behave/status?code=418", timeout=10)
    assert response.status_code == 418
    assert response.text == "own body"


@pytest.mark.parametrize("code", [400, 403, 404, 409, 503])
def test_send_error_renders_error_page(catalina, code):
    response = requests.get(catalina.url + f"/testapp/behave/send_error?code={code}&msg=custom+note", timeout=10)
    assert response.status_code == code
    assert f"HTTP Status {code}" in response.text
    assert "custom note" in response.text


def test_unknown_path_is_404_page(catalina):
    response = requests.get(catalina.url + "/testapp/no/such/file.txt", timeout=10)
    assert response.status_code == 404
    assert "HTTP Status 404" in response.text


def test_unknown_context_falls_back_to_root(catalina):
    response = requests.get(catalina.url + "/nosuchapp/x", timeout=10)
    assert response.status_code == 404


def test_405_with_allow_for_unimplemented_method(catalina):
    response = requests.put(catalina.url + "/testapp/getonly", data=b"x", timeout=10)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    response = requests.options(catalina.url + "/testapp/getonly", timeout=10)
    assert response.status_code == 200
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_head_runs_get_without_body(catalina):
    get = requests.get(catalina.url + "/testapp/getonly", timeout=10)
    head = requests.head(catalina.url + "/testapp/getonly", timeout=10)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"] == str(len(get.content))


def test_redirect_relative_location_is_sent_as_given(catalina):
    # Tomcat 10.1 (useRelativeRedirects): an HTTP/1.1 client gets the
    # location as the servlet gave it (HTTP/1.0: absolute, see
    # test_tomcat_parity.py).
    response = requests.get(catalina.url + "/testapp/behave/redirect?to=other", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"] == "other"


def test_flushed_response_is_chunked(catalina):
    response = requests.get(catalina.url + "/testapp/behave/stream?parts=4", timeout=10)
    assert response.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.headers
    assert response.text == "".join(f"part {i}\n" for i in range(4))


def test_big_response_outgrows_buffer_and_is_chunked(catalina):
    response = requests.get(catalina.url + "/testapp/behave/big?n=100000", timeout=10)
    assert response.headers.get("Transfer-Encoding") == "chunked"
    assert response.content == b"x" * 100000


def test_small_response_has_content_length(catalina):
    response = requests.get(catalina.url + "/testapp/behave/big?n=5000", timeout=10)
    assert response.headers["Content-Length"] == "5000"


def test_headers_charset_and_multi_values(catalina):
    response = requests.get(catalina.url + "/testapp/behave/headers", timeout=10)
    assert response.headers["X-One"] == "1"
    assert response.raw.headers.getlist("X-Multi") == ["a", "b"]
    assert response.headers["Content-Type"] == "text/plain;charset=ISO-8859-1"
    assert response.content == "caf\u00e9".encode("latin-1")


def test_add_cookie(catalina):
    response = requests.get(catalina.url + "/testapp/behave/cookie", timeout=10)
    header = response.headers["Set-Cookie"]
    assert header.startswith("flavour=oatmeal; Max-Age=60; Expires=")
    assert "Path=/testapp" in header and "HttpOnly" in header


def test_204_has_no_body_or_length(catalina):
    response = requests.get(catalina.url + "/testapp/behave/nobody", timeout=10)
    assert response.status_code == 204
    assert "Content-Length" not in response.headers
    assert response.content == b""


def test_date_and_keep_alive_reuse(catalina):
    with requests.Session() as session:
        first = session.get(catalina.url + "/testapp/exact", timeout=10)
        assert "Date" in first.headers
        second = session.get(catalina.url + "/testapp/exact", timeout=10)
        assert second.status_code == 200


def test_access_log_has_common_lines(catalina):
    requests.get(catalina.url + "/testapp/exact?logme=1", timeout=10)
    # The log is buffered; it is flushed at least once a second.
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if 'GET /testapp/exact?logme=1 HTTP/1.1" 200' in catalina.access_log():
            break
        time.sleep(0.2)
        requests.get(catalina.url + "/testapp/exact", timeout=10)
    assert "127.0.0.1 - - [" in catalina.access_log()
    assert '"GET /testapp/exact?logme=1 HTTP/1.1" 200 ' in catalina.access_log()


def test_json_of_get_is_valid(catalina):
    json.loads(requests.get(catalina.url + "/testapp/info", timeout=10).text)
