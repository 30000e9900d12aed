"""The errors of the HTTP layer: :class:`HttpParseError` (a request that
cannot be read) and :class:`ClientAbortError` (the client went away).

The parser never writes to a socket; when the bytes it is given cannot be a
valid request it raises :class:`HttpParseError`, carrying the status code the
connector should answer with (400, 417, 501, 505 ...) and a short reason that
is safe to show to the client in an error page.
"""

from __future__ import annotations

__all__ = ["ClientAbortError", "HttpParseError"]


class HttpParseError(Exception):
    """The request cannot be parsed; answer with ``status`` and close.

    ``reason`` is a short, human readable explanation. It never echoes raw
    request bytes, so it can be put into an error page as-is.
    """

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, reason)
        self.status: int = status
        self.reason: str = reason

    def __str__(self) -> str:
        return f"{self.status} {self.reason}"

    def __repr__(self) -> str:
        return f"HttpParseError({self.status!r}, {self.reason!r})"


class ClientAbortError(OSError):
    """The client went away (or stalled past the timeout) while the request
    was being read or the response written, as Tomcat's ``ClientAbortException``."""
