"""Response planning: how a response is framed on the wire and whether the
connection serves another request, decided by one pure function from what
is known when the response is committed, with the reason for each decision
as data (the role of h11's ``_writers`` choice and of Tomcat's
``Http11Processor.prepareResponse``).

The connector executes the plan (adds the headers it lists and a ``Date``
when asked, sends or drops the body); the event stream and the trace show
its reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .grammar import list_contains

__all__ = [
    "CHUNKED",
    "CLOSE_DELIMITED",
    "CONTENT_LENGTH",
    "NO_BODY",
    "SWITCHING_PROTOCOLS",
    "STATUS_DROPS_CONNECTION",
    "ResponsePlan",
    "plan_response",
]

#: The framings a plan chooses (``ResponseCommitted.framing``).
CONTENT_LENGTH = "content-length"
CHUNKED = "chunked"
CLOSE_DELIMITED = "close-delimited"
NO_BODY = "no-body"
SWITCHING_PROTOCOLS = "switching-protocols"

#: Statuses that never carry a body besides 1xx (RFC 9110 15.3.5, 15.4.5).
_NO_BODY_STATUSES = frozenset((204, 304))
#: Statuses after which the connection is closed, as Tomcat's
#: ``Http11Processor.statusDropsConnection`` (the list Apache httpd uses).
#: Every other status, 404, 405, 417 and 505 included, keeps it.
STATUS_DROPS_CONNECTION = frozenset((400, 408, 411, 413, 414, 500, 501, 503))

_CONNECTION_CLOSE = ("Connection", "close")
_CONNECTION_KEEP_ALIVE = ("Connection", "keep-alive")
_CHUNKED_HEADER = ("Transfer-Encoding", "chunked")

# The keep-alive reasons (constant strings: building one costs nothing).
_KEEP_HTTP11 = "HTTP/1.1 connection kept alive"
_KEEP_HTTP10 = "HTTP/1.0 client asked for keep-alive"
_CLOSE_HTTP10 = "HTTP/1.0 client without keep-alive"
_CLOSE_ASKED = "the client sent Connection: close"
_CLOSE_MAX = "maxKeepAliveRequests reached"
_CLOSE_STOPPING = "the connector is stopping"
_CLOSE_LOST = "the connection cannot be reused (the request failed on it)"
_CLOSE_SERVLET = "the servlet set Connection: close"
_CLOSE_EXPECT = "the client awaits 100-continue for a body that was never asked for"
_CLOSE_DELIMITED = "body of unknown length on HTTP/1.0: close-delimited"
_CLOSE_SWALLOW = "more request body left unread than maxSwallowSize"
_UPGRADE = "the connection is handed to the upgrade handler"
_COMPLETE_BODY = "complete body: its length"
# Lengths of the field names plan_response looks for ("date", "connection").
_SCANNED_SIZES = frozenset((4, 10))
# Statuses off the common path: no body, or the connection is dropped.
_SPECIAL_STATUSES = _NO_BODY_STATUSES | STATUS_DROPS_CONNECTION


class ResponsePlan(NamedTuple):
    """What the connector does with one response (immutable).

    ``headers`` are added after the response's own, in order, then a
    ``Date`` when ``date_needed``. ``send_body``: the body bytes (the
    complete body, or later writes when streaming) go on the wire (False
    for HEAD, 1xx, 204, 304 and an empty complete body). ``chunked``: later
    writes are chunk-encoded.
    """

    framing: str
    headers: tuple[tuple[str, str], ...]
    date_needed: bool
    send_body: bool
    chunked: bool
    content_length: int
    keep_alive: bool
    framing_reason: str
    keep_alive_reason: str


# Builds a ResponsePlan from a tuple without NamedTuple's Python-level __new__
# (this runs once per response).
_new = tuple.__new__


def _common_plan(length: int, date_needed: bool) -> ResponsePlan:
    """The plan of a complete body of *length* bytes on a persistent HTTP/1.1 connection."""
    return _new(
        ResponsePlan,
        (
            CONTENT_LENGTH,
            (("Content-Length", str(length)),),
            date_needed,
            length > 0,
            False,
            length,
            True,
            _COMPLETE_BODY,
            _KEEP_HTTP11,
        ),
    )


# The common plans by body length (plans are immutable values): most
# responses repeat a few lengths. Bounded: cleared when it grows past the limit.
_COMMON_PLANS: dict[int, ResponsePlan] = {}
_COMMON_PLANS_LIMIT = 1024


def plan_response(
    method: str,
    version: str,
    keep_alive_asked: bool,
    expect_continue: bool,
    continue_sent: bool,
    body_finished: bool,
    status: int,
    headers: Sequence[tuple[str, str]],
    content_length: int,
    body: bytes | bytearray | None,
    stopping: bool,
    max_requests_reached: bool,
    keep_alive_so_far: bool = True,
    upgrade_pending: bool = False,
    keep_alive_token: bool = False,
    keep_alive_timeout: int = 0,
    swallow_too_large: bool = False,
) -> ResponsePlan:
    """Plan the framing and the keep-alive decision of one response.

    Every argument may be passed by keyword (tests do); the connector
    passes them in order, which is cheaper. The request: *method*,
    *version* ("HTTP/1.1" or "HTTP/1.0"), whether the client asked to keep the connection (*keep_alive_asked*), sent
    ``Expect: 100-continue`` (*expect_continue*) and got the 100
    (*continue_sent*), and whether its body was read to the end
    (*body_finished*). The response: *status*, its own *headers* (without
    framing), the declared *content_length* (-1: none) and *body* when the
    response is complete (None: it is streamed). The connection: the
    connector is *stopping*, ``maxKeepAliveRequests`` is reached
    (*max_requests_reached*), the connection was still reusable before this
    response (*keep_alive_so_far*: False after a failed body read or a
    client abort), and a ``request.upgrade()`` awaits the 101
    (*upgrade_pending*). As Tomcat (``useKeepAliveResponseHeader``), a kept
    connection whose request's ``Connection`` named ``keep-alive``
    (*keep_alive_token*) is answered with ``Keep-Alive: timeout=`` the
    *keep_alive_timeout* in whole seconds (none when 0) and, on HTTP/1.1,
    ``Connection: keep-alive``; and a request whose unread body exceeds
    ``maxSwallowSize`` (*swallow_too_large*) closes the connection.
    """
    date_present = servlet_close = False
    for name, value in headers:
        if len(name) in _SCANNED_SIZES:  # (cheap: most responses have neither field)
            lower = name.lower()
            if lower == "date":
                date_present = True
            elif lower == "connection" and not servlet_close:
                servlet_close = list_contains((value,), "close")
    if (
        body is not None
        and version == "HTTP/1.1"
        and keep_alive_asked
        and keep_alive_so_far
        and not stopping
        and not max_requests_reached
        and not servlet_close
        and status >= 200
        and status not in _SPECIAL_STATUSES
        and method != "HEAD"
        and (body_finished or continue_sent or not expect_continue)
        and not keep_alive_token
        and not swallow_too_large
    ):
        # The common case, decided in one test (the same answer as the
        # general rules below; tests/unit/http/test_plan.py checks it):
        # a complete body on a persistent HTTP/1.1 connection.
        length = len(body)
        if not date_present:
            plan = _COMMON_PLANS.get(length)
            if plan is None:
                plan = _COMMON_PLANS[length] = _common_plan(length, True)
                if len(_COMMON_PLANS) > _COMMON_PLANS_LIMIT:
                    _COMMON_PLANS.clear()
            return plan
        return _common_plan(length, False)
    if status == 101 and upgrade_pending:
        # Switching protocols: no body, no keep-alive headers; the
        # connection is handed over once the servlet returns.
        return _new(
            ResponsePlan,
            (
                SWITCHING_PROTOCOLS,
                (),
                not date_present,
                False,
                False,
                -1,
                keep_alive_so_far,
                "101 for request.upgrade(): the connection changes protocol",
                _UPGRADE,
            ),
        )
    http11 = version == "HTTP/1.1"
    # The keep-alive decision, first the request's side, then the response's.
    if not keep_alive_asked:
        keep_alive, why = False, (_CLOSE_ASKED if http11 else _CLOSE_HTTP10)
    elif max_requests_reached:
        keep_alive, why = False, _CLOSE_MAX
    elif stopping:
        keep_alive, why = False, _CLOSE_STOPPING
    elif not keep_alive_so_far:
        keep_alive, why = False, _CLOSE_LOST
    else:
        keep_alive, why = True, (_KEEP_HTTP11 if http11 else _KEEP_HTTP10)
    if status in STATUS_DROPS_CONNECTION:
        keep_alive, why = False, f"status {status} drops the connection"
    elif servlet_close:
        keep_alive, why = False, _CLOSE_SERVLET
    elif keep_alive and body is not None and not body_finished and expect_continue and not continue_sent:
        # The body was never asked for, so the client may never send it:
        # the connection cannot be reused.
        keep_alive, why = False, _CLOSE_EXPECT
    elif keep_alive and swallow_too_large:
        keep_alive, why = False, _CLOSE_SWALLOW
    head_only = method == "HEAD"
    added: tuple[tuple[str, str], ...]
    chunked = False
    if status in _NO_BODY_STATUSES or status < 200:
        framing, length, added = NO_BODY, -1, ()
        framing_reason = f"status {status} has no body"
        send_body = False
    elif body is not None and not (head_only and content_length < 0 and not body):
        length = content_length if content_length >= 0 and head_only else len(body)
        framing, added = CONTENT_LENGTH, (("Content-Length", str(length)),)
        framing_reason = "HEAD: the declared length of the GET" if head_only and content_length >= 0 else _COMPLETE_BODY
        send_body = bool(body) and not head_only
    elif content_length >= 0:
        framing, length, added = CONTENT_LENGTH, content_length, (("Content-Length", str(content_length)),)
        framing_reason = "streamed body of the length the servlet declared"
        send_body = not head_only
    elif head_only:
        # As Tomcat: a HEAD says no length it does not know (nothing
        # written, or streamed) and never "chunked" (the GET might not be).
        framing, length, added = NO_BODY, -1, ()
        framing_reason = "HEAD without a known length: no framing header"
        send_body = False
    elif http11:
        framing, length, added, chunked = CHUNKED, -1, (_CHUNKED_HEADER,), True
        framing_reason = "streamed body of unknown length on HTTP/1.1"
        send_body = not head_only
    else:
        framing, length, added = CLOSE_DELIMITED, -1, ()
        framing_reason = _CLOSE_DELIMITED
        send_body = not head_only
        if keep_alive:
            keep_alive, why = False, _CLOSE_DELIMITED
    if not keep_alive:
        if not servlet_close:
            added = (*added, _CONNECTION_CLOSE)
    else:
        if not http11 or (keep_alive_token and keep_alive_timeout > 0):
            added = (*added, _CONNECTION_KEEP_ALIVE)
        if keep_alive_token and keep_alive_timeout > 0:
            added = (*added, ("Keep-Alive", f"timeout={keep_alive_timeout}"))
    return _new(
        ResponsePlan, (framing, added, not date_present, send_body, chunked, length, keep_alive, framing_reason, why)
    )
