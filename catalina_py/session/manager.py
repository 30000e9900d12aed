"""``StandardManager``: the sessions of one web application, as Tomcat's
``org.apache.catalina.session.StandardManager`` (with ``ManagerBase``).

The manager creates sessions with random ids, finds them again, changes
their ids, expires idle ones in a background sweep, and saves them across a
graceful restart (as data only: see :mod:`catalina_py.session.store`).

It also holds the web application's session *tracking* rules, which Tomcat
spreads over ``SessionConfig``, ``ApplicationSessionCookieConfig``,
``CoyoteAdapter.parseSessionCookiesId`` and ``Response.isEncodeable``:
the session cookie's name and attributes, the tracking modes (COOKIE and
URL by default), where a request's session id comes from, and when
``encode_url`` adds ``;jsessionid=``.

Configuration (per web application):

* ``<session-config><session-timeout>`` (minutes; ``conf/web.xml`` says 30;
  zero or less: sessions never expire);
* ``<session-config><cookie-config>`` and ``<tracking-mode>``;
* context parameters (``<context-param>`` in web.xml), catalina_py's stand-in
  for Tomcat's ``<Manager>`` element:
  ``catalina_py.session.sweep_seconds`` (seconds between expiry sweeps,
  default :data:`DEFAULT_SWEEP_SECONDS`; 0 turns the sweep off, sessions
  then expire only when next used) and
  ``catalina_py.session.max_active_sessions`` (-1, the default: unlimited).
"""

from __future__ import annotations

import logging
import math
import os
import re
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import gevent

from ..errors import ConfigError
from ..lifecycle import LifecycleBase
from ..servlet.cookies import Cookie
from ..servlet.exceptions import IllegalStateError
from ..servlet.listeners import HttpSessionEvent, HttpSessionListener
from .session import StandardSession
from .store import (
    SavedSession,
    SessionFileError,
    plain_data_problem,
    read_sessions_file,
    write_sessions_file,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..config.web_xml import CookieConfig
    from ..servlet.request import HttpServletRequest

log = logging.getLogger("catalina_py.session")

#: Seconds between two expiry sweeps unless the webapp says otherwise.
#: (Tomcat checks every 60 s: backgroundProcessorDelay 10 s times
#: processExpiresFrequency 6.)
DEFAULT_SWEEP_SECONDS = 10.0
#: Context parameter overriding :data:`DEFAULT_SWEEP_SECONDS`.
SWEEP_PARAM = "catalina_py.session.sweep_seconds"
#: Context parameter limiting the number of live sessions (Tomcat's
#: ``<Manager maxActiveSessions>``).
MAX_ACTIVE_PARAM = "catalina_py.session.max_active_sessions"
#: The sessions file in the context's work directory.
SESSIONS_FILE = "SESSIONS.json"
#: Session timeout in minutes when no descriptor sets one.
DEFAULT_SESSION_TIMEOUT = 30
DEFAULT_COOKIE_NAME = "JSESSIONID"
DEFAULT_URI_PARAM = "jsessionid"
#: Tracking modes used when the webapp declares none (as Tomcat without SSL).
DEFAULT_TRACKING_MODES = ("COOKIE", "URL")
#: Bytes of randomness in a session id (Tomcat's sessionIdLength).
SESSION_ID_BYTES = 16

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")

__all__ = [
    "DEFAULT_SWEEP_SECONDS",
    "MAX_ACTIVE_PARAM",
    "SESSIONS_FILE",
    "SWEEP_PARAM",
    "StandardManager",
    "TooManyActiveSessionsError",
]


class TooManyActiveSessionsError(IllegalStateError):
    """A new session was refused because ``max_active_sessions`` are live
    (Tomcat's ``TooManyActiveSessionsException``)."""


class StandardManager(LifecycleBase):
    """The session manager of one context.

    :param context: the StandardContext (anything with ``path``,
        ``display_path()``, ``fire()`` and ``get_servlet_context()``).
    :param max_inactive_interval: seconds of inactivity before a new session
        expires (``<= 0``: never).
    :param sweep_seconds: seconds between background expiry sweeps
        (``0``: no sweep).
    :param max_active_sessions: live sessions allowed at once (-1: no limit).
    :param pathname: the sessions file, or None for no persistence.
    :param cookie_config: the ``<cookie-config>`` of the webapp.
    :param tracking_modes: "COOKIE" and/or "URL" (None: both).
    """

    def __init__(self, context: Any, *, max_inactive_interval: int = DEFAULT_SESSION_TIMEOUT * 60,
                 sweep_seconds: float = DEFAULT_SWEEP_SECONDS, max_active_sessions: int = -1,
                 pathname: str | None = None, cookie_config: "CookieConfig | None" = None,
                 tracking_modes: list[str] | tuple[str, ...] | None = None) -> None:
        from ..config.web_xml import CookieConfig
        if sweep_seconds < 0:
            raise ValueError(f"sweep_seconds must be 0 or more, not {sweep_seconds}")
        if max_active_sessions < -1:
            raise ValueError(f"max_active_sessions must be -1 (no limit) or more, not {max_active_sessions}")
        self.context = context
        self.log = log
        self.max_inactive_interval = max_inactive_interval
        self.sweep_seconds = sweep_seconds
        self.max_active_sessions = max_active_sessions
        self.pathname = pathname
        self.cookie_config = cookie_config if cookie_config is not None else CookieConfig()
        self.tracking_modes = _check_tracking_modes(tracking_modes)
        self.cookie_tracking = "COOKIE" in self.tracking_modes
        self.url_tracking = "URL" in self.tracking_modes
        name = self.cookie_config.name
        #: Name of the session cookie and of the URL path parameter (Tomcat
        #: uses a configured cookie name for both).
        self.session_cookie_name = name or DEFAULT_COOKIE_NAME
        self.uri_param_name = name or DEFAULT_URI_PARAM
        try:
            Cookie(self.session_cookie_name, "x")
        except ValueError:
            raise ConfigError(f"the session cookie name {name!r} is not a valid cookie name",
                              hint="an RFC 6265 token such as JSESSIONID") from None
        self.sessions: dict[str, StandardSession] = {}
        #: Statistics, as ManagerBase's: sessions created, expired, refused
        #: and the highest number live at once.
        self.session_counter = 0
        self.expired_sessions = 0
        self.rejected_sessions = 0
        self.max_active = 0
        self._sweeper: gevent.Greenlet | None = None

    @classmethod
    def for_context(cls, context: Any) -> "StandardManager":
        """A manager configured from the context's merged web.xml and its
        ``work_dir`` (no persistence when the context has none)."""
        web_xml = context.web_xml
        session_config = getattr(web_xml, "session_config", None)
        timeout = None
        if session_config is not None:
            timeout = session_config.session_timeout
        if timeout is None:
            timeout = getattr(web_xml, "session_timeout", None)
        if timeout is None:
            timeout = DEFAULT_SESSION_TIMEOUT
        params = getattr(web_xml, "context_params", {}) or {}
        sweep = _number_param(params, SWEEP_PARAM, DEFAULT_SWEEP_SECONDS, float, 0,
                              "a number of seconds, 0 or more, e.g. 10 or 0.5")
        max_active = _number_param(params, MAX_ACTIVE_PARAM, -1, int, -1,
                                   "an integer: -1 (no limit) or the largest number of live sessions")
        work_dir = getattr(context, "work_dir", None)
        return cls(context, max_inactive_interval=int(timeout) * 60, sweep_seconds=sweep,
                   max_active_sessions=max_active,
                   pathname=os.path.join(work_dir, SESSIONS_FILE) if work_dir else None,
                   cookie_config=getattr(session_config, "cookie_config", None),
                   tracking_modes=getattr(session_config, "tracking_modes", None))

    def lifecycle_name(self) -> str:
        return f"StandardManager[{self._context_name()}]"

    # -- sessions ------------------------------------------------------------
    def generate_session_id(self) -> str:
        """A new unused id: 16 random bytes as upper-case hex, as Tomcat's
        StandardSessionIdGenerator."""
        while True:
            session_id = secrets.token_hex(SESSION_ID_BYTES).upper()
            if session_id not in self.sessions:
                return session_id

    def create_session(self, session_id: str | None = None) -> StandardSession:
        """A new session (with a new id unless one is given); fires
        ``HttpSessionListener.session_created``. Raises
        :class:`TooManyActiveSessionsError` over ``max_active_sessions``."""
        if 0 <= self.max_active_sessions <= len(self.sessions):
            self.rejected_sessions += 1
            raise TooManyActiveSessionsError(
                f"context [{self._context_name()}] already has the largest number of "
                f"live sessions allowed ({self.max_active_sessions})")
        if session_id is None:
            session_id = self.generate_session_id()
        elif session_id in self.sessions:
            raise ValueError(f"a session with the id [{session_id[:8]}...] already exists")
        session = StandardSession(self, session_id)
        self.add(session)
        self.session_counter += 1
        self.context.fire(HttpSessionListener, "session_created", HttpSessionEvent(session))
        return session

    def add(self, session: StandardSession) -> None:
        """Register a session under its id."""
        self.sessions[session.get_id()] = session
        if len(self.sessions) > self.max_active:
            self.max_active = len(self.sessions)

    def find_session(self, session_id: str | None) -> StandardSession | None:
        """The session with this id, or None (it may have expired: callers
        check ``is_valid()``)."""
        if session_id is None:
            return None
        return self.sessions.get(session_id)

    def find_sessions(self) -> list[StandardSession]:
        """Every registered session."""
        return list(self.sessions.values())

    def get_active_sessions(self) -> int:
        return len(self.sessions)

    def remove(self, session: StandardSession, expired: bool = False) -> None:
        """Forget a session (called when it expires or is invalidated)."""
        if self.sessions.get(session.get_id()) is session:
            del self.sessions[session.get_id()]
            if expired:
                self.expired_sessions += 1

    def change_session_id(self, session: StandardSession, new_id: str | None = None) -> str:
        """Give *session* a new id (a generated one unless given), fire
        ``HttpSessionIdListener.session_id_changed`` and return the new id.
        The old id no longer finds the session."""
        if not session.is_valid():
            raise IllegalStateError("change_session_id(): the session has been invalidated")
        if new_id is None:
            new_id = self.generate_session_id()
        elif new_id in self.sessions:
            raise ValueError(f"a session with the id [{new_id[:8]}...] already exists")
        old_id = session.get_id()
        if self.sessions.get(old_id) is session:
            del self.sessions[old_id]
        self.sessions[new_id] = session
        session._set_id(new_id, old_id)
        return new_id

    def process_expires(self) -> int:
        """Expire every session idle past its interval; returns how many."""
        expired = 0
        for session in list(self.sessions.values()):
            if not session.is_valid():
                expired += 1
        return expired

    # -- lifecycle -----------------------------------------------------------
    def start_internal(self) -> None:
        self.load()
        if self.sweep_seconds > 0:
            self._sweeper = gevent.spawn(self._sweep_loop)

    def stop_internal(self) -> None:
        if self._sweeper is not None:
            self._sweeper.kill(block=True, timeout=5)
            self._sweeper = None
        try:
            self.unload()
        except Exception:
            log.exception("Could not save the sessions of context [%s]", self._context_name())
        # What was not saved ends now, with its listeners told (as Tomcat).
        for session in list(self.sessions.values()):
            try:
                if session.is_valid():
                    session.expire(notify=True)
            except Exception:
                log.exception("Error expiring session [%s...]", session.get_id()[:8])
        self.sessions.clear()

    def _sweep_loop(self) -> None:
        while True:
            gevent.sleep(self.sweep_seconds)
            try:
                self.process_expires()
            except Exception:
                log.exception("Session expiry sweep of context [%s] failed", self._context_name())

    # -- persistence ---------------------------------------------------------
    def unload(self) -> int:
        """Save the live sessions to :attr:`pathname` and end them without
        telling listeners (they go on after the restart), as Tomcat's
        ``StandardManager.unload``. An attribute value that is not plain data
        is left out with a WARNING. Returns the number of sessions saved."""
        if self.pathname is None or not self.sessions:
            return 0
        saved: list[SavedSession] = []
        written: list[StandardSession] = []
        for session in list(self.sessions.values()):
            if not session.is_valid():
                continue
            attributes = {}
            for name, value in session._attributes.items():
                problem = plain_data_problem(value)
                if problem is not None:
                    # The reason is worth adding when it is inside the value.
                    kind = _type_name(value)
                    detail = "" if problem == f"a {kind} is not plain data" else f" ({problem})"
                    log.warning("Session [%s...] of context [%s]: the attribute [%s] of type [%s] "
                                "is not plain JSON data and was not saved%s",
                                session.get_id()[:8], self._context_name(), name, kind, detail)
                    continue
                attributes[name] = value
            saved.append(SavedSession(
                id=session.get_id(), creation_time=session._creation_time,
                last_accessed_time=session._last_accessed_time,
                this_accessed_time=session._this_accessed_time,
                max_inactive_interval=session._max_inactive_interval,
                is_new=session._is_new, attributes=attributes))
            written.append(session)
        if not saved:
            return 0
        write_sessions_file(self.pathname, saved, time.time())
        for session in written:
            session.expire(notify=False)
        log.info("Saved %d session(s) of context [%s] to [%s]", len(saved), self._context_name(),
                 self.pathname)
        return len(saved)

    def load(self) -> int:
        """Restore the sessions saved by :meth:`unload` (those not expired
        since), then delete the file. A file that cannot be read is logged
        with a WARNING and the context starts without sessions. Returns the
        number restored."""
        path = self.pathname
        if path is None or not os.path.exists(path):
            return 0
        try:
            entries = read_sessions_file(path)
        except (SessionFileError, OSError) as exc:
            log.warning("Ignoring the saved sessions file [%s] of context [%s]: %s", path,
                        self._context_name(), exc)
            entries = []
        finally:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("Could not delete the saved sessions file [%s]: %s", path, exc)
        now = time.time()
        restored = 0
        for entry in entries:
            if entry.is_expired(now) or entry.id in self.sessions:
                continue
            session = StandardSession(self, entry.id, entry.creation_time)
            session._last_accessed_time = entry.last_accessed_time
            session._this_accessed_time = entry.this_accessed_time
            session._max_inactive_interval = entry.max_inactive_interval
            session._is_new = entry.is_new
            session._attributes = dict(entry.attributes)
            self.add(session)
            restored += 1
        if entries:
            log.info("Restored %d of %d saved session(s) of context [%s]", restored, len(entries),
                     self._context_name())
        return restored

    # -- tracking: cookies and URLs ---------------------------------------------
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
        cookie.set_path(config.path or self.context.path or "/")
        for name, value in (config.attributes or {}).items():
            cookie.set_attribute(name, value)
        return cookie

    def send_session_cookie(self, request: "HttpServletRequest", session_id: str) -> None:
        """Add (or replace) the session cookie on the request's response,
        when cookie tracking is on and the response is not committed."""
        if not self.cookie_tracking:
            return
        response = request._response
        if response is None or response.is_committed():
            return
        response._add_session_cookie(self.create_session_cookie(session_id, request.is_secure()))

    def parse_requested_session_id(self, request: "HttpServletRequest",
                                   path_params: dict[str, str] | None) -> None:
        """Set the request's requested session id from the URL path
        parameter (URL tracking) and then the session cookie, which wins
        (cookie tracking), as ``CoyoteAdapter.postParseRequest`` and
        ``parseSessionCookiesId`` do. Among several session cookies the
        first is taken, replaced by a later one only while it names no live
        session."""
        if path_params and self.url_tracking:
            value = path_params.get(self.uri_param_name)
            if value:
                request._requested_session_id = value
                request._requested_session_url = True
        if not self.cookie_tracking or "cookie" not in request._headers:
            return
        name = self.session_cookie_name
        for cookie in request.get_cookies():
            if cookie.name != name or not cookie.value:
                continue
            if not request._requested_session_cookie:
                request._requested_session_id = cookie.value
                request._requested_session_cookie = True
                request._requested_session_url = False
            elif not self.is_live(request._requested_session_id):
                request._requested_session_id = cookie.value

    def is_live(self, session_id: str | None) -> bool:
        """Whether *session_id* names a valid session of this context."""
        session = self.find_session(session_id)
        return session is not None and session.is_valid()

    def encode_url(self, request: "HttpServletRequest", url: str, redirect: bool = False) -> str:
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

    def _encodeable_session(self, request: "HttpServletRequest", url: str,
                            absolute: str) -> StandardSession | None:
        """The session to encode into *absolute*, or None when it must not
        be (Tomcat's ``isEncodeable`` and ``doIsEncodeable``): no valid
        session, the id came in a cookie, URL tracking off, or the URL
        leaves this web application."""
        if url.startswith("#"):
            return None
        session = request.get_session(False)
        if session is None or request._requested_session_cookie or not self.url_tracking:
            return None
        try:
            parts = urlsplit(absolute)
            url_port = parts.port
        except ValueError:
            return None
        scheme = request.get_scheme().lower()
        if parts.scheme.lower() != scheme:
            return None
        if (parts.hostname or "") != request.get_server_name().lower():
            return None
        if url_port is None:
            url_port = 443 if scheme == "https" else 80
        if url_port != request.get_server_port():
            return None
        file = parts.path + ("?" + parts.query if parts.query else "")
        context_path = self.context.path
        if not file.startswith(context_path):
            return None
        # Unlike Tomcat, /examples2 is not inside /examples.
        if context_path and len(file) > len(context_path) and file[len(context_path)] not in "/;?":
            return None
        if f";{self.uri_param_name}={session.get_id()}" in file[len(context_path):]:
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
    def _to_absolute(request: "HttpServletRequest", location: str) -> str:
        """*location* as an absolute URL against the request (Tomcat's
        ``Response.toAbsolute``); ValueError if a relative one climbs above
        the root."""
        scheme = request.get_scheme()
        if location.startswith("//"):
            return f"{scheme}:{location}"
        if not location.startswith("/") and _SCHEME.match(location):
            return location
        name = request.get_server_name()
        if ":" in name:
            name = f"[{name}]"
        port = request.get_server_port()
        default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
        base = f"{scheme}://{name}" + ("" if default else f":{port}")
        if not location.startswith("/"):
            uri = request.get_request_uri()
            location = uri[:uri.rfind("/") + 1] + location
        return base + _normalize(location)

    # -- helpers -------------------------------------------------------------
    def _context_name(self) -> str:
        display = getattr(self.context, "display_path", None)
        return display() if display is not None else (self.context.path or "/")


def _check_tracking_modes(modes: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if modes is None:
        return DEFAULT_TRACKING_MODES
    result = []
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


def _number_param(params: dict[str, str], name: str, default: Any, kind: type, minimum: float,
                  hint: str) -> Any:
    text = params.get(name)
    if text is None:
        return default
    try:
        value = kind(text.strip())
    except ValueError:
        raise ConfigError(f"context parameter {name} = {text!r} is not valid", hint=hint) from None
    if (kind is float and not math.isfinite(value)) or value < minimum:
        raise ConfigError(f"context parameter {name} = {text!r} is out of range", hint=hint)
    return value


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


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
