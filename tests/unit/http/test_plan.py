"""Tests for catalina_py.http.plan: the framing and keep-alive decision of
a response, as a pure function of what is known when it is committed.

``_reference`` is the decision ``Http11Processor.commit`` made inline
before it was moved into ``plan_response``, transcribed; the exhaustive
test checks that the plan is the same on every combination of inputs.
"""

from __future__ import annotations

import itertools

import pytest

from catalina_py.http.plan import (
    CHUNKED,
    CLOSE_DELIMITED,
    CONTENT_LENGTH,
    NO_BODY,
    STATUS_DROPS_CONNECTION,
    SWITCHING_PROTOCOLS,
    ResponsePlan,
    plan_response,
)


def plan(**kwargs: object) -> ResponsePlan:
    args: dict[str, object] = dict(
        method="GET",
        version="HTTP/1.1",
        keep_alive_asked=True,
        expect_continue=False,
        continue_sent=False,
        body_finished=True,
        status=200,
        headers=[],
        content_length=-1,
        body=b"hello",
        stopping=False,
        max_requests_reached=False,
    )
    args.update(kwargs)
    return plan_response(**args)  # type: ignore[arg-type]


def _reference(
    method,
    version,
    keep_alive_asked,
    expect_continue,
    continue_sent,
    body_finished,
    status,
    headers,
    content_length,
    body,
    stopping,
    max_requests_reached,
    keep_alive_so_far,
    upgrade_pending,
):
    """The old Http11Processor.commit, minus the I/O: (added headers, date
    needed, body sent, keep-alive, later writes dropped, chunked)."""
    own = {name.lower() for name, _ in headers}
    head_only = method == "HEAD"
    keep_alive = keep_alive_asked and not stopping and not max_requests_reached and keep_alive_so_far
    added = []
    if status == 101 and upgrade_pending:
        return [], "date" not in own, False, keep_alive, head_only, False
    servlet_close = "connection" in own and any(
        e.strip(" \t").lower() == "close" for n, v in headers if n.lower() == "connection" for e in v.split(",")
    )
    if (
        status in (400, 408, 411, 413, 414, 500, 501, 503)
        or servlet_close
        or stopping
        or body is not None
        and not body_finished
        and expect_continue
        and not continue_sent
    ):
        keep_alive = False
    chunked = False
    if status in (204, 304) or status < 200:
        body = b"" if body is not None else None
        if body is None:
            head_only = True
    elif body is not None and not (head_only and content_length < 0 and not body):
        added.append(("Content-Length", str(content_length if content_length >= 0 and head_only else len(body))))
    elif content_length >= 0:
        added.append(("Content-Length", str(content_length)))
    elif head_only:
        pass  # Tomcat 10.1: a HEAD of unknown length has no framing header
    elif version == "HTTP/1.1":
        added.append(("Transfer-Encoding", "chunked"))
        chunked = True
    else:
        keep_alive = False
    if not keep_alive:
        if not servlet_close:
            added.append(("Connection", "close"))
    elif version == "HTTP/1.0":
        added.append(("Connection", "keep-alive"))
    sends = bool(body) and not head_only and status not in (204, 304)
    return added, "date" not in own, sends, keep_alive, head_only, chunked


HEADER_SETS = [
    [],
    [("Content-Type", "text/plain")],
    [("Date", "Tue, 01 Dec 2026 00:00:00 GMT")],
    [("connection", "Close")],
    [("Connection", "keep-alive, close"), ("DATE", "x")],
    [("Connection", "upgrade")],
    [("Connection", "keep-alive"), ("Connection", "close")],
]


def test_plan_matches_the_old_commit_on_every_combination() -> None:
    count = 0
    for (
        method,
        version,
        asked,
        expect,
        sent,
        finished,
        status,
        headers,
        length,
        body,
        stopping,
        maxed,
        so_far,
        upgrade,
    ) in itertools.product(
        ("GET", "HEAD"),
        ("HTTP/1.1", "HTTP/1.0"),
        (True, False),
        (True, False),
        (True, False),
        (True, False),
        (100, 101, 200, 204, 304, 400, 404, 413, 500, 501, 503, 505),
        HEADER_SETS,
        (-1, 0, 7),
        (None, b"", b"body", bytearray(b"xy")),
        (False, True),
        (False, True),
        (True, False),
        (False, True),
    ):
        if sent and not expect:
            continue  # a 100 is only sent to a client that asked for it
        p = plan_response(
            method=method,
            version=version,
            keep_alive_asked=asked,
            expect_continue=expect,
            continue_sent=sent,
            body_finished=finished,
            status=status,
            headers=headers,
            content_length=length,
            body=body,
            stopping=stopping,
            max_requests_reached=maxed,
            keep_alive_so_far=so_far,
            upgrade_pending=upgrade,
        )
        added, date, sends, keep_alive, head_only, chunked = _reference(
            method,
            version,
            asked,
            expect,
            sent,
            finished,
            status,
            headers,
            length,
            body,
            stopping,
            maxed,
            so_far,
            upgrade,
        )
        where = (
            method,
            version,
            asked,
            expect,
            sent,
            finished,
            status,
            headers,
            length,
            body,
            stopping,
            maxed,
            so_far,
            upgrade,
        )
        assert list(p.headers) == added, where
        assert p.date_needed == date, where
        assert p.chunked == chunked, where
        if p.framing != SWITCHING_PROTOCOLS:  # (the processor hands the connection over instead)
            assert p.keep_alive == keep_alive, where
            if body is None:
                assert p.send_body == (not head_only), where
            else:
                assert p.send_body == sends, where
        assert p.framing_reason and p.keep_alive_reason
        count += 1
    assert count > 50_000


def test_complete_body_gets_its_content_length() -> None:
    p = plan()
    assert p.framing == CONTENT_LENGTH and p.content_length == 5
    assert p.headers == (("Content-Length", "5"),)
    assert p.send_body and p.keep_alive and p.date_needed
    assert p.framing_reason == "complete body: its length"
    assert p.keep_alive_reason == "HTTP/1.1 connection kept alive"


def test_head_keeps_the_declared_length_and_sends_nothing() -> None:
    p = plan(method="HEAD", content_length=1234, body=b"")
    assert p.headers == (("Content-Length", "1234"),) and not p.send_body
    assert p.framing_reason == "HEAD: the declared length of the GET"
    p = plan(method="HEAD", body=b"abc")
    assert p.headers == (("Content-Length", "3"),) and not p.send_body


def test_streamed_body_is_chunked_on_http11_with_declared_length_not() -> None:
    p = plan(body=None)
    assert p.framing == CHUNKED and p.chunked and p.headers == (("Transfer-Encoding", "chunked"),)
    p = plan(body=None, content_length=10)
    assert p.framing == CONTENT_LENGTH and not p.chunked and p.headers == (("Content-Length", "10"),)
    assert p.framing_reason == "streamed body of the length the servlet declared"


def test_streamed_body_of_unknown_length_on_http10_is_close_delimited() -> None:
    p = plan(version="HTTP/1.0", body=None)
    assert p.framing == CLOSE_DELIMITED and not p.keep_alive
    assert p.headers == (("Connection", "close"),)
    assert p.keep_alive_reason == "body of unknown length on HTTP/1.0: close-delimited"
    assert p.framing_reason == p.keep_alive_reason


@pytest.mark.parametrize("status", [100, 204, 304])
def test_statuses_without_body(status: int) -> None:
    p = plan(status=status)
    assert p.framing == NO_BODY and p.headers == () and not p.send_body
    assert p.framing_reason == f"status {status} has no body"
    assert not plan(status=status, body=None).send_body


def test_http10_keep_alive_is_announced_and_http10_without_it_closes() -> None:
    p = plan(version="HTTP/1.0")
    assert p.keep_alive and p.headers[-1] == ("Connection", "keep-alive")
    assert p.keep_alive_reason == "HTTP/1.0 client asked for keep-alive"
    p = plan(version="HTTP/1.0", keep_alive_asked=False)
    assert not p.keep_alive and p.headers[-1] == ("Connection", "close")
    assert p.keep_alive_reason == "HTTP/1.0 client without keep-alive"
    assert plan(keep_alive_asked=False).keep_alive_reason == "the client sent Connection: close"


@pytest.mark.parametrize("status", sorted(STATUS_DROPS_CONNECTION))
def test_statuses_that_drop_the_connection(status: int) -> None:
    p = plan(status=status)
    assert not p.keep_alive and p.headers[-1] == ("Connection", "close")
    assert p.keep_alive_reason == f"status {status} drops the connection"


@pytest.mark.parametrize("status", [400, 408, 411, 413, 414, 500, 501, 503])
def test_statuses_that_drop_the_connection_as_tomcat(status: int) -> None:
    # Tomcat 10.1.60 on the wire: these close, with Connection: close.
    p = plan(status=status)
    assert not p.keep_alive and ("Connection", "close") in p.headers


@pytest.mark.parametrize("status", [401, 403, 404, 405, 409, 417, 505])
def test_other_error_statuses_keep_the_connection_as_tomcat(status: int) -> None:
    p = plan(status=status)
    assert p.keep_alive and not any(name == "Connection" for name, _ in p.headers)


def test_servlets_own_connection_close_is_not_repeated() -> None:
    p = plan(headers=[("Connection", "close")])
    assert not p.keep_alive and p.headers == (("Content-Length", "5"),)
    assert p.keep_alive_reason == "the servlet set Connection: close"


def test_date_only_if_absent() -> None:
    assert not plan(headers=[("date", "x")]).date_needed
    assert plan(headers=[("X-Date", "x")]).date_needed


def test_connector_stopping_and_max_requests_close() -> None:
    p = plan(stopping=True)
    assert not p.keep_alive and p.keep_alive_reason == "the connector is stopping"
    p = plan(max_requests_reached=True)
    assert not p.keep_alive and p.keep_alive_reason == "maxKeepAliveRequests reached"
    p = plan(keep_alive_so_far=False)
    assert not p.keep_alive and p.headers[-1] == ("Connection", "close")


def test_expect_continue_not_sent_with_a_complete_answer_closes() -> None:
    p = plan(expect_continue=True, body_finished=False)
    assert not p.keep_alive and "100-continue" in p.keep_alive_reason
    # The 100 was sent, or the body was read: the connection is reusable.
    assert plan(expect_continue=True, continue_sent=True, body_finished=False).keep_alive
    assert plan(expect_continue=True, body_finished=True).keep_alive
    # A streamed answer: the processor decides after the response.
    assert plan(expect_continue=True, body_finished=False, body=None).keep_alive


def test_switching_protocols_adds_only_date() -> None:
    p = plan(status=101, upgrade_pending=True, body=None, headers=[("Upgrade", "websocket")])
    assert p.framing == SWITCHING_PROTOCOLS and p.headers == () and p.date_needed and not p.send_body
    assert p.keep_alive  # unchanged: the connection is handed over, not closed
    # 101 without a pending upgrade is just a 1xx without body.
    assert plan(status=101, body=None).framing == NO_BODY


def test_plan_is_immutable() -> None:
    p = plan()
    with pytest.raises(AttributeError):
        p.keep_alive = False  # type: ignore[misc]


def test_keep_alive_header_when_the_request_names_keep_alive() -> None:
    # Tomcat's useKeepAliveResponseHeader.
    p = plan(keep_alive_token=True, keep_alive_timeout=20)
    assert p.keep_alive
    assert ("Connection", "keep-alive") in p.headers and ("Keep-Alive", "timeout=20") in p.headers
    p = plan(version="HTTP/1.0", keep_alive_token=True, keep_alive_timeout=20)
    assert list(p.headers)[-2:] == [("Connection", "keep-alive"), ("Keep-Alive", "timeout=20")]
    assert ("Keep-Alive", "timeout=20") not in plan(keep_alive_token=True, keep_alive_timeout=0).headers
    assert ("Keep-Alive", "timeout=20") not in plan(keep_alive_token=True, keep_alive_timeout=20, status=400).headers
    assert not any(n == "Keep-Alive" for n, _ in plan(keep_alive_timeout=20).headers)


def test_unread_body_over_max_swallow_size_closes() -> None:
    p = plan(body_finished=False, swallow_too_large=True)
    assert not p.keep_alive and ("Connection", "close") in p.headers
    assert "maxSwallowSize" in p.keep_alive_reason


def test_head_without_a_known_length_has_no_framing_header() -> None:
    # Tomcat 10.1 (OutputBuffer.close, prepareResponse): no Content-Length: 0
    # for a HEAD that wrote nothing, no chunked for a streamed one.
    for p in (plan(method="HEAD", body=b""), plan(method="HEAD", body=None)):
        assert not any(n in ("Content-Length", "Transfer-Encoding") for n, _ in p.headers)
        assert p.keep_alive and not p.chunked and not p.send_body
    assert ("Content-Length", "5") in plan(method="HEAD", body=b"hello").headers
    assert ("Content-Length", "0") in plan(method="HEAD", body=b"", content_length=0).headers
    assert plan(method="HEAD", body=None, version="HTTP/1.0", keep_alive_asked=True).keep_alive
