"""Fuzz the WebSocket core (catalina_py.websocket.core: FrameParser,
WsProtocol with permessage-deflate on and off, Utf8Validator) in-process.

Inputs are client byte streams: a few valid frames (text, binary,
fragmented messages with control frames between the fragments, pings,
pongs, a close; compressed with permessage-deflate when it is on) with
frame-level games played on them (header bits flipped, boundary and
non-minimal lengths, invalid UTF-8 split inside a code point, invalid close
codes and payloads, deflate garbage and bombs, RSV1 where it may not be)
and, most of the time, byte-level mutations on top (bench/hardening/mutate.py).

Every input is checked (:func:`check_ws`) against an independent reference
reader written from RFC 6455 / RFC 7692 (bench/hardening/ws_reference.py):

* FrameParser gives the same frames, and fails with the same close code at
  the same frame, as the reference (with random require_mask, allow_rsv1
  and max_frame_size);
* WsProtocol gives the same events (messages, pings, pongs, the peer's
  close, the failure and its code), never raises, fails only with a close
  code it may send (1002, 1007, 1009), and queues exactly one pong per ping
  received while open and then the close frame RFC 6455 asks for;
* the result is the same whether the stream is fed whole, cut at random
  points, or one byte at a time;
* Utf8Validator agrees with the strict UTF-8 codec and fails at the first
  fragment after which the text can no longer be valid.

Run (1,000,000 inputs on 2 processes, at most 30 minutes)::

    .venv/bin/python bench/hardening/ws_fuzz.py --count 1000000 --workers 2 --seconds 1800
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.hardening.mutate import Mutator, random_splits
from bench.hardening.ws_reference import (
    RefDeflate,
    RefFrame,
    RefViolation,
    events_match,
    ref_frames,
    ref_session,
)
from bench.hardening.ws_reference import utf8_state as ref_utf8_state
from catalina_py.websocket.core.frames import FrameParser, ProtocolError
from catalina_py.websocket.core.permessage_deflate import PerMessageDeflate
from catalina_py.websocket.core.protocol import (
    BinaryMessage,
    CloseReceived,
    ConnectionFailed,
    Ping,
    Pong,
    TextMessage,
    WsProtocol,
)
from catalina_py.websocket.core.utf8 import Utf8Validator

__all__ = ["Problem", "WsCase", "check_frame_parser", "check_protocol", "check_utf8", "check_ws", "generate"]

#: Close codes a server fails a connection with on bad input.
FAIL_CODES = frozenset((1002, 1007, 1009))


class Problem(Exception):
    """An invariant the WebSocket core broke (a finding)."""


# ---------------------------------------------------------------- generator


def frame(
    opcode: int, payload: bytes, fin: bool = True, rsv: int = 0, key: bytes | None = b"\x01\x02\x03\x04"
) -> bytes:
    """A client frame (masked with *key*; None: unmasked), minimal length."""
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    mbit = 0x80 if key is not None else 0
    if n < 126:
        head = bytes((b0, mbit | n))
    elif n < 65536:
        head = bytes((b0, mbit | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((b0, mbit | 127)) + n.to_bytes(8, "big")
    if key is None:
        return head + payload
    return head + key + _xor(payload, key)


def _xor(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if not n:
        return b""
    pad = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(pad, "little")).to_bytes(n, "little")


_TEXTS = ["", "hello", "héllo wörld", "日本語テキスト", "emoji 😀🎉", "a" * 200, "ü" * 70]
BAD_UTF8 = [
    b"\xc0\xaf",  # overlong /
    b"\xe0\x80\xaf",  # overlong
    b"\xed\xa0\x80",  # surrogate
    b"\xf4\x90\x80\x80",  # > U+10FFFF
    b"\xf8\x88\x80\x80\x80",  # 5-byte form
    b"\xff",
    b"\x80",
    b"\xce",  # truncated at the end
    b"\xf0\x9f\x98",  # truncated 4-byte
]
_CLOSE_CODES = [
    0,
    999,
    1000,
    1001,
    1002,
    1003,
    1004,
    1005,
    1006,
    1007,
    1011,
    1012,
    1014,
    1015,
    1016,
    2999,
    3000,
    4999,
    5000,
    65535,
]
_LENGTHS = [0, 1, 125, 126, 127, 65535, 65536, 2**31, 2**63 - 1, 2**63, 2**64 - 1]
#: Byte strings the mutator inserts whole (frame headers, a close code, the deflate tail).
DICTIONARY = [
    b"\x81\x80",
    b"\x88\x80",
    b"\x89\x80",
    b"\x80\x80",
    b"\x01\x80",
    b"\xc1\x80",
    b"\x81\xfe",
    b"\x81\xff",
    b"\xff\xff",
    b"\x00\x00\xff\xff",
    b"\x03\xe8",
]


class WsCase:
    """One fuzzed input: the client's bytes and the server's settings."""

    __slots__ = ("data", "deflate", "nct", "bits", "max_text", "max_binary", "kind")

    def __init__(
        self, data: bytes, deflate: bool, nct: bool, bits: int, max_text: int, max_binary: int, kind: str
    ) -> None:
        self.data = data
        self.deflate = deflate
        self.nct = nct
        self.bits = bits
        self.max_text = max_text
        self.max_binary = max_binary
        self.kind = kind

    def describe(self) -> str:
        """The settings, for a reproducer file."""
        return (
            f"deflate={self.deflate} client_no_context_takeover={self.nct} client_max_window_bits={self.bits} "
            f"max_text={self.max_text} max_binary={self.max_binary} kind={self.kind}"
        )


def _message_frames(rng: random.Random, case: WsCase, compressor: Any) -> list[bytes]:
    """Frames of one message (maybe fragmented, with controls between)."""
    key = rng.randbytes(4)
    r = rng.random()
    if r < 0.15:
        return [frame(0x9, rng.randbytes(rng.choice((0, 4, 125))), key=key)]
    if r < 0.22:
        return [frame(0xA, rng.randbytes(rng.choice((0, 4))), key=key)]
    if r < 0.55:
        opcode = 1
        payload = rng.choice(_TEXTS).encode()
        if rng.random() < 0.15:
            i = rng.randint(0, len(payload))
            payload = payload[:i] + rng.choice(BAD_UTF8) + payload[i:]
    else:
        opcode = 2
        payload = rng.randbytes(rng.choice((0, 1, 10, 125, 126, 1000, 70000 if rng.random() < 0.05 else 5)))
    if rng.random() < 0.03:  # a bomb: small on the wire, huge inflated
        payload = b"\0" * 200_000 if opcode == 2 else b"a" * 200_000
    compressed = compressor is not None and rng.random() < 0.7
    if compressed:
        assert compressor is not None
        wire = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
        if wire.endswith(b"\x00\x00\xff\xff"):
            wire = wire[:-4]
        if rng.random() < 0.05:
            wire = rng.randbytes(len(wire) or 1)  # garbage deflate data
    else:
        wire = payload
    pieces = random_splits(rng, wire, 4) if wire and rng.random() < 0.4 else [wire]
    frames = []
    for i, piece in enumerate(pieces):
        first, last = i == 0, i == len(pieces) - 1
        frames.append(frame(opcode if first else 0, piece, fin=last, rsv=4 if compressed and first else 0, key=key))
        if not last and rng.random() < 0.3:
            frames.append(frame(0x9, b"mid", key=key))
    return frames


def _game(rng: random.Random, frames: list[bytes]) -> None:
    """Play one frame-level trick on *frames* (in place)."""
    g = rng.randrange(9)
    if not frames:
        frames.append(frame(1, b"x"))
    i = rng.randrange(len(frames))
    f = bytearray(frames[i]) or bytearray(frame(2, b"e"))
    if g == 0:  # flip FIN / RSV / opcode / MASK bits
        f[0] ^= 1 << rng.randrange(8)
    elif g == 1 and len(f) > 1:
        f[1] ^= 0x80
    elif g == 2:  # a boundary or non-minimal length, payload as announced or short
        n = rng.choice(_LENGTHS)
        form = rng.choice((7, 16, 64))
        if form == 7 and n <= 125:
            lenbytes = bytes((0x80 | n,))
        elif form == 16 and n < 65536:
            lenbytes = bytes((0x80 | 126,)) + n.to_bytes(2, "big")
        else:
            lenbytes = bytes((0x80 | 127,)) + (n % 2**64).to_bytes(8, "big")
        body = rng.randbytes(min(n, 200)) if n <= 200 else b"x" * rng.choice((0, 10))
        f = bytearray(bytes((f[0],)) + lenbytes + b"\0\0\0\0" + body)
    elif g == 3:  # a close frame with an odd code / payload
        r = rng.random()
        if r < 0.2:
            payload = b"\x03"
        elif r < 0.4:
            payload = rng.choice(_CLOSE_CODES).to_bytes(2, "big") + rng.choice(BAD_UTF8)
        elif r < 0.5:
            payload = (1000).to_bytes(2, "big") + b"r" * rng.choice((123, 124))
        else:
            payload = rng.choice(_CLOSE_CODES).to_bytes(2, "big") + b"bye"
        f = bytearray(frame(0x8, payload, key=rng.randbytes(4)))
    elif g == 4:  # fragmented control frame
        f = bytearray(frame(rng.choice((0x8, 0x9, 0xA)), b"p", fin=False))
    elif g == 5:  # continuation out of the blue / new data frame mid-message
        f = bytearray(frame(rng.choice((0, 1, 2)), b"c", fin=rng.random() < 0.5))
    elif g == 6:  # RSV1 on a control or continuation frame, or on data
        f[0] |= 0x40
    elif g == 7:  # unmasked client frame
        f = bytearray(frame(rng.choice((1, 2, 9)), b"plain", key=None))
    else:  # truncated frame
        del f[rng.randrange(len(f) + 1) :]
    frames[i] = bytes(f)


def generate(
    rng: random.Random,
    mutator: Mutator,
    deflate: bool | None = None,
    nct: bool | None = None,
    bits: int | None = None,
    limit: int | None = None,
) -> WsCase:
    """One fuzzed client stream and the server settings to read it with
    (random unless given: deflate on/off, client_no_context_takeover,
    client_max_window_bits, the message size limit)."""
    if deflate is None:
        deflate = rng.random() < 0.4
    if nct is None:
        nct = rng.random() < 0.3
    if bits is None:
        bits = rng.choice((9, 10, 12, 15, 15))
    if limit is None:
        limit = 1000 if rng.random() < 0.3 else 65536
    case = WsCase(b"", deflate, nct, bits, limit, limit, "valid")
    compressor = zlib.compressobj(6, zlib.DEFLATED, -bits) if deflate else None
    frames: list[bytes] = []
    for _ in range(rng.randint(1, 4)):
        if compressor is not None and nct:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -bits)
        frames += _message_frames(rng, case, compressor)
    if rng.random() < 0.25:
        frames.append(frame(0x8, (1000).to_bytes(2, "big") + b"done", key=rng.randbytes(4)))
    r = rng.random()
    if r < 0.2:
        pass
    elif r < 0.5:
        for _ in range(rng.randint(1, 2)):
            _game(rng, frames)
        case.kind = "game"
    else:
        if rng.random() < 0.5:
            _game(rng, frames)
        data, _ = mutator.mutate(b"".join(frames))
        case.data = data
        case.kind = "mutated"
        return case
    case.data = b"".join(frames)
    return case


# ----------------------------------------------------------------- checking


def check_frame_parser(
    data: bytes, rng: random.Random, require_mask: bool, allow_rsv1: bool, max_frame: int | None
) -> str:
    """FrameParser against the reference frame reader, fed in pieces."""
    ref: list[tuple[object, ...]] = []
    ref_error = None
    headers = 0
    try:
        for item in ref_frames(data, from_client=require_mask, rsv1_ok=allow_rsv1, max_frame=max_frame):
            headers += 1
            if isinstance(item, RefFrame):
                h = item.header
                ref.append((h.opcode, item.payload, h.fin, bool(h.rsv & 4), h.key or None))
    except RefViolation as exc:
        ref_error = exc.code
    parser = FrameParser(require_mask=require_mask, allow_rsv1=allow_rsv1, max_frame_size=max_frame)
    got: list[tuple[object, ...]] = []
    error = None
    try:
        for piece in random_splits(rng, data, 8):
            parser.feed(piece)
            for _ in range(len(piece) + 2):
                f = parser.next_frame()
                if f is None:
                    break
                got.append((f.opcode, f.payload, f.fin, f.rsv1, parser.last_mask_key))
            else:
                raise Problem("FrameParser returned more frames than bytes fed")
    except ProtocolError as exc:
        error = exc.code
        try:
            parser.next_frame()
        except ProtocolError:
            pass
        else:
            raise Problem("a failed FrameParser recovered")
    if got != ref[: len(got)] or len(got) != len(ref):
        raise Problem(f"FrameParser frames differ from the reference ({len(got)} vs {len(ref)} frames)")
    if error != ref_error and not (isinstance(ref_error, frozenset) and error in ref_error):
        raise Problem(f"FrameParser error {error} where the reference says {ref_error}")
    # Each frame yields its header, then (when whole) the frame: count the
    # headers, plus the refused one.
    seen = headers - len(ref) + (ref_error is not None)
    return f"frames: ok {seen}" if error is None else f"frames: fail {error} {seen}"


def _events_of(proto: WsProtocol, chunks: list[bytes], eof: bool) -> list[tuple[object, ...]]:
    events: list[tuple[object, ...]] = []
    for chunk in [*chunks, b""] if eof else chunks:
        for ev in proto.receive_data(chunk):
            if isinstance(ev, TextMessage):
                events.append(("text", ev.data))
            elif isinstance(ev, BinaryMessage):
                events.append(("binary", ev.data))
            elif isinstance(ev, Ping):
                events.append(("ping", ev.payload))
            elif isinstance(ev, Pong):
                events.append(("pong", ev.payload))
            elif isinstance(ev, CloseReceived):
                events.append(("close", ev.code, ev.reason))
            elif isinstance(ev, ConnectionFailed):
                events.append(("eof",) if ev.code == 1006 else ("fail", ev.code))
            else:
                raise Problem(f"unknown event {ev!r}")
    return events


def _protocol(case: WsCase) -> WsProtocol:
    pmd = None
    if case.deflate:
        pmd = PerMessageDeflate(client_no_context_takeover=case.nct, client_max_window_bits=case.bits)
    return WsProtocol(case.max_text, case.max_binary, pmd)


def _check_outgoing(out: bytes, events: list[tuple[object, ...]]) -> None:
    """The server's own frames: one pong per ping while open, then the
    close RFC 6455 asks for (echo of the peer's code, or the failure's)."""
    frames = [item for item in ref_frames(out, from_client=False) if isinstance(item, RefFrame)]
    consumed = sum(2 + (2 if len(f.payload) > 125 else 0) + len(f.payload) for f in frames)
    if consumed != len(out):
        raise Problem("the server's queued bytes are not whole frames")
    pings = [e[1] for e in events if e[0] == "ping"]
    pongs = [f.payload for f in frames if f.header.opcode == 0xA]
    if pongs != pings:
        raise Problem("pongs queued do not answer the pings received")
    closes = [f for f in frames if f.header.opcode == 0x8]
    last = events[-1] if events else None
    if last is not None and last[0] in ("close", "fail"):
        if len(closes) != 1 or frames[-1].header.opcode != 0x8:
            raise Problem("no close frame queued (or more than one, or not last)")
        payload = closes[0].payload
        if last[0] == "fail":
            if int.from_bytes(payload[:2], "big") != last[1]:
                raise Problem(f"close frame code {payload[:2]!r} for failure {last[1]}")
            payload[2:].decode("utf-8")
        elif last[1] == 1005:
            # RFC 6455 5.5.1 only asks for a close in reply: empty, or 1000
            # as Tomcat answers.
            if payload not in (b"", b"\x03\xe8"):
                raise Problem(f"a close without a code answered with {payload!r}")
        elif payload[:2] != int(last[1]).to_bytes(2, "big"):  # type: ignore[call-overload]
            raise Problem("close code not echoed")
    elif closes:
        raise Problem("a close frame queued while the connection stays open")


def check_protocol(case: WsCase, rng: random.Random, bytewise: bool = False) -> str:
    """WsProtocol against the reference session, fed whole and in pieces."""
    ref_deflate = RefDeflate(case.nct, case.bits) if case.deflate else None
    expected = ref_session(case.data, max_text=case.max_text, max_binary=case.max_binary, deflate=ref_deflate)
    proto = _protocol(case)
    whole = _events_of(proto, [case.data] if case.data else [], True)
    if not events_match(whole, expected):
        raise Problem(f"WsProtocol events differ from the reference: {_short(whole)} vs {_short(expected)}")
    _check_outgoing(proto.data_to_send(), whole)
    for ev in whole:
        if ev[0] == "fail" and ev[1] not in FAIL_CODES:
            raise Problem(f"failure with close code {ev[1]}")
    split = _events_of(_protocol(case), random_splits(rng, case.data, 8), True)
    if split != whole:
        raise Problem("WsProtocol gives other events when the stream is split")
    if bytewise:
        one = _events_of(_protocol(case), [case.data[i : i + 1] for i in range(len(case.data))], True)
        if one != whole:
            raise Problem("WsProtocol gives other events fed one byte at a time")
    end = whole[-1] if whole else ("none",)
    return {"fail": f"session: fail {end[1] if len(end) > 1 else ''}", "close": "session: peer closed"}.get(
        str(end[0]), "session: open at EOF (1006)"
    )


def _short(events: list[tuple[object, ...]]) -> str:
    return repr([e if len(repr(e)) < 60 else (e[0], "...") for e in events])[:400]


def check_utf8(rng: random.Random, payload: bytes) -> str:
    """Utf8Validator fed in pieces against the strict codec, fail-fast."""
    pieces = random_splits(rng, payload, 6)
    validator = Utf8Validator()
    seen = b""
    text = []
    for piece in pieces:
        seen += piece
        state = ref_utf8_state(seen)
        try:
            text.append(validator.feed(piece))
        except UnicodeDecodeError:
            if state != "invalid":
                raise Problem(f"Utf8Validator refused {seen!r}, a valid prefix")
            return "utf8: invalid (caught at the right piece)"
        if state == "invalid":
            raise Problem(f"Utf8Validator accepted {seen!r}, which can no longer be valid UTF-8")
    try:
        text.append(validator.finish())
    except UnicodeDecodeError:
        if ref_utf8_state(seen) == "valid":
            raise Problem("Utf8Validator refused valid UTF-8 at the end")
        return "utf8: incomplete at the end"
    if ref_utf8_state(seen) != "valid":
        raise Problem(f"Utf8Validator accepted {seen!r} at the end")
    if "".join(text) != seen.decode("utf-8"):
        raise Problem("Utf8Validator decoded differently")
    return "utf8: valid"


def check_ws(case: WsCase, rng: random.Random, bytewise: bool | None = None) -> list[str]:
    """All checks for one input; returns outcome labels. Raises Problem."""
    labels = [
        check_protocol(case, rng, bytewise if bytewise is not None else len(case.data) < 400 and rng.random() < 0.1)
    ]
    labels.append(
        check_frame_parser(case.data, rng, rng.random() < 0.9, case.deflate, rng.choice((None, None, 125, 1000, 70000)))
    )
    return labels


def _utf8_sample(rng: random.Random) -> bytes:
    parts = [rng.choice(_TEXTS).encode() for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(BAD_UTF8))
    data = b"".join(parts)
    if data and rng.random() < 0.3:
        i = rng.randrange(len(data))
        data = data[:i] + bytes((rng.randrange(256),)) + data[i + 1 :]
    return data


# --------------------------------------------------------------------- main


def _worker(args: tuple[int, int, float]) -> tuple[Counter[str], list[tuple[str, bytes, str]], int]:
    seed, count, deadline = args
    rng = random.Random(seed)
    corpus_cases = [generate(rng, Mutator(rng, [b"\x81\x80"], DICTIONARY)) for _ in range(300)]
    mutator = Mutator(rng, [c.data for c in corpus_cases if c.data], DICTIONARY)
    counts: Counter[str] = Counter()
    failures: list[tuple[str, bytes, str]] = []
    done = 0
    for done in range(1, count + 1):
        case = generate(rng, mutator)
        counts[f"kind: {case.kind}, deflate {'on' if case.deflate else 'off'}"] += 1
        try:
            for label in check_ws(case, rng):
                if label.startswith("frames: "):
                    label, _, seen = label.rpartition(" ")
                    counts["frames (headers) read by FrameParser"] += int(seen)
                counts[label] += 1
            if done % 4 == 0:
                counts[check_utf8(rng, _utf8_sample(rng))] += 1
        except Problem as exc:
            counts["FINDING: invariant broken"] += 1
            if len(failures) < 50:
                failures.append(("problem", case.data, f"{exc} [{case.describe()}]"))
        except Exception as exc:  # a crash
            counts["CRASH: exception"] += 1
            if len(failures) < 50:
                failures.append(("crash", case.data, f"{type(exc).__name__}: {exc} [{case.describe()}]"))
        if done % 1000 == 0 and time.time() > deadline:
            break
    return counts, failures, done


def _replay(path: Path) -> int:
    """Re-check a saved reproducer with the settings written beside it."""
    note = path.with_suffix(".txt").read_text() if path.with_suffix(".txt").exists() else ""

    def setting(name: str, default: str) -> str:
        m = re.search(rf"{name}=(\w+)", note)
        return m.group(1) if m else default

    case = WsCase(
        path.read_bytes(),
        setting("deflate", "False") == "True",
        setting("client_no_context_takeover", "False") == "True",
        int(setting("client_max_window_bits", "15")),
        int(setting("max_text", "65536")),
        int(setting("max_binary", "65536")),
        "replay",
    )
    print(case.describe())
    print(check_ws(case, random.Random(0), bytewise=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000, help="inputs in all (default 100000)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=1800)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--out",
        default=str(Path(tempfile.gettempdir()) / "catalina_py-fuzz"),
        help="where reproducers of failures go (default: $TMPDIR/catalina_py-fuzz)",
    )
    ap.add_argument("--replay", help="re-check one saved input (FILE.bin; its settings are read from FILE.txt)")
    a = ap.parse_args(argv)
    if a.replay:
        return _replay(Path(a.replay))
    start = time.time()
    per = a.count // a.workers
    jobs = [
        (a.seed * 1000 + i, per + (a.count % a.workers if i == 0 else 0), start + a.seconds) for i in range(a.workers)
    ]
    with multiprocessing.Pool(a.workers) as pool:
        results = pool.map(_worker, jobs)
    elapsed = time.time() - start
    total: Counter[str] = Counter()
    failures = []
    done = 0
    for counts, fails, n in results:
        total.update(counts)
        failures.extend(fails)
        done += n
    print(
        f"WebSocket fuzz: {done} inputs in {elapsed:.1f} s ({done / elapsed:.0f}/s), {a.workers} workers, seed {a.seed}"
    )
    for label, n in sorted(total.items()):
        print(f"  {n:9d}  {label}")
    if failures:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        for i, (what, data, text) in enumerate(failures):
            (out / f"ws-{what}-{i}.bin").write_bytes(data)
            (out / f"ws-{what}-{i}.txt").write_text(text + "\n")
            print(f"  {what}: {text[:300]}  -> {out / f'ws-{what}-{i}.bin'}")
        return 1
    print("  0 crashes, 0 invariant violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
