"""``Extension``: a WebSocket extension as the session reports it
(Jakarta's ``Extension``): its name and its agreed parameters.

``session.get_negotiated_extensions()`` gives one for each extension the
handshake agreed on (``permessage-deflate`` with the parameters the server
answered, when the client offered it).
"""

from __future__ import annotations

from .core.permessage_deflate import parse_extension_header

__all__ = ["Extension", "extensions_from_header"]


class Extension:
    """One extension: ``get_name()`` and ``get_parameters()``, a list of
    ``(name, value)`` pairs (value None for a parameter without one, such
    as ``server_no_context_takeover``)."""

    __slots__ = ("_name", "_parameters")

    def __init__(self, name: str, parameters: list[tuple[str, str | None]] | None = None) -> None:
        self._name = name
        self._parameters = list(parameters or ())

    def get_name(self) -> str:
        """The extension's registered name (``permessage-deflate``)."""
        return self._name

    def get_parameters(self) -> list[tuple[str, str | None]]:
        """The agreed parameters, in the order of the response header."""
        return list(self._parameters)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Extension) and (other._name, other._parameters) == (self._name, self._parameters)

    def __hash__(self) -> int:
        return hash((self._name, tuple(self._parameters)))

    def __repr__(self) -> str:
        return f"Extension({self._name!r}, {self._parameters!r})"


def extensions_from_header(value: str) -> list[Extension]:
    """The extensions a ``Sec-WebSocket-Extensions`` response value agrees on."""
    return [Extension(name, params) for name, params in parse_extension_header([value])] if value else []
