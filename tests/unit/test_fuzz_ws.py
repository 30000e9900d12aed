"""Property tests of the WebSocket core (FrameParser, WsProtocol with
permessage-deflate on and off, Utf8Validator): a small, bounded version of
bench/hardening/ws_fuzz.py (which runs a million inputs), checked against
the independent RFC 6455 reference reader in bench/hardening/ws_reference.py.

Each test draws a bounded number of examples (derandomized: the same on
every run, no database). The checks: the same frames and the same failure
code as the reference, the same events (messages, pings, pongs, close,
failure with 1002/1007/1009), one pong per ping and the right close frame
queued, the same result fed whole, split and one byte at a time, and a
UTF-8 validator that fails at the first fragment that cannot be valid.
"""

from __future__ import annotations

import random
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.hardening import ws_fuzz
from bench.hardening.mutate import Mutator
from bench.hardening.ws_reference import events_match, ref_session, utf8_state
from catalina_py.websocket.core import protocol as ws_protocol

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

key = st.binary(min_size=4, max_size=4)


@st.composite
def raw_frame(draw: st.DrawFn) -> bytes:
    """One client frame with any header bits: mostly sensible, sometimes not."""
    opcode = draw(st.sampled_from([0, 1, 2, 8, 9, 10]) | st.integers(0, 15))
    fin = draw(st.booleans()) if draw(st.integers(0, 3)) == 0 else True
    rsv = draw(st.sampled_from([0, 0, 0, 4, 2, 1]))
    if opcode == 1:
        payload = draw(st.text(max_size=40)).encode() if draw(st.booleans()) else draw(st.binary(max_size=40))
    elif opcode == 8:
        code = draw(st.sampled_from([1000, 1001, 1005, 1006, 1015, 3000, 4999, 999, 5000]))
        payload = (
            code.to_bytes(2, "big") + draw(st.binary(max_size=6))
            if draw(st.integers(0, 4))
            else draw(st.binary(max_size=2))
        )
    else:
        payload = draw(st.binary(max_size=140))
    masked = draw(st.integers(0, 20)) > 0
    data = ws_fuzz.frame(opcode, payload, fin=fin, rsv=rsv, key=draw(key) if masked else None)
    if draw(st.integers(0, 10)) == 0:  # cut short
        data = data[: draw(st.integers(0, len(data)))]
    return data


streams = st.lists(raw_frame(), min_size=1, max_size=5).map(b"".join)
settings_ = st.tuples(st.booleans(), st.booleans(), st.sampled_from([9, 12, 15]), st.sampled_from([100, 1000, 65536]))


@settings(FUZZ, max_examples=400)
@given(data=streams, conf=settings_, rng=st.randoms(use_true_random=False))
def test_protocol_matches_the_reference_on_drawn_frames(
    data: bytes, conf: tuple[bool, bool, int, int], rng: random.Random
) -> None:
    deflate, nct, bits, limit = conf
    case = ws_fuzz.WsCase(data, deflate, nct, bits, limit, limit, "drawn")
    ws_fuzz.check_protocol(case, rng, bytewise=len(data) < 200)


@settings(FUZZ, max_examples=400)
@given(rng=st.randoms(use_true_random=False))
def test_protocol_matches_the_reference_on_fuzzed_streams(rng: random.Random) -> None:
    """The bench fuzzer's own generator (valid messages, deflate, games,
    byte mutations), driven by hypothesis's random."""
    mutator = Mutator(rng, [ws_fuzz.frame(1, b"hello"), ws_fuzz.frame(8, b"\x03\xe8")], ws_fuzz.DICTIONARY)
    case = ws_fuzz.generate(rng, mutator)
    ws_fuzz.check_ws(case, rng, bytewise=len(case.data) < 200)


@settings(FUZZ, max_examples=400)
@given(
    data=streams,
    require_mask=st.booleans(),
    allow_rsv1=st.booleans(),
    max_frame=st.sampled_from([None, 0, 125, 126, 65536]),
    rng=st.randoms(use_true_random=False),
)
def test_frame_parser_matches_the_reference(
    data: bytes, require_mask: bool, allow_rsv1: bool, max_frame: int | None, rng: random.Random
) -> None:
    ws_fuzz.check_frame_parser(data, rng, require_mask, allow_rsv1, max_frame)


utf8_pieces = st.lists(
    st.text(max_size=8).map(str.encode) | st.sampled_from(ws_fuzz.BAD_UTF8) | st.binary(max_size=4), max_size=6
).map(b"".join)


@settings(FUZZ, max_examples=500)
@given(payload=utf8_pieces, rng=st.randoms(use_true_random=False))
def test_utf8_validator_fails_at_the_first_impossible_byte(payload: bytes, rng: random.Random) -> None:
    ws_fuzz.check_utf8(rng, payload)


def test_reference_utf8_states() -> None:
    assert utf8_state("é".encode()) == "valid"
    assert utf8_state(b"\xc3") == "incomplete"
    assert utf8_state(b"\xed\xa0") == "invalid"  # a surrogate can never follow
    assert utf8_state(b"\xf4\x90") == "invalid"  # beyond U+10FFFF


def test_reference_session_reads_a_compressed_message() -> None:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    wire = comp.compress(b"hello") + comp.flush(zlib.Z_SYNC_FLUSH)
    data = ws_fuzz.frame(1, wire[:-4], rsv=4) + ws_fuzz.frame(8, b"\x03\xe8")
    from bench.hardening.ws_reference import RefDeflate

    assert ref_session(data, max_text=100, max_binary=100, deflate=RefDeflate()) == [
        ("text", "hello"),
        ("close", 1000, ""),
    ]
    assert events_match([("fail", 1002)], [("fail", frozenset((1002, 1007)))])


def test_the_checks_catch_a_protocol_that_misbehaves(monkeypatch: pytest.MonkeyPatch) -> None:
    """A protocol that accepts a reserved close code (1005 on the wire) is
    reported: the harness is only worth something if it fails such a bug."""
    original = ws_protocol.is_valid_close_code
    monkeypatch.setattr(ws_protocol, "is_valid_close_code", lambda code: code == 1005 or original(code))
    data = ws_fuzz.frame(8, (1005).to_bytes(2, "big"))
    case = ws_fuzz.WsCase(data, False, False, 15, 1000, 1000, "planted")
    with pytest.raises(ws_fuzz.Problem):
        ws_fuzz.check_protocol(case, random.Random(0))
