"""WebSocket frames (RFC 6455 section 5): wire bytes <-> :class:`Frame`.

This module is pure: no sockets, no clock. :func:`serialize_frame` turns a
:class:`Frame` into wire bytes (masked when a mask key is given, which only a
client does); :class:`FrameParser` is fed bytes as they arrive and hands back
complete frames, checking every frame-level rule of RFC 6455 as soon as the
header is complete (before the payload is buffered):

* client-to-server frames must be masked (``require_mask``);
* RSV1 only when an extension (permessage-deflate) allows it, and then only
  on the first frame of a data message; RSV2/RSV3 never;
* opcodes other than 0, 1, 2, 8, 9, 10 are rejected;
* control frames carry at most 125 bytes and are never fragmented;
* a continuation frame needs a started message, and a new data frame must
  not start while a fragmented message is in progress;
* a 64-bit length with its most significant bit set is rejected;
* an optional ``max_frame_size`` stops oversized frames with 1009.

Non-minimal length encodings (e.g. a 5-byte payload announced with the
16-bit form) are accepted, as both Apache Tomcat (``WsFrameBase``) and
python-websockets do: RFC 6455 asks senders to use the minimal form but
gives receivers no instruction to fail the connection over it.

Every violation raises :class:`ProtocolError` carrying the close code the
connection must be failed with.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import NoReturn

__all__ = [
    "Opcode",
    "CloseCode",
    "Frame",
    "FrameHeader",
    "ProtocolError",
    "FrameParser",
    "serialize_frame",
    "apply_mask",
    "is_control",
    "is_valid_close_code",
    "MAX_CONTROL_PAYLOAD",
    "WireFrame",
    "peek_frames",
]

#: Largest payload a control frame (close, ping, pong) may carry.
MAX_CONTROL_PAYLOAD = 125


class Opcode(enum.IntEnum):
    """Frame opcodes defined by RFC 6455 section 5.2."""

    CONTINUATION = 0
    TEXT = 1
    BINARY = 2
    CLOSE = 8
    PING = 9
    PONG = 10


_KNOWN_OPCODES = frozenset(int(op) for op in Opcode)


class CloseCode:
    """Close status codes (RFC 6455 section 7.4.1 and the IANA registry).

    Plain ints so they can be compared with and passed as ``int``. 1005 and
    1006 are never sent on the wire: they only report "no code in the close
    frame" and "the TCP connection dropped without a close frame".
    """

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RECEIVED = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_PAYLOAD = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


def is_valid_close_code(code: int) -> bool:
    """True if ``code`` may appear in a close frame on the wire.

    Allowed: 1000-1003 and 1007-1014 (registered codes) and 3000-4999
    (libraries and applications). Everything else (below 1000, 1004,
    1005, 1006, 1015, 1016-2999, 5000 and up) is reserved or must never be
    sent, and a peer that sends it is failed with 1002.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def is_control(opcode: int) -> bool:
    """True for control opcodes (close, ping, pong: the 0x8 bit set)."""
    return opcode >= 8


class ProtocolError(Exception):
    """A violation of the WebSocket protocol by the peer.

    ``code`` is the close code to fail the connection with (1002 protocol
    error, 1007 invalid payload, 1009 message too big, ...); ``reason`` a
    short text for the close frame and the log.
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(slots=True)
class Frame:
    """One WebSocket frame, payload already unmasked."""

    opcode: int
    payload: bytes
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False


@dataclass(slots=True)
class FrameHeader:
    """The parsed and validated header of the next frame.

    Returned by :meth:`FrameParser.next_header` so a caller can apply its
    own size limits before the payload is buffered.
    """

    opcode: int
    fin: bool
    rsv1: bool
    length: int
    mask_key: bytes | None
    header_size: int


#: From this many bytes on, a payload is unmasked with ``bytes.translate``
#: over its four byte lanes (each lane is XORed with one key byte); below,
#: with one XOR of two big integers. Both are C loops; the lanes cost
#: about 40 % of the integers at 64 KiB (the integer conversions are the
#: slow part), the integers win below about 1 KiB (fewer calls).
_LANES_FROM = 1024
# The translation table XORing every byte with k, by k (made when first used).
_XOR_TABLES: list[bytes | None] = [None] * 256


def _xor_table(k: int) -> bytes:
    table = _XOR_TABLES[k]
    if table is None:
        identity = int.from_bytes(bytes(range(256)), "big")
        table = _XOR_TABLES[k] = (identity ^ int.from_bytes(bytes((k,)) * 256, "big")).to_bytes(256, "big")
    return table


def apply_mask(data: bytes | bytearray, mask_key: bytes, offset: int = 0) -> bytes:
    """XOR ``data`` with the repeating 4-byte ``mask_key`` (RFC 6455 5.3).

    Masking and unmasking are the same operation. *offset* is the position
    of ``data[0]`` in the frame's payload (a piece of a payload streamed in
    parts starts mid-key). Pure Python, with no loop per byte: a large
    payload is split into its four byte lanes (``out[j::4]``), each
    translated through a table that XORs with its key byte; a small one is
    XORed as two big integers.
    """
    if len(mask_key) != 4:
        raise ValueError("a mask key is 4 bytes")
    n = len(data)
    if n == 0:
        return b""
    shift = offset & 3
    if shift:
        mask_key = mask_key[shift:] + mask_key[:shift]
    if n >= _LANES_FROM:
        out = bytearray(data)
        for lane in range(4):
            out[lane::4] = out[lane::4].translate(_xor_table(mask_key[lane]))
        return bytes(out)
    repeated = (mask_key * (n // 4 + 1))[:n]
    value = int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")
    return value.to_bytes(n, "big")


def serialize_frame(frame: Frame, mask_key: bytes | None = None) -> bytes:
    """Encode ``frame`` for the wire.

    A server sends unmasked frames (``mask_key`` None); a client passes a
    fresh random 4-byte key. The length uses the minimal of the 7, 16 and
    64-bit forms.
    """
    payload = frame.payload
    first = (
        (0x80 if frame.fin else 0)
        | (0x40 if frame.rsv1 else 0)
        | (0x20 if frame.rsv2 else 0)
        | (0x10 if frame.rsv3 else 0)
        | (int(frame.opcode) & 0x0F)
    )
    mask_bit = 0x80 if mask_key is not None else 0
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first, mask_bit | length)
    elif length < 0x10000:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if mask_key is None:
        return header + payload
    return header + mask_key + apply_mask(payload, mask_key)


@dataclass(slots=True)
class WireFrame:
    """What :func:`peek_frames` reads of one frame in a buffer: its header
    fields and (the first bytes of) its unmasked payload; ``length`` is the
    whole payload's."""

    opcode: int
    fin: bool
    rsv1: bool
    masked: bool
    length: int
    payload: bytes


def peek_frames(data: bytes, max_payload: int = 256) -> list[WireFrame]:
    """The frames in *data* (well-formed frames, such as the bytes we
    serialized ourselves), each payload cut to *max_payload* bytes; a
    truncated last frame is reported with what is there. No validation:
    this is for describing frames (the event stream), not for parsing a
    peer's bytes (that is :class:`FrameParser`)."""
    frames: list[WireFrame] = []
    view = memoryview(data)
    pos, end = 0, len(data)
    while pos + 2 <= end:
        first, second = view[pos], view[pos + 1]
        length = second & 0x7F
        pos += 2
        if length == 126:
            length = int.from_bytes(view[pos : pos + 2], "big")
            pos += 2
        elif length == 127:
            length = int.from_bytes(view[pos : pos + 8], "big")
            pos += 8
        masked = bool(second & 0x80)
        mask_key = b""
        if masked:
            mask_key = bytes(view[pos : pos + 4])
            pos += 4
        payload = bytes(view[pos : pos + min(length, max_payload)])
        if masked and len(mask_key) == 4:
            payload = apply_mask(payload, mask_key)
        frames.append(WireFrame(first & 0x0F, bool(first & 0x80), bool(first & 0x40), masked, length, payload))
        pos += length
    return frames


class FrameParser:
    """Incremental frame decoder: :meth:`feed` bytes, pull :meth:`next_frame`
    (a whole frame) or, after :meth:`next_header`, :meth:`read_payload`
    (the frame's payload in pieces, as it arrives: a large frame is never
    buffered whole).

    ``require_mask`` (server side, the default) fails unmasked frames with
    1002; a client-side parser passes ``False`` (and then rejects *masked*
    frames, which a server must never send). ``allow_rsv1`` is set when
    permessage-deflate was negotiated. ``max_frame_size`` (None: no bound)
    fails any frame announcing a larger payload with 1009 before it is
    buffered. Once a :class:`ProtocolError` was raised the parser stays
    failed and raises it again.
    """

    def __init__(self, require_mask: bool = True, allow_rsv1: bool = False, max_frame_size: int | None = None) -> None:
        self.require_mask = require_mask
        self.allow_rsv1 = allow_rsv1
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()
        self._header: FrameHeader | None = None
        # The current header's bytes were taken off the buffer and its
        # payload is being read in pieces (read_payload); this many bytes of
        # it were handed out.
        self._streaming = False
        self._payload_read = 0
        self._in_message = False  # a fragmented data message is open
        #: The masking key of the frame ``next_frame`` returned last (None
        #: for an unmasked frame): the frame itself carries the payload
        #: unmasked, an inspector shows the key.
        self.last_mask_key: bytes | None = None
        self._error: ProtocolError | None = None

    def feed(self, data: bytes) -> None:
        """Append received bytes (any split, down to one byte at a time)."""
        self._buffer += data

    def buffered(self) -> int:
        """Number of received bytes not yet returned as frames."""
        return len(self._buffer)

    def next_header(self) -> FrameHeader | None:
        """Parse and validate the next frame's header without consuming it.

        Returns None while the header is incomplete. Raises
        :class:`ProtocolError` for any header-level violation.
        """
        if self._error is not None:
            raise self._error
        if self._header is None:
            try:
                self._header = self._parse_header()
            except ProtocolError as exc:
                self._error = exc
                raise
        return self._header

    @property
    def receiving_data(self) -> bool:
        """True while a data message is under way: a fragmented one is open,
        or the next frame's header (parsed) is a data frame's."""
        header = self._header
        return self._in_message or (header is not None and not is_control(header.opcode))

    @property
    def in_payload(self) -> bool:
        """True while a frame's payload is being read with :meth:`read_payload`."""
        return self._streaming

    def payload_ready(self) -> tuple[int, int]:
        """For the current frame (after :meth:`next_header`): how many bytes
        of its payload have arrived and are not read yet, and how many are
        left to read in all. Lets a reader wait for a worthwhile piece
        instead of taking every few bytes a read brings."""
        header = self._header
        if header is None:
            raise RuntimeError("payload_ready() without a header")
        if self._streaming:
            left = header.length - self._payload_read
            return min(len(self._buffer), left), left
        return max(0, min(len(self._buffer) - header.header_size, header.length)), header.length

    def read_payload(self, max_size: int) -> tuple[bytes, bool] | None:
        """The next piece of the current frame's payload: what has arrived
        of it, at most *max_size* bytes, unmasked; and whether it ends the
        frame. None while no byte of a non-empty remainder has arrived.

        Call after :meth:`next_header` returned a header; from the first
        call on the frame is read in pieces (:meth:`next_frame` must not be
        used until this returned the frame's end).
        """
        header = self._header
        if header is None:
            raise RuntimeError("read_payload() without a header")
        buf = self._buffer
        if not self._streaming:
            del buf[: header.header_size]
            self._streaming = True
            self._payload_read = 0
            self.last_mask_key = header.mask_key
        done = self._payload_read
        n = min(header.length - done, len(buf), max(1, max_size))
        if n == 0 and done < header.length:
            return None
        if n == len(buf):
            raw: bytes | bytearray = bytes(buf)
            buf.clear()
        else:
            raw = buf[:n]
            del buf[:n]
        mask_key = header.mask_key
        piece = apply_mask(raw, mask_key, done) if mask_key is not None else bytes(raw)
        done = self._payload_read = done + n
        if done < header.length:
            return piece, False
        self._header = None
        self._streaming = False
        if not is_control(header.opcode):
            self._in_message = not header.fin
        return piece, True

    def take_continuations(self, max_size: int) -> tuple[list[bytes], int, bool]:
        """The payloads (unmasked) of the plain continuation frames that
        have fully arrived next, in order, while their total stays within
        *max_size*; their total and whether the last one ends the message.

        A fast path for a message in many small fragments (one call instead
        of a header and a payload read per frame): it takes only a complete
        masked continuation frame with no RSV bit and stops at anything
        else (a control frame, a partial frame, a frame over the bound or
        one that breaks a rule), which :meth:`next_header` then reads, and
        rejects, as usual. Call between frames (no header pending).
        """
        if self._header is not None or self._error is not None or not self.require_mask or not self._in_message:
            return [], 0, False
        run, total, fin = self._take_run(True, 0, 0, max_size)
        if fin:
            self._in_message = False
        return [payload for _, payload in run], total, fin

    def take_messages(self, max_text: int, max_binary: int) -> list[tuple[int, bytes]]:
        """The messages that came whole in one frame each and have fully
        arrived next: ``(opcode, unmasked payload)`` pairs, in order; the
        opcode has ``0x40`` added for a compressed frame (RSV1, when
        ``allow_rsv1``), whose payload is still deflated.

        The fast path for a read that carries many small messages (a chat,
        a pipelining client): one loop over the buffer and one deletion,
        instead of a header object, a frame object and a buffer deletion
        per message. It takes only a complete masked text or binary frame
        with FIN set, no RSV bit but RSV1 when allowed, a 7- or 16-bit
        length, within the frame limit and within *max_text* /
        *max_binary* (on the wire); it stops at anything else (a control
        frame, a fragment, a partial frame, a frame that breaks a rule),
        which :meth:`next_header` then reads, or rejects, as usual, so no
        rule is checked twice; and it stops after a compressed frame (its
        inflating may end the run: a bound, an error). Call between frames,
        outside a fragmented message.
        """
        if self._header is not None or self._error is not None or self._in_message or not self.require_mask:
            return []
        run, _, _ = self._take_run(False, max_text, max_binary, 0)
        return [(first & 0x4F, payload) for first, payload in run]

    def _take_run(
        self, continuations: bool, max_text: int, max_binary: int, max_total: int
    ) -> tuple[list[tuple[int, bytes]], int, bool]:
        """The loop of :meth:`take_continuations` (*continuations*: plain
        continuation frames while their total stays within *max_total*,
        up to the one with FIN) and of :meth:`take_messages` (whole text
        and binary frames within *max_text* / *max_binary*): complete masked
        frames with a 7- or 16-bit length, each as its first byte and its
        unmasked payload; their total; whether a continuation with FIN
        ended the run. One loop, and one deletion from the buffer, for the
        whole run: a header object and a deletion per frame were most of a
        small message's cost."""
        buf = self._buffer
        size = len(buf)
        limit = self.max_frame_size
        if limit is not None:
            max_text = min(max_text, limit)
            max_binary = min(max_binary, limit)
        pos = 0
        total = 0
        run: list[tuple[int, bytes]] = []
        fin = False
        while size - pos >= 6:
            first = buf[pos]
            if continuations:
                if first & 0x7F:
                    break  # not a plain continuation: the usual path
                bound = max_total - total
                if limit is not None and limit < bound:
                    bound = limit
            elif first == 0x81:
                bound = max_text
            elif first == 0x82:
                bound = max_binary
            elif (first == 0xC1 or first == 0xC2) and self.allow_rsv1:
                bound = max_text if first == 0xC1 else max_binary
            else:
                break  # a fragment, a control frame, RSV bits: the usual path
            second = buf[pos + 1]
            if not second & 0x80:
                break  # unmasked: the usual path fails it
            length = second & 0x7F
            start = pos + 6
            if length == 126:
                start = pos + 8
                if size < start:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
            elif length == 127:
                break  # 64-bit lengths: not a small frame
            end = start + length
            if end > size or length > bound:
                break
            if length >= _LANES_FROM:
                payload = apply_mask(buf[start:end], bytes(buf[start - 4 : start]))
            elif length:
                # apply_mask inlined: a call per frame is a fair share of its cost.
                key = bytes(buf[start - 4 : start]) * ((length >> 2) + 1)
                value = int.from_bytes(buf[start:end], "big") ^ int.from_bytes(key[:length], "big")
                payload = value.to_bytes(length, "big")
            else:
                payload = b""
            run.append((first, payload))
            total += length
            pos = end
            if continuations and first & 0x80:
                fin = True
                break
            if first & 0x40:
                break  # compressed: the caller inflates it before going on
        if pos:
            del buf[:pos]
            self.last_mask_key = None
        return run, total, fin

    def next_frame(self) -> Frame | None:
        """Return the next complete frame, or None if more bytes are needed."""
        header = self.next_header()
        if header is None:
            return None
        if self._streaming:
            raise RuntimeError("next_frame() while a payload is read in pieces")
        end = header.header_size + header.length
        if len(self._buffer) < end:
            return None
        raw = self._buffer[header.header_size : end]
        del self._buffer[:end]
        self._header = None
        mask_key = self.last_mask_key = header.mask_key
        payload = apply_mask(raw, mask_key) if mask_key is not None else bytes(raw)
        if not is_control(header.opcode):
            self._in_message = not header.fin
        return Frame(header.opcode, payload, header.fin, header.rsv1)

    def _fail(self, reason: str, code: int = CloseCode.PROTOCOL_ERROR) -> NoReturn:
        raise ProtocolError(code, reason)

    def _parse_header(self) -> FrameHeader | None:
        buf = self._buffer
        if len(buf) < 2:
            return None
        first, second = buf[0], buf[1]
        fin = bool(first & 0x80)
        rsv1 = bool(first & 0x40)
        opcode = first & 0x0F
        masked = bool(second & 0x80)
        length = second & 0x7F

        # Checks that need only the first two bytes: fail as early as we can.
        if opcode not in _KNOWN_OPCODES:
            self._fail(f"unknown opcode {opcode:#x}")
        if first & 0x30:
            self._fail("RSV2/RSV3 set without a negotiated extension")
        control = is_control(opcode)
        if rsv1:
            if not self.allow_rsv1:
                self._fail("RSV1 set without a negotiated extension")
            if control or opcode == Opcode.CONTINUATION:
                self._fail("RSV1 set on a control or continuation frame")
        if control:
            if not fin:
                self._fail("fragmented control frame")
            if length > MAX_CONTROL_PAYLOAD:
                self._fail("control frame payload larger than 125 bytes")
        elif opcode == Opcode.CONTINUATION:
            if not self._in_message:
                self._fail("continuation frame without a message to continue")
        elif self._in_message:
            self._fail("new data frame inside a fragmented message")
        if masked != self.require_mask:
            self._fail("client frame not masked" if self.require_mask else "server frame masked")

        size = 2
        if length == 126:
            if len(buf) < 4:
                return None
            length = int.from_bytes(buf[2:4], "big")
            size = 4
        elif length == 127:
            if len(buf) < 10:
                return None
            if buf[2] & 0x80:
                self._fail("64-bit payload length with the top bit set")
            length = int.from_bytes(buf[2:10], "big")
            size = 10
        if self.max_frame_size is not None and length > self.max_frame_size:
            self._fail(
                f"frame of {length} bytes exceeds the limit of " f"{self.max_frame_size}", CloseCode.MESSAGE_TOO_BIG
            )
        mask_key = None
        if masked:
            if len(buf) < size + 4:
                return None
            mask_key = bytes(buf[size : size + 4])
            size += 4
        return FrameHeader(opcode, fin, rsv1, length, mask_key, size)
