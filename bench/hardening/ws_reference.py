"""A small, independent reference reader of WebSocket traffic, written from
RFC 6455 (sections 5 and 7) and RFC 7692 for the fuzzers: it shares no code
with catalina_py.websocket.core and is written for clarity, not speed.

:func:`ref_frames` walks a byte string frame by frame and reports each
header as soon as it is complete, each whole frame, and the first violation
with the close code the RFC asks for. :func:`ref_session` reads a client's
byte stream the way a server must (masking required, messages assembled,
UTF-8 checked as early as possible, permessage-deflate, message size
limits) and returns the events and the final state.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "EITHER_1002_1007",
    "RefFrame",
    "events_match",
    "RefHeader",
    "RefViolation",
    "ref_frames",
    "ref_session",
    "utf8_state",
]

_CONTROL = (0x8, 0x9, 0xA)
_DATA = (0x0, 0x1, 0x2)


#: Where the RFCs leave the close code open between two, both are right:
#: invalid UTF-8 in a close reason (RFC 6455 7.4.1 gives 1007 for data
#: inconsistent with its type; Tomcat answers 1002), and deflate data that
#: cannot be inflated (RFC 7692 names no code; Tomcat answers 1002).
EITHER_1002_1007 = frozenset((1002, 1007))


class RefViolation(Exception):
    """The stream breaks the RFC: fail the connection with ``code`` (an int,
    or a frozenset when either of the codes in it is right)."""

    def __init__(self, code: int | frozenset[int], why: str) -> None:
        super().__init__(code, why)
        self.code = code
        self.why = why


@dataclass
class RefHeader:
    """A frame header as the RFC lays it out (section 5.2)."""

    fin: bool
    rsv: int  # RSV1..3 as 3 bits, RSV1 = 4
    opcode: int
    masked: bool
    length: int
    key: bytes


@dataclass
class RefFrame:
    """A complete frame, payload unmasked."""

    header: RefHeader
    payload: bytes


@dataclass(frozen=True)
class RefPartial:
    """What has arrived of a frame's payload when the data runs out inside
    it (unmasked); only yielded by ``ref_frames(..., partial=True)``."""

    header: RefHeader
    payload: bytes


def _unmask(payload: bytes, key: bytes) -> bytes:
    # Section 5.3: octet i is XORed with octet i % 4 of the key. Done as
    # one XOR of two little-endian integers (the key repeated), which is
    # the same operation without a Python loop per byte.
    n = len(payload)
    if not n:
        return b""
    pad = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(pad, "little")).to_bytes(n, "little")


def ref_frames(
    data: bytes,
    *,
    from_client: bool = True,
    rsv1_ok: bool = False,
    max_frame: int | None = None,
    partial: bool = False,
) -> Iterator[RefHeader | RefFrame | RefPartial]:
    """Yield each header as soon as all of it is in *data*, then its frame
    once the payload is; stop quietly when the data runs out. Raises
    RefViolation at the first byte that makes the stream invalid.

    The rules are checked field by field, as soon as the field is there:
    the first byte and the length's first 7 bits (opcode, RSV bits,
    control frame rules, fragmentation state, masking), then the extended
    length (section 5.2: the 64-bit form's top bit must be 0, then the
    optional size limit, 1009 per section 7.4.1).
    """
    i = 0
    n = len(data)
    in_message = False
    while True:
        if n - i < 2:
            return
        b0, b1 = data[i], data[i + 1]
        fin = bool(b0 >> 7)
        rsv = (b0 >> 4) & 7
        opcode = b0 & 15
        masked = bool(b1 >> 7)
        length = b1 & 127
        if opcode not in _CONTROL and opcode not in _DATA:
            raise RefViolation(1002, "reserved opcode")
        if rsv & 3:
            raise RefViolation(1002, "RSV2/RSV3")
        if rsv & 4 and (not rsv1_ok or opcode not in (0x1, 0x2)):
            raise RefViolation(1002, "RSV1 not allowed here")
        if opcode in _CONTROL:
            if not fin:
                raise RefViolation(1002, "fragmented control frame")
            if length > 125:
                raise RefViolation(1002, "control frame too long")
        elif opcode == 0 and not in_message:
            raise RefViolation(1002, "continuation with nothing to continue")
        elif opcode != 0 and in_message:
            raise RefViolation(1002, "data frame inside a fragmented message")
        if masked != from_client:
            raise RefViolation(1002, "masking")
        at = i + 2
        if length == 126:
            if n - at < 2:
                return
            length = (data[at] << 8) | data[at + 1]
            at += 2
        elif length == 127:
            if n - at < 8:
                return
            length = 0
            for b in data[at : at + 8]:
                length = (length << 8) | b
            if length >> 63:
                raise RefViolation(1002, "64-bit length with the top bit set")
            at += 8
        if max_frame is not None and length > max_frame:
            raise RefViolation(1009, "frame too big")
        key = b""
        if masked:
            if n - at < 4:
                return
            key = data[at : at + 4]
            at += 4
        header = RefHeader(fin, rsv, opcode, masked, length, key)
        yield header
        if n - at < length:
            if partial and n > at:
                yield RefPartial(header, _unmask(data[at:n], key) if masked else data[at:n])
            return
        payload = data[at : at + length]
        if masked:
            payload = _unmask(payload, key)
        if opcode in _DATA:
            in_message = not fin
        yield RefFrame(header, payload)
        i = at + length


def utf8_state(data: bytes) -> str:
    """ "valid", "incomplete" (a prefix of valid UTF-8 that stops inside a
    code point) or "invalid", judged by Python's strict UTF-8 codec."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(data):
            return "incomplete"
        return "invalid"
    return "valid"


def _valid_close_code(code: int) -> bool:
    # RFC 6455 7.4.1/7.4.2 and the IANA registry: 1000-1003, 1007-1014
    # are defined and may be sent; 3000-4999 belong to libraries and apps.
    return code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999


@dataclass
class RefDeflate:
    """The negotiated permessage-deflate parameters the reference honours."""

    client_no_context_takeover: bool = False
    client_max_window_bits: int = 15


def ref_session(
    data: bytes, *, max_text: int, max_binary: int, deflate: RefDeflate | None = None, eof: bool = True
) -> list[tuple[object, ...]]:
    """What a server must make of a client's byte stream *data*.

    Returns the events: ("text", str), ("binary", bytes), ("ping", bytes),
    ("pong", bytes), ("close", code, reason) and at most one of
    ("fail", code) / ("eof",) (TCP closed without a close frame, when
    *eof*). Message limits are in payload bytes after inflating; a data
    frame that would take its message over the limit is refused (1009) as
    soon as its header is in, and a compressed message may take at most
    ``limit + limit // 1024 + 64`` bytes on the wire.
    """
    events: list[tuple[object, ...]] = []
    msg_opcode = 0
    msg_compressed = False
    msg_size = 0
    msg_wire = 0
    parts: list[bytes] = []
    inflater = None
    if deflate is not None:
        bits = max(9, deflate.client_max_window_bits)
    try:
        for item in ref_frames(data, rsv1_ok=deflate is not None, partial=True):
            if isinstance(item, RefPartial):
                # RFC 6455 8.1: invalid UTF-8 fails the connection as soon
                # as it is seen, also inside a frame not fully received (an
                # uncompressed text message; Tomcat checks as bytes arrive).
                h = item.header
                kind, compressed = (msg_opcode, msg_compressed) if h.opcode == 0 else (h.opcode, bool(h.rsv & 4))
                if kind == 1 and not compressed:
                    so_far = (b"".join(parts) if h.opcode == 0 else b"") + item.payload
                    if utf8_state(so_far) == "invalid":
                        raise RefViolation(1007, "text not UTF-8")
                continue
            if isinstance(item, RefHeader):
                h = item
                if h.opcode in _DATA:
                    if h.opcode == 0:
                        kind, compressed, wire, size = msg_opcode, msg_compressed, msg_wire, msg_size
                    else:
                        kind, compressed, wire, size = h.opcode, bool(h.rsv & 4), 0, 0
                    limit = max_text if kind == 1 else max_binary
                    if compressed:
                        if wire + h.length > limit + (limit >> 10) + 64:
                            raise RefViolation(1009, "compressed message too big")
                    elif size + h.length > limit:
                        raise RefViolation(1009, "message too big")
                continue
            h, payload = item.header, item.payload
            if h.opcode == 0x9:
                events.append(("ping", payload))
            elif h.opcode == 0xA:
                events.append(("pong", payload))
            elif h.opcode == 0x8:
                if len(payload) == 1:
                    raise RefViolation(1002, "1-byte close payload")
                if not payload:
                    events.append(("close", 1005, ""))
                    return events
                code = (payload[0] << 8) | payload[1]
                if not _valid_close_code(code):
                    raise RefViolation(1002, "close code")
                if utf8_state(payload[2:]) != "valid":
                    raise RefViolation(EITHER_1002_1007, "close reason not UTF-8")
                events.append(("close", code, payload[2:].decode("utf-8")))
                return events
            else:
                if h.opcode != 0:
                    msg_opcode, msg_compressed, msg_size, msg_wire, parts = h.opcode, bool(h.rsv & 4), 0, 0, []
                msg_wire += len(payload)
                limit = max_text if msg_opcode == 1 else max_binary
                if msg_compressed:
                    assert deflate is not None
                    if inflater is None or (h.opcode != 0 and deflate.client_no_context_takeover):
                        inflater = zlib.decompressobj(-bits)
                    room = limit - msg_size
                    try:
                        out = inflater.decompress(payload + (b"\x00\x00\xff\xff" if h.fin else b""), room + 1)
                    except zlib.error:
                        raise RefViolation(EITHER_1002_1007, "bad deflate data")
                    if len(out) > room or inflater.unconsumed_tail:
                        raise RefViolation(1009, "inflates too big")
                    if inflater.eof:
                        inflater = None
                    payload = out
                msg_size += len(payload)
                parts.append(payload)
                whole = b"".join(parts)
                if msg_opcode == 1:
                    state = utf8_state(whole)
                    if state == "invalid" or (h.fin and state != "valid"):
                        raise RefViolation(1007, "text not UTF-8")
                if h.fin:
                    events.append(("text", whole.decode("utf-8")) if msg_opcode == 1 else ("binary", whole))
                    parts = []
    except RefViolation as exc:
        events.append(("fail", exc.code))
        return events
    if eof:
        events.append(("eof",))
    return events


def events_match(got: list[tuple[object, ...]], want: list[tuple[object, ...]]) -> bool:
    """True if *got* are the events *want* describes (a ("fail", codes)
    event with a frozenset of codes matches a failure with any of them)."""
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if w[0] == "fail" and isinstance(w[1], frozenset):
            if g[0] != "fail" or g[1] not in w[1]:
                return False
        elif g != w:
            return False
    return True
