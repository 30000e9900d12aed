"""Errors raised by the connection layer into servlet code."""

from __future__ import annotations


class ClientAbortError(OSError):
    """The client went away (or stalled past the timeout) while the request
    was being read or the response written, as Tomcat's ``ClientAbortException``."""
