"""HTTP Digest computations (RFC 7616's own examples), header parsing,
nonces and the nonce-count replay check; Basic credentials; the FORM
saved request."""

from __future__ import annotations

import base64

import pytest

from catalina_py.authenticator.basic import basic_challenge, parse_basic_credentials
from catalina_py.authenticator.form import SavedRequest
from catalina_py.security.digest import (
    NonceCounts,
    check_nonce,
    digest_hex,
    expected_response,
    make_nonce,
    parse_digest_credentials,
)

# RFC 7616 3.9.1.
USER, PASSWORD, REALM = "Mufasa", "Circle of Life", "http-auth@example.org"
NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc_7616_examples(algorithm: str, expected: str) -> None:
    ha1 = digest_hex(algorithm, f"{USER}:{REALM}:{PASSWORD}")
    ha2 = digest_hex(algorithm, "GET:/dir/index.html")
    assert expected_response(ha1, NONCE, "00000001", CNONCE, "auth", ha2, algorithm) == expected


def test_rfc_2069_form_without_qop() -> None:
    ha1, ha2 = digest_hex("MD5", "u:r:p"), digest_hex("MD5", "GET:/")
    assert expected_response(ha1, "n", None, None, None, ha2, "MD5") == digest_hex("MD5", f"{ha1}:n:{ha2}")


def test_parse_header() -> None:
    header = (
        'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        f'algorithm=SHA-256, nonce="{NONCE}", nc=00000001, cnonce="{CNONCE}", qop=auth, '
        'response="753927FA0E85D155564E2E272A28D1802CA10DAF4496794697CF8DB5856CB6C1", opaque="x\\"y"'
    )
    parsed = parse_digest_credentials(header)
    assert parsed is not None
    assert (parsed.username, parsed.algorithm, parsed.qop, parsed.nc) == ("Mufasa", "SHA-256", "auth", "00000001")
    assert parsed.response.startswith("753927fa")
    assert parsed.opaque == 'x"y'


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Basic abc",
        'Digest username="a", realm="r", nonce="n", uri="/"',  # no response
        'Digest username="a", realm="r", nonce="n", uri="/", response="x", algorithm=SHA-1',
        'Digest username="a", realm="r", nonce="n", uri="/", response="x", qop=auth',  # no nc/cnonce
        'Digest username="a, realm="r"',  # unterminated quote
        'Digest username="a", username="b", realm="r", nonce="n", uri="/", response="x"',
    ],
)
def test_parse_header_refuses(header: str | None) -> None:
    assert parse_digest_credentials(header) is None


def test_nonce_lifecycle() -> None:
    key = b"k" * 32
    nonce = make_nonce(key, "127.0.0.1", 1_000_000)
    assert check_nonce(nonce, key, "127.0.0.1", 1_000_500, 300_000) == "valid"
    assert check_nonce(nonce, key, "127.0.0.1", 1_400_000, 300_000) == "stale"
    assert check_nonce(nonce, key, "10.0.0.1", 1_000_500, 300_000) == "invalid"
    assert check_nonce(nonce, b"other" * 8, "127.0.0.1", 1_000_500, 300_000) == "invalid"
    stamp, _, mac = nonce.partition(":")
    assert check_nonce(f"{int(stamp) + 1}:{mac}", key, "127.0.0.1", 1_000_500, 300_000) == "invalid"
    assert check_nonce("garbage", key, "127.0.0.1", 1_000_500, 300_000) == "invalid"


def test_nonce_counts_refuse_replays() -> None:
    counts = NonceCounts(max_nonces=2, window=4)
    assert counts.accept("100:a", "00000001")
    assert not counts.accept("100:a", "00000001")  # replayed
    assert counts.accept("100:a", "00000003")
    assert counts.accept("100:a", "00000002")  # out of order, in the window
    assert counts.accept("100:a", "00000009")
    assert not counts.accept("100:a", "00000004")  # out of the window
    assert not counts.accept("100:a", "1")  # not 8 hex digits
    assert counts.accept("200:b", "00000001")
    assert counts.accept("300:c", "00000001")  # "100:a" is forgotten
    assert not counts.accept("100:a", "0000000a")  # a forgotten nonce is refused
    assert counts.accept("400:d", "00000001")


def b64(text: bytes) -> str:
    return base64.b64encode(text).decode()


def test_basic_credentials() -> None:
    assert parse_basic_credentials("Basic " + b64(b"alice:se:cret")) == ("alice", "se:cret")
    assert parse_basic_credentials("basic  " + b64(b"a:")) == ("a", "")
    assert parse_basic_credentials("Basic " + b64("j\u00fcrgen:p".encode("latin-1"))) == ("j\u00fcrgen", "p")
    assert parse_basic_credentials("Basic " + b64("j\u00fcrgen:p".encode()), "UTF-8") == ("j\u00fcrgen", "p")
    assert parse_basic_credentials("Basic " + b64(b"\xff:p"), "UTF-8") is None
    assert parse_basic_credentials("Basic " + b64(b"nocolon")) is None
    assert parse_basic_credentials("Basic !!!") is None
    assert parse_basic_credentials("Bearer x") is None
    assert parse_basic_credentials(None) is None


def test_basic_challenge() -> None:
    assert basic_challenge("Test Realm") == 'Basic realm="Test Realm"'
    assert basic_challenge('a"b', "UTF-8") == 'Basic realm="a\\"b", charset=UTF-8'


def test_saved_request() -> None:
    saved = SavedRequest("POST", "/app/caf%C3%A9", "/app/café", "a=1", (("Content-Type", "x"),), b"p=1")
    assert saved.redirect_url() == "/app/caf%C3%A9?a=1"
    assert saved.matches("/app/café") and not saved.matches("/app/other")
    assert SavedRequest("GET", "/x", "/x", None, ()).redirect_url() == "/x"
