"""``ErrorReportValve``: the HTML page of an error response.

Tomcat's ``StandardHost`` puts an ``ErrorReportValve`` in every host's
pipeline. After the rest of the pipeline has run it looks at the response:
when the servlet (or the container) called ``send_error`` -- or a servlet
raised, which the wrapper turns into ``send_error`` -- and nothing has been
committed yet, it writes a small HTML page, "HTTP Status 404 – Not Found"
with the type, message and standard description of the status.

Like Tomcat, a response whose servlet merely *set* a status of 400 or more
(``set_status(404)`` and wrote its own body) is left alone: only
``send_error`` asks for a report.

Unlike Tomcat's ``showReport``, the page never contains a stack trace or an
exception's message: those can carry secrets (paths, SQL, credentials) and
are always in the server log instead. See ``docs/valves.md``.

The module also serves the connector: :func:`error_page_html` renders the
page for requests that could not be parsed, and
:meth:`ErrorReportValve.render` is the adapter's last resort when a valve
itself failed.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ... import __version__
from ..pipeline import ValveBase, to_bool

if TYPE_CHECKING:  # pragma: no cover
    from ...servlet.response import ServletWriter


class ReportedRequest(Protocol):
    """What the valve reads of the container's request."""

    def get_attribute(self, name: str) -> Any: ...

    # Any: the StandardContext / StandardHost, which sit above this module.
    def get_context(self) -> Any: ...

    def get_host(self) -> Any: ...


class ReportedResponse(Protocol):
    """What the valve reads and writes of the container's response (the
    servlet API and the container-side error state of ``container/response.py``)."""

    def is_committed(self) -> bool: ...

    def is_error(self) -> bool: ...

    def get_status(self) -> int: ...

    def get_message(self) -> str | None: ...

    def send_error(self, status: int, message: str | None = None) -> None: ...

    def reset(self) -> None: ...

    def reset_for_error(self) -> None: ...

    def get_buffered_size(self) -> int: ...

    def is_error_reported(self) -> bool: ...

    def mark_error_reported(self) -> None: ...

    def set_content_type(self, content_type: str | None) -> None: ...

    def set_locale(self, locale: str) -> None: ...

    def get_writer(self) -> ServletWriter: ...


__all__ = ["ErrorReportValve", "error_page_html", "status_text", "SERVER_INFO"]

#: What the page footer names when ``showServerInfo`` is on.
SERVER_INFO = f"catalina_py/{__version__}"

#: Request attribute holding what a servlet raised (Servlet spec name; the
#: wrapper sets it).
ERROR_EXCEPTION = "jakarta.servlet.error.exception"

#: Reason phrase and description of each error status, in the words of
#: Tomcat's ``LocalStrings`` (``http.NNN.reason`` / ``http.NNN.desc``).
_STATUS_TEXTS: dict[int, tuple[str, str]] = {
    400: (
        "Bad Request",
        "The server cannot or will not process the request due to something that is "
        "perceived to be a client error (e.g., malformed request syntax, invalid request "
        "message framing, or deceptive request routing).",
    ),
    401: (
        "Unauthorized",
        "The request has not been applied to the target resource because it lacks valid "
        "authentication credentials for that resource.",
    ),
    402: ("Payment Required", "This status code is reserved for future use."),
    403: ("Forbidden", "The server understood the request but refuses to authorize it."),
    404: (
        "Not Found",
        "The origin server did not find a current representation for the target resource "
        "or is not willing to disclose that one exists.",
    ),
    405: (
        "Method Not Allowed",
        "The method received in the request-line is known by the origin server but not "
        "supported by the target resource.",
    ),
    406: (
        "Not Acceptable",
        "The target resource does not have a current representation that would be "
        "acceptable to the user agent, according to the proactive negotiation header fields "
        "received in the request, and the server is unwilling to supply a default "
        "representation.",
    ),
    407: (
        "Proxy Authentication Required",
        "This status code is similar to 401 (Unauthorized), but it indicates that the client "
        "needs to authenticate itself in order to use a proxy.",
    ),
    408: (
        "Request Timeout",
        "The server did not receive a complete request message within the time that it was " "prepared to wait.",
    ),
    409: (
        "Conflict",
        "The request could not be completed due to a conflict with the current state of the " "target resource.",
    ),
    410: (
        "Gone",
        "Access to the target resource is no longer available at the origin server and that "
        "this condition is likely to be permanent.",
    ),
    411: ("Length Required", "The server refuses to accept the request without a defined Content-Length."),
    412: (
        "Precondition Failed",
        "One or more conditions given in the request header fields evaluated to false when " "tested on the server.",
    ),
    413: (
        "Payload Too Large",
        "The server is refusing to process a request because the request payload is larger "
        "than the server is willing or able to process.",
    ),
    414: (
        "URI Too Long",
        "The server is refusing to service the request because the request-target is longer "
        "than the server is willing to interpret.",
    ),
    415: (
        "Unsupported Media Type",
        "The origin server is refusing to service the request because the payload is in a "
        "format not supported by this method on the target resource.",
    ),
    416: (
        "Range Not Satisfiable",
        "None of the ranges in the request's Range header field overlap the current extent "
        "of the selected resource or that the set of ranges requested has been rejected due "
        "to invalid ranges or an excessive request of small or overlapping ranges.",
    ),
    417: (
        "Expectation Failed",
        "The expectation given in the request's Expect header field could not be met by at "
        "least one of the inbound servers.",
    ),
    421: ("Misdirected Request", "The request was directed at a server that is not able to produce a response."),
    422: (
        "Unprocessable Entity",
        "The server understands the content type of the request entity, and the syntax of "
        "the request entity is correct but was unable to process the contained "
        "instructions.",
    ),
    423: ("Locked", "The source or destination resource of a method is locked."),
    424: (
        "Failed Dependency",
        "The method could not be performed on the resource because the requested action "
        "depended on another action and that action failed.",
    ),
    426: (
        "Upgrade Required",
        "the server refuses to perform the request using the current protocol but might be "
        "willing to do so after the client upgrades to a different protocol.",
    ),
    428: ("Precondition Required", "The origin server requires the request to be conditional."),
    429: ("Too Many Requests", 'The user has sent too many requests in a given amount of time ("rate limiting").'),
    431: (
        "Request Header Fields Too Large",
        "The server is unwilling to process the request because its header fields are too " "large.",
    ),
    451: ("Unavailable For Legal Reasons", "The server refused this request for legal reasons."),
    500: (
        "Internal Server Error",
        "The server encountered an unexpected condition that prevented it from fulfilling " "the request.",
    ),
    501: ("Not Implemented", "The server does not support the functionality required to fulfill the request."),
    502: (
        "Bad Gateway",
        "The server, while acting as a gateway or proxy, received an invalid response from "
        "an inbound server it accessed while attempting to fulfill the request.",
    ),
    503: (
        "Service Unavailable",
        "The server is currently unable to handle the request due to a temporary overload or "
        "scheduled maintenance, which will likely be alleviated after some delay.",
    ),
    504: (
        "Gateway Timeout",
        "The server, while acting as a gateway or proxy, did not receive a timely response "
        "from an upstream server it needed to access in order to complete the request.",
    ),
    505: (
        "HTTP Version Not Supported",
        "The server does not support, or refuses to support, the major version of HTTP that "
        "was used in the request message.",
    ),
    506: (
        "Variant Also Negotiates",
        "The server has an internal configuration error: the chosen variant resource is "
        "configured to engage in transparent content negotiation itself, and is therefore "
        "not a proper end point in the negotiation process.",
    ),
    507: (
        "Insufficient Storage",
        "The method could not be performed on the resource because the server is unable to "
        "store the representation needed to successfully complete the request.",
    ),
    508: (
        "Loop Detected",
        "The server terminated an operation because it encountered an infinite loop while "
        'processing a request with "Depth: infinity".',
    ),
    510: ("Not Extended", "The policy for accessing the resource has not been met in the request"),
    511: ("Network Authentication Required", "The client needs to authenticate to gain network access."),
}

_UNKNOWN_REASON = "Unknown Reason"
_NO_DESCRIPTION = "No description available"

# The look of Tomcat's error pages (slate-blue headings, small sans-serif
# text), written for this page.
_CSS = (
    "body{font-family:Tahoma,Arial,sans-serif;color:#000;background-color:#fff}"
    "h1,h3,b{font-family:Tahoma,Arial,sans-serif;color:#fff;background-color:#525d76}"
    "h1{font-size:22px}"
    "h3{font-size:14px}"
    "p{font-size:12px;color:#000;background:#fff}"
    ".line{height:1px;background-color:#525d76;border:none}"
)


def status_text(status: int) -> tuple[str, str] | None:
    """The (reason phrase, description) of an error status, or None if the
    status has no standard text."""
    return _STATUS_TEXTS.get(status)


def error_page_html(
    status: int,
    reason: str,
    message_html: str | None,
    exc: BaseException | None,
    server_info: str | None,
    show_report: bool = True,
    description: str | None = None,
) -> str:
    """The HTML error page for *status*.

    *reason* is the reason phrase (escaped here; "Unknown Reason" when
    empty). *message_html* is the response message, **already
    HTML-escaped** by the caller; it is shown only when not empty. *exc*,
    when given, only makes the page an "Exception Report" (and, for 5xx,
    adds the note that the details are in the server log): neither its
    message nor its traceback is shown. *server_info* is the footer (None:
    no footer). With *show_report* False the page is the heading alone.
    *description* replaces the status's standard description.
    """
    texts = _STATUS_TEXTS.get(status)
    description = description or (texts[1] if texts else _NO_DESCRIPTION)
    title = f"HTTP Status {status} \u2013 {html.escape(reason or _UNKNOWN_REASON)}"
    parts = [
        '<!doctype html><html lang="en"><head><title>',
        title,
        '</title><style type="text/css">',
        _CSS,
        "</style></head><body><h1>",
        title,
        "</h1>",
    ]
    if show_report:
        parts.append('<hr class="line" /><p><b>Type</b> ')
        parts.append("Exception Report" if exc is not None else "Status Report")
        parts.append("</p>")
        if message_html:
            parts += ["<p><b>Message</b> ", message_html, "</p>"]
        parts += ["<p><b>Description</b> ", html.escape(description, quote=False), "</p>"]
        if exc is not None and status >= 500:
            parts.append(
                "<p><b>Note</b> The full stack trace of the root cause is available " "in the server logs.</p>"
            )
        parts.append('<hr class="line" />')
    if server_info:
        parts += ["<h3>", html.escape(server_info), "</h3>"]
    parts.append("</body></html>")
    return "".join(parts)


class ErrorReportValve(ValveBase):
    """Writes the HTML page of error responses nobody else answered.

    Attributes (Tomcat's names): ``showReport`` (the type, message and
    description; default true) and ``showServerInfo`` (the footer naming
    the server; default true).
    """

    ATTRIBUTES: ClassVar[Mapping[str, Callable[[str], Any]]] = {  # Any: each converter its own type
        "showReport": to_bool,
        "showServerInfo": to_bool,
    }

    def __init__(self) -> None:
        super().__init__()
        self.show_report = True
        self.show_server_info = True

    def invoke(self, request: ReportedRequest, response: ReportedResponse) -> None:
        """Run the rest of the pipeline, then report the error, if any."""
        self.next.invoke(request, response)  # type: ignore[union-attr]
        if response.is_committed():
            return  # too late for a page; the wrapper closes the connection
        exc = request.get_attribute(ERROR_EXCEPTION)
        if exc is not None and not response.is_error():
            # Something recorded an exception without send_error: answer 500.
            response.reset()
            response.send_error(500)
        # A second ErrorReportValve (one at the Engine, say) writes no second page.
        if not response.is_error() or response.is_error_reported():
            return
        self.report(request, response, exc)

    def report(self, request: ReportedRequest, response: ReportedResponse, exc: BaseException | None) -> None:
        """Write the page for the response's status with this valve's
        settings (nothing for a status below 400, when a body was written
        after ``send_error``, or for an unknown status without a message)."""
        _write_report(response, exc, self.show_report, self.show_server_info)

    @staticmethod
    def render(request: ReportedRequest, response: ReportedResponse, exc: BaseException | None = None) -> None:
        """The adapter's last resort when the pipeline itself raised: write
        the error page (500 unless ``send_error`` already set a status),
        with the settings of the host's ErrorReportValve if there is one."""
        if response.is_committed():
            return
        if not response.is_error():
            response.reset_for_error()
            response.send_error(500)
        show_report, show_server_info = True, True
        valve = _configured_valve(request)
        if valve is not None:
            show_report, show_server_info = valve.show_report, valve.show_server_info
        _write_report(response, exc, show_report, show_server_info)


# -- helpers around the response ------------------------------------------------


def _write_report(
    response: ReportedResponse, exc: BaseException | None, show_report: bool, show_server_info: bool
) -> None:
    status = response.get_status()
    if status < 400 or response.get_buffered_size():
        # Something wrote a body after send_error (an error page of the
        # webapp, say): Tomcat then leaves the response as it is.
        return
    message = response.get_message()
    texts = _STATUS_TEXTS.get(status)
    if texts is None and not message:
        # As Tomcat: no reason phrase and no message, no page; but the
        # locale of the (missing) page is set first: Content-Language: en.
        response.set_locale("en")
        return
    page = error_page_html(
        status,
        texts[0] if texts else "",
        html.escape(message) if message else None,
        exc,
        SERVER_INFO if show_server_info else None,
        show_report,
    )
    _write_page(response, page)


def _write_page(response: ReportedResponse, page: str) -> None:
    """Replace the (empty, suspended) body of an error response by *page*.

    ``send_error`` suspends the response so the servlet cannot write any
    more; ``reset_for_error`` drops the content headers and lifts the
    suspension, after which the page goes through the ordinary writer.
    The response is then marked as reported.
    """
    response.reset_for_error()
    response.set_content_type("text/html;charset=utf-8")
    response.set_locale("en")
    response.get_writer().write(page)
    response.mark_error_reported()


def _configured_valve(request: ReportedRequest) -> ErrorReportValve | None:
    """The ErrorReportValve of the request's context or host, if any."""
    for container in (request.get_context(), request.get_host()):
        if container is None:
            continue
        for valve in container.pipeline.valves:
            if isinstance(valve, ErrorReportValve):
                return valve
    return None
