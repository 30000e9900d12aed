"""``DigestAuthenticator``: HTTP Digest authentication (RFC 7616), as
Tomcat's ``DigestAuthenticator``: ``qop="auth"``, a challenge per algorithm
(SHA-256 first, then MD5), nonces valid for ``nonceValidity`` ms and bound
to the client's address, ``stale=true`` when only the nonce was too old,
and every nonce count used once. The computations are in
:mod:`catalina_py.security.digest`; the realm compares the response
(``Realm.authenticate_digest``), since only it knows the user's secret.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, ClassVar

from ..container.pipeline import to_bool
from ..realm.base import DigestCredentials
from ..security.digest import (
    ALGORITHMS,
    NonceCounts,
    check_nonce,
    digest_hex,
    make_nonce,
    parse_digest_credentials,
)
from .base import AuthenticatorBase

__all__ = ["DigestAuthenticator"]


class DigestAuthenticator(AuthenticatorBase):
    """``<login-config><auth-method>DIGEST</auth-method>``.

    Attributes: ``nonceValidity`` (ms, 300000), ``nonceCacheSize`` (how many
    nonces' counts are remembered, 1000), ``key`` (the HMAC key of the
    nonces; random per start unless given, so nonces do not survive a
    restart), ``validateUri`` (the ``uri`` field must be the request's).
    """

    ATTRIBUTES: ClassVar[dict[str, Any]] = {
        **AuthenticatorBase.ATTRIBUTES,
        "nonceValidity": int,
        "nonceCacheSize": int,
        "key": str,
        "validateUri": to_bool,
    }
    auth_method = "DIGEST"

    def __init__(self) -> None:
        super().__init__()
        self.nonce_validity = 300_000
        self.nonce_cache_size = 1000
        self.key: str | None = None
        self.validate_uri = True
        self._secret = os.urandom(32)
        self._opaque = os.urandom(16).hex().upper()
        self._counts = NonceCounts(self.nonce_cache_size)
        self._lock = threading.Lock()

    def start_internal(self) -> None:
        if self.key:
            self._secret = self.key.encode("utf-8")
        self._counts = NonceCounts(self.nonce_cache_size)

    def do_authenticate(self, request: Any, response: Any) -> bool:
        if self.check_for_cached_authentication(request):
            return True
        stale = False
        credentials = parse_digest_credentials(request.get_header("authorization"))
        client = request.get_remote_addr()
        now = int(time.time() * 1000)
        if credentials is not None:
            verdict = check_nonce(credentials.nonce, self._secret, client, now, self.nonce_validity)
            stale = verdict == "stale"
            if verdict == "valid" and self._acceptable(request, credentials):
                realm = self.realm()
                ha2 = digest_hex(credentials.algorithm, f"{request.get_method()}:{credentials.uri}")
                principal = (
                    realm.authenticate_digest(
                        DigestCredentials(
                            credentials.username,
                            credentials.response,
                            credentials.nonce,
                            credentials.nc,
                            credentials.cnonce,
                            credentials.qop,
                            credentials.realm,
                            ha2,
                            credentials.algorithm,
                        )
                    )
                    if realm is not None
                    else None
                )
                if principal is not None:
                    self.register(request, response, principal, self.auth_method)
                    return True
        nonce = make_nonce(self._secret, client, now)
        realm_name = self.display_realm_name().replace('"', '\\"')
        for algorithm in ALGORITHMS:
            value = (
                f'Digest realm="{realm_name}", qop="auth", nonce="{nonce}", opaque="{self._opaque}", '
                f"algorithm={algorithm}"
            )
            if stale:
                value += ", stale=true"
            response.add_header("WWW-Authenticate", value)
        response.send_error(401)
        return False

    def _acceptable(self, request: Any, credentials: Any) -> bool:
        """The checks before the realm's: realm name, opaque, qop, uri, nonce count."""
        if credentials.realm != self.display_realm_name():
            return False
        if credentials.opaque is not None and credentials.opaque != self._opaque:
            return False
        if credentials.qop is not None and credentials.qop != "auth":
            return False
        if self.validate_uri:
            uri = request.get_request_uri()
            query = request.get_query_string()
            if credentials.uri != uri and credentials.uri != f"{uri}?{query}":
                return False
        if credentials.qop is not None:
            with self._lock:
                return self._counts.accept(credentials.nonce, credentials.nc or "")
        return True
