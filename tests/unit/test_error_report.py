"""Tests for catalina_py.container.valves.error_report (Tomcat's ErrorReportValve).

The response is the real Response over a recording channel (no
sockets); the request is a small fake with attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from catalina_py import __version__
from catalina_py.container.pipeline import ValveBase
from catalina_py.container.response import Response
from catalina_py.container.valves.error_report import SERVER_INFO, ErrorReportValve, error_page_html, status_text
from catalina_py.errors import ConfigError

NOT_FOUND_DESC = (
    "The origin server did not find a current representation for the target "
    "resource or is not willing to disclose that one exists."
)


class Channel:
    """Records what the response hands to the connection."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.body = b""
        self.keep_alive = True
        self.abort_after_response = False

    def commit(self, status: int, headers: Any, content_length: int, body: Any) -> None:
        self.status = status
        self.headers = list(headers)
        if body is not None:
            self.body += bytes(body)

    def write_body(self, data: bytes) -> None:
        self.body += data

    def end_body(self) -> None:
        pass

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class FakeRequest:
    """Attributes plus the containers the adapter would have mapped."""

    def __init__(self, host: Any = None) -> None:
        self._attributes: dict[str, Any] = {}
        self._host = host
        self._context = None

    def get_context(self) -> Any:
        return self._context

    def get_host(self) -> Any:
        return self._host

    def get_attribute(self, name: str) -> Any:
        return self._attributes.get(name)

    def set_attribute(self, name: str, value: Any) -> None:
        self._attributes[name] = value


class Servlet(ValveBase):
    """Stands for the rest of the pipeline: runs *action* on the response."""

    def __init__(self, action: Callable[[Any, Any], None]) -> None:
        super().__init__()
        self.action = action

    def invoke(self, request: Any, response: Any) -> None:
        self.action(request, response)


def run(action: Callable[[Any, Any], None], **attrs: str) -> tuple[Channel, Response]:
    """Invoke an ErrorReportValve in front of *action*; finish the response."""
    valve = ErrorReportValve()
    valve.configure(attrs)
    valve.next = Servlet(action)
    channel = Channel()
    response = Response(channel)
    valve.invoke(FakeRequest(), response)  # type: ignore[arg-type]
    response.finish_response()
    return channel, response


# ------------------------------------------------------------------ the page


def test_404_page() -> None:
    page = error_page_html(404, "Not Found", None, None, "catalina_py/9")
    assert page.startswith('<!doctype html><html lang="en"><head><title>' "HTTP Status 404 \u2013 Not Found</title>")
    assert "<h1>HTTP Status 404 \u2013 Not Found</h1>" in page
    assert "<p><b>Type</b> Status Report</p>" in page
    assert f"<p><b>Description</b> {NOT_FOUND_DESC}</p>" in page
    assert "<b>Message</b>" not in page  # no message, no paragraph (as Tomcat)
    assert "<h3>catalina_py/9</h3>" in page
    assert "<style" in page and page.endswith("</body></html>")


def test_500_page_shows_no_exception_details() -> None:
    try:
        raise ValueError("secret password=hunter2 in /srv/app/db.py")
    except ValueError as exc:
        page = error_page_html(500, "Internal Server Error", None, exc, SERVER_INFO)
    assert "<p><b>Type</b> Exception Report</p>" in page
    assert "hunter2" not in page and "Traceback" not in page and "ValueError" not in page
    assert "db.py" not in page
    assert "available in the server logs" in page
    assert "The server encountered an unexpected condition" in page


def test_message_is_shown_as_given_escaped() -> None:
    page = error_page_html(400, "Bad Request", "a &lt;b&gt;", None, None)
    assert "<p><b>Message</b> a &lt;b&gt;</p>" in page
    assert "<h3>" not in page  # no server info, no footer


def test_reason_and_server_info_are_escaped() -> None:
    page = error_page_html(599, "<i>odd</i>", "m", None, "<b>srv</b>")
    assert "&lt;i&gt;odd&lt;/i&gt;" in page and "<i>" not in page
    assert "<h3>&lt;b&gt;srv&lt;/b&gt;</h3>" in page


def test_unknown_status_texts() -> None:
    page = error_page_html(599, "", "why", None, None)
    assert "HTTP Status 599 \u2013 Unknown Reason" in page
    assert "<p><b>Description</b> No description available</p>" in page


def test_show_report_false_is_heading_only() -> None:
    page = error_page_html(404, "Not Found", "x", None, "srv", show_report=False)
    assert "<h1>HTTP Status 404 \u2013 Not Found</h1>" in page
    assert "Description" not in page and "Type" not in page and "Message" not in page
    assert "<h3>srv</h3>" in page


def test_status_text_table() -> None:
    assert status_text(404) == ("Not Found", NOT_FOUND_DESC)
    assert status_text(503)[0] == "Service Unavailable"  # type: ignore[index]
    assert status_text(299) is None


# ------------------------------------------------------------------ the valve


def test_send_error_gets_the_page() -> None:
    channel, _ = run(lambda rq, rs: rs.send_error(404))
    assert channel.status == 404
    assert channel.header("Content-Type") == "text/html;charset=utf-8"
    assert channel.header("Content-Language") == "en"
    body = channel.body.decode("utf-8")
    assert "HTTP Status 404 \u2013 Not Found" in body
    assert NOT_FOUND_DESC in body
    assert f"<h3>catalina_py/{__version__}</h3>" in body


def test_message_with_script_is_escaped() -> None:
    channel, _ = run(lambda rq, rs: rs.send_error(400, '<script>alert("x")</script>'))
    body = channel.body.decode("utf-8")
    assert "<script>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_writes_after_send_error_are_replaced_by_the_page() -> None:
    def servlet(rq: Any, rs: Any) -> None:
        rs.get_writer().write("partial output")
        rs.send_error(503, "down")
        rs.get_writer().write("ignored")

    channel, _ = run(servlet)
    body = channel.body.decode("utf-8")
    assert channel.status == 503
    assert "partial output" not in body and "ignored" not in body
    assert "<p><b>Message</b> down</p>" in body


def test_status_without_send_error_keeps_its_body() -> None:
    def servlet(rq: Any, rs: Any) -> None:
        rs.set_status(404)
        rs.set_content_type("text/plain")
        rs.get_writer().write("my own 404")

    channel, _ = run(servlet)
    assert channel.status == 404
    assert channel.body == b"my own 404"
    assert channel.header("Content-Type").startswith("text/plain")


def test_status_without_send_error_and_no_body_stays_empty() -> None:
    channel, _ = run(lambda rq, rs: rs.set_status(500))
    assert channel.status == 500 and channel.body == b""


def test_committed_response_is_left_alone() -> None:
    def servlet(rq: Any, rs: Any) -> None:
        rs.get_writer().write("started")
        rs.flush_buffer()
        rq.set_attribute("jakarta.servlet.error.exception", RuntimeError("late"))

    channel, _ = run(servlet)
    assert channel.status == 200 and channel.body == b"started"


def test_exception_attribute_without_send_error_becomes_500() -> None:
    def servlet(rq: Any, rs: Any) -> None:
        rs.get_writer().write("half")
        rq.set_attribute("jakarta.servlet.error.exception", RuntimeError("boom secret"))

    channel, _ = run(servlet)
    body = channel.body.decode("utf-8")
    assert channel.status == 500
    assert "Exception Report" in body and "boom secret" not in body and "half" not in body


def test_wrapper_style_exception_report() -> None:
    def servlet(rq: Any, rs: Any) -> None:
        exc = KeyError("k")
        rq.set_attribute("jakarta.servlet.error.exception", exc)
        rs.reset_for_error()
        rs.send_error(500)

    channel, _ = run(servlet)
    body = channel.body.decode("utf-8")
    assert "HTTP Status 500 \u2013 Internal Server Error" in body
    assert "Exception Report" in body and "KeyError" not in body


def test_success_is_untouched() -> None:
    channel, _ = run(lambda rq, rs: rs.get_writer().write("ok"))
    assert channel.status == 200 and channel.body == b"ok"


def test_redirect_is_untouched() -> None:
    channel, _ = run(lambda rq, rs: rs.send_redirect("http://x/y"))
    assert channel.status == 302 and channel.body == b""


def test_unknown_status_without_message_gets_no_page() -> None:
    channel, _ = run(lambda rq, rs: rs.send_error(499))
    assert channel.status == 499 and channel.body == b""
    channel, _ = run(lambda rq, rs: rs.send_error(499, "client closed"))
    assert b"Unknown Reason" in channel.body and b"client closed" in channel.body


def test_show_server_info_and_show_report_attributes() -> None:
    channel, _ = run(lambda rq, rs: rs.send_error(404, "gone"), showServerInfo="false")
    assert b"<h3>" not in channel.body and b"catalina_py" not in channel.body
    channel, _ = run(lambda rq, rs: rs.send_error(404, "gone"), showReport="false")
    assert b"Description" not in channel.body and b"gone" not in channel.body
    assert b"HTTP Status 404" in channel.body


def test_bad_attribute_value() -> None:
    with pytest.raises(ConfigError):
        ErrorReportValve().configure({"showReport": "yes please"})


def test_second_valve_does_not_write_twice() -> None:
    inner = ErrorReportValve()
    inner.next = Servlet(lambda rq, rs: rs.send_error(404))
    outer = ErrorReportValve()
    outer.show_server_info = False
    outer.next = inner
    channel = Channel()
    response = Response(channel)
    outer.invoke(FakeRequest(), response)  # type: ignore[arg-type]
    response.finish_response()
    assert channel.body.count(b"<h1>") == 1
    assert b"<h3>" in channel.body  # the inner valve's page stayed


def test_render_last_resort_uses_the_host_valve_settings() -> None:
    host_valve = ErrorReportValve()
    host_valve.show_server_info = False
    host = SimpleNamespace(pipeline=SimpleNamespace(valves=[host_valve]))
    channel = Channel()
    response = Response(channel)
    response.get_writer().write("junk")
    response.reset_for_error()
    response.send_error(500)
    request: Any = FakeRequest(host)
    ErrorReportValve.render(request, response, RuntimeError("x"))
    response.finish_response()
    assert channel.status == 500
    assert b"Internal Server Error" in channel.body and b"junk" not in channel.body
    assert b"<h3>" not in channel.body


def test_render_without_send_error_answers_500() -> None:
    channel = Channel()
    response = Response(channel)
    ErrorReportValve.render(FakeRequest(), response, None)  # type: ignore[arg-type]
    response.finish_response()
    assert channel.status == 500
    assert f"<h3>{SERVER_INFO}</h3>".encode() in channel.body


def test_render_on_committed_response_does_nothing() -> None:
    channel = Channel()
    response = Response(channel)
    response.flush_buffer()
    ErrorReportValve.render(FakeRequest(), response, None)  # type: ignore[arg-type]
    assert channel.status == 200 and channel.body == b""
