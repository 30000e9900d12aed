"""Asynchronous servlets over real sockets (webapp tests/integration/webapps/async)."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests

from tests.server import TEST_WEBAPPS


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.server import CatalinaProcess

    process = CatalinaProcess(
        tmp_path_factory.mktemp("async_base"),
        webapps={"async": TEST_WEBAPPS / "async"},
        connector_attrs='maxThreads="2"',
    )
    process.start()
    yield process
    process.stop()


def url(server, path: str) -> str:
    return f"{server.url}/async{path}"


def events(server, key: str) -> list[str]:
    return requests.get(url(server, f"/events?key={key}"), timeout=5).json()


def test_complete_from_another_greenlet(server):
    started = time.monotonic()
    r = requests.get(url(server, "/complete?key=c1&delay=0.3"), timeout=5)
    assert time.monotonic() - started >= 0.3
    assert r.status_code == 200
    assert r.text == "completed from another greenlet after 0.3"
    assert r.headers["X-Async"] == "yes"
    assert r.headers["Content-Length"] == str(len(r.text))
    assert events(server, "c1") == ["started:True", "servlet returned", "complete"]


def test_async_body_streams_chunked(server):
    r = requests.get(url(server, "/stream"), timeout=5)
    assert r.status_code == 200
    assert r.headers.get("Transfer-Encoding") == "chunked"
    assert r.text == "piece 0\npiece 1\npiece 2\n"


def test_start_runs_a_greenlet(server):
    r = requests.get(url(server, "/start?key=s1"), timeout=5)
    assert (r.status_code, r.text) == (200, "written by start()")
    assert events(server, "s1") == ["complete"]


def test_error_in_start_greenlet_calls_on_error_then_500(server):
    r = requests.get(url(server, "/start?key=s2&mode=raise"), timeout=5)
    assert r.status_code == 500
    assert "HTTP Status 500" in r.text
    assert events(server, "s2") == ["error:ValueError", "complete"]


def test_exception_after_start_async_calls_on_error_then_500(server):
    r = requests.get(url(server, "/fail?key=f1"), timeout=5)
    assert r.status_code == 500
    assert events(server, "f1") == ["error:RuntimeError", "complete"]


def test_dispatch_to_path_with_query(server):
    r = requests.get(url(server, "/dispatch/first?key=d1&to=/target/t%3Fx%3Dnew&x=old"), timeout=5)
    assert r.status_code == 200
    info = r.json()
    assert info["dispatcher_type"] == "ASYNC"
    assert info["request_uri"] == "/async/target/t"
    assert (info["servlet_path"], info["path_info"]) == ("/target", "/t")
    assert info["query_string"] == "x=new"
    assert info["x"] == ["new", "old"]  # the target's parameters first
    assert info["carried"] == "from the first pass"
    assert info["async"] == {
        "request_uri": "/async/dispatch/first",
        "context_path": "/async",
        "servlet_path": "/dispatch",
        "path_info": "/first",
        "query_string": "key=d1&to=/target/t%3Fx%3Dnew&x=old",
    }
    assert info["async_started"] is False
    assert events(server, "d1") == ["complete"]


def test_dispatch_without_path_goes_back_to_the_request_uri(server):
    r = requests.get(url(server, "/dispatch/again?key=d2"), timeout=5)
    assert r.status_code == 200
    assert r.text == "second pass type=ASYNC uri=/async/dispatch/again path_info=/again"
    assert events(server, "d2") == ["async pass", "complete"]


def test_timeout_without_listener_action_is_500(server):
    started = time.monotonic()
    r = requests.get(url(server, "/timeout?key=t1&ms=400"), timeout=5)
    elapsed = time.monotonic() - started
    assert r.status_code == 500
    assert "HTTP Status 500" in r.text
    assert 0.35 <= elapsed < 3
    assert events(server, "t1") == ["timeout", "complete"]


def test_timeout_listener_may_complete(server):
    r = requests.get(url(server, "/timeout?key=t2&ms=200&mode=complete"), timeout=5)
    assert (r.status_code, r.text) == (200, "completed by the timeout listener")
    assert events(server, "t2") == ["timeout", "complete"]


def test_timeout_listener_may_dispatch(server):
    r = requests.get(url(server, "/timeout?key=t3&ms=200&mode=dispatch"), timeout=5)
    assert r.status_code == 200
    assert r.json()["request_uri"] == "/async/target/after-timeout"


def test_timeout_after_commit_closes_the_connection(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /async/timeout?key=t4&ms=200&commit=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")
    assert b"partial" in data
    assert not data.endswith(b"0\r\n\r\n")  # no last chunk: the body is incomplete


def test_state_rules(server):
    r = requests.get(url(server, "/states?key=st"), timeout=5)
    assert r.status_code == 200
    out = r.json()
    assert out["supported"] is True and out["started"] is True and out["same_context"] is True
    assert out["timeout"] == 30000 and out["original"] is True
    assert out["get_before"].startswith("IllegalStateError")
    assert out["second_start"] == (
        "IllegalStateError: Calling [start_async()] is not valid for a " "request with Async state [STARTING]"
    )
    assert out["relative_dispatch"].startswith("ValueError")
    time.sleep(0.5)
    recorded = events(server, "st")
    assert recorded[0] == ("late: The request associated with the AsyncContext has already " "completed processing.")
    assert json.loads(recorded[1])["second_complete"].startswith("IllegalStateError")


def test_not_async_supported_servlet_cannot_start(server):
    out = requests.get(url(server, "/notasync"), timeout=5).json()
    assert out["supported"] is False
    assert out["start"] == (
        "IllegalStateError: A filter or servlet of the current chain does not " "support asynchronous operations."
    )


def test_long_poll_two_clients_get_the_message(server):
    results: dict[int, requests.Response] = {}

    def poll(i: int) -> None:
        results[i] = requests.get(url(server, "/poll"), timeout=10)

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # both parked
    assert not results
    # maxThreads is 2 and two requests are parked: the slots were released.
    assert requests.get(url(server, "/sync"), timeout=5).text == "sync"
    r = requests.post(url(server, "/poll"), data=b"news for all", timeout=5)
    assert r.text == "delivered to 2"
    for t in threads:
        t.join(5)
    assert [results[i].text for i in range(2)] == ["news for all", "news for all"]
    assert all(results[i].status_code == 200 for i in range(2))


def test_long_poll_timeout_answers_204(server):
    r = requests.get(url(server, "/poll?ms=200"), timeout=5)
    assert r.status_code == 204
    assert requests.post(url(server, "/poll"), data=b"x", timeout=5).text == "delivered to 0"


def test_keep_alive_continues_after_async_response(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"GET /async/complete?delay=0.1 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /async/sync HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    first, _, second = data.partition(b"HTTP/1.1 200 ")[2].partition(b"HTTP/1.1 200 ")
    assert b"completed from another greenlet" in first
    assert second.endswith(b"sync")


def test_access_log_has_the_async_response(server):
    body = requests.get(url(server, "/complete?delay=0.05&key=log"), timeout=5).content
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        lines = [line for line in server.access_log().splitlines() if "key=log" in line]
        if lines:
            break
        time.sleep(0.05)
    assert lines and lines[0].endswith(f'" 200 {len(body)}')


def test_graceful_shutdown_waits_for_async_request(make_server):
    process = make_server(webapps={"async": TEST_WEBAPPS / "async"})
    process.start()
    result: dict[str, object] = {}

    def call() -> None:
        try:
            result["response"] = requests.get(f"{process.url}/async/complete?delay=1", timeout=10)
        except Exception as exc:  # pragma: no cover - reported below
            result["error"] = exc

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.3)
    process.shutdown_command()
    thread.join(10)
    assert "error" not in result, result.get("error")
    response = result["response"]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.text == "completed from another greenlet after 1.0"  # type: ignore[attr-defined]
    assert response.headers.get("Connection") == "close"  # type: ignore[attr-defined]
    assert process.wait(10) == 0
