"""The shapes an endpoint's code takes to receive and to learn how a send
ended (Jakarta's ``MessageHandler``, ``PongMessage``, ``SendHandler`` and
``SendResult``), in PEP 8 spelling.

A message handler is registered with
``session.add_message_handler(handler, message_type)``:

* a :class:`MessageHandler.Whole` (or any callable taking one argument)
  gets each whole message, as *message_type*: ``str`` (text), ``bytes``
  (binary), :class:`PongMessage`, a text or binary stream (``typing.TextIO``
  / ``typing.BinaryIO``: read while the message is still arriving), or a
  type one of the endpoint's decoders produces;
* a :class:`MessageHandler.Partial` gets the message in parts as they
  arrive, ``on_message(part, last)``, each part at most the session's
  buffer size: ``str`` parts for text, ``bytes`` for binary. A message of
  any size is taken this way without holding it whole.

These classes hold no state and do no I/O: the session
(:mod:`catalina_py.websocket.session`) calls them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

__all__ = ["MessageHandler", "PongMessage", "SendHandler", "SendResult"]


class MessageHandler:
    """A receiver of messages (Jakarta's ``MessageHandler``): subclass
    :class:`MessageHandler.Whole` or :class:`MessageHandler.Partial`."""

    class Whole(ABC):
        """Gets each message whole: ``on_message(message)``."""

        # Any: str, bytes, PongMessage, a stream or a decoded object.
        @abstractmethod
        def on_message(self, message: Any) -> None:
            """One whole message, of the type the handler was registered for."""

        def __call__(self, message: Any) -> None:
            self.on_message(message)

    class Partial(ABC):
        """Gets each message in parts: ``on_message(part, last)``; *last*
        is True on the message's final part (which may be empty)."""

        # Any: str parts for text messages, bytes parts for binary ones.
        @abstractmethod
        def on_message(self, part: Any, last: bool) -> None:
            """One part of a message; *last* marks its end."""

        def __call__(self, part: Any, last: bool) -> None:
            self.on_message(part, last)


class PongMessage:
    """A pong received from the peer: its application data (the payload of
    our ping it answers, or anything for an unsolicited pong)."""

    __slots__ = ("_data",)

    def __init__(self, application_data: bytes) -> None:
        self._data = bytes(application_data)

    def get_application_data(self) -> bytes:
        """The pong's payload (at most 125 bytes)."""
        return self._data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PongMessage) and other._data == self._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return f"PongMessage({self._data!r})"


class SendResult:
    """How an async send ended: OK, or the exception that stopped it."""

    __slots__ = ("_exception",)

    def __init__(self, exception: BaseException | None = None) -> None:
        self._exception = exception

    def is_ok(self) -> bool:
        """True when the message was written."""
        return self._exception is None

    def get_exception(self) -> BaseException | None:
        """Why the send failed, or None."""
        return self._exception

    def __repr__(self) -> str:
        return "SendResult(OK)" if self._exception is None else f"SendResult({self._exception!r})"


class SendHandler(ABC):
    """Told once how an async send ended (Jakarta's ``SendHandler``):
    subclass it, or pass any callable taking a :class:`SendResult`. It runs
    in a greenlet of its own, so it may block (send again, for instance)."""

    @abstractmethod
    def on_result(self, result: SendResult) -> None:
        """The send ended (``result.is_ok()`` or ``result.get_exception()``)."""

    def __call__(self, result: SendResult) -> None:
        self.on_result(result)
