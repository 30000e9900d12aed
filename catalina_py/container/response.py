"""``Response``: the container's ``HttpServletResponse`` (Tomcat's
``org.apache.catalina.connector.Response``): what a servlet writes.

The body goes through a buffer (8 KiB by default, as Tomcat's
``bufferSize``). A response that fits the buffer is sent whole, with a
``Content-Length``, in one write. A response that outgrows the buffer or is
flushed before the servlet returns is *committed* early: its head goes out
and the body follows chunked on HTTP/1.1 (or delimited by closing the
connection on HTTP/1.0) unless the servlet set a Content-Length.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING

from ..http.grammar import is_token
from ..http.headers import Headers
from ..http.writer import http_date
from ..servlet.cookies import Cookie, format_set_cookie, validate_cookie
from ..servlet.response import HttpServletResponse, ServletOutputStream, ServletWriter

if TYPE_CHECKING:  # pragma: no cover
    from .channel import Channel
    from .types import ContainerRequest

DEFAULT_BUFFER_SIZE = 8192

#: Control characters other than HT (CR, LF, NUL...): Tomcat writes each
#: as a space, so a value a servlet sets can never split the response.
_CTL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")

log = logging.getLogger("catalina_py.container")


#: Header names already checked (a servlet sets the same few again and again).
_GOOD_NAMES: set[str] = set()


def header_name_ok(name: str) -> bool:
    """Whether *name* is a token and may be sent; a name with CR, LF, a
    space or a colon is refused with a WARNING (Tomcat writes it with its
    control characters as spaces, which makes a malformed header line;
    catalina_py drops it instead, so the response stays well formed)."""
    if name in _GOOD_NAMES:
        return True
    if isinstance(name, str) and is_token(name):
        if len(_GOOD_NAMES) < 1024:
            _GOOD_NAMES.add(name)
        return True
    log.warning("The response header name [%r] is not a token: the header was not set", name)
    return False


def header_value(name: str, value: str) -> str | None:
    """*value* as it may be sent: control characters (CR, LF, NUL...;
    not HT) replaced by spaces, as Tomcat's output buffer does; None when
    it holds a character above U+00FF, which HTTP/1.1 cannot carry (Tomcat
    drops such a header too, with a WARNING)."""
    if value.isascii():
        if value.isprintable():
            return value  # the common case: nothing to clean
    elif max(value) > "\xff":
        log.warning(
            "The response header [%s] with value [%s] was removed: a character above U+00FF cannot be sent",
            name,
            value,
        )
        return None
    if _CTL.search(value) is not None:
        value = _CTL.sub(" ", value)
    return value


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def absolute_location(request: ContainerRequest, location: str) -> str:
    """*location* made absolute against *request*, as Tomcat's
    ``Response.toAbsolute``: kept when it has a scheme; ``//host/x`` gets
    the request's scheme; ``/x`` its scheme, server name and port (the
    port left out when it is the scheme's default); anything else is
    resolved against the folder of the request URI, ``.`` and ``..``
    segments removed."""
    if _SCHEME.match(location):
        return location
    scheme = request.get_scheme()
    if location.startswith("//"):
        return f"{scheme}:{location}"
    host = request.get_server_name()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = request.get_server_port()
    default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    origin = f"{scheme}://{host}" + ("" if default else f":{port}")
    if location.startswith("/"):
        return origin + location
    base = request.get_request_uri()
    path, mark, rest = (base[: base.rfind("/") + 1] + location).partition("?")
    segments: list[str] = []
    parts = path.split("/")
    for index, segment in enumerate(parts):
        if segment == ".":
            if index == len(parts) - 1:
                segments.append("")
        elif segment == "..":
            if len(segments) > 1:
                segments.pop()
            if index == len(parts) - 1:
                segments.append("")
        else:
            segments.append(segment)
    return origin + "/".join(segments) + mark + rest


class Response(HttpServletResponse):
    """One HTTP response: the servlet API over a buffer and the connection's
    :class:`~catalina_py.container.channel.Channel`. Methods without an
    underscore that are not in :class:`HttpServletResponse` are the
    container's (the adapter, the dispatcher, the error pages)."""

    # Defaults shared by every response until set (fewer stores per response).
    _status = 200
    _message: str | None = None
    _content_type: str | None = None
    _charset: str | None = None
    _content_length = -1
    _buffer_size = DEFAULT_BUFFER_SIZE
    _committed = False
    _error = False
    _writer: ServletWriter | None = None
    _stream: ServletOutputStream | None = None
    _cookies: list[Cookie] | None = None
    #: Body bytes the servlet wrote that were kept (buffered or sent).
    _accepted = 0
    _suspended = False
    _error_reported = False  # set by the error page processing and the error report
    #: The charset of get_writer() when none was set (the context's
    #: response-character-encoding).
    default_charset = "UTF-8"

    def __init__(self, channel: Channel, request: ContainerRequest | None = None) -> None:
        self._channel = channel
        self._request = request
        self._headers = Headers()
        self._buffer = bytearray()

    # -- status ----------------------------------------------------------
    def set_status(self, status: int) -> None:
        if self._committed:
            return
        if not 100 <= status <= 999:
            raise ValueError(f"invalid HTTP status {status}")
        self._status = status

    def get_status(self) -> int:
        return self._status

    def send_error(self, status: int, message: str | None = None) -> None:
        """Answer with an error page (rendered by the ErrorReportValve or an
        error page of the webapp); the servlet must not write afterwards."""
        if self._committed:
            raise RuntimeError("cannot send_error() after the response has been committed")
        self.set_status(status)
        self._message = message
        self._error = True
        self.reset_buffer()
        self._suspended = True

    def send_redirect(self, location: str, status: int = 302) -> None:
        """Redirect to *location*. As Tomcat (``useRelativeRedirects``
        true): on HTTP/1.1 the location is sent as given, relative or not;
        an HTTP/1.0 client gets it made absolute against the request
        (scheme, server name and port, the request URI's folder). Control
        characters become spaces (see :func:`header_value`)."""
        if self._committed:
            raise RuntimeError("cannot send_redirect() after the response has been committed")
        request = self._request
        if request is not None and request.get_protocol() in ("HTTP/1.0", "HTTP/0.9"):
            location = absolute_location(request, location)
        self.reset_buffer()
        self.set_status(status)
        self.set_header("Location", location)
        self._suspended = True

    def get_message(self) -> str | None:
        return self._message

    def is_error(self) -> bool:
        return self._error

    # -- headers ---------------------------------------------------------
    def _special_header(self, name: str, value: str) -> bool:
        lower = name.lower()
        if lower == "content-type":
            self.set_content_type(value)
            return True
        if lower == "content-length":
            self.set_content_length(int(value))
            return True
        return False

    def set_header(self, name: str, value: str | None) -> None:
        """Set the header *name* (None removes it). Control characters in
        *value* become spaces, and a value with a character above U+00FF
        removes the header, as Tomcat sends them (see :func:`header_value`)."""
        if self._committed or not header_name_ok(name):
            return
        if value is None:
            self._headers.remove(name)
            return
        safe = header_value(name, str(value))
        if safe is None:
            self._headers.remove(name)
            return
        if not self._special_header(name, safe):
            self._headers.set(name, safe)

    def add_header(self, name: str, value: str) -> None:
        """Add a value to the header *name* (cleaned as by :meth:`set_header`;
        not added when it cannot be sent)."""
        if self._committed or not header_name_ok(name):
            return
        safe = header_value(name, str(value))
        if safe is None:
            return
        if not self._special_header(name, safe):
            self._headers.add(name, safe)

    def set_int_header(self, name: str, value: int) -> None:
        self.set_header(name, str(value))

    def set_date_header(self, name: str, timestamp: float) -> None:
        self.set_header(name, http_date(timestamp))

    def contains_header(self, name: str) -> bool:
        lower = name.lower()
        if lower == "content-type":
            return self._content_type is not None
        if lower == "content-length":
            return self._content_length >= 0
        return name in self._headers

    def get_header(self, name: str) -> str | None:
        lower = name.lower()
        if lower == "content-type":
            return self.get_content_type()
        if lower == "content-length":
            return str(self._content_length) if self._content_length >= 0 else None
        return self._headers.get(name)

    def get_headers(self, name: str) -> list[str]:
        return self._headers.get_all(name)

    def get_header_names(self) -> list[str]:
        names = self._headers.names()
        if self._content_type is not None:
            names.append("Content-Type")
        if self._content_length >= 0:
            names.append("Content-Length")
        return names

    def add_cookie(self, cookie: Cookie) -> None:
        """Send a ``Set-Cookie`` for *cookie*.

        :raises ValueError: the cookie cannot be sent (a CR/LF, control
            character, space, ``,`` or ``;`` in its value...), as Tomcat's
            cookie processor raises IllegalArgumentException here: the
            servlet fails (500), never the commit (an empty reply).
        """
        if self._committed:
            return  # ignored, as Tomcat (checked before the cookie)
        validate_cookie(cookie)
        if self._cookies is None:
            self._cookies = []
        self._cookies.append(cookie)

    def add_session_cookie(self, cookie: Cookie) -> None:
        """Container side: add the session cookie, replacing an earlier
        cookie of the same name (Tomcat's ``addSessionCookieInternal``), so
        a session created and then given a new id sends one cookie."""
        if self._committed:
            return
        if self._cookies is None:
            self._cookies = []
        for index, existing in enumerate(self._cookies):
            if existing.name == cookie.name:
                self._cookies[index] = cookie
                return
        self._cookies.append(cookie)

    # -- URL rewriting (session tracking) -------------------------------
    def encode_url(self, url: str) -> str:
        """*url* with ``;jsessionid=ID`` added when the request has a valid
        session, the client did not send its id in a cookie, URL tracking
        is on and *url* points into this web application; else *url*."""
        request = self._request
        context = None if request is None else request.mapping.context
        manager = None if context is None else getattr(context, "manager", None)
        return url if manager is None else manager.encode_url(request, url, redirect=False)

    def encode_redirect_url(self, url: str) -> str:
        """As :meth:`encode_url`, for a URL given to :meth:`send_redirect`."""
        request = self._request
        context = None if request is None else request.mapping.context
        manager = None if context is None else getattr(context, "manager", None)
        return url if manager is None else manager.encode_url(request, url, redirect=True)

    # -- content type and encoding ------------------------------------
    def set_content_type(self, content_type: str | None) -> None:
        """Sets the media type; a ``charset`` parameter sets the encoding
        too (ignored once ``get_writer`` has been called, as the spec says)."""
        if self._committed:
            return
        if content_type is not None:
            safe = header_value("Content-Type", content_type)
            if safe is None:
                return
            content_type = safe
        if content_type is None:
            self._content_type = None
            if self._writer is None:
                self._charset = None
            return
        if ";" not in content_type:  # the common case: no parameters
            self._content_type = content_type.strip()
            return
        media, _, params = content_type.partition(";")
        charset = None
        kept = []
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip().strip('"')
            elif key:
                kept.append(param.strip())
        if charset is None:
            # Kept as written ("multipart/byteranges; boundary=X"), as Tomcat.
            self._content_type = content_type.strip()
            return
        self._content_type = ";".join([media.strip()] + kept)
        if self._writer is None:
            self._charset = charset

    def get_content_type(self) -> str | None:
        if self._content_type is None:
            return None
        charset = self._charset
        if charset is None and self._writer is not None:
            charset = self.default_charset
        if charset is not None:
            return f"{self._content_type};charset={charset}"
        return self._content_type

    def set_character_encoding(self, encoding: str | None) -> None:
        if self._committed or self._writer is not None:
            return
        if encoding is not None:
            import codecs

            codecs.lookup(encoding)
        self._charset = encoding

    def get_character_encoding(self) -> str:
        return self._charset or self.default_charset

    def set_content_length(self, length: int) -> None:
        if self._committed:
            return
        if length < 0:
            raise ValueError("content length must not be negative")
        self._content_length = length

    def get_content_length(self) -> int:
        return self._content_length

    def set_locale(self, locale: str) -> None:
        self.set_header("Content-Language", locale)

    # -- body -------------------------------------------------------------
    def get_output_stream(self) -> ServletOutputStream:
        if self._writer is not None:
            raise RuntimeError("get_writer() has already been called for this response")
        if self._stream is None:
            self._stream = ServletOutputStream(self)
        return self._stream

    def get_writer(self) -> ServletWriter:
        if self._stream is not None:
            raise RuntimeError("get_output_stream() has already been called for this response")
        if self._writer is None:
            if self._charset is None:
                self._charset = self.default_charset
            self._writer = ServletWriter(self, self._charset)
        return self._writer

    def write_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Add *data* to the body (what the output stream and the writer call)."""
        if self._suspended:
            return  # after send_error/send_redirect the body is the container's
        n = len(data)
        buffer = self._buffer
        if self._content_length >= 0:
            # Tomcat sends no more than the Content-Length the servlet declared.
            room = self._content_length - self._accepted
            if n > room:
                data = data[: max(room, 0)]
                n = len(data)
                if not n:
                    return
        self._accepted += n
        if len(buffer) + n <= self._buffer_size:
            buffer += data
            return
        if not self._committed:
            self._commit(final=False)
        if buffer:
            self._channel.write_body(bytes(buffer))
            buffer.clear()
        if n:
            self._channel.write_body(bytes(data))

    def flush_buffer(self) -> None:
        """Commit the response now and send what is buffered."""
        if not self._committed:
            self._commit(final=False)
        if self._buffer:
            self._channel.write_body(bytes(self._buffer))
            self._buffer.clear()

    def set_buffer_size(self, size: int) -> None:
        if self._committed or self._buffer:
            raise RuntimeError("set_buffer_size() after content was written")
        self._buffer_size = max(0, size)

    def get_buffer_size(self) -> int:
        return self._buffer_size

    def reset_buffer(self) -> None:
        if self._committed:
            raise RuntimeError("cannot reset the buffer of a committed response")
        self._accepted -= len(self._buffer)
        self._buffer.clear()

    def reset(self) -> None:
        """Forget status, headers and buffered body (not once committed)."""
        if self._committed:
            raise RuntimeError("cannot reset a committed response")
        self._status = 200
        self._message = None
        self._headers = Headers()
        self._content_type = None
        self._charset = None
        self._content_length = -1
        self._cookies = None
        self._buffer.clear()
        self._accepted = 0
        self._error = False
        self._suspended = False

    def is_committed(self) -> bool:
        return self._committed

    # -- container side ------------------------------------------------
    def _commit(self, final: bool) -> None:
        """Hand status and headers to the connection (with the body when *final*)."""
        self._committed = True
        self._channel.commit(self._status, self.header_items(), self._content_length, self._buffer if final else None)
        if final:
            self._buffer.clear()

    def commit_whole(self) -> None:
        """Commit now with everything buffered as the whole body (with its
        Content-Length), as the end of a forward does."""
        self._commit(final=True)

    def header_items(self) -> list[tuple[str, str]]:
        """All header fields to send, the special ones included (the
        access log's ``%{Set-Cookie}o`` reads them too)."""
        items = self._headers.items()
        ctype = self.get_content_type()
        status = self._status
        if ctype is not None and status >= 200 and status not in (205, 304):
            # A status without a body has no Content-Type, except 204 (Tomcat's
            # prepareResponse keeps it there).
            items.append(("Content-Type", ctype))
        if self._cookies:
            now = time.time()
            for cookie in self._cookies:
                items.append(("Set-Cookie", format_set_cookie(cookie, now)))
        return items

    def finish_response(self) -> None:
        """Complete the response after the pipeline has run (Tomcat's
        ``finishResponse``)."""
        if not self._committed:
            self._commit(final=True)
        else:
            if self._buffer:
                self._channel.write_body(bytes(self._buffer))
                self._buffer.clear()
            self._channel.end_body()

    def reset_for_error(self) -> None:
        """Used by the error report: drop body and content headers, keep status."""
        self._buffer.clear()
        self._accepted = 0
        self._content_length = -1
        self._content_type = None
        self._charset = None
        self._writer = None
        self._stream = None
        self._suspended = False

    def get_buffered_size(self) -> int:
        """Body bytes written into the buffer and not sent yet."""
        return len(self._buffer)

    def set_suspended(self, suspended: bool) -> None:
        """Suspended: what the servlet writes is dropped (after ``send_error``,
        ``send_redirect`` or a forward, the body is the container's)."""
        self._suspended = suspended

    def restore_error(self, status: int, message: str | None) -> None:
        """Make the response the error (*status*, *message*) again, after a
        failed error page changed it."""
        self._status, self._message, self._error = status, message, True

    @property
    def error_reported(self) -> bool:
        """An error page or the error report already wrote this error response."""
        return self._error_reported

    @error_reported.setter
    def error_reported(self, value: bool) -> None:
        self._error_reported = value

    def is_error_reported(self) -> bool:
        """Whether an error page was written for this response already (a
        second ErrorReportValve must not write another)."""
        return self._error_reported

    def mark_error_reported(self) -> None:
        """Record that the error page of this response has been written."""
        self._error_reported = True

    def recycle(self) -> None:
        """Break the links to the request and to the writer/stream (see
        ``Request.recycle``)."""
        self._request = None
        self._writer = None
        self._stream = None

    def __repr__(self) -> str:
        return f"<Response {self._status}>"
