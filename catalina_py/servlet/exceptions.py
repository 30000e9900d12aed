"""Exceptions servlets and filters raise, as in ``jakarta.servlet``."""

from __future__ import annotations


class ServletException(Exception):
    """A servlet could not handle a request; the container answers 500
    unless a subclass says otherwise."""

    status = 500


class UnavailableException(ServletException):
    """The servlet cannot serve now (503), as ``jakarta.servlet.UnavailableException``."""

    status = 503

    def __init__(self, message: str, seconds: int = -1) -> None:
        super().__init__(message)
        self.seconds = seconds


class RequestTooLargeError(ServletException):
    """A form body over the Connector's ``maxPostSize``: answered with 413."""

    status = 413


class BadRequestError(ServletException):
    """The request could not be read (a malformed or truncated body): 400."""

    status = 400


class IllegalStateError(RuntimeError):
    """A method was called when the object's state does not allow it, as
    Java's ``IllegalStateException``: e.g. using an invalidated session, or
    creating a session after the response was committed."""
