"""Tomcat 10.1's container-wide WebSocket settings, as servlet context
init parameters (``<context-param>`` in a webapp's ``WEB-INF/web.xml`` or
in ``conf/web.xml``): their names, units and checks.

Tomcat reads the two buffer sizes as context parameters
(``org.apache.tomcat.websocket.server.Constants``) and the two timeouts as
session user properties (``org.apache.tomcat.websocket.Constants``,
milliseconds). Here all four may be context parameters; the timeouts then
become the default user properties of every endpoint of the webapp (an
endpoint's own user properties, or a configurator's, win), so a session
finds them where Tomcat's looks. Names and units are Tomcat's.

Only this module says what a valid value is: the web.xml reader calls
:func:`check_context_param` (so ``configtest`` and deployment report a bad
value at its file:line), and the WebSocket ServerContainer calls
:func:`read_context_params` when a context starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BINARY_BUFFER_SIZE_PARAM",
    "BLOCKING_SEND_TIMEOUT_PROPERTY",
    "DEFAULT_BLOCKING_SEND_TIMEOUT_MS",
    "DEFAULT_BUFFER_SIZE",
    "IGNORED_PARAMS",
    "SESSION_CLOSE_TIMEOUT_PROPERTY",
    "TEXT_BUFFER_SIZE_PARAM",
    "WsContextParams",
    "blocking_send_timeout",
    "check_context_param",
    "read_context_params",
    "session_close_timeout",
]

#: Default size of a session's text and binary message buffers (bytes):
#: Tomcat's ``Constants.DEFAULT_BUFFER_SIZE``, 8 KiB. A whole-message
#: handler gets messages up to this size (a larger one closes with 1009);
#: a partial handler gets parts of at most this size.
DEFAULT_BUFFER_SIZE = 8192

TEXT_BUFFER_SIZE_PARAM = "org.apache.tomcat.websocket.textBufferSize"
BINARY_BUFFER_SIZE_PARAM = "org.apache.tomcat.websocket.binaryBufferSize"
#: How long a blocking send may wait for the peer to read (ms; negative:
#: no bound, as Tomcat). A user property in Tomcat.
BLOCKING_SEND_TIMEOUT_PROPERTY = "org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT"
#: Tomcat's ``DEFAULT_BLOCKING_SEND_TIMEOUT`` (ms).
DEFAULT_BLOCKING_SEND_TIMEOUT_MS = 20_000
#: How long a close the server starts waits for the peer's close frame
#: (ms; 0: the connector's ``webSocketCloseTimeout``). A user property in Tomcat.
SESSION_CLOSE_TIMEOUT_PROPERTY = "org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT"

#: Names Tomcat 9 read and Tomcat 10.1 no longer does (accepted, ignored,
#: with a warning): ``noAddAfterHandshake`` and the executor settings
#: (there is no executor here: every session is a greenlet).
IGNORED_PARAMS = frozenset(
    {
        "org.apache.tomcat.websocket.noAddAfterHandshake",
        "org.apache.tomcat.websocket.executorCoreSize",
        "org.apache.tomcat.websocket.executorMaxSize",
        "org.apache.tomcat.websocket.executorKeepAliveTimeSeconds",
    }
)


def _whole_number(value: str) -> int | None:
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isdigit() or not digits.isascii():
        return None
    return int(text)


def _buffer_size(value: str) -> str | None:
    number = _whole_number(value)
    if number is None or number <= 0:
        return "a positive whole number of bytes, e.g. 8192"
    return None


def _close_timeout(value: str) -> str | None:
    number = _whole_number(value)
    if number is None or number < 0:
        return "a whole number of milliseconds >= 0, e.g. 30000 (0: the connector's webSocketCloseTimeout)"
    return None


def _send_timeout(value: str) -> str | None:
    if _whole_number(value) is None:
        return "a whole number of milliseconds, e.g. 20000 (negative: no bound, as Tomcat)"
    return None


_CHECKS: dict[str, Callable[[str], str | None]] = {
    TEXT_BUFFER_SIZE_PARAM: _buffer_size,
    BINARY_BUFFER_SIZE_PARAM: _buffer_size,
    BLOCKING_SEND_TIMEOUT_PROPERTY: _send_timeout,
    SESSION_CLOSE_TIMEOUT_PROPERTY: _close_timeout,
}


def check_context_param(name: str, value: str) -> str | None:
    """For a context parameter this module knows, what a valid value looks
    like when *value* is not one; None when it is valid or not ours."""
    check = _CHECKS.get(name)
    return None if check is None else check(value)


@dataclass(frozen=True, slots=True)
class WsContextParams:
    """The container-wide WebSocket settings of one webapp (None: not set)."""

    text_buffer_size: int | None = None
    binary_buffer_size: int | None = None
    #: Milliseconds, as the context parameter (Tomcat's unit).
    blocking_send_timeout_ms: int | None = None
    session_close_timeout_ms: int | None = None
    #: Parameters set that Tomcat 10.1 ignores.
    ignored: tuple[str, ...] = ()


def read_context_params(params: Mapping[str, str]) -> WsContextParams:
    """Read the settings from a webapp's context parameters. Raises
    ValueError naming the parameter and what to write instead."""
    for name, value in params.items():
        expected = check_context_param(name, value)
        if expected is not None:
            raise ValueError(
                f"context-param {name} is {value!r} in web.xml: expected {expected} "
                "(fix or remove the <context-param>)"
            )

    def number(name: str) -> int | None:
        value = params.get(name)
        return None if value is None else int(value.strip())

    return WsContextParams(
        text_buffer_size=number(TEXT_BUFFER_SIZE_PARAM),
        binary_buffer_size=number(BINARY_BUFFER_SIZE_PARAM),
        blocking_send_timeout_ms=number(BLOCKING_SEND_TIMEOUT_PROPERTY),
        session_close_timeout_ms=number(SESSION_CLOSE_TIMEOUT_PROPERTY),
        ignored=tuple(sorted(name for name in params if name in IGNORED_PARAMS)),
    )


# Any: user property values are whatever the webapp stores.
def _property_ms(user_properties: Mapping[str, Any], name: str) -> int | None:
    """A millisecond user property as Tomcat reads it (a whole number; a
    string of digits too, as the context parameter gives); None if absent
    or not a number."""
    value = user_properties.get(name)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        return _whole_number(value)
    return None


def session_close_timeout(user_properties: Mapping[str, Any], fallback: float) -> float:
    """The close timeout of a session (seconds): its
    ``org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT`` user property (ms)
    when set and positive, else *fallback* (the connector's
    ``webSocketCloseTimeout``)."""
    ms = _property_ms(user_properties, SESSION_CLOSE_TIMEOUT_PROPERTY)
    return ms / 1000.0 if ms is not None and ms > 0 else fallback


def blocking_send_timeout(
    user_properties: Mapping[str, Any], fallback: float | None = DEFAULT_BLOCKING_SEND_TIMEOUT_MS / 1000.0
) -> float | None:
    """How long a blocking send of a session may wait (seconds; None: no
    bound): its ``org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT`` user
    property (ms; negative: no bound), else *fallback* (Tomcat's 20 s; the
    container passes the connector's ``connectionTimeout``, 20 s by default
    too)."""
    ms = _property_ms(user_properties, BLOCKING_SEND_TIMEOUT_PROPERTY)
    if ms is None:
        return fallback
    return None if ms < 0 else ms / 1000.0
