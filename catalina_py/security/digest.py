"""HTTP Digest authentication (RFC 7616) without I/O: parsing the
``Authorization: Digest`` value, the hashes, nonces that carry their
creation time and an HMAC (so the server keeps no state to check them),
and the nonce-count replay check.

Only ``qop=auth`` is offered (as Tomcat); the algorithms are ``MD5`` and
``SHA-256`` (and RFC 2069's no-qop form, which Tomcat still accepts).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from dataclasses import dataclass

__all__ = [
    "ALGORITHMS",
    "DigestCredentials",
    "NonceCounts",
    "digest_hex",
    "expected_response",
    "make_nonce",
    "parse_digest_credentials",
    "check_nonce",
]

#: RFC 7616 algorithm names -> hashlib names, in the order challenges offer them.
ALGORITHMS = {"SHA-256": "sha256", "MD5": "md5"}


@dataclass(frozen=True)
class DigestCredentials:
    """The fields of an ``Authorization: Digest`` header."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str = "MD5"
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = None
    opaque: str | None = None


def _auth_params(text: str) -> dict[str, str] | None:
    """``name=value`` pairs (token or quoted-string values) separated by
    commas; None when the syntax is broken."""
    params: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t,":
            i += 1
        if i >= n:
            break
        eq = text.find("=", i)
        if eq < 0:
            return None
        name = text[i:eq].strip().lower()
        i = eq + 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            i += 1
            chars: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            if i >= n:
                return None
            value = "".join(chars)
            i += 1
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            value = text[i:end].strip()
            i = end
        if not name or name in params:
            return None
        params[name] = value
    return params


def parse_digest_credentials(header: str | None) -> DigestCredentials | None:
    """The credentials of an ``Authorization: Digest ...`` value, or None
    (another scheme, broken syntax, a required field missing, an unknown
    algorithm)."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params = _auth_params(rest)
    if params is None:
        return None
    try:
        username, realm, nonce, uri, response = (params[k] for k in ("username", "realm", "nonce", "uri", "response"))
    except KeyError:
        return None
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm not in ALGORITHMS:
        return None
    qop = params.get("qop")
    nc = params.get("nc")
    cnonce = params.get("cnonce")
    if qop is not None and (nc is None or cnonce is None):
        return None
    return DigestCredentials(
        username, realm, nonce, uri, response.lower(), algorithm, qop, nc, cnonce, params.get("opaque")
    )


def digest_hex(algorithm: str, text: str) -> str:
    """``H(text)`` in lower-case hex (UTF-8 bytes)."""
    return hashlib.new(ALGORITHMS[algorithm.upper()], text.encode("utf-8")).hexdigest()


def expected_response(
    ha1: str, nonce: str, nc: str | None, cnonce: str | None, qop: str | None, ha2: str, algorithm: str
) -> str:
    """RFC 7616's ``response``: ``KD(HA1, nonce:nc:cnonce:qop:HA2)``, or
    RFC 2069's ``KD(HA1, nonce:HA2)`` without qop."""
    if qop is None:
        return digest_hex(algorithm, f"{ha1}:{nonce}:{ha2}")
    return digest_hex(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def _mac(key: bytes, client: str, timestamp: int) -> str:
    return hmac.new(key, f"{client}:{timestamp}".encode(), hashlib.sha256).hexdigest()


def make_nonce(key: bytes, client: str, now_ms: int) -> str:
    """A nonce: ``<milliseconds>:<HMAC-SHA256(key, client:milliseconds)>``,
    bound to the client's address."""
    return f"{now_ms}:{_mac(key, client, now_ms)}"


def check_nonce(nonce: str, key: bytes, client: str, now_ms: int, validity_ms: int) -> str:
    """``"valid"``, ``"stale"`` (made by us, but older than *validity_ms*:
    the client should retry with a new one without asking the user), or
    ``"invalid"`` (not ours, or not for this client)."""
    stamp, colon, mac = nonce.partition(":")
    if not colon or not stamp.isdigit() or len(stamp) > 20:
        return "invalid"
    timestamp = int(stamp)
    if not hmac.compare_digest(mac, _mac(key, client, timestamp)):
        return "invalid"
    if timestamp > now_ms or now_ms - timestamp > validity_ms:
        return "stale"
    return "valid"


class NonceCounts:
    """The nonce counts seen per nonce, to refuse a replayed request
    (RFC 7616 3.4: the count must not repeat). At most *max_nonces* nonces
    are remembered, the oldest forgotten first; a nonce not remembered and
    not newer than the last one forgotten is refused (its counts are no
    longer known), so a forgotten nonce cannot be replayed. Within a nonce
    a count may arrive out of order inside a *window*."""

    def __init__(self, max_nonces: int = 1000, window: int = 100) -> None:
        self.max_nonces = max_nonces
        self.window = window
        self._seen: OrderedDict[str, tuple[int, set[int]]] = OrderedDict()
        #: The creation time of the newest nonce forgotten (ms).
        self._floor = -1

    def accept(self, nonce: str, nc: str) -> bool:
        """True the first time *nc* (8 hex digits) is used with *nonce*
        (``<milliseconds>:...``, as :func:`make_nonce` makes them)."""
        if len(nc) != 8:
            return False
        try:
            count = int(nc, 16)
            created = int(nonce.partition(":")[0])
        except ValueError:
            return False
        entry = self._seen.get(nonce)
        if entry is None:
            if created <= self._floor:
                return False
            highest, used = 0, set[int]()
        else:
            highest, used = entry
            self._seen.move_to_end(nonce)
        if count in used or count <= highest - self.window:
            return False
        used.add(count)
        highest = max(highest, count)
        if len(used) > self.window:
            used = {c for c in used if c > highest - self.window}
        self._seen[nonce] = (highest, used)
        while len(self._seen) > self.max_nonces:
            old, _ = self._seen.popitem(last=False)
            self._floor = max(self._floor, int(old.partition(":")[0]))
        return True
