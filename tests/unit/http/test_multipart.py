"""The sans-I/O multipart/form-data parser (catalina_py/http/multipart.py):
no sockets, bytes in and events out. What Tomcat 10.1.60 does with the same
bodies was checked by hand against a running Tomcat (docs/multipart.md)."""

from __future__ import annotations

import random

import pytest

from catalina_py.http.multipart import (
    MultipartEnd,
    MultipartEvent,
    MultipartFailed,
    MultipartParser,
    PartData,
    PartEnd,
    PartStart,
    content_disposition,
    get_boundary,
    parse_part_headers,
)

B = b"XyZ"


def body(*parts: tuple[bytes, bytes], end: bool = True, preamble: bytes = b"", boundary: bytes = B) -> bytes:
    out = preamble
    for headers, data in parts:
        out += b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + data + b"\r\n"
    if end:
        out += b"--" + boundary + b"--\r\n"
    return out


def field(name: str, data: bytes) -> tuple[bytes, bytes]:
    return f'Content-Disposition: form-data; name="{name}"'.encode(), data


def merged(events: list[MultipartEvent]) -> list[MultipartEvent]:
    """Events with adjacent PartData joined (how data is cut depends on
    how the input was cut; what it adds up to must not)."""
    out: list[MultipartEvent] = []
    for event in events:
        if isinstance(event, PartData) and out and isinstance(out[-1], PartData):
            out[-1] = PartData(out[-1].data + event.data)
        else:
            out.append(event)
    return out


def parse(data: bytes, cuts: list[int] | None = None, boundary: bytes = B, **limits: int) -> list[MultipartEvent]:
    parser = MultipartParser(boundary, **limits)
    events: list[MultipartEvent] = []
    last = 0
    for cut in cuts or []:
        events += parser.feed(data[last:cut])
        last = cut
    events += parser.feed(data[last:])
    events += parser.feed_eof()
    return merged(events)


def parts_of(events: list[MultipartEvent]) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    for event in events:
        if isinstance(event, PartStart):
            out.append((event.raw_headers, b""))
        elif isinstance(event, PartData):
            headers, data = out[-1]
            out[-1] = (headers, data + event.data)
    return out


SMALL = (
    body(
        field("a", b"hello"),
        (
            b'Content-Disposition: form-data; name="f"; filename="x.txt"\r\nContent-Type: text/plain',
            b"line\r\n--data\r\n-",
        ),
        field("empty", b""),
        preamble=b"preamble\r\n",
    )
    + b"epilogue"
)


def test_a_simple_body():
    events = parse(SMALL)
    assert events == [
        PartStart(b'Content-Disposition: form-data; name="a"'),
        PartData(b"hello"),
        PartEnd(),
        PartStart(b'Content-Disposition: form-data; name="f"; filename="x.txt"\r\nContent-Type: text/plain'),
        PartData(b"line\r\n--data\r\n-"),
        PartEnd(),
        PartStart(b'Content-Disposition: form-data; name="empty"'),
        PartEnd(),
        MultipartEnd(),
    ]


def test_every_split_point_gives_the_same_events():
    expected = parse(SMALL)
    for cut in range(len(SMALL) + 1):
        assert parse(SMALL, [cut]) == expected, cut


def test_every_pair_of_split_points_gives_the_same_events():
    data = body(field("a", b"x\r\n"), field("b", b"\r\n--XyY"))
    expected = parse(data)
    for first in range(len(data) + 1):
        for second in range(first, len(data) + 1):
            assert parse(data, [first, second]) == expected, (first, second)


def test_one_byte_at_a_time():
    assert parse(SMALL, list(range(1, len(SMALL)))) == parse(SMALL)


def test_random_parts_and_cuts_round_trip():
    rng = random.Random(10)
    alphabet = [b"\r", b"\n", b"-", b"X", b"y", b"Z", b"\r\n--XyY", b"--XyZ", b"a", b"\x00", b"\xff"]
    for _ in range(300):
        parts = []
        for index in range(rng.randint(0, 4)):
            data = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
            parts.append(field(f"p{index}", data.replace(b"\r\n--XyZ", b"\r\n--XyY")))
        data = body(*parts)
        cuts = sorted(rng.randint(0, len(data)) for _ in range(rng.randint(0, 5)))
        events = parse(data, cuts)
        assert events[-1] == MultipartEnd()
        assert parts_of(events) == list(parts)


def test_a_large_part_is_given_in_pieces_and_memory_stays_bounded():
    parser = MultipartParser(B)
    events = parser.feed(b'--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\n')
    total = 0
    chunk = b"\x00\r\n-" * 16384
    for _ in range(100):
        for event in parser.feed(chunk):
            assert isinstance(event, PartData)
            total += len(event.data)
        assert parser.buffered < 64  # only a possible delimiter prefix is kept
    events = parser.feed(b"\r\n--XyZ--\r\n") + parser.feed_eof()
    total += sum(len(e.data) for e in events if isinstance(e, PartData))
    assert total == len(chunk) * 100
    assert events[-2:] == [PartEnd(), MultipartEnd()]


# -- what Tomcat does with odd bodies --------------------------------------


def test_preamble_without_crlf_is_skipped():
    assert parts_of(parse(b"junk" + body(field("a", b"x")))) == [field("a", b"x")]


def test_body_without_any_delimiter_has_no_parts():
    assert parse(b"just some text") == [MultipartEnd()]
    assert parse(b"") == [MultipartEnd()]


def test_only_the_close_delimiter_has_no_parts():
    assert parse(b"--XyZ--\r\n") == [MultipartEnd()]


def test_close_delimiter_without_crlf_is_enough():
    assert parse(body(field("a", b"x"))[:-2])[-1] == MultipartEnd()


def test_no_final_boundary_is_malformed():
    events = parse(body(field("a", b"x"), end=False))
    assert events[-1] == MultipartFailed("malformed", "Stream ended unexpectedly")
    events = parse(b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nxyz')
    assert isinstance(events[-1], MultipartFailed) and events[-1].reason == "malformed"


def test_headers_cut_short_are_malformed():
    events = parse(b"--XyZ\r\nContent-Disposition: form-da")
    assert events == [MultipartFailed("malformed", "Stream ended unexpectedly")]


def test_characters_after_a_delimiter_end_the_body_quietly():
    # Tomcat 10.1.60: the parts before stay, no error.
    data = body(field("a", b"x\r\n--XyZa more"))
    events = parse(data)
    assert parts_of(events) == [field("a", b"x")]
    assert events[-1] == MultipartEnd()
    # ... and after the first delimiter: no parts at all.
    assert parse(b'--XyZ  \r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--XyZ--\r\n') == [MultipartEnd()]


def test_a_lone_lf_after_a_delimiter_stands_for_crlf():
    # Tomcat 10.1.60: the part starts; with LF-only lines its header block
    # never ends, so the body is malformed.
    data = body(field("a", b"x")).replace(b"\r\n", b"\n")
    assert parse(data) == [MultipartFailed("malformed", "Stream ended unexpectedly")]
    data = b'--XyZ\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--XyZ--'
    assert parts_of(parse(data)) == [field("a", b"x")]
    for cut in range(len(data) + 1):
        assert parts_of(parse(data, [cut])) == [field("a", b"x")], cut


def test_boundary_without_crlf_inside_data_is_data():
    data = body(field("a", b"x --XyZ y"))
    assert parts_of(parse(data)) == [field("a", b"x --XyZ y")]


def test_empty_header_block():
    events = parse(b"--XyZ\r\n\r\nbody\r\n--XyZ--")
    assert events == [PartStart(b""), PartData(b"body"), PartEnd(), MultipartEnd()]


def test_nothing_after_the_end_is_parsed():
    parser = MultipartParser(B)
    assert parser.feed(body(field("a", b"x")))[-1] == MultipartEnd()
    assert parser.done
    assert parser.feed(body(field("b", b"y"))) == []
    assert parser.feed_eof() == []


def test_an_empty_boundary_is_refused():
    with pytest.raises(ValueError):
        MultipartParser(b"")


# -- limits ----------------------------------------------------------------


def padded_header(total: int) -> bytes:
    """A header block of *total* bytes with its CRLFCRLF."""
    start = b'Content-Disposition: form-data; name="a"\r\nX-Pad: '
    return start + b"p" * (total - 4 - len(start))


def test_header_block_of_512_bytes_passes_513_fails():
    assert parts_of(parse(body((padded_header(512), b"x")))) == [(padded_header(512), b"x")]
    events = parse(body((padded_header(513), b"x")))
    assert events == [
        MultipartFailed(
            "header_too_large", "Header section has more than 512 bytes (maybe it is not properly terminated)"
        )
    ]


def test_header_too_large_is_seen_before_its_end_arrives():
    parser = MultipartParser(B, max_header_size=100)
    events = parser.feed(b"--XyZ\r\nX-A: " + b"a" * 200)
    assert [e.reason for e in events if isinstance(e, MultipartFailed)] == ["header_too_large"]


def test_header_limit_can_be_lifted():
    assert parts_of(parse(body((padded_header(5000), b"x")), max_header_size=-1)) == [(padded_header(5000), b"x")]


def test_part_size_limit_is_inclusive():
    assert parts_of(parse(body(field("a", b"x" * 1000)), max_part_size=1000)) == [field("a", b"x" * 1000)]
    events = parse(body(field("a", b"x" * 1001)), max_part_size=1000)
    assert isinstance(events[-1], MultipartFailed) and events[-1].reason == "part_too_large"
    # Whatever the cuts, no more than the limit is ever handed out.
    data = body(field("a", b"x" * 1001))
    for cut in range(0, len(data), 7):
        events = parse(data, [cut], max_part_size=1000)
        assert sum(len(e.data) for e in events if isinstance(e, PartData)) <= 1000
        assert events[-1].reason == "part_too_large"  # type: ignore[union-attr]


def test_body_size_limit():
    data = body(field("a", b"x" * 100))
    assert parse(data, max_body_size=len(data))[-1] == MultipartEnd()
    events = parse(data, max_body_size=len(data) - 1)
    assert isinstance(events[-1], MultipartFailed) and events[-1].reason == "body_too_large"


# -- headers and parameters ------------------------------------------------


def test_part_headers():
    raw = b'Content-Disposition: form-data;\r\n name="a"\r\nX-A: 1\r\nx-a: 2\r\ngarbage\r\nX-B:3'
    assert parse_part_headers(raw, "utf-8") == [
        ("content-disposition", 'form-data; name="a"'),
        ("x-a", "1"),
        ("x-a", "2"),
        ("x-b", "3"),
    ]


def test_part_headers_are_decoded_with_the_request_encoding():
    raw = 'Content-Disposition: form-data; name="né"'.encode()
    assert content_disposition(parse_part_headers(raw, "utf-8")) == ("né", None)
    assert content_disposition(parse_part_headers(raw, "latin-1")) == ("nÃ©", None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('form-data; name="a"', ("a", None)),
        ('form-data; name="f"; filename="x.txt"', ("f", "x.txt")),
        ('FORM-DATA; NAME="a"', ("a", None)),
        ("form-data; name=a; filename=b.txt", ("a", "b.txt")),
        ('form-data; name="f"; filename=""', ("f", "")),
        ('form-data; name="f"; filename="a;b.txt"', ("f", "a;b.txt")),
        ('form-data; name="f"; filename="a\\"b.txt"', ("f", 'a"b.txt')),
        ('form-data; name="f"; filename="C:\\dir\\a.txt"', ("f", "C:dira.txt")),  # as Tomcat
        ('form-data; name="f"; filename="/etc/a.txt"', ("f", "/etc/a.txt")),
        ("form-data; name=\"f\"; filename*=UTF-8''%E2%82%AC.txt", ("f", "€.txt")),
        ('form-data; name="f"; filename="a.txt"; filename*=UTF-8\'\'%E2%82%AC.txt', ("f", "€.txt")),
        ("form-data; name=\"f\"; filename*=bogus''%E2", ("f", None)),
        ("form-data", (None, None)),
        ('form-data; name=""', (None, None)),
        ('form-data; name="  "; filename="a"', (None, "a")),
        ('attachment; name="a"', (None, None)),
        (';;;"', (None, None)),
    ],
)
def test_content_disposition(value, expected):
    assert content_disposition([("content-disposition", value)]) == expected


def test_no_content_disposition():
    assert content_disposition([("content-type", "text/plain")]) == (None, None)


@pytest.mark.parametrize(
    ("ctype", "expected"),
    [
        ("multipart/form-data; boundary=XyZ", b"XyZ"),
        ('multipart/form-data; boundary="a b;c"', b"a b;c"),
        ("multipart/form-data; charset=UTF-8; BOUNDARY=q", b"q"),
        ("multipart/form-data", None),
        ("multipart/form-data; boundary=", None),
        ("multipart/form-data; boundary=€", None),
        (None, None),
    ],
)
def test_get_boundary(ctype, expected):
    assert get_boundary(ctype) == expected
