"""``RequestDispatchState``: what a dispatch (forward, include, error page,
async dispatch) changes on the container's ``Request``, and how it is put
back: the mapping, the URIs, the query string and parameters, the
dispatcher type and the ``jakarta.servlet.*`` dispatch attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..servlet.mapping import HttpServletMapping
    from .mapper import MappingData

__all__ = ["RequestDispatchState"]

#: ``set_dispatch``: leave the servlet mapping as it is.
_KEEP = object()


class RequestDispatchState:
    """Mixed into ``Request``: the container side of dispatching."""

    mapping: MappingData
    _request_uri: str
    _decoded_uri: str
    _query_string: str | None
    _dispatcher_type: str
    _servlet_mapping: HttpServletMapping | None
    _parameters: dict[str, list[str]] | None
    _attributes: dict[str, Any]
    #: The mapping the request arrived with, kept by the first dispatch:
    #: its servlet's multipart config decides get_parts(), as in Tomcat.
    request_mapping: MappingData | None = None

    def dispatch_state(self) -> tuple[Any, ...]:
        """What a dispatch changes (mapping, URIs, query, type, servlet
        mapping), for :meth:`restore_dispatch_state`."""
        return (
            self.mapping,
            self._request_uri,
            self._decoded_uri,
            self._query_string,
            self._dispatcher_type,
            self._servlet_mapping,
        )

    def restore_dispatch_state(self, state: tuple[Any, ...]) -> None:
        """Put back what :meth:`dispatch_state` saved."""
        (
            self.mapping,
            self._request_uri,
            self._decoded_uri,
            self._query_string,
            self._dispatcher_type,
            self._servlet_mapping,
        ) = state

    def set_dispatch(
        self,
        mapping: MappingData,
        dispatcher_type: str,
        *,
        request_uri: str | None = None,
        decoded_uri: str | None = None,
        query_string: str | None = None,
        servlet_mapping: Any = _KEEP,
    ) -> None:
        """Point the request at a dispatch target (forward, include, error
        page, async dispatch): its mapping and type, and those of the URI,
        query string and servlet mapping (an ``HttpServletMapping`` or None)
        that are given."""
        if self.request_mapping is None:
            self.request_mapping = self.mapping
        self.mapping = mapping
        self._dispatcher_type = dispatcher_type
        if request_uri is not None:
            self._request_uri = request_uri
        if decoded_uri is not None:
            self._decoded_uri = decoded_uri
        if query_string is not None:
            self._query_string = query_string
        if servlet_mapping is not _KEEP:
            self._servlet_mapping = servlet_mapping

    def swap_parameters(self, parameters: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        """Replace the parameter map (a dispatch's merged parameters);
        returns the one it replaces."""
        previous, self._parameters = self._parameters, parameters
        return previous

    def set_dispatch_attribute(self, name: str, value: Any) -> Any:
        """Set (None: remove) a ``jakarta.servlet.*`` dispatch attribute
        without telling the attribute listeners; returns the old value."""
        attributes = self._attributes
        old = attributes.get(name)
        if value is None:
            attributes.pop(name, None)
        else:
            attributes[name] = value
        return old
