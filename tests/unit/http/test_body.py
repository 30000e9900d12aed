"""Tests for catalina_py.http.body: the Content-Length and chunked readers
driven directly with buffers (the parser tests drive them through
RequestParser)."""

from __future__ import annotations

import pytest

from catalina_py.http.body import ChunkedReader, Data, EndOfMessage, LengthReader
from catalina_py.http.errors import HttpParseError


def test_length_reader_hands_out_what_is_buffered() -> None:
    reader = LengthReader(5)
    assert reader.next_event(b"abc", 0, False) == Data(b"abc") and reader.remaining == 2 and reader.pos == 3
    assert reader.next_event(b"abc", 3, False) is None
    assert reader.next_event(b"defGET", 0, False) == Data(b"de") and reader.remaining == 0 and reader.pos == 2
    with pytest.raises(HttpParseError, match="closed before the request body"):
        LengthReader(3).next_event(b"", 0, True)


def test_chunked_reader_reads_chunks_and_trailers() -> None:
    reader = ChunkedReader(8192, 8192)
    buf = b"3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\nnext"
    events = []
    pos, scan = 0, 0
    while True:
        event = reader.next_event(buf, pos, scan, False)
        pos, scan = reader.pos, reader.scan
        events.append(event)
        if type(event) is EndOfMessage or event is None:
            break
    assert events[0] == Data(b"abc")
    assert type(events[-1]) is EndOfMessage and events[-1].trailers.get("x-t") == "1"
    assert buf[pos:] == b"next"


def test_chunked_reader_needs_more_and_rejects_garbage() -> None:
    reader = ChunkedReader(8192, 8192)
    assert reader.next_event(b"1", 0, 0, False) is None
    with pytest.raises(HttpParseError, match="Invalid chunk size"):
        ChunkedReader(8192, 8192).next_event(b"zz\r\n", 0, 0, False)
    with pytest.raises(HttpParseError, match="Chunk extensions are too large"):
        ChunkedReader(8192, 4).next_event(b"1;abcdefgh=1\r\n", 0, 0, False)
