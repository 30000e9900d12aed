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
    MAX_PAYLOAD,
    SENSITIVE_HEADERS,
    WS_GUID,
    RawMasker,
    accept_steps,
    bytes_view,
    component_of,
    event_fields,
    mask_headers,
    step_of,
    summary_of,
)
from tests.unit.test_trace import mapped as adapter_mapped

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


# -- every concrete event: its component and step, by name ----------------------
#: The classes docs/inspector.md names as the components of the container's
#: steps (besides a valve's class name and a filter's name).
DOC_COMPONENTS = {
    "Endpoint",
    "Http11Processor",
    "CoyoteAdapter",
    "StandardWrapperValve",
    "WsServerContainer",
    "WsFrameServer",
    "WsRemoteEndpoint",
    "WsSession",
}

#: Each concrete event: the component and the timeline step it is shown with
#: (None: the valve's or the filter's own name).
EXPECTED: dict[type, tuple[str | None, str]] = {
    events.ConnectionAccepted: ("Endpoint", "accept"),
    events.BytesReceived: ("Http11Processor", "read"),
    events.BytesSent: ("Http11Processor", "write"),
    events.RequestHeadParsed: ("Http11Processor", "parse"),
    events.RequestRejected: ("Http11Processor", "parse"),
    events.ChunkReceived: ("Http11Processor", "chunk"),
    events.ChunkSent: ("Http11Processor", "chunk"),
    events.RequestMapped: ("CoyoteAdapter", "map"),
    events.ValveEntered: (None, "valve"),
    events.ValveLeft: (None, "valve"),
    events.FilterEntered: (None, "filter"),
    events.FilterLeft: (None, "filter"),
    events.ServletCalled: ("StandardWrapperValve", "servlet"),
    events.ServletReturned: ("StandardWrapperValve", "servlet"),
    events.ResponseCommitted: ("Http11Processor", "commit"),
    events.KeepAliveDecided: ("Http11Processor", "keep-alive"),
    events.RequestCompleted: ("CoyoteAdapter", "complete"),
    events.HandshakeCheck: ("WsServerContainer", "handshake"),
    events.HandshakeAccepted: ("WsServerContainer", "handshake"),
    events.HandshakeRefused: ("WsServerContainer", "handshake"),
    events.Upgraded: ("Http11Processor", "upgrade"),
    events.WebSocketOpened: ("WsSession", "open"),
    events.FrameReceived: ("WsFrameServer", "frame in"),
    events.FrameSent: ("WsRemoteEndpoint", "frame out"),
    events.PongReceived: ("WsSession", "pong"),
    events.ConnectionParked: ("Endpoint", "park"),
    events.ConnectionResumed: ("Endpoint", "resume"),
    events.MessageReceived: ("WsSession", "message in"),
    events.MessageSent: ("WsRemoteEndpoint", "message out"),
    events.WebSocketClosed: ("WsSession", "close"),
    events.ConnectionClosed: ("Endpoint", "close"),
}


def named_sample(cls: type) -> Any:
    """:func:`sample`, with a valve's or filter's name a real class name."""
    event = sample(cls)
    if hasattr(event, "valve"):
        event.valve = "AccessLogValve"
    if cls in (events.FilterEntered, events.FilterLeft):
        event.filter = "SetCharacterEncodingFilter"
    return event


def test_every_concrete_event_is_in_the_table() -> None:
    assert set(CONCRETE) == set(EXPECTED)
    assert len(CONCRETE) == 31


@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_every_event_names_the_component_and_step(cls: type) -> None:
    event = named_sample(cls)
    component, step = EXPECTED[cls]
    shown = component_of(event)
    assert shown and shown != cls.__name__
    if component is None:
        assert shown in ("AccessLogValve", "SetCharacterEncodingFilter")
    else:
        assert shown == component and shown in DOC_COMPONENTS
    assert step_of(event) == step


@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_every_event_has_a_one_line_summary(cls: type) -> None:
    summary = summary_of(named_sample(cls))
    assert summary.strip() and summary != cls.__name__
    assert "\n" not in summary


# -- summaries that carry the decision ----------------------------------------------
def mapped(**changes: Any) -> events.RequestMapped:
    """The event CoyoteAdapter builds (its words are the adapter's)."""
    return adapter_mapped(1, **changes)


def test_mapping_summaries() -> None:
    assert summary_of(mapped()) == (
        "context /examples, servlet HelloWorldExample (exact match '/servlets/helloworld': "
        "servlet path '/servlets/helloworld', path info None)"
    )
    assert summary_of(mapped(context_path=None)) == "no context matched"
    assert summary_of(mapped(redirect="/examples/")) == "context /examples: redirect to /examples/"
    assert summary_of(mapped(context_path="", wrapper=None)).startswith("context / (ROOT), servlet none")


def test_decision_summaries_say_why() -> None:
    kept = events.KeepAliveDecided(connection=1, keep_alive=True, reason="HTTP/1.1 default", buffered=17)
    assert summary_of(kept) == "keep alive: HTTP/1.1 default (17 bytes of the next request already buffered)"
    closing = events.KeepAliveDecided(connection=1, keep_alive=False, reason="Connection: close")
    assert summary_of(closing) == "close: Connection: close"
    refused = events.HandshakeRefused(connection=1, status=403, reason="origin", check="origin", compared="a != b")
    assert summary_of(refused) == "refused with 403, check origin failed (a != b): origin"
    assert summary_of(events.HandshakeRefused(connection=1, status=426, reason="version")) == (
        "refused with 426: version"
    )
    raised = events.ServletReturned(connection=1, servlet="Hello", elapsed=0.0015, error="ValueError")
    assert summary_of(raised) == "Hello returned after 1.500 ms, raised ValueError"
    abnormal = events.WebSocketClosed(connection=1, code=1006, reason="", initiator="abnormal")
    assert "without a close handshake" in summary_of(abnormal)
    by_client = events.WebSocketClosed(connection=1, code=1000, reason="bye", initiator="client")
    assert summary_of(by_client) == "closed 1000 'bye', started by the client"
    last = events.ChunkReceived(connection=1, index=3, size=0, last=True, trailers=2)
    assert summary_of(last) == "last chunk (size 0), 2 trailer field(s)"


def test_a_frame_summary_shows_its_header_bits() -> None:
    frame = events.FrameReceived(
        connection=1,
        opcode="text",
        fin=False,
        rsv1=True,
        masked=True,
        length=5,
        payload=b"hello",
        description="text frame, 5 bytes (more to come)",
        mask_key=b"\x37\xfa\x21\x3d",
    )
    assert summary_of(frame) == (
        "text frame, 5 bytes (more to come): FIN=0 RSV1=1 RSV2=0 RSV3=0 opcode=text MASK=1 key 37fa213d length=5"
    )


# -- previews --------------------------------------------------------------------
def test_bytes_view_escapes_everything_but_printable_ascii_tab_cr_lf() -> None:
    data = b"\t\r\n \x7e\x7f\x1f\x80\xffA"
    view = bytes_view(data)
    assert view["text"] == "\t\r\n ~....A"
    assert view["hex"] == "09 0d 0a 20 7e 7f 1f 80 ff 41"
    assert view["length"] == 10 and view["truncated"] is False
    assert bytes_view(b"") == {"length": 0, "hex": "", "text": "", "truncated": False}


def test_bytes_view_limit_and_true_length() -> None:
    assert bytes_view(b"abcdef", limit=2) == {"length": 6, "hex": "61 62", "text": "ab", "truncated": True}
    # Data that is already a cut: the length given is the whole.
    assert bytes_view(b"abc", length=3000) == {"length": 3000, "hex": "61 62 63", "text": "abc", "truncated": True}
    exact = bytes_view(b"x" * MAX_BYTES)
    assert exact["truncated"] is False and exact["length"] == MAX_BYTES


def test_a_mebibyte_shows_at_most_max_bytes() -> None:
    view = bytes_view(b"\x00" * (1 << 20))
    assert view["length"] == 1 << 20 and view["truncated"] is True
    assert len(view["text"]) == MAX_BYTES
    assert len(view["hex"]) == 3 * MAX_BYTES - 1  # "00" pairs with one space between


# -- header lists ------------------------------------------------------------------
def test_sensitive_header_names() -> None:
    assert {"authorization", "proxy-authorization", "cookie", "set-cookie"} == SENSITIVE_HEADERS


@pytest.mark.parametrize(
    "name", ["Authorization", "AUTHORIZATION", "proxy-authorization", "Proxy-Authorization", "cookie", "SET-COOKIE"]
)
def test_sensitive_values_are_masked_whatever_the_case(name: str) -> None:
    assert mask_headers(((name, "s3cr3t"),)) == [[name, MASK]]


def test_only_the_sensitive_headers_are_masked() -> None:
    headers = (("X-Authorization", "a"), ("Cookies", "b"), ("Set-Cookie2", "c"), ("Host", "h"))
    assert mask_headers(headers) == [[n, v] for n, v in headers]


def test_header_values_are_cut_past_the_limit() -> None:
    at_limit = "v" * MAX_HEADER_VALUE
    assert mask_headers((("X", at_limit),)) == [["X", at_limit]]
    over = mask_headers((("X", at_limit + "w"),))[0][1]
    assert over == at_limit + f"... ({MAX_HEADER_VALUE + 1} characters)"
    # Unmasked, a long cookie is still cut; masked, it is only the mask.
    assert len(mask_headers((("Cookie", "c" * 5000),), mask=False)[0][1]) < 600
    assert mask_headers((("Cookie", "c" * 5000),)) == [["Cookie", MASK]]


# -- raw bytes: the brief's request, every way it can be cut ---------------------
MESSAGE = b"GET / HTTP/1.1\r\nCookie: secret=1\r\nHost: h\r\n\r\n"
MASKED = b"GET / HTTP/1.1\r\nCookie: ***\r\nHost: h\r\n\r\n"


def test_one_read_is_masked_and_nothing_else_changes() -> None:
    assert RawMasker().mask(1, False, MESSAGE) == MASKED


@pytest.mark.parametrize("split", range(len(MESSAGE) + 1))
def test_every_split_of_the_cookie_line_is_masked(split: int) -> None:
    masker = RawMasker()
    first = masker.mask(1, False, MESSAGE[:split])
    second = masker.mask(1, False, MESSAGE[split:])
    assert b"secret" not in first + second
    assert first + second == MASKED  # every non-sensitive byte as it was
    # What the first read showed is what the reads together show.
    assert MASKED.startswith(first)


def test_three_reads_at_every_pair_of_splits() -> None:
    for i in range(len(MESSAGE) + 1):
        for j in range(i, len(MESSAGE) + 1):
            masker = RawMasker()
            out = b"".join(masker.mask(7, False, part) for part in (MESSAGE[:i], MESSAGE[i:j], MESSAGE[j:]))
            assert out == MASKED, (i, j)


def test_one_byte_at_a_time() -> None:
    masker = RawMasker()
    out = b"".join(masker.mask(1, False, MESSAGE[i : i + 1]) for i in range(len(MESSAGE)))
    assert out == MASKED


def test_a_split_line_on_one_connection_does_not_leak_into_others() -> None:
    masker = RawMasker()
    split = MESSAGE.index(b"secret") + 3  # "...Cookie: sec" | "ret=1\r\n..."
    shown = [masker.mask(1, False, MESSAGE[:split])]
    # Between the two halves: another connection, and the response direction.
    assert masker.mask(2, False, b"ret=1\r\nHost: h\r\n") == b"ret=1\r\nHost: h\r\n"
    assert masker.mask(1, True, b"ret=1\r\n") == b"ret=1\r\n"
    assert masker.mask(2, False, b"Cook") == b"Cook"
    shown.append(masker.mask(1, False, MESSAGE[split:]))
    assert b"".join(shown) == MASKED
    # Connection 2's pending "Cook" continues only on connection 2.
    assert masker.mask(3, False, b"ie: x\r\n") == b"ie: x\r\n"
    assert masker.mask(2, False, b"ie: x\r\n") == b"ie: ***\r\n"


def test_set_cookie_in_a_response_split_between_writes() -> None:
    response = b"HTTP/1.1 200 \r\nSet-Cookie: JSESSIONID=ABCDEF; Path=/\r\nContent-Length: 0\r\n\r\n"
    cut = response.index(b"ABC") + 1
    masker = RawMasker()
    out = masker.mask(5, True, response[:cut]) + masker.mask(5, True, response[cut:])
    assert out == b"HTTP/1.1 200 \r\nSet-Cookie: ***\r\nContent-Length: 0\r\n\r\n"


def test_a_long_cookie_line_split_between_reads_is_masked() -> None:
    request = b"GET / HTTP/1.1\r\nCookie: " + b"a" * 1500 + b"secret=1\r\nHost: h\r\n\r\n"
    split = request.index(b"secret") - 20  # the line's first 1,500 bytes in the first read
    masker = RawMasker()
    out = masker.mask(1, False, request[:split]) + masker.mask(1, False, request[split:])
    assert b"secret" not in out
    assert out == MASKED


# -- the WebSocket accept --------------------------------------------------------
def test_rfc_6455_sample_key() -> None:
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    steps = accept_steps(key)
    assert len(steps) == 4 and all(set(s) == {"label", "value"} for s in steps)
    assert steps[0]["value"] == key
    assert steps[1]["value"] == key + WS_GUID == "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert steps[2]["value"] == "b3 7a 4f 2c c0 62 4f 16 90 f6 46 06 cf 38 59 45 b2 be c4 ea"
    assert bytes.fromhex(steps[2]["value"]) == hashlib.sha1((key + WS_GUID).encode("ascii")).digest()
    assert steps[-1]["value"].endswith("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")


# -- fields ------------------------------------------------------------------------
@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_every_events_fields_are_json_masked_or_not(cls: type) -> None:
    event = named_sample(cls)
    for fields in (event_fields(event), event_fields(event, mask=False), event_fields(event, masker=RawMasker())):
        assert json.loads(json.dumps(fields)) == fields
        assert "connection" not in fields and "at" not in fields


def test_request_completed_gives_only_its_elapsed_time() -> None:
    completed = events.RequestCompleted(connection=1, request=object(), response=object(), elapsed=0.125)
    assert event_fields(completed) == {"elapsed": 0.125}
    assert event_fields(completed, mask=False) == {"elapsed": 0.125}


def test_head_and_response_headers_are_masked_in_fields() -> None:
    head = events.RequestHeadParsed(
        connection=1,
        method="GET",
        target="/",
        version="HTTP/1.1",
        headers=(("Host", "h"), ("authorization", "Basic eDp5"), ("Cookie", "a=1")),
        body="none",
    )
    assert event_fields(head) == {
        "method": "GET",
        "target": "/",
        "version": "HTTP/1.1",
        "headers": [["Host", "h"], ["authorization", MASK], ["Cookie", MASK]],
        "body": "none",
    }
    assert event_fields(head, mask=False)["headers"][1] == ["authorization", "Basic eDp5"]
    committed = events.ResponseCommitted(
        connection=1,
        status=200,
        headers=(("Set-Cookie", "JSESSIONID=1"),),
        framing="content-length",
        content_length=0,
        reason="r",
    )
    assert event_fields(committed)["headers"] == [["Set-Cookie", MASK]]


def test_raw_data_is_a_view_masked_with_the_connections_masker() -> None:
    masker = RawMasker()
    first = events.BytesReceived(connection=3, data=b"GET / HTTP/1.1\r\nCookie: sec")
    second = events.BytesReceived(connection=3, data=b"ret=1\r\n\r\n")
    views = [event_fields(e, masker=masker)["data"] for e in (first, second)]
    assert "sec" not in views[0]["text"] and "ret" not in views[1]["text"]
    assert views[0]["length"] == len(first.data) and views[1]["length"] == len(second.data)
    assert bytes.fromhex(views[1]["hex"]) == b"\r\n\r\n"
    # Without the masker the second read, alone, does not look like a header.
    assert event_fields(second)["data"]["text"] == "ret=1\r\n\r\n"
    assert event_fields(first, mask=False, masker=masker)["data"]["text"].endswith("Cookie: sec")


def test_a_long_read_is_cut_to_max_bytes_with_its_length() -> None:
    read = events.BytesSent(connection=1, data=b"\xab" * (1 << 20))
    view = event_fields(read)["data"]
    assert view["length"] == 1 << 20 and view["truncated"] is True
    assert len(view["text"]) == MAX_BYTES
    assert len(event_fields(read, max_bytes=10)["data"]["text"]) == 10


def frame_event(cls: type, **changes: Any) -> Any:
    values: dict[str, Any] = dict(
        connection=1, opcode="binary", fin=True, rsv1=False, masked=False, length=3, payload=b"\x00\x01\x02"
    )
    values["description"] = "binary frame"
    values.update(changes)
    return cls(**values)


def test_frame_fields() -> None:
    fields = event_fields(frame_event(events.FrameReceived, masked=True, mask_key=b"\xde\xad\xbe\xef"))
    assert fields["mask_key"] == "deadbeef"
    assert fields["payload"] == {"length": 3, "hex": "00 01 02", "text": "...", "truncated": False}
    assert event_fields(frame_event(events.FrameSent))["mask_key"] is None
    big = event_fields(frame_event(events.FrameSent, length=70000, payload=b"z" * 1000))["payload"]
    assert big["length"] == 70000 and big["truncated"] is True and len(big["text"]) == MAX_PAYLOAD


def test_message_fields() -> None:
    text = events.MessageReceived(connection=1, kind="text", length=5, payload="héllo".encode())
    payload = event_fields(text)["payload"]
    assert payload["length_characters"] == 5
    assert payload["length"] == 6 and payload["text"] == "h..llo"
    binary = events.MessageSent(connection=1, kind="binary", length=4000, payload=b"\x01" * 256)
    view = event_fields(binary)["payload"]
    assert view["length"] == 4000 and view["truncated"] is True and "length_characters" not in view


def test_handshake_accepted_carries_the_accept_steps() -> None:
    accepted = events.HandshakeAccepted(
        connection=1,
        endpoint="examples.EchoEndpoint",
        path="/websocket/echo",
        key="dGhlIHNhbXBsZSBub25jZQ==",
        accept="s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        subprotocol=None,
        extensions="permessage-deflate",
    )
    fields = event_fields(accepted)
    assert fields["accept_steps"] == accept_steps("dGhlIHNhbXBsZSBub25jZQ==")
    assert fields["accept_steps"][-1]["value"] == fields["accept"]
    assert fields["subprotocol"] is None and fields["extensions"] == "permessage-deflate"


def test_a_masked_read_that_was_not_cut_is_not_flagged_truncated() -> None:
    read = events.BytesReceived(connection=1, data=b"GET / HTTP/1.1\r\nCookie: JSESSIONID=0123456789\r\n\r\n")
    view = event_fields(read)["data"]
    assert "0123456789" not in view["text"]
    assert view["truncated"] is False


def test_a_text_message_cut_by_the_emitter_is_flagged_truncated() -> None:
    # As websocket/writer.message_event builds it for a 1,000-character message.
    message = events.MessageSent(connection=1, kind="text", length=1000, payload=b"a" * 256)
    payload = event_fields(message)["payload"]
    assert payload["length_characters"] == 1000
    assert payload["truncated"] is True
