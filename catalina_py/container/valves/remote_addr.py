"""``RemoteAddrValve``: only some client addresses may pass, as Tomcat's
``org.apache.catalina.valves.RemoteAddrValve`` (a ``RequestFilterValve``).

The client address (``get_remote_addr()``: the socket's peer, or what a
``RemoteIpValve`` earlier in the pipeline found) is matched, whole, against
two regular expressions, as Tomcat decides:

1. it matches ``deny``: refused;
2. it matches ``allow``: passes;
3. ``deny`` is set and ``allow`` is not: passes;
4. otherwise: refused.

A refused request gets ``denyStatus`` (403) through ``send_error``, so the
error report valve writes its page. With ``addConnectorPort`` the
address is matched as ``address;port`` (the connector's local port), so
one pattern can allow a port to everybody and another only to loopback.
Tomcat's manager is guarded this way in its ``META-INF/context.xml``; so is
the inspector (``webapps/inspector/META-INF/context.xml``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol

from ..pipeline import ValveBase, to_bool

__all__ = ["RemoteAddrValve"]

log = logging.getLogger("catalina_py.valves")


class FilteredRequest(Protocol):
    """What the valve reads of the request."""

    def get_remote_addr(self) -> str: ...

    def get_socket_local_port(self) -> int: ...


def _pattern(value: str) -> re.Pattern[str] | None:
    if not value:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None


def _status(value: str) -> int:
    status = int(value)
    if not 400 <= status <= 599:
        raise ValueError("denyStatus must be an error status (400-599)")
    return status


class RemoteAddrValve(ValveBase):
    """Lets a request pass only when its client address is allowed."""

    ATTRIBUTES: ClassVar[Mapping[str, Callable[[str], Any]]] = {
        "allow": _pattern,
        "deny": _pattern,
        "denyStatus": _status,
        "addConnectorPort": to_bool,
        "invalidAuthenticationWhenDeny": to_bool,
    }

    def __init__(self) -> None:
        super().__init__()
        self.allow: re.Pattern[str] | None = None
        self.deny: re.Pattern[str] | None = None
        self.deny_status = 403
        self.add_connector_port = False
        #: Accepted for Tomcat's sake; without authentication here, a
        #: refusal is always ``denyStatus``.
        self.invalid_authentication_when_deny = False

    def is_allowed(self, property_value: str) -> bool:
        """Tomcat's ``RequestFilterValve.isAllowed`` for *property_value*."""
        deny, allow = self.deny, self.allow
        if deny is not None and deny.fullmatch(property_value):
            return False
        if allow is not None and allow.fullmatch(property_value):
            return True
        return deny is not None and allow is None

    def invoke(self, request: Any, response: Any) -> None:
        value = request.get_remote_addr()
        if self.add_connector_port:
            value = f"{value};{request.get_socket_local_port()}"
        if self.is_allowed(value):
            self.next.invoke(request, response)  # type: ignore[union-attr]
            return
        log.debug("RemoteAddrValve refused %s with %d", value, self.deny_status)
        response.send_error(self.deny_status)
