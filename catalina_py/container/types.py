"""The container's objects as the container's own modules see each other:
small ``typing.Protocol`` types at the bottom of ``container/``.

The concrete classes (``StandardContext``, ``StandardHost``,
``StandardWrapper``, ``Request``, ``Response``) sit above the modules that
use them (the dispatcher, the error pages, the wrapper valve, async
processing) and import them; typing those uses against the classes would
tie every module to every other one. These protocols say what is used,
and the classes implement them structurally.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from ..config.web_xml import WebXml
    from ..servlet.context import ServletContext
    from ..servlet.mapping import HttpServletMapping
    from ..servlets.resources import ArchiveResources
    from .channel import Slots
    from .filter_chain import FilterMap
    from .mapper import Mapper, MappingData
    from .pipeline import Pipeline

__all__ = ["ClassLoader", "ContainerRequest", "ContainerResponse", "ServletWrapper", "VirtualHost", "WebappContext"]


class ClassLoader(Protocol):
    """The webapp's code loader (``deploy/loader.py``)."""

    def load_class(self, name: str) -> Any:  # Any: whatever the webapp's module defines
        ...


class ServletWrapper(Protocol):
    """One servlet of a context (``StandardWrapper``)."""

    name: str
    pipeline: Pipeline

    @property
    def context(self) -> WebappContext: ...

    @property
    def async_supported(self) -> bool: ...

    def allocate(self) -> Any:  # Any: the webapp's servlet instance
        ...


class VirtualHost(Protocol):
    """A host (``StandardHost``)."""

    name: str
    pipeline: Pipeline
    access_logs: list[Any]

    @property
    def contexts(self) -> Mapping[str, WebappContext]: ...


class WebappContext(Protocol):
    """A web application (``StandardContext``)."""

    name: str
    path: str
    doc_base: str
    web_xml: WebXml
    cross_context: bool
    pipeline: Pipeline
    access_logs: list[Any]
    request_character_encoding: str | None
    response_character_encoding: str | None

    @property
    def host(self) -> VirtualHost: ...

    @property
    def wrappers(self) -> Mapping[str, ServletWrapper]: ...

    @property
    def loader(self) -> ClassLoader | None: ...

    @property
    def filter_map(self) -> FilterMap | None: ...

    @property
    def mapper(self) -> Mapper | None: ...

    @mapper.setter
    def mapper(self, mapper: Mapper | None) -> None: ...

    #: Requests inside the context's pipeline now (an undeploy waits for them).
    in_flight: int
    request_count: int
    error_count: int

    def display_path(self) -> str: ...

    def is_available(self) -> bool: ...

    def get_servlet_context(self) -> ServletContext: ...

    def get_mime_type(self, file: str) -> str | None: ...

    def resolve_path(self, path: str) -> str | None: ...

    @property
    def resources(self) -> ArchiveResources | None:
        """The webapp's WAR when it is served from the archive, else None."""

    def stop(self) -> None: ...


class ContainerResponse(Protocol):
    """What the container's modules use of ``Response``."""

    def is_committed(self) -> bool: ...

    def is_error(self) -> bool: ...

    def get_status(self) -> int: ...

    def get_message(self) -> str | None: ...

    def send_error(self, status: int, message: str | None = None) -> None: ...

    def reset(self) -> None: ...

    def reset_buffer(self) -> None: ...

    def reset_for_error(self) -> None: ...

    def restore_error(self, status: int, message: str | None) -> None: ...

    def set_suspended(self, suspended: bool) -> None: ...

    def commit_whole(self) -> None: ...

    error_reported: bool


class ContainerRequest(Protocol):
    """What the container's modules use of ``Request`` (beneath any
    wrappers the webapp added)."""

    mapping: MappingData

    @property
    def connection_id(self) -> int: ...

    @property
    def request_slots(self) -> Slots: ...

    @property
    def uri_encoding(self) -> str: ...

    @property
    def response(self) -> Any:  # Any: the Response (response.py imports this module)
        ...

    def get_method(self) -> str: ...

    def get_protocol(self) -> str: ...

    def get_scheme(self) -> str: ...

    def get_server_name(self) -> str: ...

    def get_server_port(self) -> int: ...

    def get_request_uri(self) -> str: ...

    def get_context_path(self) -> str: ...

    def get_servlet_path(self) -> str: ...

    def get_path_info(self) -> str | None: ...

    def get_query_string(self) -> str | None: ...

    def get_attribute(self, name: str) -> Any: ...

    def set_attribute(self, name: str, value: Any) -> None: ...

    def get_parameter_map(self) -> dict[str, list[str]]: ...

    def get_http_servlet_mapping(self) -> HttpServletMapping | None: ...

    def is_async_started(self) -> bool: ...

    def disable_keep_alive(self) -> None: ...

    def abort_connection(self) -> None: ...

    def dispatch_state(self) -> tuple[Any, ...]: ...

    def restore_dispatch_state(self, state: tuple[Any, ...]) -> None: ...

    def set_dispatch(
        self,
        mapping: MappingData,
        dispatcher_type: str,
        *,
        request_uri: str | None = None,
        decoded_uri: str | None = None,
        query_string: str | None = None,
        servlet_mapping: Any = ...,
    ) -> None: ...

    def swap_parameters(self, parameters: dict[str, list[str]] | None) -> dict[str, list[str]] | None: ...

    def set_dispatch_attribute(self, name: str, value: Any) -> Any: ...
