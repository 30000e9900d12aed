"""The permessage-deflate extension (RFC 7692): negotiation and the codec.

:meth:`PerMessageDeflate.negotiate` reads the client's
``Sec-WebSocket-Extensions`` offers and accepts the first acceptable
``permessage-deflate`` offer, returning the extension and the response
header value. Offers with an unknown parameter, a repeated parameter or a
malformed value are skipped (RFC 7692 section 5: the server "MUST decline
an extension negotiation offer" it cannot accept) and the next offer is
tried. Names are compared case-sensitively (``Permessage-Deflate`` is not
this extension), as Tomcat and python-websockets compare them.

The answer is Tomcat 10.1's, byte for byte: parameters in the order
``server_no_context_takeover``, ``server_max_window_bits``,
``client_no_context_takeover``, ``client_max_window_bits``, joined by
``;`` without spaces, and a ``client_max_window_bits`` offered without a
value answered with ``=15`` (the window we inflate with), e.g.
``permessage-deflate;client_max_window_bits=15`` for a browser's offer.

Window bits: zlib cannot produce a raw deflate stream with an 8-bit window
(``wbits=-8`` is refused, madler/zlib#171). A client offering
``server_max_window_bits=8`` asks us never to look back more than 256
bytes; answering 9 would break RFC 7692 7.1.2.1 (the answer must be *at
most* the offered value) and the client would fail the connection on
inflate. Like python-websockets we therefore decline such an offer and move
to the next one (browsers send a fallback offer without the parameter).
A client that compresses with 8 bits is no problem: inflating with a larger
window always works, so we inflate with at least 9 bits.

Compression of a message (RFC 7692 7.2.1): deflate all its bytes, end with
a sync flush (which appends the empty stored block ``00 00 ff ff``) and
drop those four trailing octets. Decompression (7.2.2) appends them back
before inflating. With ``*_no_context_takeover`` the respective side starts
every message with a fresh LZ77 window.
"""

from __future__ import annotations

import zlib
from typing import Protocol

from ...http.grammar import TCHAR_SET
from .frames import CloseCode, ProtocolError

__all__ = ["PerMessageDeflate", "parse_extension_header", "EXTENSION_NAME"]

EXTENSION_NAME = "permessage-deflate"
_TAIL = b"\x00\x00\xff\xff"
_PARAMS = frozenset(
    {"server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits", "client_max_window_bits"}
)


class _Compressor(Protocol):
    """What we use of a ``zlib.compressobj``."""

    def compress(self, data: bytes, /) -> bytes: ...

    def flush(self, mode: int = ..., /) -> bytes: ...


class _Decompressor(Protocol):
    """What we use of a ``zlib.decompressobj``."""

    @property
    def unconsumed_tail(self) -> bytes: ...

    @property
    def eof(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


class _SyntaxError(ValueError):
    """A malformed Sec-WebSocket-Extensions element."""


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split ``text`` on ``separator`` except inside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise _SyntaxError("unterminated quoted string")
    parts.append("".join(current))
    return parts


def _token(text: str) -> str:
    text = text.strip(" \t")
    if not text or any(char not in TCHAR_SET for char in text):
        raise _SyntaxError(f"not a token: {text!r}")
    return text


def _param_value(text: str) -> str:
    text = text.strip(" \t")
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        inner = text[1:-1]
        out: list[str] = []
        escaped = False
        for char in inner:
            if escaped:
                out.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            else:
                out.append(char)
        # RFC 7692 7.1: a quoted value must still be a token once unquoted.
        return _token("".join(out))
    return _token(text)


def parse_extension_header(values: list[str]) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Parse ``Sec-WebSocket-Extensions`` values into offers.

    Returns ``[(name, [(param, value or None), ...]), ...]`` in order;
    names and parameter names as sent (case kept), quoted values unquoted.
    Malformed elements are left out (they cannot be accepted anyway).
    """
    offers: list[tuple[str, list[tuple[str, str | None]]]] = []
    for value in values:
        try:
            elements = _split_outside_quotes(value, ",")
        except _SyntaxError:
            continue
        for element in elements:
            if not element.strip(" \t"):
                continue
            try:
                pieces = _split_outside_quotes(element, ";")
                name = _token(pieces[0])
                params: list[tuple[str, str | None]] = []
                for piece in pieces[1:]:
                    key, eq, raw = piece.partition("=")
                    params.append((_token(key), _param_value(raw) if eq else None))
            except _SyntaxError:
                continue
            offers.append((name, params))
    return offers


def _window_bits(value: str | None, allow_empty: bool) -> int | bool | None:
    """Validate a ``*_max_window_bits`` value: 8..15 in decimal digits
    (leading zeros allowed, as Tomcat's ``Integer.parseInt`` allows them)."""
    if value is None:
        if allow_empty:
            return True
        raise _SyntaxError("window bits need a value")
    if not (value.isascii() and value.isdigit()) or not 8 <= int(value) <= 15:
        raise _SyntaxError(f"window bits out of range: {value!r}")
    return int(value)


class PerMessageDeflate:
    """A negotiated permessage-deflate extension and its zlib state.

    Attributes are the negotiated parameters as sent in the response:
    ``server_no_context_takeover`` / ``client_no_context_takeover``
    (bools), ``server_max_window_bits`` / ``client_max_window_bits`` (int
    or None when absent; absent means 15). The server compresses with
    ``server_max_window_bits`` and resets its compressor per message when
    ``server_no_context_takeover``; it inflates with
    ``client_max_window_bits`` (at least 9) and resets per message when
    ``client_no_context_takeover``.
    """

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: int | None = None,
        client_max_window_bits: int | None = None,
        compress_level: int = zlib.Z_DEFAULT_COMPRESSION,
    ) -> None:
        if server_max_window_bits is not None and not (9 <= server_max_window_bits <= 15):
            raise ValueError("server_max_window_bits must be 9..15 " "(zlib cannot deflate with 8)")
        if client_max_window_bits is not None and not (8 <= client_max_window_bits <= 15):
            raise ValueError("client_max_window_bits must be 8..15")
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits
        self.compress_level = compress_level
        self._encoder: _Compressor | None = None
        self._decoder: _Decompressor | None = None
        self._decoding = False  # a fragmented incoming message is open
        # Parts mode: compressed input not inflated yet (zlib's unconsumed
        # tail) and whether more output may be pending.
        self._pending = b""
        self._more = False

    def __repr__(self) -> str:
        return f"PerMessageDeflate({self.response_header()!r})"

    # -- negotiation -----------------------------------------------------

    @classmethod
    def negotiate(
        cls,
        offer_header_values: list[str],
        *,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: int | None = None,
        client_max_window_bits: int | None = None,
        compress_level: int = zlib.Z_DEFAULT_COMPRESSION,
    ) -> tuple[PerMessageDeflate | None, str | None]:
        """Accept the first acceptable permessage-deflate offer.

        ``offer_header_values`` are the request's
        ``Sec-WebSocket-Extensions`` values. The keyword arguments are the
        server's own policy: request no context takeover from either side,
        or cap either window (the answer is then the smaller of the offer
        and the cap). Returns ``(extension, response header value)``, or
        ``(None, None)`` when no offer is acceptable.
        """
        if server_max_window_bits is not None and not (9 <= server_max_window_bits <= 15):
            raise ValueError("server_max_window_bits must be 9..15")
        if client_max_window_bits is not None and not (8 <= client_max_window_bits <= 15):
            raise ValueError("client_max_window_bits must be 8..15")
        for name, params in parse_extension_header(offer_header_values):
            if name != EXTENSION_NAME:
                continue
            try:
                offered = cls._read_offer(params)
            except _SyntaxError:
                continue
            s_nct, c_nct, s_bits, c_bits = offered
            s_nct = s_nct or server_no_context_takeover
            c_nct = c_nct or client_no_context_takeover
            if server_max_window_bits is not None:
                s_bits = server_max_window_bits if s_bits is None else min(s_bits, server_max_window_bits)
            if s_bits == 8:
                continue  # cannot honour it; see the module docstring
            if c_bits is True:
                # Offered without a value: answer the window we inflate
                # with (Tomcat answers 15, python-websockets too).
                c_bits = client_max_window_bits or 15
            elif c_bits is not None and client_max_window_bits is not None:
                c_bits = min(c_bits, client_max_window_bits)
            extension = cls(s_nct, c_nct, s_bits, c_bits or None, compress_level)
            return extension, extension.response_header()
        return None, None

    @staticmethod
    def _read_offer(params: list[tuple[str, str | None]]) -> tuple[bool, bool, int | None, int | bool | None]:
        seen: set[str] = set()
        s_nct = c_nct = False
        s_bits: int | None = None
        c_bits: int | bool | None = None
        for key, value in params:
            if key not in _PARAMS:
                raise _SyntaxError(f"unknown parameter {key}")
            if key in seen:
                raise _SyntaxError(f"duplicate parameter {key}")
            seen.add(key)
            if key.endswith("no_context_takeover"):
                if value is not None:
                    raise _SyntaxError(f"{key} takes no value")
                if key == "server_no_context_takeover":
                    s_nct = True
                else:
                    c_nct = True
            elif key == "server_max_window_bits":
                bits = _window_bits(value, allow_empty=False)
                s_bits = bits
            else:
                c_bits = _window_bits(value, allow_empty=True)
        return s_nct, c_nct, s_bits, c_bits

    def response_header(self) -> str:
        """The ``Sec-WebSocket-Extensions`` value describing this extension."""
        parts = [EXTENSION_NAME]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.server_max_window_bits is not None:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.client_max_window_bits is not None:
            parts.append(f"client_max_window_bits={self.client_max_window_bits}")
        # Tomcat's order and separator, byte for byte.
        return ";".join(parts)

    # -- codec -------------------------------------------------------------

    def compress(self, data: bytes) -> bytes:
        """Compress a whole message; the payload to send with RSV1 set."""
        return self.compress_fragment(data, True)

    def compress_fragment(self, data: bytes, fin: bool) -> bytes:
        """Compress the next part of an outgoing message.

        The returned pieces of a message concatenate to the compressed
        message. A part before the last is not flushed: zlib keeps what it
        has not emitted yet (at most its window and block buffers, so the
        memory stays bounded however long the message), and the result may
        be empty, in which case no frame need go out for that part. The
        last part (``fin``) flushes the rest and loses the 4-octet tail.

        This is what Tomcat's ``PerMessageDeflate`` does (``NO_FLUSH`` for
        a part that is not the last): a message echoed in parts leaves as
        one frame, as compact as if it had been sent whole, instead of a
        frame per part each ending in a 5-byte sync marker.
        """
        if self._encoder is None:
            self._encoder = zlib.compressobj(self.compress_level, zlib.DEFLATED, -(self.server_max_window_bits or 15))
        if not fin:
            return self._encoder.compress(data)
        # Without context takeover the next message may not refer to this
        # one: a full flush forgets the history (the bytes that follow are
        # what a new compressor would make), at a tenth of the cost of a
        # new compressor per message (zlib's allocation of its window and
        # hash table, about 130 us here; Tomcat resets its Deflater).
        flush_mode = zlib.Z_FULL_FLUSH if self.server_no_context_takeover else zlib.Z_SYNC_FLUSH
        out = self._encoder.compress(data) + self._encoder.flush(flush_mode)
        if out.endswith(_TAIL):
            out = out[:-4]
        return out

    def decompress(self, data: bytes, max_size: int) -> bytes:
        """Inflate a whole received message (its frames' payloads joined).

        Raises :class:`ProtocolError` 1009 if the message would inflate to
        more than ``max_size`` bytes (zlib is never asked for more than
        ``max_size + 1``), or 1002 if the data is not valid deflate (the
        code Tomcat closes with).
        """
        return self.decompress_fragment(data, True, max_size)

    def decompress_fragment(self, data: bytes, fin: bool, max_size: int) -> bytes:
        """Inflate the next fragment of a compressed message.

        ``max_size`` bounds the output of *this call* (the caller passes
        what is left of the message limit), so a bomb is stopped after at
        most ``max_size + 1`` inflated bytes.
        """
        if self._decoder is None or (not self._decoding and self.client_no_context_takeover):
            self._decoder = self._new_decoder()
        self._decoding = not fin
        if fin:
            data = data + _TAIL
        try:
            out = self._decoder.decompress(data, max_size + 1)
        except zlib.error as exc:
            raise ProtocolError(CloseCode.PROTOCOL_ERROR, f"invalid deflate data: {exc}") from None
        if len(out) > max_size or self._decoder.unconsumed_tail:
            raise ProtocolError(CloseCode.MESSAGE_TOO_BIG, f"compressed message inflates beyond {max_size} bytes")
        if self._decoder.eof:
            # The peer ended the deflate stream (BFINAL); start afresh.
            self._decoder = None
        return out

    # -- inflating in parts (no bound on the message) ------------------------

    @property
    def has_pending_output(self) -> bool:
        """True when the last :meth:`decompress_part` / :meth:`decompress_more`
        stopped at its bound and more output may follow (call
        :meth:`decompress_more` before feeding the next piece)."""
        return self._more

    def decompress_part(self, data: bytes, fin: bool, max_size: int) -> bytes:
        """Inflate the next piece of a compressed message for a receiver
        that takes it in parts: at most *max_size* bytes come out; the rest
        stays in zlib's hands (:attr:`has_pending_output`) for
        :meth:`decompress_more`. The message's total is not bounded, the
        memory is: one piece of input and one part of output. *fin* marks
        the message's last piece. Invalid deflate data raises
        :class:`ProtocolError` 1002.
        """
        if self._more:
            raise RuntimeError("decompress_part() with output pending")
        if self._decoder is None or (not self._decoding and self.client_no_context_takeover):
            self._decoder = self._new_decoder()
        self._decoding = not fin
        if fin:
            data = data + _TAIL
        return self._inflate(data, max_size)

    def decompress_more(self, max_size: int) -> bytes:
        """The next at most *max_size* bytes of output the last piece left
        pending (see :meth:`decompress_part`)."""
        if not self._more:
            return b""
        data, self._pending = self._pending, b""
        return self._inflate(data, max_size)

    def _inflate(self, data: bytes, max_size: int) -> bytes:
        decoder = self._decoder
        assert decoder is not None
        max_size = max(1, max_size)  # zlib reads 0 as "no bound"
        try:
            out = decoder.decompress(data, max_size)
        except zlib.error as exc:
            self._pending, self._more = b"", False
            raise ProtocolError(CloseCode.PROTOCOL_ERROR, f"invalid deflate data: {exc}") from None
        self._pending = decoder.unconsumed_tail
        # Output cut at the bound may have more behind it even with no
        # input left (a long match being copied): ask again.
        self._more = bool(self._pending) or len(out) == max_size
        if decoder.eof and not self._more:
            self._decoder = None  # the peer ended the deflate stream
        return out

    def _new_decoder(self) -> _Decompressor:
        bits = max(9, self.client_max_window_bits or 15)
        return zlib.decompressobj(-bits)
