"""``BasicAuthenticator``: HTTP Basic authentication (RFC 7617), as
Tomcat's ``BasicAuthenticator``.

The credentials are decoded with ISO-8859-1 unless the valve's ``charset``
attribute is ``UTF-8``; then UTF-8 is used and advertised in the challenge
(``WWW-Authenticate: Basic realm="...", charset=UTF-8``, RFC 7617 2.1, unquoted),
as Tomcat does when its ``charset`` is set. The parsing is pure
(:func:`parse_basic_credentials`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, ClassVar

from .base import AuthenticatorBase

__all__ = ["BasicAuthenticator", "basic_challenge", "parse_basic_credentials"]


def _charset(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    if text.upper() not in ("UTF-8", "ISO-8859-1"):
        raise ValueError("charset must be UTF-8 or ISO-8859-1 (RFC 7617 allows only UTF-8 to be advertised)")
    return None if text.upper() == "ISO-8859-1" else "UTF-8"


def parse_basic_credentials(header: str | None, charset: str | None = None) -> tuple[str, str] | None:
    """``(username, password)`` of an ``Authorization: Basic ...`` value,
    or None when it is absent, of another scheme or malformed (no colon,
    bad base64, bytes not valid in *charset*; None means ISO-8859-1)."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    token = token.strip()
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode(charset or "iso-8859-1")
    except UnicodeDecodeError:
        return None
    username, colon, password = text.partition(":")
    if not colon:
        return None
    return username, password


def basic_challenge(realm_name: str, charset: str | None = None) -> str:
    """The ``WWW-Authenticate`` value of a Basic challenge."""
    escaped = realm_name.replace("\\", "\\\\").replace('"', '\\"')
    value = f'Basic realm="{escaped}"'
    if charset:
        value += f", charset={charset}"  # unquoted, as Tomcat (a token is valid too)
    return value


class BasicAuthenticator(AuthenticatorBase):
    """``<login-config><auth-method>BASIC</auth-method>``."""

    ATTRIBUTES: ClassVar[dict[str, Any]] = {**AuthenticatorBase.ATTRIBUTES, "charset": _charset}
    auth_method = "BASIC"

    def __init__(self) -> None:
        super().__init__()
        #: None: ISO-8859-1, not advertised (Tomcat's default); "UTF-8".
        self.charset: str | None = None

    def do_authenticate(self, request: Any, response: Any) -> bool:
        if self.check_for_cached_authentication(request):
            return True
        credentials = parse_basic_credentials(request.get_header("authorization"), self.charset)
        if credentials is not None:
            realm = self.realm()
            principal = realm.authenticate(*credentials) if realm is not None else None
            if principal is not None:
                self.register(request, response, principal, self.auth_method)
                return True
        response.set_header("WWW-Authenticate", basic_challenge(self.display_realm_name(), self.charset))
        response.send_error(401)
        return False
