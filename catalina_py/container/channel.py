"""``Channel``: what a request and its response may ask of the connection
they arrived on, and nothing more (the role of Tomcat's facades and of the
``ActionHook`` between Catalina's and Coyote's request objects).

The connector's ``Http11Processor`` implements it; the container types
against this protocol only, so it never imports the connector and never
reaches into the processor's internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from ..http.headers import Headers
    from ..servlet.upgrade import UpgradeToken


class Slots(Protocol):
    """The ``maxThreads`` bound: requests inside the pipeline at once."""

    def acquire(self) -> object: ...

    def release(self) -> object: ...


class Channel(Protocol):
    """One HTTP/1.1 connection, as the container sees it."""

    #: The process-wide connection number (``events.Event.connection``).
    connection_id: int
    #: Whether the current request is traced in full (``events.BUS.admit``).
    traced: bool
    remote_addr: str
    remote_port: int
    local_addr: str
    local_port: int
    #: The connector's ``scheme``/``secure``/``proxyName``/``proxyPort``.
    scheme: str
    secure: bool
    proxy_name: str | None
    proxy_port: int
    uri_encoding: str
    max_post_size: int
    #: The Connector's ``redirectPort`` (a CONFIDENTIAL constraint redirects there; 0: refuse).
    redirect_port: int
    #: The Connector's ``maxParameterCount`` (negative: no limit).
    max_parameter_count: int
    #: The Connector's ``allowedTrailerHeaders`` (lower-case names).
    allowed_trailer_headers: frozenset[str]
    #: Whether the connection serves another request after this one; the
    #: container clears it when the response cannot be finished cleanly.
    keep_alive: bool
    #: Set when a servlet failed after the response was committed: the
    #: response is cut off (no last chunk) and the connection closed.
    abort_after_response: bool
    #: The request body was read to its end.
    body_finished: bool
    #: The chunked body's trailer fields, once read (None before/without).
    trailers: Headers | None
    #: Body bytes of the current response sent so far.
    bytes_sent: int
    #: Set by ``request.upgrade()``: the connection is handed over once the
    #: servlet has returned and the 101 is on the wire.
    upgrade_token: UpgradeToken | None
    #: ``maxThreads``: acquire around the pipeline.
    request_slots: Slots

    @property
    def stopping(self) -> bool:
        """The connector is stopping: finish this request, keep nothing alive."""
        ...

    def read_body(self, size: int) -> bytes:
        """Up to *size* bytes of the request body; b"" at its end.

        Raises ``http.errors.HttpParseError`` for a malformed body (the
        request answers it as ``BadRequestError``, 400) and
        ``ClientAbortError`` when the client stops sending it."""
        # CONTRACT: the connector raises HttpParseError here (it may not import the servlet API's BadRequestError).
        ...

    def commit(
        self, status: int, headers: Sequence[tuple[str, str]], content_length: int, body: bytes | bytearray | None
    ) -> None:
        """Send the status line and *headers* (the response's, in order;
        the connector adds the framing, ``Connection`` and ``Date``).
        *content_length* is the declared length (-1: none); with *body* the
        response is complete and goes out in one write."""
        ...

    def write_body(self, data: bytes) -> None:
        """Send a piece of a committed response's body."""
        ...

    def end_body(self) -> None:
        """Finish a committed response (the last chunk when chunked)."""
        ...
