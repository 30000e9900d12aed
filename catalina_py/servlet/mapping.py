"""How a request reaches a servlet: ``HttpServletMapping`` (how the request
was mapped) and ``RequestDispatcher`` (forward and include), as
``jakarta.servlet.http.HttpServletMapping`` and
``jakarta.servlet.RequestDispatcher`` define them.

The container's dispatcher is
``catalina_py.container.dispatcher.ApplicationDispatcher``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol

__all__ = ["HttpServletMapping", "MappingResult", "RequestDispatcher"]


class MappingResult(Protocol):
    """What :meth:`HttpServletMapping.from_mapping_data` reads of a mapping
    result (the container Mapper's ``MappingData``)."""

    @property
    def wrapper_name(self) -> str | None: ...

    @property
    def match_type(self) -> str: ...

    @property
    def match_pattern(self) -> str: ...

    @property
    def servlet_path(self) -> str: ...

    @property
    def path_info(self) -> str | None: ...


class HttpServletMapping:
    """How a request was mapped to its servlet
    (``jakarta.servlet.http.HttpServletMapping``).

    ``get_mapping_match`` answers one of ``CONTEXT_ROOT``, ``DEFAULT``,
    ``EXACT``, ``EXTENSION``, ``PATH`` (``jakarta.servlet.http.MappingMatch``).
    """

    __slots__ = ("_match_value", "_pattern", "_servlet_name", "_mapping_match")

    _MATCHES = {
        "exact": "EXACT",
        "prefix": "PATH",
        "extension": "EXTENSION",
        "default": "DEFAULT",
        "context_root": "CONTEXT_ROOT",
    }

    def __init__(self, match_value: str, pattern: str, servlet_name: str, mapping_match: str | None) -> None:
        self._match_value = match_value
        self._pattern = pattern
        self._servlet_name = servlet_name
        self._mapping_match = mapping_match

    @classmethod
    def from_mapping_data(cls, md: MappingResult) -> HttpServletMapping:
        """Build the mapping from a mapping result (the Mapper's ``MappingData``)."""
        name = md.wrapper_name or ""
        match = cls._MATCHES.get(md.match_type)
        servlet_path = md.servlet_path or ""
        if match == "EXACT":
            value = servlet_path[1:]
        elif match == "PATH":
            value = (md.path_info or "/")[1:]
        elif match == "EXTENSION":
            dot = servlet_path.rfind(".")
            value = servlet_path[1:dot] if dot > 0 else servlet_path[1:]
        else:
            value = ""
        return cls(value, md.match_pattern, name, match)

    def get_match_value(self) -> str:
        """The part of the path that matched (without the leading ``/``)."""
        return self._match_value

    def get_pattern(self) -> str:
        """The url-pattern that matched."""
        return self._pattern

    def get_servlet_name(self) -> str:
        """The name of the servlet the request was mapped to."""
        return self._servlet_name

    def get_mapping_match(self) -> str | None:
        """The kind of match (``EXACT``, ``PATH``, ...)."""
        return self._mapping_match

    def __repr__(self) -> str:
        return (
            f"<HttpServletMapping {self._mapping_match} pattern={self._pattern!r} "
            f"value={self._match_value!r} servlet={self._servlet_name!r}>"
        )


# -- attribute names (jakarta.servlet.RequestDispatcher) ----------------------
FORWARD_REQUEST_URI = "jakarta.servlet.forward.request_uri"
FORWARD_CONTEXT_PATH = "jakarta.servlet.forward.context_path"
FORWARD_SERVLET_PATH = "jakarta.servlet.forward.servlet_path"
FORWARD_PATH_INFO = "jakarta.servlet.forward.path_info"
FORWARD_QUERY_STRING = "jakarta.servlet.forward.query_string"
FORWARD_MAPPING = "jakarta.servlet.forward.mapping"
INCLUDE_REQUEST_URI = "jakarta.servlet.include.request_uri"
INCLUDE_CONTEXT_PATH = "jakarta.servlet.include.context_path"
INCLUDE_SERVLET_PATH = "jakarta.servlet.include.servlet_path"
INCLUDE_PATH_INFO = "jakarta.servlet.include.path_info"
INCLUDE_QUERY_STRING = "jakarta.servlet.include.query_string"
INCLUDE_MAPPING = "jakarta.servlet.include.mapping"
ERROR_STATUS_CODE = "jakarta.servlet.error.status_code"
ERROR_MESSAGE = "jakarta.servlet.error.message"
ERROR_EXCEPTION = "jakarta.servlet.error.exception"
ERROR_EXCEPTION_TYPE = "jakarta.servlet.error.exception_type"
ERROR_REQUEST_URI = "jakarta.servlet.error.request_uri"
ERROR_SERVLET_NAME = "jakarta.servlet.error.servlet_name"


class RequestDispatcher(ABC):
    """Forwards a request to, or includes in its response, another
    resource of a webapp (``jakarta.servlet.RequestDispatcher``). Obtain one
    from ``request.get_request_dispatcher(path)``,
    ``servlet_context.get_request_dispatcher(path)`` or
    ``servlet_context.get_named_dispatcher(name)``."""

    FORWARD_REQUEST_URI = FORWARD_REQUEST_URI
    FORWARD_CONTEXT_PATH = FORWARD_CONTEXT_PATH
    FORWARD_SERVLET_PATH = FORWARD_SERVLET_PATH
    FORWARD_PATH_INFO = FORWARD_PATH_INFO
    FORWARD_QUERY_STRING = FORWARD_QUERY_STRING
    FORWARD_MAPPING = FORWARD_MAPPING
    INCLUDE_REQUEST_URI = INCLUDE_REQUEST_URI
    INCLUDE_CONTEXT_PATH = INCLUDE_CONTEXT_PATH
    INCLUDE_SERVLET_PATH = INCLUDE_SERVLET_PATH
    INCLUDE_PATH_INFO = INCLUDE_PATH_INFO
    INCLUDE_QUERY_STRING = INCLUDE_QUERY_STRING
    INCLUDE_MAPPING = INCLUDE_MAPPING
    ERROR_STATUS_CODE = ERROR_STATUS_CODE
    ERROR_MESSAGE = ERROR_MESSAGE
    ERROR_EXCEPTION = ERROR_EXCEPTION
    ERROR_EXCEPTION_TYPE = ERROR_EXCEPTION_TYPE
    ERROR_REQUEST_URI = ERROR_REQUEST_URI
    ERROR_SERVLET_NAME = ERROR_SERVLET_NAME

    @abstractmethod
    def forward(self, request: Any, response: Any) -> None:
        """Let the target answer the request instead of the caller.

        The buffered body is discarded (status and headers are kept); the
        target sees the new paths and, for a path dispatcher, the
        ``jakarta.servlet.forward.*`` attributes with the original ones.
        Afterwards the response is finished: what the caller writes is
        dropped.

        :raises IllegalStateError: the response has been committed.
        """

    @abstractmethod
    def include(self, request: Any, response: Any) -> None:
        """Add the target's output to the response.

        The caller's paths stay as they are; a path dispatcher sets the
        ``jakarta.servlet.include.*`` attributes to the included resource's
        values. The target cannot change the status or the headers (those
        calls are ignored).
        """
