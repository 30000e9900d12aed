"""The validity dates of a PEM certificate, read without a dependency.

Python's ``ssl`` decodes a certificate into a dict (with ``notAfter``)
only for the peer of a finished handshake; the one function that decodes
a file, ``ssl._ssl._test_decode_cert``, is a private test hook that may go
away in any release. The ``cryptography`` package would do it, but
catalina_py's runtime dependencies are gevent, greenlet and lxml only.
The dates sit at a fixed place of the DER structure (RFC 5280 4.1:
``Certificate`` -> ``tbsCertificate`` -> ``validity``), so a few lines
of DER walking read them.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime

__all__ = ["certificate_validity"]

_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----", re.S)

_SEQUENCE = 0x30
_EXPLICIT_VERSION = 0xA0
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18


def _element(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at *pos*."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _time(tag: int, text: bytes) -> datetime:
    """An X.509 ``Time``: UTCTime (YYMMDDHHMMSSZ, 1950-2049) or
    GeneralizedTime (YYYYMMDDHHMMSSZ)."""
    value = text.decode("ascii")
    if tag == _UTC_TIME:
        year = int(value[:2])
        value = ("19" if year >= 50 else "20") + value
    elif tag != _GENERALIZED_TIME:
        raise ValueError("not a time")
    return datetime.strptime(value, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)


def certificate_validity(pem: bytes) -> tuple[datetime, datetime] | None:
    """(notBefore, notAfter) of the first certificate of a PEM text, in
    UTC; None when there is none or it cannot be read (loading it into
    an SSL context reports that)."""
    match = _PEM_CERTIFICATE.search(pem)
    if match is None:
        return None
    try:
        der = base64.b64decode(b"".join(match.group(1).split()), validate=True)
        tag, start, _ = _element(der, 0)  # Certificate
        if tag != _SEQUENCE:
            return None
        tag, pos, _ = _element(der, start)  # tbsCertificate
        if tag != _SEQUENCE:
            return None
        tag, _, end = _element(der, pos)
        if tag == _EXPLICIT_VERSION:
            pos = end
        # serialNumber, signature, issuer, then validity
        for _ in range(3):
            _, _, pos = _element(der, pos)
        tag, pos, _ = _element(der, pos)
        if tag != _SEQUENCE:
            return None
        tag, start, end = _element(der, pos)
        not_before = _time(tag, der[start:end])
        tag, start, end = _element(der, end)
        not_after = _time(tag, der[start:end])
    except (ValueError, binascii.Error):
        return None
    return not_before, not_after
