"""``RequestConnection``: Jakarta Servlet 6's ``ServletConnection`` for a
request, over the connection's :class:`~catalina_py.container.channel.Channel`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..servlet.request import ServletConnection

if TYPE_CHECKING:  # pragma: no cover
    from .channel import Channel

__all__ = ["RequestConnection"]


class RequestConnection(ServletConnection):
    """``get_servlet_connection()``: the request's channel, as Servlet 6 shows it."""

    __slots__ = ("_channel", "_protocol")

    def __init__(self, channel: Channel, protocol: str) -> None:
        self._channel = channel
        self._protocol = protocol

    def get_connection_id(self) -> str:
        return str(self._channel.connection_id)

    def get_protocol(self) -> str:
        return self._protocol.lower()

    def get_protocol_connection_id(self) -> str:
        return ""

    def is_secure(self) -> bool:
        return self._channel.secure
