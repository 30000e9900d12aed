"""CSRF protection of the Manager's HTML page, as Tomcat's
``CsrfPreventionFilter`` gives it.

Every page the filter lets through gets a new random nonce, remembered in
the user's session (the last :data:`NONCE_CACHE_SIZE` of them, so a
second tab or the back button still works) and written into the page's
links and forms. A request to a protected URL must carry one of them in
the parameter :data:`NONCE_PARAMETER`; otherwise it is refused with 403
before the servlet runs. Only the entry points (``/html``, ``/html/``,
``/html/list`` by GET) need none. Another site can make the browser send
a request, with the user's cookies and credentials, but cannot read a
page of this origin, so it cannot know a nonce.

:class:`NonceCache` is the pure part (unit-tested without a server);
:class:`CsrfPreventionFilter` is the filter ``webapps/manager/WEB-INF/web.xml``
maps on ``/html/*``.
"""

from __future__ import annotations

import hmac
import secrets
from collections import deque
from typing import Any

from ..servlet.filter import FilterChain, GenericFilter

__all__ = ["NONCE_ATTRIBUTE", "NONCE_CACHE_SIZE", "NONCE_PARAMETER", "CsrfPreventionFilter", "NonceCache"]

#: The request parameter carrying the nonce (Tomcat's name).
NONCE_PARAMETER = "org.apache.catalina.filters.CSRF_NONCE"
#: The request attribute holding the nonce the page must write into its forms.
NONCE_ATTRIBUTE = NONCE_PARAMETER
#: The session attribute holding the session's :class:`NonceCache`.
CACHE_ATTRIBUTE = "org.apache.catalina.filters.CSRF_NONCE_CACHE"
#: How many recent nonces stay valid (Tomcat's ``nonceCacheSize``).
NONCE_CACHE_SIZE = 5


class NonceCache:
    """The last few nonces issued to one session."""

    def __init__(self, size: int = NONCE_CACHE_SIZE) -> None:
        self._nonces: deque[str] = deque(maxlen=size)

    def issue(self) -> str:
        """A new random nonce (128 bits), remembered."""
        nonce = secrets.token_hex(16).upper()
        self._nonces.append(nonce)
        return nonce

    def accepts(self, nonce: str | None) -> bool:
        """Whether *nonce* is one this session was given (compared in
        constant time)."""
        if not nonce:
            return False
        candidate = nonce.encode("utf-8", "replace")
        found = False
        for known in self._nonces:
            found |= hmac.compare_digest(candidate, known.encode())
        return found

    # Sessions are saved as JSON (docs/sessions.md): a cache is kept as its list.
    def to_list(self) -> list[str]:
        """The nonces, oldest first, to keep in the session."""
        return list(self._nonces)

    @classmethod
    def from_list(cls, saved: object) -> NonceCache:
        """A cache from :meth:`to_list`'s list (anything else: empty)."""
        cache = cls()
        if isinstance(saved, list):
            cache._nonces.extend(n for n in saved if isinstance(n, str))
        return cache


class CsrfPreventionFilter(GenericFilter):
    """Refuses a request to the page's actions without a valid nonce
    (403), and gives every request it lets through a new one
    (:data:`NONCE_ATTRIBUTE`).

    Init parameter ``entryPoints``: comma-separated paths (relative to the
    context) allowed by GET without a nonce; default ``/html,/html/,/html/list``.
    """

    entry_points: frozenset[str] = frozenset({"/html", "/html/", "/html/list"})

    def on_init(self) -> None:
        value = self.get_init_parameter("entryPoints")
        if value:
            self.entry_points = frozenset(p.strip() for p in value.split(",") if p.strip())

    def do_filter(self, request: Any, response: Any, chain: FilterChain) -> None:
        session = request.get_session(True)
        cache = NonceCache.from_list(session.get_attribute(CACHE_ATTRIBUTE))
        path = request.get_servlet_path() + (request.get_path_info() or "")
        entry = request.get_method() in ("GET", "HEAD") and path in self.entry_points
        if not entry and not cache.accepts(request.get_parameter(NONCE_PARAMETER)):
            response.send_error(403, "The request carried no valid CSRF nonce: reload the Manager page")
            return
        request.set_attribute(NONCE_ATTRIBUTE, cache.issue())
        session.set_attribute(CACHE_ATTRIBUTE, cache.to_list())
        chain.do_filter(request, response)
