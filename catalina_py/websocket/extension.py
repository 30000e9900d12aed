"""``Extension``: a WebSocket extension as the handshake names it (Jakarta's
``jakarta.websocket.Extension``), in PEP 8 spelling.

The handshake parses the client's ``Sec-WebSocket-Extensions`` offers into
``Extension`` objects, asks the endpoint's configurator which to use
(:meth:`~catalina_py.websocket.endpoint.ServerEndpointConfigurator.get_negotiated_extensions`),
then keeps those the container implements (only ``permessage-deflate``),
with their parameters negotiated by
:class:`~catalina_py.websocket.core.permessage_deflate.PerMessageDeflate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .core.permessage_deflate import EXTENSION_NAME, parse_extension_header

__all__ = ["Extension", "INSTALLED_EXTENSIONS", "PERMESSAGE_DEFLATE"]


class Extension:
    """An extension name with its parameters (an offer, an answer or what
    the container has installed). Immutable; compared by value."""

    class Parameter:
        """One ``name[=value]`` parameter of an extension."""

        __slots__ = ("_name", "_value")

        def __init__(self, name: str, value: str | None = None) -> None:
            self._name = name
            self._value = value

        def get_name(self) -> str:
            """The parameter's name."""
            return self._name

        def get_value(self) -> str | None:
            """The parameter's value; None for a parameter without one
            (``server_no_context_takeover``)."""
            return self._value

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Extension.Parameter) and (self._name, self._value) == (other._name, other._value)

        def __hash__(self) -> int:
            return hash((self._name, self._value))

        def __repr__(self) -> str:
            return f"Parameter({self._name!r}, {self._value!r})"

    __slots__ = ("_name", "_parameters")

    def __init__(
        self, name: str, parameters: Iterable[Extension.Parameter | tuple[str, str | None] | str] = ()
    ) -> None:
        self._name = name
        params: list[Extension.Parameter] = []
        for parameter in parameters:
            if isinstance(parameter, Extension.Parameter):
                params.append(parameter)
            elif isinstance(parameter, str):
                params.append(Extension.Parameter(parameter))
            else:
                params.append(Extension.Parameter(parameter[0], parameter[1]))
        self._parameters = tuple(params)

    def get_name(self) -> str:
        """The extension's registered name (``permessage-deflate``)."""
        return self._name

    def get_parameters(self) -> list[Extension.Parameter]:
        """The parameters, in the order they were sent."""
        return list(self._parameters)

    @classmethod
    def parse(cls, header_values: Sequence[str]) -> list[Extension]:
        """The offers of ``Sec-WebSocket-Extensions`` header values, in
        order (malformed elements are left out: they cannot be accepted)."""
        return [cls(name, params) for name, params in parse_extension_header(list(header_values))]

    def to_header(self) -> str:
        """This extension as one ``Sec-WebSocket-Extensions`` element
        (``name;param=value;param``; values are tokens, so never quoted)."""
        parts = [self._name]
        for parameter in self._parameters:
            value = parameter.get_value()
            parts.append(parameter.get_name() if value is None else f"{parameter.get_name()}={value}")
        return ";".join(parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Extension) and (self._name, self._parameters) == (other._name, other._parameters)

    def __hash__(self) -> int:
        return hash((self._name, self._parameters))

    def __repr__(self) -> str:
        return f"Extension({self.to_header()!r})"


#: The extension the container implements, without parameters (Tomcat's
#: ``Constants.INSTALLED_EXTENSIONS``).
PERMESSAGE_DEFLATE = Extension(EXTENSION_NAME)
#: Every extension the container implements.
INSTALLED_EXTENSIONS: tuple[Extension, ...] = (PERMESSAGE_DEFLATE,)
