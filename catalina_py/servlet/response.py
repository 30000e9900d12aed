"""``HttpServletResponse``: what a servlet writes (the interface,
``jakarta.servlet.http.HttpServletResponse`` in PEP 8 spelling).

Webapps program against this class; the container's implementation is
``catalina_py.container.response.Response``, which buffers the body
(``bufferSize``, 8 KiB by default) and commits the response when the
buffer fills, when it is flushed or when the servlet returns.
"""

from __future__ import annotations

import codecs
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from .cookies import Cookie

__all__ = ["BodySink", "HttpServletResponse", "ServletOutputStream", "ServletWriter"]


class BodySink(Protocol):
    """Where :class:`ServletOutputStream` and :class:`ServletWriter` write
    to: the response's buffer."""

    def write_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Add *data* to the body (buffered; committing when the buffer fills)."""
        ...

    def flush_buffer(self) -> None:
        """Commit the response now and send what is buffered."""
        ...


class ServletOutputStream:
    """The response body as a binary stream."""

    __slots__ = ("_sink",)

    def __init__(self, sink: BodySink) -> None:
        self._sink = sink

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._sink.write_bytes(data)
        return len(data)

    def flush(self) -> None:
        self._sink.flush_buffer()

    def close(self) -> None:
        self._sink.flush_buffer()

    def writable(self) -> bool:
        return True


class ServletWriter:
    """The response body as text, encoded with the response's character
    encoding (Tomcat's ``PrintWriter``). ``print(..., file=writer)`` works.

    ``UTF-16`` is written as Java writes it: big-endian with one byte order
    mark at the start of the body (Python's codec would put a little-endian
    mark before every write); ``UTF-32`` big-endian without a mark."""

    __slots__ = ("_sink", "_encoding", "_prefix")

    def __init__(self, sink: BodySink, encoding: str) -> None:
        self._sink = sink
        self._encoding = encoding
        self._prefix = b""
        if "16" in encoding or "32" in encoding:
            name = codecs.lookup(encoding).name
            if name == "utf-16":
                self._encoding, self._prefix = "utf-16-be", b"\xfe\xff"
            elif name == "utf-32":
                self._encoding = "utf-32-be"

    def write(self, text: str) -> int:
        data = text.encode(self._encoding, "replace")
        if self._prefix and data:
            data, self._prefix = self._prefix + data, b""
        self._sink.write_bytes(data)
        return len(text)

    def print(self, *values: Any, sep: str = " ", end: str = "") -> None:
        self.write(sep.join(str(v) for v in values) + end)

    def println(self, *values: Any) -> None:
        self.print(*values, end="\n")

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._sink.flush_buffer()

    def close(self) -> None:
        self._sink.flush_buffer()


class HttpServletResponse(ABC):
    """One HTTP response as the servlet API presents it."""

    # Status codes, as the constants of jakarta.servlet.http.HttpServletResponse.
    SC_CONTINUE = 100
    SC_OK = 200
    SC_CREATED = 201
    SC_NO_CONTENT = 204
    SC_PARTIAL_CONTENT = 206
    SC_MOVED_PERMANENTLY = 301
    SC_FOUND = 302
    SC_SEE_OTHER = 303
    SC_NOT_MODIFIED = 304
    SC_TEMPORARY_REDIRECT = 307
    SC_BAD_REQUEST = 400
    SC_UNAUTHORIZED = 401
    SC_FORBIDDEN = 403
    SC_NOT_FOUND = 404
    SC_METHOD_NOT_ALLOWED = 405
    SC_PRECONDITION_FAILED = 412
    SC_REQUEST_ENTITY_TOO_LARGE = 413
    SC_REQUESTED_RANGE_NOT_SATISFIABLE = 416
    SC_INTERNAL_SERVER_ERROR = 500
    SC_NOT_IMPLEMENTED = 501
    SC_SERVICE_UNAVAILABLE = 503

    # -- status ----------------------------------------------------------
    @abstractmethod
    def set_status(self, status: int) -> None:
        """Set the status code (ignored once committed; ValueError outside 100-999)."""

    @abstractmethod
    def get_status(self) -> int:
        """The status code."""

    @abstractmethod
    def send_error(self, status: int, message: str | None = None) -> None:
        """Answer with an error page (rendered by the ErrorReportValve or an
        error page of the webapp); the servlet must not write afterwards."""

    @abstractmethod
    def send_redirect(self, location: str, status: int = 302) -> None:
        """Redirect to *location*: sent as given to an HTTP/1.1 client,
        made absolute against the request for an HTTP/1.0 one (as Tomcat)."""

    # -- headers ---------------------------------------------------------
    @abstractmethod
    def set_header(self, name: str, value: str | None) -> None:
        """Set the header *name* (None removes it)."""

    @abstractmethod
    def add_header(self, name: str, value: str) -> None:
        """Add a value to the header *name*."""

    @abstractmethod
    def set_int_header(self, name: str, value: int) -> None:
        """Set the header *name* to a number."""

    @abstractmethod
    def set_date_header(self, name: str, timestamp: float) -> None:
        """Set the header *name* to an HTTP date (seconds since the epoch)."""

    @abstractmethod
    def contains_header(self, name: str) -> bool:
        """Whether the header *name* is set."""

    @abstractmethod
    def get_header(self, name: str) -> str | None:
        """The first value of the header *name*, or None."""

    @abstractmethod
    def get_headers(self, name: str) -> list[str]:
        """Every value of the header *name*."""

    @abstractmethod
    def get_header_names(self) -> list[str]:
        """The names of the headers set."""

    @abstractmethod
    def add_cookie(self, cookie: Cookie) -> None:
        """Send a ``Set-Cookie`` for *cookie* (ValueError for a cookie that
        cannot be sent, such as a value with CR or LF, as Tomcat refuses it)."""

    # -- URL rewriting (session tracking) -------------------------------
    @abstractmethod
    def encode_url(self, url: str) -> str:
        """*url* with ``;jsessionid=ID`` added when the request has a valid
        session, the client did not send its id in a cookie, URL tracking
        is on and *url* points into this web application; else *url*."""

    @abstractmethod
    def encode_redirect_url(self, url: str) -> str:
        """As :meth:`encode_url`, for a URL given to :meth:`send_redirect`."""

    # -- content type and encoding ------------------------------------
    @abstractmethod
    def set_content_type(self, content_type: str | None) -> None:
        """Sets the media type; a ``charset`` parameter sets the encoding
        too (ignored once ``get_writer`` has been called, as the spec says)."""

    @abstractmethod
    def get_content_type(self) -> str | None:
        """The media type with its charset, or None."""

    @abstractmethod
    def set_character_encoding(self, encoding: str | None) -> None:
        """The charset of the body (not once the writer was obtained)."""

    @abstractmethod
    def get_character_encoding(self) -> str:
        """The charset of the body (the context's default when none was set)."""

    @abstractmethod
    def set_content_length(self, length: int) -> None:
        """Declare the body's length."""

    @abstractmethod
    def get_content_length(self) -> int:
        """The declared length, -1 when none."""

    @abstractmethod
    def set_locale(self, locale: str) -> None:
        """Set Content-Language."""

    # -- body -------------------------------------------------------------
    @abstractmethod
    def get_output_stream(self) -> ServletOutputStream:
        """The body as bytes (not together with :meth:`get_writer`)."""

    @abstractmethod
    def get_writer(self) -> ServletWriter:
        """The body as text, in the response's character encoding."""

    @abstractmethod
    def flush_buffer(self) -> None:
        """Commit the response now and send what is buffered."""

    @abstractmethod
    def set_buffer_size(self, size: int) -> None:
        """The buffer size (before anything was written)."""

    @abstractmethod
    def get_buffer_size(self) -> int:
        """The buffer size in bytes."""

    @abstractmethod
    def reset_buffer(self) -> None:
        """Drop the buffered body (not once committed)."""

    @abstractmethod
    def reset(self) -> None:
        """Forget status, headers and buffered body (not once committed)."""

    @abstractmethod
    def is_committed(self) -> bool:
        """Whether the status and headers have been sent."""
