"""Sans-I/O server side of a WebSocket connection (RFC 6455, RFC 7692).

:class:`WsProtocol` is a state machine that never touches a socket or a
clock: the caller feeds it received bytes with :meth:`WsProtocol.receive_data`
and gets back *events* (whole messages, pings, pongs, the peer's close, a
protocol failure); it writes whatever :meth:`WsProtocol.data_to_send`
returns (automatic pongs and close frames) and the bytes returned by the
``send_*`` methods.

States::

    OPEN ---send_close()---> CLOSING ---peer's close---> CLOSED
      |                                                    ^
      +--- peer's close (echo queued) / violation / EOF ---+

In CLOSED the caller flushes :meth:`data_to_send` and closes TCP; further
received data is ignored and every ``send_*`` raises :class:`WsClosedError`.

Limits: ``max_text_message_size`` / ``max_binary_message_size`` bound a
message's payload in **bytes** (after inflating, for compressed messages)
and are checked as each fragment's header arrives, so an oversized message
is refused with 1009 before it is buffered.

Parts mode: with :attr:`WsProtocol.partial_text` (or ``partial_binary``)
set when a message's first frame header arrives, that message is not
assembled: it comes out as :class:`TextPart` / :class:`BinaryPart` events
while its payload arrives (a frame is read in pieces, never buffered
whole), each part at most the limit above (characters for text, bytes for
binary: the limit is then the part size, as Tomcat's buffer size is for a
partial handler) and the message's total is not bounded. A text part never
splits a code point (an incomplete one is carried to the next part) and
invalid UTF-8 still fails the connection (1007) as soon as it is seen; a
compressed message is inflated a part at a time. A part is delivered
when it is full, when the message ends, or when a frame ends and the next
one has not arrived yet; never merely because a read ended (as Tomcat's
``WsFrameBase``: a large frame written in many small writes still comes out
in parts of the full size, not one part per write). So the protocol holds
about one read plus one part. A message of no bytes gives one empty last
part.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from .frames import (
    CloseCode,
    Frame,
    FrameHeader,
    FrameParser,
    Opcode,
    ProtocolError,
    is_valid_close_code,
    serialize_frame,
)
from .permessage_deflate import PerMessageDeflate
from .utf8 import Utf8Validator

__all__ = [
    "WsProtocol",
    "WsState",
    "WsClosedError",
    "Event",
    "TextMessage",
    "BinaryMessage",
    "TextPart",
    "BinaryPart",
    "Ping",
    "Pong",
    "CloseReceived",
    "ConnectionFailed",
    "MAX_CLOSE_REASON_BYTES",
    "encode_close_payload",
]

#: A close frame's payload is at most 125 bytes: 2 for the code.
MAX_CLOSE_REASON_BYTES = 123


class WsState(enum.IntEnum):
    """The state of a WebSocket connection, for the protocol and the
    session alike (ordered: a later state is greater).

    ``CONNECTING``: the handshake is not done (a handler before ``init``);
    ``OPEN``: messages flow both ways; ``CLOSING``: our close frame is out
    (or being sent), the peer's reply is awaited; ``CLOSED``: done."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


OPEN = WsState.OPEN
CLOSING = WsState.CLOSING
CLOSED = WsState.CLOSED


class WsClosedError(Exception):
    """Sending is no longer allowed (a close frame was sent, or the
    connection is closed)."""


@dataclass(slots=True)
class TextMessage:
    """A complete text message (all fragments, decoded)."""

    data: str


@dataclass(slots=True)
class BinaryMessage:
    """A complete binary message (all fragments joined)."""

    data: bytes


@dataclass(slots=True)
class TextPart:
    """A part of a text message received in parts mode (``partial_text``):
    whole code points, ``last`` on the message's final part (which may be
    empty)."""

    data: str
    last: bool


@dataclass(slots=True)
class BinaryPart:
    """A part of a binary message received in parts mode
    (``partial_binary``); ``last`` on the message's final part."""

    data: bytes
    last: bool


#: The events that end a step of ``stop_after_message``.
MESSAGE_EVENTS = (TextMessage, BinaryMessage, TextPart, BinaryPart)


@dataclass(slots=True)
class Ping:
    """A ping from the peer (already answered with a pong)."""

    payload: bytes


@dataclass(slots=True)
class Pong:
    """A pong from the peer (an answer to our ping, or unsolicited)."""

    payload: bytes


@dataclass(slots=True)
class CloseReceived:
    """The peer's close frame; ``code`` 1005 if it carried no payload."""

    code: int
    reason: str


@dataclass(slots=True)
class ConnectionFailed:
    """The connection failed: a protocol violation by the peer (a close
    frame with ``code`` is already queued in ``data_to_send``) or, with
    1006, TCP closed without a close frame."""

    code: int
    reason: str


Event = TextMessage | BinaryMessage | TextPart | BinaryPart | Ping | Pong | CloseReceived | ConnectionFailed


def truncate_reason(reason: str) -> bytes:
    """UTF-8 encode a close reason, keeping it within 123 bytes.

    A longer reason is cut at a code-point boundary to at most 120 bytes
    and ``...`` appended (as Tomcat does), so a long exception message
    never makes sending the close frame itself fail.
    """
    raw = reason.encode("utf-8")
    if len(raw) <= MAX_CLOSE_REASON_BYTES:
        return raw
    cut = raw[: MAX_CLOSE_REASON_BYTES - 3]
    return cut.decode("utf-8", "ignore").encode("utf-8") + b"..."


def encode_close_payload(code: int, reason: str = "") -> bytes:
    """The payload of a close frame: 2-byte code + reason (truncated).

    Raises ValueError for a code that must not be sent (see
    :func:`is_valid_close_code`).
    """
    if not is_valid_close_code(code):
        raise ValueError(f"close code {code} may not be sent")
    return code.to_bytes(2, "big") + truncate_reason(reason)


def _decode_close_payload(payload: bytes) -> tuple[int, str]:
    """Parse a received close payload; ProtocolError for invalid ones."""
    if not payload:
        return CloseCode.NO_STATUS_RECEIVED, ""
    if len(payload) == 1:
        raise ProtocolError(CloseCode.PROTOCOL_ERROR, "close frame with a 1-byte payload")
    code = int.from_bytes(payload[:2], "big")
    if not is_valid_close_code(code):
        raise ProtocolError(CloseCode.PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(CloseCode.INVALID_PAYLOAD, "close reason is not valid UTF-8") from None
    return code, reason


class WsProtocol:
    """The server side of one WebSocket connection, without I/O.

    ``max_text_message_size`` and ``max_binary_message_size`` are the
    largest message payloads accepted (bytes), or the part size of a
    message received in parts; ``deflate`` is the negotiated
    :class:`PerMessageDeflate`, or None. :attr:`partial_text` /
    :attr:`partial_binary` choose parts mode (see the module docstring).
    """

    def __init__(
        self,
        max_text_message_size: int = 8192 * 8,
        max_binary_message_size: int = 8192 * 8,
        deflate: PerMessageDeflate | None = None,
    ) -> None:
        self.max_text_message_size = max_text_message_size
        self.max_binary_message_size = max_binary_message_size
        self.deflate = deflate
        self.state: WsState = OPEN
        #: Code and reason of the peer's close frame, once received.
        self.close_received: tuple[int, str] | None = None
        #: Code and reason we sent (or queued) in our close frame.
        self.close_sent: tuple[int, str] | None = None
        self._parser = FrameParser(require_mask=True, allow_rsv1=deflate is not None)
        self._outgoing = bytearray()
        # The incoming data message being assembled.
        self._msg_opcode: int | None = None
        self._msg_compressed = False
        self._msg_parts: list[bytes] = []
        self._msg_size = 0  # payload bytes so far (after inflate)
        self._msg_wire_size = 0  # wire bytes so far (compressed)
        self._utf8 = Utf8Validator()
        self._text_parts: list[str] = []
        #: Deliver text / binary messages as parts (read when a message's
        #: first frame header arrives; a message keeps its mode).
        self.partial_text = False
        self.partial_binary = False
        self._msg_partial = False  # the message in progress is in parts
        # Set (to whether it ends the message) while a compressed piece has
        # inflated output pending; None otherwise.
        self._inflate_last: bool | None = None
        self._inflate_frame_done = False  # ... and whether that piece ended its frame
        # A violation found in a run of messages taken in one pass after
        # some of them were emitted (invalid UTF-8): raised at the next
        # step, so that with stop_after_message those messages are
        # answered before the close, as when they are parsed one by one.
        self._pending_failure: tuple[int, str] | None = None
        # The part being filled (parts mode): decoded text or bytes, and its
        # size in payload bytes (after inflating).
        self._part_text: list[str] = []
        self._part_bytes: list[bytes] = []
        self._part_size = 0
        # The outgoing fragmented message, if one is open.
        self._send_opcode: int | None = None
        self._send_framed = False  # a frame of the open outgoing message is out
        #: Called with each frame received, decoded, and its masking key,
        #: before it is handled (the event stream's ``FrameReceived``); None
        #: costs nothing.
        self.on_frame: Callable[[Frame, bytes | None], None] | None = None
        #: Called once per frame read in pieces (parts mode), when its first
        #: piece is read: its header (the announced length, the mask key)
        #: and that piece, unmasked. None costs nothing.
        self.on_frame_header: Callable[[FrameHeader, bytes], None] | None = None

    # -- receiving -----------------------------------------------------------

    def receive_data(self, data: bytes, stop_after_message: bool = False) -> list[Event]:
        """Feed received bytes; return the events they completed.

        ``b""`` means the peer closed TCP: unless the close handshake is
        over this yields ``ConnectionFailed(1006)``. In CLOSED, data is
        ignored.

        With *stop_after_message* the bytes after a complete text or binary
        message stay buffered (:attr:`has_buffered_input`) until
        :meth:`receive_buffered`: a caller that answers each message before
        reading on (a server's endpoint, as Tomcat's ``WsFrameBase`` does)
        can still send its answer when a close frame or a protocol error
        came in the same read, since that close is only handled then.
        """
        if self.state == CLOSED:
            return []
        if not data:
            self.state = CLOSED
            return [ConnectionFailed(CloseCode.ABNORMAL_CLOSURE, "connection closed without a close " "frame")]
        self._parser.feed(data)
        return self._process(stop_after_message)

    @property
    def has_buffered_input(self) -> bool:
        """Bytes received but not yet processed, or inflated output of a
        message in parts not yet emitted (see ``stop_after_message``)."""
        return self.state != CLOSED and (
            self._parser.buffered() > 0 or self._inflate_last is not None or self._pending_failure is not None
        )

    @property
    def receiving_message(self) -> bool:
        """True while a text or binary message has begun and not ended (its
        bytes are arriving): a caller's idle timer counts that as activity,
        pings and pongs alone not."""
        return self._msg_opcode is not None or self._parser.receiving_data

    def receive_buffered(self, stop_after_message: bool = False) -> list[Event]:
        """Go on with the bytes :meth:`receive_data` left buffered."""
        if self.state == CLOSED:
            return []
        return self._process(stop_after_message)

    def _process(self, stop_after_message: bool) -> list[Event]:
        events: list[Event] = []
        parser = self._parser
        try:
            while self.state != CLOSED:
                if stop_after_message and events and isinstance(events[-1], MESSAGE_EVENTS):
                    break
                if self._inflate_last is not None:
                    self._inflate_more(events)
                    continue
                if self._pending_failure is not None:
                    code, reason = self._pending_failure
                    self._pending_failure = None
                    raise ProtocolError(code, reason)
                if self._msg_opcode is None and not self._msg_partial and self.on_frame is None:
                    # Between messages, untraced: the run of small whole
                    # messages that has arrived, in one pass (several of
                    # them when the peer pipelines; the stop after a message
                    # still holds: none of them makes output of its own).
                    taken = parser.take_messages(self.max_text_message_size, self.max_binary_message_size)
                    if taken:
                        self._whole_frames(taken, events)
                        continue
                header = parser.next_header()
                if header is None:
                    break
                opcode = header.opcode
                if opcode < 8:
                    # The mode is the message's (set at its first piece); a
                    # message starting here takes the flag of its kind.
                    partial = self._msg_partial
                    if not partial and opcode:
                        partial = self.partial_text if opcode == 1 else self.partial_binary
                    if partial:
                        if (
                            header.fin
                            and opcode
                            and header.length <= self._limit(opcode)
                            and parser.buffered() >= header.header_size + header.length
                        ):
                            # The usual message: one frame, all here, not
                            # over the part size (compressed: on the wire).
                            frame = parser.next_frame()
                            assert frame is not None
                            if self.on_frame is not None:
                                self.on_frame(frame, parser.last_mask_key)
                            self._single_frame_part(frame, events)
                            continue
                        if not self._read_part(header, events):
                            break
                        continue
                    if parser.in_payload:
                        if not self._read_whole_piece(header, events):
                            break
                        continue
                    self._check_size(opcode, header.length, header.rsv1)
                frame = parser.next_frame()
                if frame is None:
                    # An uncompressed text frame that has not fully arrived:
                    # what has is checked now (invalid UTF-8 fails at once,
                    # as Tomcat).
                    if (
                        (
                            (opcode == 1 and not header.rsv1)
                            or (opcode == 0 and self._msg_opcode == 1 and not self._msg_compressed)
                        )
                        and parser.buffered() > header.header_size
                        and self._read_whole_piece(header, events)
                    ):
                        continue
                    break
                if self.on_frame is not None:
                    self.on_frame(frame, parser.last_mask_key)
                self._handle_frame(frame, events)
        except ProtocolError as exc:
            self._fail(exc.code, exc.reason, events)
        return events

    # -- parts mode ------------------------------------------------------------

    def _read_part(self, header: FrameHeader, events: list[Event]) -> bool:
        """Read what has arrived of a data frame's payload in parts mode and
        emit it as a part; False when no byte of it has arrived."""
        parser = self._parser
        starting = not parser.in_payload
        if starting and header.opcode != Opcode.CONTINUATION:
            self._msg_opcode = header.opcode
            self._msg_compressed = header.rsv1
            self._msg_partial = True
            self._utf8.reset()
        opcode = self._msg_opcode
        limit = self.max_text_message_size if opcode == Opcode.TEXT else self.max_binary_message_size
        room = limit - self._part_size  # > 0: a full part is delivered at once
        if self._msg_compressed:
            bound = max(limit, 65536)
        else:
            bound = room
            if opcode == Opcode.BINARY:
                # Binary bytes need no check as they come (text is checked
                # at once: invalid UTF-8 fails fast), so they wait in the
                # parser until they fill the part or end the frame: a frame
                # written in small pieces costs a check per read, not an
                # unmasking and a copy.
                ready, left = parser.payload_ready()
                if ready < room and ready < left:
                    return False
        read = parser.read_payload(bound)
        if read is None:
            return False
        piece, frame_done = read
        if self.on_frame_header is not None and starting:
            # One report per frame (not per piece): its header and first bytes.
            self.on_frame_header(header, piece)
        last = frame_done and header.fin
        if frame_done and not last and len(piece) < bound:
            piece, last, frame_done = self._gather(piece, bound)
        if self._msg_compressed:
            assert self.deflate is not None  # the parser checked RSV1
            piece = self.deflate.decompress_part(piece, last, room)
            if self.deflate.has_pending_output:
                # The part is full; the rest follows (_inflate_more).
                self._inflate_last = last
                self._inflate_frame_done = frame_done
                last = False
        self._emit_part(piece, last, events, frame_done)
        return True

    def _whole_frames(self, taken: list[tuple[int, bytes]], events: list[Event]) -> None:
        """The messages :meth:`FrameParser.take_messages` took, as events:
        each is its only part in parts mode, a whole message otherwise (a
        compressed one, the run's last, is inflated first)."""
        text_event = TextPart if self.partial_text else None
        binary_event = BinaryPart if self.partial_binary else None
        append = events.append
        for opcode, payload in taken:
            if opcode & 0x40:
                opcode &= 0x0F
                inflated = self._inflate_single(opcode, payload, events)
                if inflated is None:
                    return
                payload = inflated
            if opcode == 1:
                try:
                    text = payload.decode("utf-8")
                except UnicodeDecodeError:
                    reason = "text message is not valid UTF-8"
                    if events:
                        # The messages before it are answered first (the
                        # failure is raised at the next step).
                        self._pending_failure = (CloseCode.INVALID_PAYLOAD, reason)
                        return
                    raise ProtocolError(CloseCode.INVALID_PAYLOAD, reason) from None
                append(TextMessage(text) if text_event is None else text_event(text, True))
            else:
                append(BinaryMessage(payload) if binary_event is None else binary_event(payload, True))

    def _inflate_single(self, opcode: int, payload: bytes, events: list[Event]) -> bytes | None:
        """Inflate a compressed message that came in one frame. None when
        nothing more is to be emitted for it here: it inflates past the
        part size in parts mode (its first part is emitted and it goes on
        as a message in parts), or it fails after earlier messages of the
        run (answered first; the failure is raised at the next step)."""
        deflate = self.deflate
        assert deflate is not None  # the parser checked RSV1
        try:
            if not (self.partial_text if opcode == 1 else self.partial_binary):
                return deflate.decompress(payload, self._limit(opcode))
            inflated = deflate.decompress_part(payload, True, self._limit(opcode))
        except ProtocolError as exc:
            if events:
                self._pending_failure = (exc.code, exc.reason)
                return None
            raise
        if not deflate.has_pending_output:
            return inflated
        self._msg_opcode = opcode
        self._msg_compressed = True
        self._msg_partial = True
        self._utf8.reset()
        self._inflate_last = True
        self._inflate_frame_done = True
        self._emit_part(inflated, False, events, True)
        return None

    def _single_frame_part(self, frame: Frame, events: list[Event]) -> None:
        """A message in parts that came whole in one frame: its only part
        (a compressed one that inflates past the part size goes on as a
        message in parts)."""
        self._whole_frames([(frame.opcode | (0x40 if frame.rsv1 else 0), frame.payload)], events)

    def _gather(self, piece: bytes, bound: int) -> tuple[bytes, bool, bool]:
        """Add the payloads of the message's next frames already received
        (continuations, no control frame between) to *piece*, up to *bound*
        bytes: small fragments make one part per read, not one per frame.
        Returns the joined bytes, whether they end the message and whether
        they end a frame. A bad header stops the gathering (the parser
        raises it again next)."""
        parser = self._parser
        chunks = [piece]
        size = len(piece)
        last = False
        frame_done = True
        if self.on_frame_header is None:
            # Untraced: the complete small fragments in one pass.
            payloads, taken, last = parser.take_continuations(bound - size)
            chunks += payloads
            size += taken
            if last:
                return b"".join(chunks), True, True
        while size < bound:
            try:
                header = parser.next_header()
            except ProtocolError:
                break
            if header is None or header.opcode != Opcode.CONTINUATION:
                break
            read = parser.read_payload(bound - size)
            if read is None:
                break  # its header is taken: the frame goes on at the next read
            data, frame_done = read
            if self.on_frame_header is not None:
                self.on_frame_header(header, data)
            chunks.append(data)
            size += len(data)
            if not frame_done:
                break
            if header.fin:
                last = True
                break
        return (b"".join(chunks) if len(chunks) > 1 else piece), last, frame_done

    def _read_whole_piece(self, header: FrameHeader, events: list[Event]) -> bool:
        """Whole mode, a text frame not fully received: take what has
        arrived of its payload into the message being assembled, so that
        UTF-8 (and inflating) is checked as the bytes come; False when no
        byte has arrived. The size was checked when the header came."""
        parser = self._parser
        starting = not parser.in_payload
        read = parser.read_payload(header.length)
        if read is None:
            return False
        piece, frame_done = read
        if starting:
            if header.opcode != Opcode.CONTINUATION:
                self._msg_opcode = header.opcode
                self._msg_compressed = header.rsv1
                self._msg_parts = []
                self._text_parts = []
                self._msg_size = 0
                self._msg_wire_size = 0
                self._utf8.reset()
            if self.on_frame_header is not None:
                self.on_frame_header(header, piece)
        last = frame_done and header.fin
        self._msg_wire_size += len(piece)
        if self._msg_compressed:
            assert self.deflate is not None  # the parser checked RSV1
            piece = self.deflate.decompress_fragment(piece, last, self.max_text_message_size - self._msg_size)
        self._msg_size += len(piece)
        try:
            self._text_parts.append(self._utf8.feed(piece))
            if last:
                self._text_parts.append(self._utf8.finish())
        except UnicodeDecodeError:
            raise ProtocolError(CloseCode.INVALID_PAYLOAD, "text message is not valid UTF-8") from None
        if last:
            events.append(TextMessage("".join(self._text_parts)))
            self._text_parts = []
            self._msg_opcode = None
        return True

    def _inflate_more(self, events: list[Event]) -> None:
        """Emit the next part of a compressed piece's pending output."""
        deflate = self.deflate
        assert deflate is not None
        limit = self.max_text_message_size if self._msg_opcode == Opcode.TEXT else self.max_binary_message_size
        data = deflate.decompress_more(limit - self._part_size)
        if deflate.has_pending_output:
            self._emit_part(data, False, events, True)
        else:
            last = bool(self._inflate_last)
            self._inflate_last = None
            self._emit_part(data, last, events, self._inflate_frame_done)

    def _emit_part(self, data: bytes, last: bool, events: list[Event], frame_done: bool) -> None:
        """Add *data* (payload bytes, inflated) to the part being filled
        (text is checked and decoded now: invalid UTF-8 fails at once) and
        deliver the part when it is full, the message ends or a frame ended
        (*frame_done*; the caller gathered the frames already received)."""
        text = self._msg_opcode == Opcode.TEXT
        if text:
            try:
                decoded = self._utf8.feed(data)
                if last:
                    decoded += self._utf8.finish()
            except UnicodeDecodeError:
                raise ProtocolError(CloseCode.INVALID_PAYLOAD, "text message is not valid UTF-8") from None
            if decoded:
                self._part_text.append(decoded)
        elif data:
            self._part_bytes.append(data)
        self._part_size += len(data)
        limit = self.max_text_message_size if text else self.max_binary_message_size
        if not (last or frame_done or self._part_size >= limit):
            return
        if text:
            texts = self._part_text
            if texts or last:
                events.append(TextPart(texts[0] if len(texts) == 1 else "".join(texts), last))
                self._part_text = []
        else:
            pieces = self._part_bytes
            if pieces or last:
                events.append(BinaryPart(pieces[0] if len(pieces) == 1 else b"".join(pieces), last))
                self._part_bytes = []
        self._part_size = 0
        if last:
            self._msg_opcode = None
            self._msg_partial = False

    def _limit(self, opcode: int) -> int:
        return self.max_text_message_size if opcode == Opcode.TEXT else self.max_binary_message_size

    def _check_size(self, opcode: int, length: int, rsv1: bool) -> None:
        """Refuse (1009) a data frame that would take its message over the
        limit, before its payload is buffered."""
        if opcode == Opcode.CONTINUATION:
            opcode = self._msg_opcode  # type: ignore[assignment]
            compressed = self._msg_compressed
            wire = self._msg_wire_size
            size = self._msg_size
        else:
            compressed, wire, size = rsv1, 0, 0
        limit = self._limit(opcode)
        if compressed:
            # Deflate can expand incompressible data slightly; allow the
            # worst case on the wire, the inflated size is checked exactly.
            bound = limit + (limit >> 10) + 64
            if wire + length > bound:
                raise ProtocolError(CloseCode.MESSAGE_TOO_BIG, f"compressed message exceeds {bound} bytes")
        elif size + length > limit:
            raise ProtocolError(CloseCode.MESSAGE_TOO_BIG, f"message exceeds the limit of {limit} bytes")

    def _handle_frame(self, frame: Frame, events: list[Event]) -> None:
        opcode = frame.opcode
        if opcode == Opcode.PING:
            if self.state == OPEN:
                self._outgoing += serialize_frame(Frame(Opcode.PONG, frame.payload))
            events.append(Ping(frame.payload))
        elif opcode == Opcode.PONG:
            events.append(Pong(frame.payload))
        elif opcode == Opcode.CLOSE:
            self._handle_close(frame.payload, events)
        else:
            self._handle_data(frame, events)

    def _handle_close(self, payload: bytes, events: list[Event]) -> None:
        code, reason = _decode_close_payload(payload)
        self.close_received = (code, reason)
        if self.state == OPEN:
            # Echo the peer's code and reason (both already checked), as
            # Tomcat does; a close without a code is answered with 1000
            # (Tomcat's answer too: 1005 may not be sent).
            if payload:
                self._outgoing += serialize_frame(Frame(Opcode.CLOSE, payload))
                self.close_sent = (code, reason)
            else:
                self._outgoing += serialize_frame(Frame(Opcode.CLOSE, encode_close_payload(CloseCode.NORMAL_CLOSURE)))
                self.close_sent = (CloseCode.NORMAL_CLOSURE, "")
        self.state = CLOSED
        events.append(CloseReceived(code, reason))

    def _handle_data(self, frame: Frame, events: list[Event]) -> None:
        if frame.opcode != Opcode.CONTINUATION:
            self._msg_opcode = frame.opcode
            self._msg_compressed = frame.rsv1
            self._msg_parts = []
            self._text_parts = []
            self._msg_size = 0
            self._msg_wire_size = 0
            self._utf8.reset()
        opcode = self._msg_opcode
        payload = frame.payload
        self._msg_wire_size += len(payload)
        if self._msg_compressed:
            assert self.deflate is not None  # the parser checked RSV1
            limit = self._limit(opcode)  # type: ignore[arg-type]
            remaining = limit - self._msg_size
            payload = self.deflate.decompress_fragment(payload, frame.fin, remaining)
        self._msg_size += len(payload)
        if opcode == Opcode.TEXT:
            try:
                self._text_parts.append(self._utf8.feed(payload))
                if frame.fin:
                    self._text_parts.append(self._utf8.finish())
            except UnicodeDecodeError:
                raise ProtocolError(CloseCode.INVALID_PAYLOAD, "text message is not valid UTF-8") from None
            if frame.fin:
                events.append(TextMessage("".join(self._text_parts)))
                self._text_parts = []
        else:
            self._msg_parts.append(payload)
            if frame.fin:
                events.append(BinaryMessage(b"".join(self._msg_parts)))
                self._msg_parts = []
        if frame.fin:
            self._msg_opcode = None

    def _fail(self, code: int, reason: str, events: list[Event]) -> None:
        """Fail the connection: queue a close (unless one was sent already)
        and report ConnectionFailed."""
        if self.state == OPEN:
            self._outgoing += serialize_frame(Frame(Opcode.CLOSE, encode_close_payload(code, reason)))
            self.close_sent = (code, reason)
        self.state = CLOSED
        self._msg_parts = []
        self._text_parts = []
        self._inflate_last = None
        self._part_text = []
        self._part_bytes = []
        self._part_size = 0
        events.append(ConnectionFailed(code, reason))

    # -- sending -------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """Bytes the protocol queued itself (pongs, close replies, the close
        after a violation); empty if none. Each call drains the queue."""
        if not self._outgoing:
            return b""  # the usual case, asked after every read
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def _check_open(self) -> None:
        if self.state != OPEN:
            raise WsClosedError(f"cannot send: the connection is " f"{self.state.name}")

    def _send_data(self, opcode: int, payload: bytes, fin: bool) -> bytes:
        if self.state == OPEN and fin and self._send_opcode is None:
            # The usual frame: a whole message. Its header made here,
            # without a Frame and serialize_frame.
            first = 0x80 | opcode
            if self.deflate is not None:
                payload = self.deflate.compress(payload)
                first |= 0x40  # RSV1: compressed
            length = len(payload)
            if length < 126:
                return bytes((first, length)) + payload
            if length < 0x10000:
                return bytes((first, 126, length >> 8, length & 0xFF)) + payload
            return bytes((first, 127)) + length.to_bytes(8, "big") + payload
        self._check_open()
        if self._send_opcode is not None and self._send_opcode != opcode:
            raise ValueError("another fragmented message is being sent")
        # The first frame of a message carries its opcode (and RSV1 when
        # compressed); the ones after it are continuations.
        opening = not self._send_framed
        self._send_opcode = None if fin else opcode
        rsv1 = False
        if self.deflate is not None:
            payload = self.deflate.compress_fragment(payload, fin)
            if not fin and not payload:
                return b""  # zlib holds this part: no frame for it yet
            rsv1 = opening
        self._send_framed = not fin
        return serialize_frame(Frame(opcode if opening else Opcode.CONTINUATION, payload, fin, rsv1))

    def send_text(self, text: str, fin: bool = True) -> bytes:
        """Frame (part of) a text message; ``fin=False`` leaves the message
        open for further ``send_text`` calls. With fragments, each part
        must itself be a str (a code point is never split)."""
        return self._send_data(Opcode.TEXT, text.encode("utf-8"), fin)

    def send_binary(self, data: bytes, fin: bool = True) -> bytes:
        """Frame (part of) a binary message (see :meth:`send_text`)."""
        return self._send_data(Opcode.BINARY, bytes(data), fin)

    def _control_payload(self, payload: bytes) -> bytes:
        if len(payload) > 125:
            raise ValueError("control frame payloads are at most 125 bytes")
        return bytes(payload)

    def send_ping(self, payload: bytes = b"") -> bytes:
        """Frame a ping (payload at most 125 bytes)."""
        self._check_open()
        return serialize_frame(Frame(Opcode.PING, self._control_payload(payload)))

    def send_pong(self, payload: bytes = b"") -> bytes:
        """Frame an unsolicited pong (a heartbeat; pings are answered
        automatically)."""
        self._check_open()
        return serialize_frame(Frame(Opcode.PONG, self._control_payload(payload)))

    def send_close(self, code: int = 1000, reason: str = "") -> bytes:
        """Frame our close and move OPEN -> CLOSING.

        ``reason`` longer than 123 UTF-8 bytes is truncated (see
        :func:`truncate_reason`); an unsendable ``code`` (1005, 1006,
        1015, reserved ranges) raises ValueError.
        """
        self._check_open()
        payload = encode_close_payload(code, reason)
        self.state = CLOSING
        self.close_sent = (code, reason)
        return serialize_frame(Frame(Opcode.CLOSE, payload))
