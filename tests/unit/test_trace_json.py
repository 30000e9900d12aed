"""catalina_py.trace_json: the JSON trace writer over an in-memory stream,
and the ``<Listener>`` that writes the event bus to a file (hand-built
events emitted on the bus directly; no sockets, no server)."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gevent
import pytest

from catalina_py import trace_json
from catalina_py.event_views import component_of, event_fields, step_of, summary_of
from catalina_py.events import (
    BUS,
    BytesReceived,
    BytesSent,
    ConnectionAccepted,
    ConnectionClosed,
    Event,
    KeepAliveDecided,
    RequestCompleted,
    RequestHeadParsed,
    ResponseCommitted,
)
from catalina_py.trace_filter import TraceFilter
from catalina_py.trace_json import JsonTraceListener, JsonTraceWriter, event_record

KEYS = {"time", "connection", "event", "component", "step", "summary", "fields"}


@pytest.fixture
def slow_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    """No flush by the clock during the test: only explicit ones (and 512 lines)."""
    monkeypatch.setattr(trace_json, "FLUSH_INTERVAL", 3600.0)


@pytest.fixture
def clean_bus() -> Iterator[None]:
    """The bus's observers after the test are those before it."""
    before = BUS.observers
    yield
    for observer in BUS.observers:
        if observer not in before:
            BUS.unsubscribe(observer)


def accepted(conn: int, port: int = 8080, client: str = "127.0.0.1") -> ConnectionAccepted:
    return ConnectionAccepted(
        connection=conn,
        connector=f"http-gevent-{port}",
        remote_addr=client,
        remote_port=50000,
        local_addr="127.0.0.1",
        local_port=port,
    )


def head(conn: int, target: str = "/", headers: tuple[tuple[str, str], ...] = (("Host", "h"),)) -> RequestHeadParsed:
    return RequestHeadParsed(
        connection=conn, method="GET", target=target, version="HTTP/1.1", headers=headers, body="none"
    )


def kept(conn: int) -> KeepAliveDecided:
    return KeepAliveDecided(connection=conn, keep_alive=True, reason="HTTP/1.1 default")


def closed(conn: int) -> ConnectionClosed:
    return ConnectionClosed(connection=conn, duration=0.25, requests=1, bytes_in=40, bytes_out=90, reason="eof")


def lines_of(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def written(writer: JsonTraceWriter, stream: io.StringIO, *stream_events: Event) -> list[dict[str, Any]]:
    for event in stream_events:
        writer.on_event(event)
    writer.flush()
    return lines_of(stream.getvalue())


# -- the writer -------------------------------------------------------------------
@pytest.mark.usefixtures("slow_flush")
def test_each_line_is_one_json_object_with_the_seven_keys() -> None:
    stream = io.StringIO()
    writer = JsonTraceWriter(stream)
    sequence: list[Event] = [
        accepted(3),
        BytesReceived(connection=3, data=b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        head(3),
        kept(3),
        closed(3),
    ]
    lines = written(writer, stream, *sequence)
    assert stream.getvalue().endswith("\n") and stream.getvalue().count("\n") == len(sequence)
    assert len(lines) == len(sequence) and writer.lines == len(sequence)
    for line, event in zip(lines, sequence, strict=True):
        assert set(line) == KEYS
        assert line["time"] == event.at
        assert line["connection"] == 3
        assert line["event"] == type(event).__name__
        assert line["component"] == component_of(event)
        assert line["step"] == step_of(event)
        assert line["summary"] == summary_of(event)
        assert line["fields"] == event_fields(event)
    assert [line["component"] for line in lines] == [
        "Endpoint",
        "Http11Processor",
        "Http11Processor",
        "Http11Processor",
        "Endpoint",
    ]


def test_the_record_of_a_completed_request_holds_only_its_time() -> None:
    completed = RequestCompleted(connection=2, request=object(), response=object(), elapsed=0.5)
    record = event_record(completed)
    assert record["fields"] == {"elapsed": 0.5} and record["event"] == "RequestCompleted"
    json.dumps(record)


@pytest.mark.usefixtures("slow_flush")
def test_cookies_and_authorization_are_masked_in_headers_and_raw_bytes() -> None:
    stream = io.StringIO()
    writer = JsonTraceWriter(stream)
    raw = b"GET / HTTP/1.1\r\nCookie: JSESSIONID=s3cr3t\r\nAuthorization: Basic dG9rZW4=\r\nHost: h\r\n\r\n"
    lines = written(
        writer,
        stream,
        BytesReceived(connection=1, data=raw),
        head(1, headers=(("Cookie", "JSESSIONID=s3cr3t"), ("Authorization", "Basic dG9rZW4="), ("Host", "h"))),
        ResponseCommitted(
            connection=1,
            status=200,
            headers=(("Set-Cookie", "JSESSIONID=n3w; Path=/"),),
            framing="no-body",
            content_length=0,
            reason="r",
        ),
        BytesSent(connection=1, data=b"HTTP/1.1 200 \r\nSet-Cookie: JSESSIONID=n3w; Path=/\r\n\r\n"),
    )
    text = stream.getvalue()
    for secret in ("s3cr3t", "dG9rZW4", "n3w"):
        assert secret not in text
    assert lines[0]["fields"]["data"]["text"] == (
        "GET / HTTP/1.1\r\nCookie: ***\r\nAuthorization: ***\r\nHost: h\r\n\r\n"
    )
    assert lines[0]["fields"]["data"]["length"] == len(raw)
    assert lines[1]["fields"]["headers"] == [["Cookie", "***"], ["Authorization", "***"], ["Host", "h"]]
    assert lines[2]["fields"]["headers"] == [["Set-Cookie", "***"]]


@pytest.mark.usefixtures("slow_flush")
def test_a_cookie_split_between_two_reads_is_masked() -> None:
    stream = io.StringIO()
    writer = JsonTraceWriter(stream)
    raw = b"GET / HTTP/1.1\r\nCookie: JSESSIONID=s3cr3t\r\n\r\n"
    cut = raw.index(b"s3c") + 2
    lines = written(
        writer, stream, BytesReceived(connection=1, data=raw[:cut]), BytesReceived(connection=1, data=raw[cut:])
    )
    assert "s3" not in lines[0]["fields"]["data"]["text"]
    assert "cr3t" not in lines[1]["fields"]["data"]["text"]
    assert lines[1]["fields"]["data"]["text"] == "\r\n\r\n"


@pytest.mark.usefixtures("slow_flush")
def test_the_close_forgets_the_connections_masking_state() -> None:
    stream = io.StringIO()
    writer = JsonTraceWriter(stream)
    lines = written(
        writer,
        stream,
        BytesReceived(connection=1, data=b"GET / HTTP/1.1\r\nCookie: a"),
        closed(1),
        BytesReceived(connection=1, data=b"plain\r\n"),
    )
    # Had the pending "Cookie: a" line been kept, "plain" would be masked as its rest.
    assert lines[2]["fields"]["data"]["text"] == "plain\r\n"


@pytest.mark.usefixtures("slow_flush")
def test_mask_false_writes_the_values_as_sent() -> None:
    stream = io.StringIO()
    writer = JsonTraceWriter(stream, mask=False)
    raw = b"GET / HTTP/1.1\r\nCookie: JSESSIONID=s3cr3t\r\n\r\n"
    lines = written(
        writer,
        stream,
        BytesReceived(connection=1, data=raw),
        head(1, headers=(("Authorization", "Bearer t0k"),)),
    )
    assert lines[0]["fields"]["data"]["text"] == raw.decode()
    assert lines[1]["fields"]["headers"] == [["Authorization", "Bearer t0k"]]


def test_lines_are_buffered_until_flush(slow_flush: None) -> None:
    stream = io.StringIO()
    writer = JsonTraceWriter(stream)
    writer.on_event(accepted(1))
    writer.on_event(head(1))
    assert stream.getvalue() == ""
    writer.flush()
    assert [line["event"] for line in lines_of(stream.getvalue())] == ["ConnectionAccepted", "RequestHeadParsed"]
    writer.flush()  # nothing pending: nothing more
    writer.on_event(kept(1))
    assert len(lines_of(stream.getvalue())) == 2
    writer.flush()
    assert [line["event"] for line in lines_of(stream.getvalue())][-1] == "KeepAliveDecided"


def test_512_pending_lines_are_written_without_a_flush(slow_flush: None) -> None:
    stream = io.StringIO()
    writer = JsonTraceWriter(stream)
    for _ in range(511):
        writer.on_event(kept(1))
    assert stream.getvalue() == ""
    writer.on_event(kept(1))
    assert len(stream.getvalue().splitlines()) == 512


def test_lines_are_written_once_the_interval_has_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace_json, "FLUSH_INTERVAL", 0.0)
    stream = io.StringIO()
    writer = JsonTraceWriter(stream)
    writer.on_event(accepted(1))
    assert len(stream.getvalue().splitlines()) == 1


def test_a_stream_that_cannot_be_written_is_logged_not_raised(
    slow_flush: None, caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    writer = JsonTraceWriter(stream)
    writer.on_event(accepted(1))
    stream.close()
    with caplog.at_level(logging.WARNING, logger="catalina_py.trace"):
        writer.flush()
    assert any("cannot write 1 line(s)" in r.getMessage() for r in caplog.records)


# -- the listener -----------------------------------------------------------------
def run_listener(listener: JsonTraceListener, *stream: Event) -> None:
    """Start *listener*, emit *stream* on the bus, stop it (unsubscribing
    whatever happens)."""
    listener.start()
    try:
        for event in stream:
            BUS.emit(event)
        gevent.sleep(0)
    finally:
        listener.stop()


def file_lines(path: Path) -> list[dict[str, Any]]:
    return lines_of(path.read_text(encoding="utf-8"))


@pytest.mark.usefixtures("clean_bus")
def test_the_listener_writes_the_events_between_start_and_stop(tmp_path: Path) -> None:
    listener = JsonTraceListener({}, catalina_base=str(tmp_path))
    BUS.emit(accepted(1))  # before start: not written
    listener.start()
    try:
        assert listener.writer in BUS.observers  # no criteria: the writer itself
        for event in (accepted(2), head(2, "/a"), kept(2), closed(2)):
            BUS.emit(event)
    finally:
        listener.stop()
    assert listener.writer not in BUS.observers
    BUS.emit(closed(1))  # after stop: not written
    lines = file_lines(tmp_path / "logs" / "trace.jsonl")
    assert [(line["connection"], line["event"]) for line in lines] == [
        (2, "ConnectionAccepted"),
        (2, "RequestHeadParsed"),
        (2, "KeepAliveDecided"),
        (2, "ConnectionClosed"),
    ]
    assert all(set(line) == KEYS for line in lines)


@pytest.mark.usefixtures("clean_bus")
def test_the_listener_honours_path_prefix(tmp_path: Path) -> None:
    listener = JsonTraceListener({"pathPrefix": "/examples"}, catalina_base=str(tmp_path))
    listener.start()
    try:
        assert any(isinstance(o, TraceFilter) for o in BUS.observers)
        for event in (
            accepted(1),
            BytesReceived(connection=1, data=b"GET /docs/ HTTP/1.1\r\n\r\n"),
            head(1, "/docs/"),
            kept(1),
            BytesReceived(connection=1, data=b"GET /examples/ HTTP/1.1\r\n\r\n"),
            head(1, "/examples/"),
            kept(1),
            closed(1),
            accepted(2),
            head(2, "/docs/"),
            kept(2),
            closed(2),
        ):
            BUS.emit(event)
    finally:
        listener.stop()
    assert not any(isinstance(o, TraceFilter) and o.sink is listener.writer for o in BUS.observers)
    lines = file_lines(tmp_path / "logs" / "trace.jsonl")
    assert [(line["connection"], line["event"]) for line in lines] == [
        (1, "ConnectionAccepted"),
        (1, "BytesReceived"),
        (1, "RequestHeadParsed"),
        (1, "KeepAliveDecided"),
        (1, "ConnectionClosed"),
    ]
    assert lines[2]["fields"]["target"] == "/examples/"


@pytest.mark.usefixtures("clean_bus")
def test_the_listener_honours_connector_and_client(tmp_path: Path) -> None:
    listener = JsonTraceListener({"connector": "9090", "client": "10.0.0.5"}, catalina_base=str(tmp_path))
    run_listener(
        listener,
        accepted(1, 8080, "10.0.0.5"),
        accepted(2, 9090, "10.0.0.6"),
        accepted(3, 9090, "10.0.0.5"),
        head(1),
        head(2),
        head(3),
    )
    assert {line["connection"] for line in file_lines(tmp_path / "logs" / "trace.jsonl")} == {3}


@pytest.mark.usefixtures("clean_bus")
def test_the_listener_masks_unless_told_not_to(tmp_path: Path) -> None:
    cookie = head(1, headers=(("Cookie", "JSESSIONID=s3cr3t"),))
    run_listener(JsonTraceListener({"file": "masked.jsonl"}, catalina_base=str(tmp_path)), cookie)
    run_listener(
        JsonTraceListener({"file": "plain.jsonl", "maskHeaders": "FALSE"}, catalina_base=str(tmp_path)), cookie
    )
    assert "s3cr3t" not in (tmp_path / "masked.jsonl").read_text()
    assert file_lines(tmp_path / "plain.jsonl")[0]["fields"]["headers"] == [["Cookie", "JSESSIONID=s3cr3t"]]


@pytest.mark.usefixtures("clean_bus")
def test_the_file_is_appended_to_and_may_be_absolute(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "t.jsonl"
    assert os.path.isabs(target)
    for conn in (1, 2):
        run_listener(JsonTraceListener({"file": str(target)}, catalina_base=str(tmp_path / "base")), accepted(conn))
    assert [line["connection"] for line in file_lines(target)] == [1, 2]
    assert not (tmp_path / "base").exists()


@pytest.mark.usefixtures("clean_bus")
def test_the_listener_writes_while_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace_json, "FLUSH_INTERVAL", 0.01)
    # The writer's clock stands still, so only the listener's flusher greenlet writes.
    monkeypatch.setattr(trace_json, "time", SimpleNamespace(monotonic=lambda: 0.0))
    listener = JsonTraceListener({}, catalina_base=str(tmp_path))
    path = tmp_path / "logs" / "trace.jsonl"
    listener.start()
    try:
        BUS.emit(accepted(1))
        assert path.read_text() == ""
        gevent.sleep(0.1)  # the flusher's turn
        assert [line["event"] for line in file_lines(path)] == ["ConnectionAccepted"]
    finally:
        listener.stop()
    listener.stop()  # a second stop is harmless
    assert len(file_lines(path)) == 1
