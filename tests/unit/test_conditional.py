"""Tests for catalina_py.servlets.conditional (DefaultServlet decision logic)."""

from __future__ import annotations

import calendar

import pytest

from catalina_py.servlets.conditional import (
    MIME_BOUNDARY,
    RangeResult,
    check_conditions,
    content_range,
    http_date,
    make_etag,
    multipart_content_type,
    multipart_end,
    multipart_length,
    multipart_part_header,
    parse_http_date,
    parse_range,
    unsatisfied_content_range,
)

# 1994-11-06 08:49:37 UTC, the RFC's example date.
T = float(calendar.timegm((1994, 11, 6, 8, 49, 37, 0, 0, 0)))
T_HTTP = "Sun, 06 Nov 1994 08:49:37 GMT"
BEFORE = http_date(T - 10)
AFTER = http_date(T + 10)
LM = T + 0.5  # the resource: modified half a second later
LENGTH = 1000
ETAG = make_etag(LENGTH, round(LM * 1000))
OPAQUE = ETAG[2:]  # the same tag without W/


def getter(**headers: str):
    """A headers_get over keyword names such as If_Match."""
    table = {k.replace("_", "-").lower(): v for k, v in headers.items()}
    return lambda name: table.get(name.lower())


def cond(method="GET", etag=ETAG, lm=LM, **headers):
    return check_conditions(method, getter(**headers), etag, lm)


# ------------------------------------------------------------------ ETag


def test_make_etag():
    assert make_etag(1234, 1700000000123) == 'W/"1234-1700000000123"'
    assert make_etag(0, 0) == 'W/"0-0"'


# ----------------------------------------------------------------- dates


def test_http_date_format():
    assert http_date(T) == T_HTTP
    assert http_date(T + 0.999) == T_HTTP
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT"


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun Nov 6 08:49:37 1994",
        "sun, 06 nov 1994 08:49:37 gmt",
        "  Sun, 06 Nov 1994 08:49:37 GMT  ",
        "Mon, 06 Nov 1994 08:49:37 GMT",  # the day name is not cross-checked
    ],
)
def test_parse_http_date_forms(value):
    assert parse_http_date(value) == T


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "yesterday",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Sun, 29 Feb 1995 00:00:00 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 0000 08:49:37 GMT",
        "1994-11-06T08:49:37Z",
        "784111777",
        "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
    ],
)
def test_parse_http_date_invalid(value):
    assert parse_http_date(value) is None


def test_parse_http_date_round_trip():
    for ts in (0, 1, T, 1700000000, 2000000000, 4102444800):
        assert parse_http_date(http_date(ts)) == ts


def test_rfc850_two_digit_year():
    assert parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT") == 0
    assert parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT") == 946684800
    now = calendar.timegm((2026, 1, 1, 0, 0, 0, 0, 0, 0))
    # 2076 is within 50 years of 2026, 2077 is not.
    assert parse_http_date("Sunday, 01-Jan-76 00:00:00 GMT", now) == calendar.timegm((2076, 1, 1, 0, 0, 0, 0, 0, 0))
    assert parse_http_date("Friday, 01-Jan-77 00:00:00 GMT", now) == calendar.timegm((1977, 1, 1, 0, 0, 0, 0, 0, 0))


# ------------------------------------------------------------ conditions


def test_no_conditions():
    assert cond() is None
    assert cond("POST") is None


@pytest.mark.parametrize(
    "value, expected",
    [
        ("*", None),
        (ETAG, 412),  # a weak tag never matches strongly
        (OPAQUE, 412),  # nor does its strong twin
        ('"other"', 412),
        (f'"x", {ETAG}', 412),
        ('"a" , "b"', 412),
        ("garbage", 400),
        ('"unterminated', 400),
        ('"a",', 400),
        (', "a"', 400),
        ('"a" "b"', 400),
        ('*, "a"', 400),
        ("", 400),
    ],
)
def test_if_match_weak_resource(value, expected):
    assert cond(If_Match=value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ('"abc"', None),
        ('"x", "abc"', None),
        ('W/"abc"', 412),
        ('"ABC"', 412),
    ],
)
def test_if_match_strong_resource(value, expected):
    assert cond(etag='"abc"', If_Match=value) == expected


def test_if_match_star_without_representation():
    assert cond(etag=None, If_Match="*") == 412


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "POST"])
def test_if_match_applies_to_every_method(method):
    assert cond(method, If_Match='"nope"') == 412


@pytest.mark.parametrize(
    "date, expected",
    [
        (BEFORE, 412),
        (T_HTTP, None),  # same second: not modified since
        (http_date(T - 1), 412),  # modified 1.5 s after the date
        (AFTER, None),
        ("not a date", None),  # unparseable: ignored
    ],
)
def test_if_unmodified_since(date, expected):
    assert cond(If_Unmodified_Since=date) == expected


def test_if_unmodified_since_needs_a_modification_time():
    assert cond(lm=0, If_Unmodified_Since=BEFORE) is None


def test_if_match_takes_precedence_over_if_unmodified_since():
    assert cond(If_Match="*", If_Unmodified_Since=BEFORE) is None
    assert cond(If_Match='"x"', If_Unmodified_Since=AFTER) == 412


@pytest.mark.parametrize(
    "value, get_status, put_status",
    [
        ("*", 304, 412),
        (ETAG, 304, 412),
        (OPAQUE, 304, 412),  # weak comparison ignores W/
        (f'"a", {ETAG}', 304, 412),
        (f'"a",{OPAQUE} ,"b"', 304, 412),
        ('"other"', None, None),
        ('W/"other", "x"', None, None),
        ("nonsense", 400, 400),
        ('"a", *', 400, 400),
        ('"a",', 400, 400),
    ],
)
def test_if_none_match(value, get_status, put_status):
    assert cond("GET", If_None_Match=value) == get_status
    assert cond("HEAD", If_None_Match=value) == get_status
    assert cond("PUT", If_None_Match=value) == put_status
    assert cond("POST", If_None_Match=value) == put_status


def test_if_none_match_star_without_representation():
    assert cond(etag=None, If_None_Match="*") is None
    assert cond(etag=None, If_None_Match='"a"') is None


def test_if_none_match_overrides_if_modified_since():
    # A non-matching tag wins over an If-Modified-Since that would give 304.
    assert cond(If_None_Match='"other"', If_Modified_Since=AFTER) is None
    assert cond(If_None_Match=ETAG, If_Modified_Since=BEFORE) == 304


@pytest.mark.parametrize(
    "date, expected",
    [
        (AFTER, 304),
        (T_HTTP, 304),  # same second
        (BEFORE, None),
        (http_date(T - 1), None),
        ("garbage", None),
        (f"{AFTER}, {AFTER}", None),  # a list of dates is ignored
    ],
)
def test_if_modified_since(date, expected):
    assert cond("GET", If_Modified_Since=date) == expected
    assert cond("HEAD", If_Modified_Since=date) == expected


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_if_modified_since_only_for_get_and_head(method):
    assert cond(method, If_Modified_Since=AFTER) is None


def test_if_modified_since_needs_a_modification_time():
    assert cond(lm=0, If_Modified_Since=AFTER) is None


def test_combined_order():
    # If-Match passes, If-None-Match matches -> 304 for GET, 412 for PUT.
    assert cond("GET", If_Match="*", If_None_Match=ETAG) == 304
    assert cond("PUT", If_Match="*", If_None_Match=ETAG) == 412
    # If-Unmodified-Since fails before If-None-Match is looked at.
    assert cond("GET", If_Unmodified_Since=BEFORE, If_None_Match=ETAG) == 412
    # If-Match failing wins over everything.
    assert cond("GET", If_Match='"x"', If_Modified_Since=AFTER) == 412
    # all pass
    assert cond("GET", If_Match="*", If_Unmodified_Since=AFTER, If_None_Match='"x"', If_Modified_Since=BEFORE) is None


def test_header_names_requested():
    asked = []

    def headers_get(name):
        asked.append(name)
        return None

    assert check_conditions("GET", headers_get, ETAG, LM) is None
    assert asked == ["If-Match", "If-Unmodified-Since", "If-None-Match", "If-Modified-Since"]


# ----------------------------------------------------------------- ranges


def rng(header, length=LENGTH, if_range=None, method="GET", etag=ETAG, lm=LM):
    return parse_range(header, if_range, length, etag, lm, method)


@pytest.mark.parametrize(
    "header, ranges",
    [
        ("bytes=0-0", [(0, 0)]),
        ("bytes=0-499", [(0, 499)]),
        ("bytes=500-999", [(500, 999)]),
        ("bytes=500-", [(500, 999)]),
        ("bytes=999-", [(999, 999)]),
        ("bytes=-1", [(999, 999)]),
        ("bytes=-500", [(500, 999)]),
        ("bytes=-1000", [(0, 999)]),
        ("bytes=-5000", [(0, 999)]),
        ("bytes=900-5000", [(900, 999)]),
        ("bytes=0-", [(0, 999)]),
        ("BYTES=1-2", [(1, 2)]),
        ("bytes = 1 - 2 , 4 - 5", [(1, 2), (4, 5)]),
        ("bytes=\t1-2,\t-3", [(1, 2), (997, 999)]),
        ("bytes=0-1,2-3,4-5", [(0, 1), (2, 3), (4, 5)]),
        ("bytes=10-20,0-5", [(10, 20), (0, 5)]),  # request order kept
        ("bytes=0-10,5-15", [(0, 10), (5, 15)]),  # two overlapping: served as is
        ("bytes=0-10,0-10", [(0, 10), (0, 10)]),
        ("bytes=0-10,5-15,20-30", [(0, 10), (5, 15), (20, 30)]),
        ("bytes=0-1,0-1,5-6", [(0, 1), (0, 1), (5, 6)]),
        ("bytes=0-9223372036854775807", [(0, 999)]),
    ],
)
def test_partial(header, ranges):
    result = rng(header)
    assert result == RangeResult("partial", ranges)
    assert result.status == 206


@pytest.mark.parametrize(
    "header",
    [
        "bytes=1000-",  # starts at the end
        "bytes=1000-2000",
        "bytes=-0",  # empty suffix
        "bytes=0-1,1000-1001",  # Tomcat: any unsatisfiable range -> 416
        "bytes=0-10,5-15,8-20",  # three overlapping
        "bytes=0-1,0-1,0-1",  # duplicates count as overlaps
        "bytes=0-5,1-2,3-4,10-11",
        # syntactically invalid: Tomcat answers 416 rather than ignoring
        "bytes=",
        "bytes=-",
        "bytes=5-1",
        "bytes=a-b",
        "bytes=1-2,",
        "bytes=,1-2",
        "bytes=1-2;3-4",
        "bytes=1-2 3-4",
        "bytes 1-2",
        "bytes",
        "=1-2",
        "",
        "bytes=--1",
        "bytes=1--2",
        "bytes=0-9223372036854775808",
        "bytes=+1-2",
    ],
)
def test_unsatisfiable(header):
    result = rng(header)
    assert result == RangeResult("unsatisfiable", [])
    assert result.status == 416


@pytest.mark.parametrize("header", ["items=0-1", "none=1-2", "octets=0-"])
def test_unknown_unit_ignored(header):
    assert rng(header) == RangeResult("full")


def test_no_range_header():
    assert rng(None) == RangeResult("full")
    assert rng(None).status == 200


@pytest.mark.parametrize("method", ["HEAD", "POST", "PUT"])
def test_range_only_for_get(method):
    assert rng("bytes=0-1", method=method).kind == "full"
    assert rng("garbage", method=method).kind == "full"


def test_empty_resource_ignores_range():
    assert rng("bytes=0-1", length=0).kind == "full"
    assert rng("garbage", length=0).kind == "full"
    assert rng("bytes=-1", length=1) == RangeResult("partial", [(0, 0)])


@pytest.mark.parametrize(
    "if_range, etag, kind",
    [
        (T_HTTP, ETAG, "partial"),  # same second as LM
        (http_date(LM), ETAG, "partial"),
        (AFTER, ETAG, "full"),
        (BEFORE, ETAG, "full"),
        (ETAG, ETAG, "full"),  # weak tags never satisfy If-Range
        (OPAQUE, ETAG, "full"),
        ('"abc"', '"abc"', "partial"),  # strong match
        ('  "abc"  ', '"abc"', "partial"),
        ('"abd"', '"abc"', "full"),
        ('W/"abc"', '"abc"', "full"),
        ('"abc"', None, "full"),
        ("not a date", ETAG, "bad_request"),
        ('"a", "b"', ETAG, "bad_request"),  # not a single entity-tag
        ('"a"b"', ETAG, "bad_request"),
        ('"abc', ETAG, "bad_request"),
        ('X/"abc"', ETAG, "bad_request"),
        ("", ETAG, "bad_request"),
    ],
)
def test_if_range(if_range, etag, kind):
    result = rng("bytes=0-1", if_range=if_range, etag=etag)
    assert result.kind == kind
    if kind == "bad_request":
        assert result.status == 400


def test_if_range_checked_before_range_syntax():
    assert rng("garbage", if_range=AFTER).kind == "full"
    assert rng("garbage", if_range="junk").kind == "bad_request"
    assert rng("garbage", if_range=T_HTTP).kind == "unsatisfiable"


def test_content_range():
    assert content_range(0, 499, 1000) == "bytes 0-499/1000"
    assert unsatisfied_content_range(1000) == "bytes */1000"


# -------------------------------------------------------------- multipart


def build_multipart(body: bytes, ranges, content_type, boundary=MIME_BOUNDARY) -> bytes:
    out = bytearray()
    for start, end in ranges:
        out += multipart_part_header(boundary, content_type, start, end, len(body))
        out += body[start : end + 1]
    out += multipart_end(boundary)
    return bytes(out)


def test_multipart_exact_bytes():
    body = bytes(range(10))
    produced = build_multipart(body, [(0, 1), (8, 9)], "text/plain")
    assert produced == (
        b"\r\n--CATALINA_MIME_BOUNDARY\r\nContent-Type: text/plain\r\n"
        b"Content-Range: bytes 0-1/10\r\n\r\n\x00\x01"
        b"\r\n--CATALINA_MIME_BOUNDARY\r\nContent-Type: text/plain\r\n"
        b"Content-Range: bytes 8-9/10\r\n\r\n\x08\x09"
        b"\r\n--CATALINA_MIME_BOUNDARY--"
    )


def test_multipart_without_content_type():
    header = multipart_part_header("B", None, 0, 0, 1)
    assert header == b"\r\n--B\r\nContent-Range: bytes 0-0/1\r\n\r\n"
    assert multipart_end("B") == b"\r\n--B--"


def test_multipart_content_type():
    assert multipart_content_type() == "multipart/byteranges; boundary=CATALINA_MIME_BOUNDARY"
    assert multipart_content_type("xyz") == "multipart/byteranges; boundary=xyz"


@pytest.mark.parametrize(
    "header, content_type, boundary",
    [
        ("bytes=0-1,8-9", "text/plain", MIME_BOUNDARY),
        ("bytes=0-0,-1", None, MIME_BOUNDARY),
        ("bytes=0-99,100-199,900-", "application/octet-stream", "b0undary"),
        ("bytes=-999,0-0", "text/html;charset=UTF-8", "x"),
        ("bytes=5-5,5-5", "image/png", MIME_BOUNDARY),
        ("bytes=0-999,0-999", "text/plain", MIME_BOUNDARY),
    ],
)
def test_multipart_length_matches_bytes(header, content_type, boundary):
    body = bytes(i % 251 for i in range(LENGTH))
    result = rng(header)
    assert result.kind == "partial" and len(result.ranges) > 1
    produced = build_multipart(body, result.ranges, content_type, boundary)
    assert multipart_length(boundary, content_type, result.ranges, LENGTH) == len(produced)


def test_multipart_length_grows_with_number_widths():
    short = multipart_length("B", None, [(0, 0), (1, 1)], 10)
    long_ = multipart_length("B", None, [(0, 0), (1, 1)], 10000)
    assert long_ - short == 2 * 3  # "/10" -> "/10000" in each part
