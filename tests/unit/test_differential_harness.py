"""The differential test's own pieces (tests/differential), without Tomcat:
the raw-socket reader, the comparison and its normalisation, the
known-differences file, the exchange tables and the two webapp twins."""

from __future__ import annotations

import ast
import re
import socket
import threading
from pathlib import Path

import pytest

from tests.differential import compare as cmp
from tests.differential.exchanges import all_exchanges, frame
from tests.differential.wire import Frame, Outcome, Response, run_step

HERE = Path(__file__).resolve().parents[1] / "differential"


def serve_once(answer: bytes, close: bool) -> int:
    """A one-shot server on 127.0.0.1 sending ``answer`` to the first
    request (and to the probe when it stays open); returns its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def run() -> None:
        conn, _ = listener.accept()
        with conn, listener:
            conn.settimeout(5)
            conn.recv(65536)
            conn.sendall(answer)
            if close:
                return
            if conn.recv(65536):  # the probe
                conn.sendall(b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n")
            conn.recv(65536)

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1]


def test_reads_a_chunked_response_and_finds_the_connection_kept() -> None:
    port = serve_once(
        b"HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n", close=False
    )
    outcome = run_step(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
    (response,) = outcome.responses
    assert (response.status, response.reason, response.body, response.framing) == (200, "", b"abc", "chunked")
    assert response.trailers == [("X-T", "1")]
    assert outcome.connection == "kept"


def test_reads_a_close_delimited_body() -> None:
    port = serve_once(b"HTTP/1.0 200 OK\r\n\r\nuntil close", close=True)
    outcome = run_step(port, b"GET / HTTP/1.0\r\n\r\n", timeout=5)
    assert outcome.responses[0].body == b"until close"
    assert outcome.connection == "closed"


def test_an_answer_without_status_line_is_http09() -> None:
    port = serve_once(b"<!doctype html><p>bare", close=True)
    outcome = run_step(port, b"GET /\r\n\r\n", timeout=5)
    assert outcome.responses == [] and outcome.error and outcome.error.startswith("not a status line")


def response(status: int = 200, headers: list[tuple[str, str]] | None = None, body: bytes = b"") -> Response:
    return Response("HTTP/1.1", status, "", headers or [], body, "length")


def test_normalises_ports_session_ids_dates_and_allow() -> None:
    ours = Outcome(
        [
            response(
                headers=[
                    ("Set-Cookie", "JSESSIONID=AAA; Max-Age=60; Expires=Mon, 07 Dec 2026 05:00:00 GMT"),
                    ("Allow", "GET, POST"),
                    ("Location", "http://127.0.0.1:1111/x;jsessionid=AAA"),
                    ("Date", "then"),
                ],
                body=b"DIFF echo\nurl: http://x:1111/\ncookie JSESSIONID: AAA\n",
            )
        ],
        "kept",
    )
    tomcat = Outcome(
        [
            response(
                headers=[
                    ("Set-Cookie", "JSESSIONID=BBB; Max-Age=60; Expires=Mon, 07 Dec 2026 05:00:09 GMT"),
                    ("Allow", "POST, GET"),
                    ("Location", "http://127.0.0.1:2222/x;jsessionid=BBB"),
                    ("Date", "now"),
                ],
                body=b"DIFF echo\nurl: http://x:2222/\ncookie JSESSIONID: BBB\n",
            )
        ],
        "kept",
    )
    assert cmp.compare("a/b", [ours], [tomcat], 1111, 2222) == []


def test_error_pages_compare_by_presence_and_echo_bodies_by_line() -> None:
    page = response(404, [("Content-Type", "text/html")], b"<html>ours</html>")
    other = response(404, [("Content-Type", "text/html")], b"<html>theirs, longer</html>")
    assert cmp.compare("e/x", [Outcome([page], "kept")], [Outcome([other], "kept")], 11111, 22222) == []
    ours = response(body=b"DIFF echo\na: 1\nb: 2\nc: 3\n")
    theirs = response(body=b"DIFF echo\na: 1\nb: 9\nc: 3\n")
    (diff,) = cmp.compare("e/y", [Outcome([ours], "kept")], [Outcome([theirs], "kept")], 11111, 22222)
    assert (diff.aspect, diff.ours, diff.tomcat) == ("body", "b: 2", "b: 9")


def test_close_frames_compare_by_code() -> None:
    a = Outcome([response(101)], "closed", [Frame(True, 0, 8, b"\x03\xe8ours")])
    b = Outcome([response(101)], "closed", [Frame(True, 0, 8, b"\x03\xe9")])
    (diff,) = cmp.compare("ws/x", [a], [b], 11111, 22222)
    assert (diff.aspect, diff.ours, diff.tomcat) == ("frames", "close 1000", "close 1001")


def test_known_differences_match_by_glob_aspect_and_text(tmp_path: Path) -> None:
    path = tmp_path / "known.txt"
    path.write_text("# comment\nws-*/x | header connection ~ ours close | open: why\n")
    (known,) = cmp.load_known(path)
    assert known.matches(cmp.Difference("ws-frames/x", "header connection", "close", "(none)"))
    assert not known.matches(cmp.Difference("ws-frames/x", "header connection", "(none)", "close"))
    path.write_text("a | b | because\n")
    with pytest.raises(ValueError, match=r"known.txt:1: .*deliberate: reason"):
        cmp.load_known(path)


def test_the_shipped_known_differences_parse_and_say_why() -> None:
    known = cmp.load_known()
    assert known and all(k.reason.split(":", 1)[1].strip() for k in known)


def test_exchange_ids_are_unique_and_many() -> None:
    ids = [ex.id for ex in all_exchanges()]
    assert len(ids) == len(set(ids)) >= 500


def test_client_frames_are_masked() -> None:
    assert frame(1, b"hi")[:2] == b"\x81\x82"
    assert frame(1, b"hi", masked=False) == b"\x81\x02hi"


def test_every_behaviour_of_the_java_servlet_has_its_python_twin() -> None:
    """The servlet paths DiffServlet.java switches on are those diffapp.py
    tests, and every servlet class web.xml names exists on both sides."""
    java = (HERE / "java" / "diffapp" / "DiffServlet.java").read_text()
    python = (HERE / "webapp" / "WEB-INF" / "classes" / "diffapp.py").read_text()
    java_paths = set(re.findall(r'case "(/\w+)"', java))
    python_paths = set(re.findall(r'what == "(/\w+)"', python))
    assert java_paths == python_paths
    web_xml = (HERE / "webapp" / "WEB-INF" / "web.xml").read_text()
    classes = {name.split(".")[1] for name in re.findall(r"<servlet-class>([\w.]+)</servlet-class>", web_xml)}
    python_classes = {n.name for n in ast.parse(python).body if isinstance(n, ast.ClassDef)}
    assert classes <= python_classes
    assert all((HERE / "java" / "diffapp" / f"{name}.java").exists() for name in classes)
