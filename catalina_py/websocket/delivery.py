"""The message handlers of one session and how each message reaches them
(Jakarta's ``Session.addMessageHandler`` rules, Tomcat's ``WsSession`` and
``Util.getMessageHandlers``).

:class:`MessageHandlers` keeps at most one handler per native kind (text,
binary, pong; a second raises IllegalStateError, as Jakarta) and turns
each into what the connection calls, plain attributes read on every
message:

* :attr:`MessageHandlers.text` / :attr:`~MessageHandlers.binary`: called
  with a whole message (a whole handler; a decoder's type decoded first);
* :attr:`MessageHandlers.text_part` / :attr:`~MessageHandlers.binary_part`:
  called ``(part, last)`` while a message arrives (a partial handler; a
  stream handler or a stream decoder, fed through a :class:`PartQueue` to
  a greenlet of its own that the connection waits for at the message's
  end);
* :attr:`MessageHandlers.pong`: called with a :class:`PongMessage`.

The protocol's parts mode (``WsProtocol.partial_text`` /
``partial_binary``) follows: a kind is received in parts exactly when its
handler takes parts. The endpoint's decoders are made (``init(config)``)
on first use and ``destroy``-ed by :meth:`MessageHandlers.close`.
"""

from __future__ import annotations

import inspect
import io
import logging
import typing
from collections.abc import Callable
from typing import Any

import gevent

from ..servlet.exceptions import IllegalStateError
from .coders import DecodeError, Decoder, produces
from .core.protocol import WsProtocol
from .handlers import MessageHandler, PongMessage
from .streams import IncompleteMessageError, MessageInputStream, MessageReader, PartQueue

__all__ = ["MessageHandlers", "message_kind", "TEXT_STREAM_TYPES", "BINARY_STREAM_TYPES"]

log = logging.getLogger("catalina_py.websocket")

#: Message types that ask for a text message as a stream.
TEXT_STREAM_TYPES: tuple[Any, ...] = (typing.TextIO, io.TextIOBase, io.StringIO)
#: Message types that ask for a binary message as a stream.
BINARY_STREAM_TYPES: tuple[Any, ...] = (typing.BinaryIO, typing.IO, io.BufferedIOBase, io.RawIOBase, io.IOBase)
_BINARY_TYPES = (bytes, bytearray, memoryview)
#: Types a whole text message is converted to without a decoder (Jakarta's
#: primitives: ``int``, ``float``; ``bool`` is the ``last`` flag of parts).
_PRIMITIVES = (int, float)


def message_kind(message_type: Any) -> tuple[str, str] | None:
    """``(kind, how)`` for a message type the container knows without a
    decoder: kind "text", "binary" or "pong"; how "whole" or "stream".
    None for any other type (a decoder's)."""
    if message_type is str or message_type in _PRIMITIVES:
        return "text", "whole"
    if message_type in _BINARY_TYPES:
        return "binary", "whole"
    if message_type is PongMessage:
        return "pong", "whole"
    if message_type in TEXT_STREAM_TYPES:
        return "text", "stream"
    if message_type in BINARY_STREAM_TYPES:
        return "binary", "stream"
    if isinstance(message_type, type):
        if issubclass(message_type, io.TextIOBase):
            return "text", "stream"
        if issubclass(message_type, io.IOBase):
            return "binary", "stream"
    return None


def _decoder_kind(decoder: type) -> str:
    return "text" if issubclass(decoder, (Decoder.Text, Decoder.TextStream)) else "binary"


def _annotated_type(handler: Any) -> Any:
    """The annotation of the message parameter of a handler (its
    ``on_message`` for a MessageHandler), or None."""
    function = handler.on_message if isinstance(handler, (MessageHandler.Whole, MessageHandler.Partial)) else handler
    try:
        parameters = list(inspect.signature(function, eval_str=True).parameters.values())
    except Exception:
        return None
    if not parameters:
        return None
    annotation = parameters[0].annotation
    return None if annotation is inspect.Parameter.empty else annotation


class _Registration:
    """One handler as registered: for which kinds, and how."""

    __slots__ = ("handler", "kinds", "message_type")

    def __init__(self, handler: Any, kinds: tuple[str, ...], message_type: Any) -> None:
        self.handler = handler
        self.kinds = kinds
        self.message_type = message_type


class _StreamDelivery:
    """``(part, last)`` to a handler reading a stream: the first part starts
    a greenlet running ``consume(stream)``, the parts go through a bounded
    queue, the last waits for the greenlet. An error of the greenlet is
    raised to the caller (the connection) at the next part or at the end;
    a handler done before the end leaves the rest of the message dropped."""

    __slots__ = ("_make_stream", "_consume", "_queue", "_greenlet", "_error", "_dropping")

    def __init__(self, make_stream: Callable[[PartQueue], Any], consume: Callable[[Any], Any]) -> None:
        self._make_stream = make_stream
        self._consume = consume
        self._queue: PartQueue | None = None
        self._greenlet: Any = None  # Any: gevent has no type stubs
        self._error: BaseException | None = None
        self._dropping = False

    def _run(self, stream: Any) -> None:
        try:
            self._consume(stream)
        except Exception as exc:
            self._error = exc
        finally:
            stream.close()

    # Any: a str or bytes part.
    def __call__(self, part: Any, last: bool) -> None:
        if self._dropping:
            self._dropping = not last
            return
        queue = self._queue
        if queue is None:
            queue = self._queue = PartQueue()
            self._error = None
            self._greenlet = gevent.spawn(self._run, self._make_stream(queue))
        elif queue.abandoned:
            self._end_early(last)
            return
        queue.put(part, last)
        if last:
            self._queue = None
            self._greenlet.join()
            self._raise()

    def _end_early(self, last: bool) -> None:
        """The handler stopped reading before the message's end."""
        self._greenlet.join()
        self._queue = None
        self._dropping = not last
        self._raise()

    def _raise(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def abort(self) -> None:
        """The session ended mid-message: the handler's next read raises."""
        queue = self._queue
        if queue is not None:
            self._queue = None
            queue.fail(IncompleteMessageError("the session closed before the message ended"))


class MessageHandlers:
    """The message handlers of one session (see the module docstring).

    *config* is the endpoint's configuration (its ``get_decoders()``) and
    *protocol* the connection's, whose parts mode follows the handlers.
    """

    __slots__ = (
        "text",
        "binary",
        "text_part",
        "binary_part",
        "pong",
        "_config",
        "_protocol",
        "_registered",
        "_decoders",
        "_streams",
    )

    # Any: the endpoint's ServerEndpointConfig (read for its decoders).
    def __init__(self, config: Any, protocol: WsProtocol) -> None:
        #: Whole text messages (None: a kind taken in parts, or none).
        # Any: str for text, bytes for binary (one type for both keeps the
        # connection's dispatch free of casts).
        self.text: Callable[[Any], Any] | None = None
        #: Whole binary messages.
        self.binary: Callable[[Any], Any] | None = None
        #: Parts of text messages, ``(part, last)``.
        self.text_part: Callable[[Any, bool], Any] | None = None
        #: Parts of binary messages.
        self.binary_part: Callable[[Any, bool], Any] | None = None
        #: Pongs received.
        self.pong: Callable[[PongMessage], Any] | None = None
        self._config = config
        self._protocol = protocol
        self._registered: dict[str, _Registration] = {}
        # One instance of each decoder class, made at first use.
        self._decoders: list[Any] | None = None
        self._streams: list[_StreamDelivery] = []

    # -- registration ------------------------------------------------------------
    # Any: a MessageHandler or a callable; the message type as annotated.
    def add(self, handler: Any, message_type: Any = None) -> None:
        """Register *handler* for *message_type*: ``str``, ``bytes``,
        :class:`PongMessage`, a text or binary stream type, or a type a
        decoder of the endpoint produces; None takes it from the handler's
        annotation, else both text (str) and binary (bytes) whole messages.
        A :class:`MessageHandler.Partial` takes ``str`` or ``bytes`` parts.
        IllegalStateError when the kind has a handler already; TypeError
        for a type the session cannot deliver."""
        if not callable(handler) and not isinstance(handler, (MessageHandler.Whole, MessageHandler.Partial)):
            raise TypeError(f"a message handler must be callable, not {type(handler).__name__}")
        partial = isinstance(handler, MessageHandler.Partial)
        if message_type is None:
            message_type = _annotated_type(handler)
        deliveries: dict[str, tuple[str, Any]] = {}
        if message_type is None or message_type in (Any, object) or message_type == (str | bytes):
            for kind in ("text", "binary"):
                deliveries[kind] = ("part" if partial else "whole", self._native(handler, partial))
        else:
            kind, how, target = self._resolve(handler, message_type, partial)
            deliveries[kind] = (how, target)
        for kind in deliveries:
            if kind in self._registered:
                raise IllegalStateError(f"a {kind} message handler is already registered")
        registration = _Registration(handler, tuple(deliveries), message_type)
        for kind, (how, target) in deliveries.items():
            self._registered[kind] = registration
            self._set(kind, how, target)
        self._sync()

    def _native(self, handler: Any, partial: bool) -> Callable[..., Any]:
        if isinstance(handler, (MessageHandler.Whole, MessageHandler.Partial)):
            return handler.on_message  # the bound method: one call less per message
        return handler  # type: ignore[no-any-return]

    def _resolve(self, handler: Any, message_type: Any, partial: bool) -> tuple[str, str, Any]:
        """(kind, "whole" / "part", what the connection calls)."""
        name = getattr(message_type, "__name__", repr(message_type))
        known = message_kind(message_type)
        if known is not None:
            kind, how = known
            if partial and (how == "stream" or kind == "pong"):
                raise TypeError(f"a partial message handler takes str or bytes parts, not {name}")
            if how == "stream":
                make = MessageReader if kind == "text" else MessageInputStream
                return kind, "part", self._stream(make, self._native(handler, False))
            if message_type in _PRIMITIVES:
                if partial:
                    raise TypeError(f"a partial message handler takes str or bytes parts, not {name}")
                return kind, "whole", _converting(message_type, self._native(handler, False))
            return kind, "part" if partial else "whole", self._native(handler, partial)
        if partial:
            raise TypeError(f"a partial message handler takes str or bytes parts, not {name}")
        decoders = [d for d in self._decoder_instances() if produces(type(d), message_type)]
        if not decoders:
            raise TypeError(
                f"no decoder of the endpoint produces {name} (list one with that object_type in its decoders)"
            )
        kind = _decoder_kind(type(decoders[0]))
        decoders = [d for d in decoders if _decoder_kind(type(d)) == kind]
        deliver = self._native(handler, False)
        first = decoders[0]
        if isinstance(first, (Decoder.TextStream, Decoder.BinaryStream)):
            # Read while the message arrives (the first decoder wins).
            make = MessageReader if kind == "text" else MessageInputStream
            return kind, "part", self._stream(make, lambda stream: deliver(first.decode(stream)))
        return kind, "whole", _decoding(decoders, deliver, kind == "text")

    def _stream(self, make: Callable[[PartQueue], Any], consume: Callable[[Any], Any]) -> _StreamDelivery:
        delivery = _StreamDelivery(make, consume)
        self._streams.append(delivery)
        return delivery

    def _set(self, kind: str, how: str, target: Any) -> None:
        whole = target if how == "whole" else None
        part = target if how == "part" else None
        if kind == "text":
            self.text, self.text_part = whole, part
        elif kind == "binary":
            self.binary, self.binary_part = whole, part
        else:
            self.pong = target

    def _sync(self) -> None:
        """The protocol receives in parts the kinds whose handler takes parts."""
        self._protocol.partial_text = self.text_part is not None
        self._protocol.partial_binary = self.binary_part is not None

    def remove(self, handler: Any) -> None:
        """Stop delivering to *handler* (every kind it was registered for)."""
        for kind, registration in list(self._registered.items()):
            if registration.handler is handler:
                del self._registered[kind]
                self._set(kind, "whole", None)
        self._sync()

    def handlers(self) -> set[Any]:
        """The registered handlers, as given."""
        return {registration.handler for registration in self._registered.values()}

    def has_handler(self, kind: str) -> bool:
        """Whether a handler takes *kind* ("text", "binary", "pong")."""
        return kind in self._registered

    # -- decoders and the end -------------------------------------------------------
    def _decoder_instances(self) -> list[Any]:
        decoders = self._decoders
        if decoders is None:
            decoders = self._decoders = []
            getter = getattr(self._config, "get_decoders", None)
            classes = list(getter()) if callable(getter) else list(getattr(self._config, "decoders", ()) or ())
            for cls in classes:
                decoder = cls()
                decoder.init(self._config)
                decoders.append(decoder)
        return decoders

    def close(self) -> None:
        """The session ended: a stream being read fails its next read, and
        the decoders are destroyed (each once)."""
        for stream in self._streams:
            stream.abort()
        decoders, self._decoders = self._decoders, []
        for decoder in decoders or ():
            try:
                decoder.destroy()
            except Exception:
                log.exception("WebSocket decoder %s raised in destroy()", type(decoder).__name__)


def _converting(target: type, deliver: Callable[[Any], Any]) -> Callable[[str], Any]:
    """A whole text message converted to ``int`` / ``float`` (Jakarta's
    primitives); a text that is not one raises DecodeError (on_error, the
    session stays open)."""

    def convert(text: str) -> Any:
        try:
            value = target(text.strip())
        except ValueError:
            raise DecodeError(text, f"not {'an' if target is int else 'a'} {target.__name__}: {text[:40]!r}") from None
        return deliver(value)

    return convert


def _decoding(decoders: list[Any], deliver: Callable[[Any], Any], text: bool) -> Callable[[Any], Any]:
    """A whole-message delivery decoding first (Tomcat's order: the first
    decoder whose ``will_decode`` takes the message; a stream decoder takes
    any). DecodeError when none does."""

    def decode(message: Any) -> Any:
        for decoder in decoders:
            if isinstance(decoder, (Decoder.Text, Decoder.Binary)):
                if decoder.will_decode(message):
                    return deliver(decoder.decode(message))
            else:
                stream = io.StringIO(message) if text else io.BytesIO(message)
                return deliver(decoder.decode(stream))
        raise DecodeError(message, "no decoder of the endpoint will decode this message")

    return decode
