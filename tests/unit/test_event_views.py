"""catalina_py.event_views: each event's component, step, summary and JSON
fields; bounded previews; masking, also across reads (no sockets)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from typing import Any

import pytest

import catalina_py.events as events
from catalina_py.event_views import (
    MASK,
    MAX_BYTES,
    MAX_HEADER_VALUE,
    RawMasker,
    accept_steps,
    bytes_view,
    component_of,
    event_fields,
    mask_headers,
    step_of,
    summary_of,
)

ABSTRACT = {"Event", "FrameEvent", "MessageEvent"}


def sample(cls: type) -> Any:
    """One instance of *cls* with a plausible value in every field."""
    values: dict[str, Any] = {"connection": 4}
    for f in dataclasses.fields(cls):
        if f.name in ("connection", "at") or f.default is not dataclasses.MISSING:
            continue
        kind = str(f.type)
        if "bytes" in kind:
            values[f.name] = b"\x00abc\xff"
        elif "tuple" in kind:
            values[f.name] = (("Host", "h"), ("Cookie", "secret=1"))
        elif kind.startswith("bool"):
            values[f.name] = True
        elif kind.startswith("int"):
            values[f.name] = 3
        elif kind.startswith("float"):
            values[f.name] = 0.25
        elif kind == "object":
            values[f.name] = object()
        else:
            values[f.name] = "text"
    return cls(**values)


CONCRETE = [
    getattr(events, n)
    for n in events.__all__
    if isinstance(getattr(events, n), type) and dataclasses.is_dataclass(getattr(events, n)) and n not in ABSTRACT
]


@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_every_event_has_words_and_json_fields(cls: type) -> None:
    event = sample(cls)
    assert summary_of(event) and summary_of(event) != cls.__name__
    assert step_of(event) != cls.__name__
    fields = event_fields(event)
    assert "connection" not in fields and "at" not in fields
    json.dumps(fields)  # JSON values only
    if cls is events.RequestCompleted:
        assert fields == {"elapsed": 0.25}


def test_components_name_the_classes_that_act() -> None:
    assert component_of(sample(events.ConnectionAccepted)) == "Endpoint"
    assert component_of(sample(events.RequestMapped)) == "CoyoteAdapter"
    assert component_of(sample(events.FrameReceived)) == "WsFrameServer"
    assert component_of(events.ValveEntered(connection=1, container="StandardHost[h]", valve="AccessLogValve")) == (
        "AccessLogValve"
    )
    assert component_of(events.FilterLeft(connection=1, filter="TimingFilter", elapsed=0.1)) == "TimingFilter"


def test_bytes_view_is_bounded_and_escaped() -> None:
    view = bytes_view(b"GET /\r\n\x00\xfe<b>")
    assert view == {
        "length": 12,
        "hex": "47 45 54 20 2f 0d 0a 00 fe 3c 62 3e",
        "text": "GET /\r\n..<b>",
        "truncated": False,
    }
    big = bytes_view(bytes(range(256)) * 4096)
    assert big["length"] == 1 << 20 and big["truncated"] is True
    assert len(big["hex"].split()) == MAX_BYTES and len(big["text"]) == MAX_BYTES
    assert set(big["text"]) <= {chr(c) for c in range(32, 127)} | {"\t", "\r", "\n", "."}


def test_sensitive_headers_are_masked_and_long_values_cut() -> None:
    shown = mask_headers(
        (
            ("authorization", "Basic x"),
            ("Proxy-Authorization", "y"),
            ("COOKIE", "a=b"),
            ("Set-Cookie", "c=d"),
            ("X-Long", "v" * 2000),
            ("Host", "h"),
        )
    )
    assert [v for _, v in shown[:4]] == [MASK] * 4
    assert shown[4][1].startswith("v" * MAX_HEADER_VALUE) and "2000 characters" in shown[4][1]
    assert shown[5] == ["Host", "h"]
    assert mask_headers((("Cookie", "a=b"),), mask=False) == [["Cookie", "a=b"]]


REQUEST = b"GET / HTTP/1.1\r\nCookie: secret=1\r\nHost: h\r\nAuthorization: Bearer tok\r\n\r\n"


def test_raw_bytes_are_masked_in_one_read() -> None:
    masked = RawMasker().mask(1, False, REQUEST)
    assert b"secret" not in masked and b"tok" not in masked
    assert masked == b"GET / HTTP/1.1\r\nCookie: ***\r\nHost: h\r\nAuthorization: ***\r\n\r\n"


@pytest.mark.parametrize("split", range(1, len(REQUEST)))
def test_a_header_line_split_between_reads_is_masked(split: int) -> None:
    masker = RawMasker()
    out = masker.mask(1, False, REQUEST[:split]) + masker.mask(1, False, REQUEST[split:])
    assert b"secret" not in out and b"tok" not in out
    assert out.startswith(b"GET / HTTP/1.1\r\n") and b"Host: h\r\n" in out and out.endswith(b"\r\n\r\n")


def test_connections_and_directions_are_kept_apart() -> None:
    masker = RawMasker()
    masker.mask(1, False, b"Cookie: sec")
    # Another connection, and the other direction, know nothing of that line.
    assert masker.mask(2, False, b"ret\r\n") == b"ret\r\n"
    assert masker.mask(1, True, b"ret\r\n") == b"ret\r\n"
    assert b"ret" not in masker.mask(1, False, b"ret\r\n")
    masker.forget(1)
    assert masker.mask(1, False, b"more\r\n") == b"more\r\n"


def test_the_accept_is_computed_step_by_step() -> None:
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    steps = accept_steps(key)
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    assert [s["value"] for s in steps] == [
        key,
        key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
        digest.hex(" "),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    ]
    assert base64.b64decode(steps[-1]["value"]) == digest


def test_fields_render_bytes_headers_and_keys() -> None:
    head = events.RequestHeadParsed(
        connection=1, method="GET", target="/", version="HTTP/1.1", headers=(("Cookie", "x=1"),), body="none"
    )
    assert event_fields(head)["headers"] == [["Cookie", MASK]]
    frame = events.FrameReceived(
        connection=1,
        opcode="text",
        fin=True,
        rsv1=False,
        masked=True,
        length=1000,
        payload=b"a" * 256,
        description="text frame",
        mask_key=b"\x01\x02\x03\x04",
    )
    fields = event_fields(frame)
    assert fields["mask_key"] == "01020304"
    assert fields["payload"]["length"] == 1000 and fields["payload"]["truncated"] is True
    read = events.BytesReceived(connection=1, data=b"Cookie: x=1\r\n")
    assert event_fields(read)["data"]["text"] == "Cookie: ***\r\n"
    assert event_fields(read, mask=False)["data"]["text"] == "Cookie: x=1\r\n"
