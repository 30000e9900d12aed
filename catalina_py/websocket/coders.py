"""Encoders and decoders: how an endpoint turns its own objects into
messages and messages into objects (Jakarta's ``Encoder`` and ``Decoder``),
in PEP 8 spelling.

An endpoint lists its coder classes in its configuration
(``@server_endpoint(..., encoders=[...], decoders=[...])`` or
``ServerEndpointConfig.Builder.encoders(...)``). The session makes one
instance of each per session, calls ``init(config)`` before the first use
and ``destroy()`` when the session ends.

* ``send_object(obj)`` uses the first encoder whose :attr:`Encoder.object_type`
  ``obj`` is an instance of (then ``str`` goes as text and bytes-like as
  binary, as Jakarta's primitives do);
* an incoming message goes to a handler (or ``@on_message`` parameter)
  registered for a decoded type: each decoder producing that type whose
  ``will_decode`` accepts the message is tried, first one wins. A stream
  decoder is given the message as a stream, read while it arrives.

Each coder class says the type it handles with the class attribute
``object_type``. Nothing here does I/O.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, BinaryIO, ClassVar, TextIO

__all__ = ["Coder", "DecodeError", "Decoder", "EncodeError", "Encoder"]


class EncodeError(Exception):
    """An encoder could not encode an object (Jakarta's EncodeException);
    the send fails with it, the session stays open."""

    # Any: the object that could not be encoded.
    def __init__(self, obj: Any, message: str) -> None:
        super().__init__(message)
        self.object = obj

    def get_object(self) -> Any:
        """The object that could not be encoded."""
        return self.object


class DecodeError(Exception):
    """A decoder could not decode a message (Jakarta's DecodeException):
    the endpoint's ``on_error`` gets it, the session stays open."""

    def __init__(self, data: str | bytes | None, message: str) -> None:
        super().__init__(message)
        self.data = data

    def get_text(self) -> str | None:
        """The text message that failed, if it was text."""
        return self.data if isinstance(self.data, str) else None

    def get_bytes(self) -> bytes | None:
        """The binary message that failed, if it was binary."""
        return self.data if isinstance(self.data, bytes) else None


class Coder:
    """What encoders and decoders share: the type they handle and their
    lifecycle, called by the session."""

    #: The Python type this coder encodes from or decodes to.
    object_type: ClassVar[type] = object

    # Any: the ServerEndpointConfig of the session's endpoint.
    def init(self, config: Any) -> None:
        """Called once, before the first use in a session."""

    def destroy(self) -> None:
        """Called once, when the session ends."""


class Encoder(Coder):
    """Turns objects into messages: subclass one of the four kinds."""

    class Text(Coder, ABC):
        """An object to a text message."""

        # Any: an instance of object_type.
        @abstractmethod
        def encode(self, obj: Any) -> str:
            """The text message for *obj*; raise EncodeError when it cannot."""

    class TextStream(Coder, ABC):
        """An object written to a text message as it is produced."""

        @abstractmethod
        def encode(self, obj: Any, writer: TextIO) -> None:
            """Write *obj* to *writer* (the message ends when this returns)."""

    class Binary(Coder, ABC):
        """An object to a binary message."""

        @abstractmethod
        def encode(self, obj: Any) -> bytes:
            """The binary message for *obj*; raise EncodeError when it cannot."""

    class BinaryStream(Coder, ABC):
        """An object written to a binary message as it is produced."""

        @abstractmethod
        def encode(self, obj: Any, stream: BinaryIO) -> None:
            """Write *obj* to *stream* (the message ends when this returns)."""


class Decoder(Coder):
    """Turns messages into objects: subclass one of the four kinds."""

    class Text(Coder, ABC):
        """A text message to an object."""

        # Any: an instance of object_type.
        @abstractmethod
        def decode(self, text: str) -> Any:
            """The object for *text*; raise DecodeError when it cannot."""

        def will_decode(self, text: str) -> bool:
            """Whether this decoder takes *text* (all text by default)."""
            return True

    class TextStream(Coder, ABC):
        """A text message, read as a stream while it arrives, to an object."""

        @abstractmethod
        def decode(self, reader: TextIO) -> Any:
            """The object read from *reader*; raise DecodeError when it cannot."""

    class Binary(Coder, ABC):
        """A binary message to an object."""

        @abstractmethod
        def decode(self, data: bytes) -> Any:
            """The object for *data*; raise DecodeError when it cannot."""

        def will_decode(self, data: bytes) -> bool:
            """Whether this decoder takes *data* (all data by default)."""
            return True

    class BinaryStream(Coder, ABC):
        """A binary message, read as a stream while it arrives, to an object."""

        @abstractmethod
        def decode(self, stream: BinaryIO) -> Any:
            """The object read from *stream*; raise DecodeError when it cannot."""


def produces(decoder: type, message_type: Any) -> bool:
    """Whether the *decoder* class turns messages into *message_type*: its
    ``object_type`` is that type or a subclass of it (how an endpoint's
    decoders are matched to an ``@on_message`` parameter or a handler)."""
    produced = getattr(decoder, "object_type", object)
    try:
        return produced is message_type or (isinstance(produced, type) and issubclass(produced, message_type))
    except TypeError:
        return False
