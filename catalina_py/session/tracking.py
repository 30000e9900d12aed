"""``SessionTracking``: how a web application's session id travels between
client and server, which Tomcat spreads over ``SessionConfig``,
``ApplicationSessionCookieConfig``, ``CoyoteAdapter.parseSessionCookiesId``
and ``Response.isEncodeable``: the session cookie's name and attributes,
the tracking modes (COOKIE and URL by default), where a request's session
id comes from, and when ``encode_url`` adds ``;jsessionid=``.

Configured by ``<session-config><cookie-config>`` and ``<tracking-mode>``
in web.xml; the :class:`~catalina_py.session.manager.StandardManager` of a
context holds one and hands its requests to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..servlet.cookies import Cookie

if TYPE_CHECKING:  # pragma: no cover
    from ..config.web_xml import CookieConfig
    from .session import StandardSession

log = logging.getLogger("catalina_py.session")

DEFAULT_COOKIE_NAME = "JSESSIONID"
DEFAULT_URI_PARAM = "jsessionid"
#: Tracking modes used when the webapp declares none (as Tomcat without SSL).
DEFAULT_TRACKING_MODES = ("COOKIE", "URL")

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")

__all__ = [
    "DEFAULT_COOKIE_NAME",
    "DEFAULT_TRACKING_MODES",
    "DEFAULT_URI_PARAM",
    "SessionTracking",
    "TrackedRequest",
    "TrackedResponse",
]


class TrackedResponse(Protocol):
    """What session tracking needs of the container's response."""

    def is_committed(self) -> bool:
        """Whether the head has been sent."""

    def add_session_cookie(self, cookie: Cookie) -> None:
        """Add the session cookie, replacing an earlier one of its name."""


class TrackedRequest(Protocol):
    """What session tracking needs of the container's request: the servlet
    API's getters plus two container-side methods (``get_response``,
    ``set_requested_session_id``)."""

    def get_header(self, name: str) -> str | None: ...

    def get_cookies(self) -> list[Cookie]: ...

    def is_secure(self) -> bool: ...

    def get_scheme(self) -> str: ...

    def get_server_name(self) -> str: ...

    def get_server_port(self) -> int: ...

    def get_request_uri(self) -> str: ...

    def get_session(self, create: bool = True) -> StandardSession | None: ...

    def get_requested_session_id(self) -> str | None: ...

    def is_requested_session_id_from_cookie(self) -> bool: ...

    def get_response(self) -> TrackedResponse | None:
        """The response of this request (None once it has ended)."""

    def set_requested_session_id(
        self, session_id: str, *, from_cookie: bool | None = None, from_url: bool | None = None
    ) -> None:
        """Record the session id the client sent (and where it came from)."""


class SessionTracking:
    """The session tracking rules of one web application.

    :param context_path: the context path ("" for ROOT): the cookie's
        default Path and the prefix of the URLs ``encode_url`` rewrites.
    :param cookie_config: the ``<cookie-config>`` of the webapp.
    :param tracking_modes: "COOKIE" and/or "URL" (None: both).
    """

    def __init__(
        self, context_path: str, cookie_config: CookieConfig, tracking_modes: list[str] | tuple[str, ...] | None = None
    ) -> None:
        self.context_path = context_path
        self.cookie_config = cookie_config
        self.tracking_modes = check_tracking_modes(tracking_modes)
        self.cookie_tracking = "COOKIE" in self.tracking_modes
        self.url_tracking = "URL" in self.tracking_modes
        name = cookie_config.name
        #: Name of the session cookie and of the URL path parameter (Tomcat
        #: uses a configured cookie name for both).
        self.session_cookie_name = name or DEFAULT_COOKIE_NAME
        self.uri_param_name = name or DEFAULT_URI_PARAM
        try:
            Cookie(self.session_cookie_name, "x")
        except ValueError:
            raise ConfigError(
                f"the session cookie name {name!r} is not a valid cookie name",
                hint="an RFC 6265 token such as JSESSIONID",
            ) from None

    # -- cookies ---------------------------------------------------------------
    def create_session_cookie(self, session_id: str, secure: bool) -> Cookie:
        """The session cookie for *session_id* (Tomcat's
        ``ApplicationSessionCookieConfig.createSessionCookie``): HttpOnly
        unless ``<http-only>false``, Secure on a secure request or when
        configured, Path the context path (``/`` for ROOT) unless
        configured, no SameSite unless configured as a cookie attribute."""
        config = self.cookie_config
        cookie = Cookie(self.session_cookie_name, session_id)
        if config.max_age is not None:
            cookie.set_max_age(config.max_age)
        if config.domain:
            cookie.set_domain(config.domain)
        cookie.set_secure(bool(secure or config.secure))
        cookie.set_http_only(config.http_only is not False)
        cookie.set_path(config.path or self.context_path or "/")
        for name, value in (config.attributes or {}).items():
            cookie.set_attribute(name, value)
        return cookie

    def send_session_cookie(self, request: TrackedRequest, session_id: str) -> None:
        """Add (or replace) the session cookie on the request's response,
        when cookie tracking is on and the response is not committed."""
        if not self.cookie_tracking:
            return
        response = request.get_response()
        if response is None or response.is_committed():
            return
        response.add_session_cookie(self.create_session_cookie(session_id, request.is_secure()))

    def parse_requested_session_id(
        self, request: TrackedRequest, path_params: dict[str, str] | None, is_live: Callable[[str | None], bool]
    ) -> None:
        """Set the request's requested session id from the URL path
        parameter (URL tracking) and then the session cookie, which wins
        (cookie tracking), as ``CoyoteAdapter.postParseRequest`` and
        ``parseSessionCookiesId`` do. Among several session cookies the
        first is taken, replaced by a later one only while it names no live
        session (*is_live* says)."""
        if path_params and self.url_tracking:
            value = path_params.get(self.uri_param_name)
            if value:
                request.set_requested_session_id(value, from_url=True)
        if not self.cookie_tracking or request.get_header("cookie") is None:
            return
        name = self.session_cookie_name
        for cookie in request.get_cookies():
            if cookie.name != name or not cookie.value:
                continue
            if not request.is_requested_session_id_from_cookie():
                request.set_requested_session_id(cookie.value, from_cookie=True, from_url=False)
            elif not is_live(request.get_requested_session_id()):
                request.set_requested_session_id(cookie.value)

    # -- URLs ------------------------------------------------------------------
    def encode_url(self, request: TrackedRequest, url: str, redirect: bool = False) -> str:
        """*url* with ``;jsessionid=ID`` added before its query and fragment
        when the session must travel in the URL (Tomcat's ``encodeURL`` /
        ``encodeRedirectURL``); *url* unchanged otherwise."""
        if url is None:
            return url
        try:
            absolute = self._to_absolute(request, url)
        except ValueError:
            return url
        session = self._encodeable_session(request, url, absolute)
        if session is None:
            return url
        if not redirect:
            if url == "":
                url = absolute
            elif url == absolute and not _has_path(url):
                url += "/"
        return self._to_encoded(url, session.get_id())

    def _encodeable_session(self, request: TrackedRequest, url: str, absolute: str) -> StandardSession | None:
        """The session to encode into *absolute*, or None when it must not
        be (Tomcat's ``isEncodeable`` and ``doIsEncodeable``): no valid
        session, the id came in a cookie, URL tracking off, or the URL
        leaves this web application."""
        if url.startswith("#"):
            return None
        session = request.get_session(False)
        if session is None or request.is_requested_session_id_from_cookie() or not self.url_tracking:
            return None
        try:
            parts = urlsplit(absolute)
            url_port = parts.port
        except ValueError:
            return None
        scheme = request.get_scheme().lower()
        if parts.scheme.lower() != scheme:
            return None
        if (parts.hostname or "") != request.get_server_name().lower().strip("[]"):
            return None
        if url_port is None:
            url_port = 443 if scheme == "https" else 80
        if url_port != request.get_server_port():
            return None
        file = parts.path + ("?" + parts.query if parts.query else "")
        context_path = self.context_path
        if not file.startswith(context_path):
            return None
        # Unlike Tomcat, /examples2 is not inside /examples.
        if context_path and len(file) > len(context_path) and file[len(context_path)] not in "/;?":
            return None
        if f";{self.uri_param_name}={session.get_id()}" in file[len(context_path) :]:
            return None
        return session

    def _to_encoded(self, url: str, session_id: str) -> str:
        """Insert the path parameter before the fragment and query, in the
        order Tomcat's ``Response.toEncoded`` assembles them."""
        path, query, anchor = url, "", ""
        question = path.find("?")
        if question >= 0:
            path, query = path[:question], path[question:]
        pound = path.find("#")
        if pound >= 0:
            path, anchor = path[:pound], path[pound:]
        if path:
            path += f";{self.uri_param_name}={session_id}"
        return path + anchor + query

    @staticmethod
    def _to_absolute(request: TrackedRequest, location: str) -> str:
        """*location* as an absolute URL against the request (Tomcat's
        ``Response.toAbsolute``); ValueError if a relative one climbs above
        the root."""
        scheme = request.get_scheme()
        if location.startswith("//"):
            return f"{scheme}:{location}"
        if not location.startswith("/") and _SCHEME.match(location):
            return location
        name = request.get_server_name()
        if ":" in name and not name.startswith("["):
            name = f"[{name}]"
        port = request.get_server_port()
        default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
        base = f"{scheme}://{name}" + ("" if default else f":{port}")
        if not location.startswith("/"):
            uri = request.get_request_uri()
            location = uri[: uri.rfind("/") + 1] + location
        return base + _normalize(location)


def check_tracking_modes(modes: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The tracking modes in upper case, each once (None: the defaults);
    SSL is warned about and left out, an unknown mode is a ConfigError."""
    if modes is None:
        return DEFAULT_TRACKING_MODES
    result: list[str] = []
    for mode in modes:
        upper = str(mode).strip().upper()
        if upper == "SSL":
            log.warning("Session tracking mode SSL is not supported by catalina_py and is ignored")
        elif upper in ("COOKIE", "URL"):
            if upper not in result:
                result.append(upper)
        else:
            raise ConfigError(f"unknown session tracking mode {mode!r}", hint="COOKIE, URL or SSL")
    return tuple(result)


def _normalize(location: str) -> str:
    """Resolve ``.`` and ``..`` segments of the path part of *location*
    (before ``?`` or ``#``); ValueError if it would climb above ``/``."""
    cut = len(location)
    for mark in "?#":
        index = location.find(mark)
        if 0 <= index < cut:
            cut = index
    path, rest = location[:cut], location[cut:]
    if "/." not in path:
        return location
    segments: list[str] = []
    parts = path.split("/")[1:]
    for index, segment in enumerate(parts):
        last = index == len(parts) - 1
        if segment == ".":
            if last:
                segments.append("")
            continue
        if segment == "..":
            if not segments:
                raise ValueError(f"{location!r} climbs above the root")
            segments.pop()
            if last:
                segments.append("")
            continue
        segments.append(segment)
    return "/" + "/".join(segments) + rest


def _has_path(url: str) -> bool:
    index = url.find("://")
    return index >= 0 and url.find("/", index + 3) >= 0
