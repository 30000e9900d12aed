"""``Part`` and ``MultipartConfigElement``: one part of a
``multipart/form-data`` request and the settings that let a servlet receive
them (``jakarta.servlet.http.Part`` and ``jakarta.servlet.MultipartConfigElement``
in PEP 8 spelling).

A servlet gets parts from ``request.get_parts()`` / ``request.get_part(name)``
when it has a multipart configuration: ``<multipart-config>`` in its
``<servlet>`` of web.xml, or the :func:`~catalina_py.servlet.annotation.multipart_config`
decorator on its class. The container's implementation of :class:`Part`
lives in :mod:`catalina_py.container.multipart_request`.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["MultipartConfigElement", "Part"]


@dataclass(frozen=True)
class MultipartConfigElement:
    """How a servlet receives multipart requests (``<multipart-config>``).

    ``location``: the directory where parts over the threshold are written
    (empty: the context's temporary directory; relative: under it).
    ``max_file_size``: the largest part accepted, in bytes (-1: no limit).
    ``max_request_size``: the largest multipart body accepted (-1: no limit).
    ``file_size_threshold``: parts larger than this many bytes are written
    to disk as they arrive; smaller ones are kept in memory.
    """

    location: str = ""
    max_file_size: int = -1
    max_request_size: int = -1
    file_size_threshold: int = 0

    def __post_init__(self) -> None:
        for name in ("max_file_size", "max_request_size", "file_size_threshold"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {value!r}")
        if not isinstance(self.location, str):
            raise TypeError(f"location must be a string, got {self.location!r}")

    def get_location(self) -> str:
        """The directory for parts written to disk ("" for the default)."""
        return self.location

    def get_max_file_size(self) -> int:
        """The largest part accepted, in bytes; -1 for no limit."""
        return self.max_file_size

    def get_max_request_size(self) -> int:
        """The largest multipart body accepted, in bytes; -1 for no limit."""
        return self.max_request_size

    def get_file_size_threshold(self) -> int:
        """Parts larger than this are written to disk."""
        return self.file_size_threshold


class Part(ABC):
    """One part of a ``multipart/form-data`` request: a form field or an
    uploaded file, its headers and its content (in memory or in a
    temporary file, which the container deletes when the request ends)."""

    @abstractmethod
    def get_name(self) -> str:
        """The field name (``name`` of its Content-Disposition)."""

    @abstractmethod
    def get_submitted_file_name(self) -> str | None:
        """The file name the client gave (``filename``, or ``filename*``),
        as sent; None for a part that is not a file upload. Never use it
        as a path without cleaning it: it may hold ``..`` or a directory."""

    @abstractmethod
    def get_content_type(self) -> str | None:
        """The part's Content-Type header, or None."""

    @abstractmethod
    def get_size(self) -> int:
        """The size of the part's content, in bytes."""

    @abstractmethod
    def get_header(self, name: str) -> str | None:
        """The first value of the part's header *name* (case-insensitive)."""

    @abstractmethod
    def get_headers(self, name: str) -> list[str]:
        """Every value of the part's header *name*, in order."""

    @abstractmethod
    def get_header_names(self) -> list[str]:
        """The names of the part's headers (lower case, as Tomcat gives them)."""

    @abstractmethod
    def get_input_stream(self) -> io.BufferedIOBase:
        """The part's content, read from memory or from its file."""

    @abstractmethod
    def write(self, file_name: str) -> None:
        """Save the content to *file_name* (relative: under the multipart
        ``location``); a part on disk is moved there when possible."""

    @abstractmethod
    def delete(self) -> None:
        """Remove the part's temporary file, if any, now rather than at the
        end of the request."""
