"""``StandardManager``: the sessions of one web application, as Tomcat's
``org.apache.catalina.session.StandardManager`` (with ``ManagerBase``).

The manager creates sessions with random ids, finds them again, changes
their ids, expires idle ones in a background sweep, and saves them across a
graceful restart (as data only: see :mod:`catalina_py.session.store`).

It also holds the web application's session *tracking* rules
(:class:`~catalina_py.session.tracking.SessionTracking`: the session cookie,
the tracking modes, ``encode_url``) and hands requests to them.

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

import dataclasses
import logging
import math
import os
import secrets
import time
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import gevent

from ..config.web_xml import CookieConfig
from ..errors import ConfigError
from ..lifecycle import LifecycleBase
from ..servlet.cookies import Cookie
from ..servlet.exceptions import IllegalStateError
from ..servlet.listeners import HttpSessionEvent, HttpSessionListener
from .session import SessionContext, StandardSession
from .store import (
    SavedSession,
    SessionFileError,
    SharedSessionStore,
    StoreUnavailableError,
    plain_data_problem,
    read_sessions_file,
    write_sessions_file,
)
from .tracking import SessionTracking, TrackedRequest

if TYPE_CHECKING:  # pragma: no cover
    from ..config.context_spec import ContextSpec
    from ..config.web_xml import WebXml

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
#: Bytes of randomness in a session id (Tomcat's sessionIdLength).
SESSION_ID_BYTES = 16

__all__ = [
    "DEFAULT_SWEEP_SECONDS",
    "MAX_ACTIVE_PARAM",
    "SESSIONS_FILE",
    "SWEEP_PARAM",
    "ManagedContext",
    "StandardManager",
    "TooManyActiveSessionsError",
    "context_cookie_rules",
    "manager_pathname",
]


class ManagedContext(SessionContext, Protocol):
    """What the manager needs of its web application (the StandardContext):
    its path and name, its listeners and ServletContext, and (for
    :meth:`StandardManager.for_context`) its descriptor and work folder."""

    path: str
    web_xml: WebXml
    work_dir: str | None

    def display_path(self) -> str:
        """The context path as shown in logs ("/" for ROOT)."""


def context_cookie_rules(
    spec: ContextSpec, cookie_config: CookieConfig, tracking_modes: list[str] | None
) -> tuple[CookieConfig, list[str] | None]:
    """The session cookie and tracking modes once the ``<Context>``
    attributes are applied, as Tomcat's ``SessionConfig`` and
    ``ApplicationSessionCookieConfig`` apply them: ``sessionCookieName``,
    ``sessionCookiePath`` and ``sessionCookieDomain`` win over web.xml's
    ``<cookie-config>``; the cookie is HttpOnly when web.xml's
    ``<http-only>`` says true *or* ``useHttpOnly`` is true (its default: so
    ``<http-only>false`` alone does not turn it off; checked on Tomcat
    10.1.60);
    ``cookies="false"`` leaves URL rewriting as the only default tracking
    mode (web.xml's ``<tracking-mode>`` still wins)."""
    changes: dict[str, Any] = {}
    if spec.session_cookie_name:
        changes["name"] = spec.session_cookie_name
    if spec.session_cookie_path:
        changes["path"] = spec.session_cookie_path
    if spec.session_cookie_domain:
        changes["domain"] = spec.session_cookie_domain
    http_only = cookie_config.http_only is True or spec.use_http_only is not False
    if http_only != (cookie_config.http_only is not False):
        changes["http_only"] = http_only
    if changes:
        cookie_config = dataclasses.replace(cookie_config, **changes)
    if not spec.cookies and tracking_modes is None:
        tracking_modes = ["URL"]
    return cookie_config, tracking_modes


def manager_pathname(pathname: str, work_dir: str | None) -> str | None:
    """``<Manager pathname>`` as a file: ``""`` turns persistence off; a
    relative name is in the context's work folder (Tomcat's
    ``ServletContext.TEMPDIR``), none without one."""
    if not pathname:
        return None
    if os.path.isabs(pathname):
        return pathname
    return os.path.join(work_dir, pathname) if work_dir else None


class TooManyActiveSessionsError(IllegalStateError):
    """A new session was refused because ``max_active_sessions`` are live
    (Tomcat's ``TooManyActiveSessionsException``)."""


class StandardManager(LifecycleBase):
    """The session manager of one context.

    :param context: the StandardContext (see :class:`ManagedContext`).
    :param max_inactive_interval: seconds of inactivity before a new session
        expires (``<= 0``: never).
    :param sweep_seconds: seconds between background expiry sweeps
        (``0``: no sweep).
    :param max_active_sessions: live sessions allowed at once (-1: no limit).
    :param pathname: the sessions file, or None for no persistence.
    :param cookie_config: the ``<cookie-config>`` of the webapp.
    :param tracking_modes: "COOKIE" and/or "URL" (None: both).
    """

    #: The name of the sessions file in the context's work folder. A worker
    #: process of ``<Server workers="N">`` has one of its own
    #: (``SESSIONS.worker-2.json``): its sessions are its own, and one file
    #: written by every worker at stop would keep only the last one's.
    sessions_file: str = SESSIONS_FILE
    #: The shared store of ``<Cluster>`` (set by the cluster before the
    #: contexts start), or None: sessions live in this process only. With
    #: one, every lookup reads the store (a session made or changed by
    #: another instance is seen), every request's end writes the session
    #: back, attributes must be plain data, and no sessions file is kept.
    session_store: SharedSessionStore | None = None

    def __init__(
        self,
        context: ManagedContext,
        *,
        max_inactive_interval: int = DEFAULT_SESSION_TIMEOUT * 60,
        sweep_seconds: float = DEFAULT_SWEEP_SECONDS,
        max_active_sessions: int = -1,
        pathname: str | None = None,
        cookie_config: CookieConfig | None = None,
        tracking_modes: list[str] | tuple[str, ...] | None = None,
    ) -> None:
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
        #: The session cookie and URL rules (``<cookie-config>``, ``<tracking-mode>``).
        self.tracking = SessionTracking(
            context.path, cookie_config if cookie_config is not None else CookieConfig(), tracking_modes
        )
        self.sessions: dict[str, StandardSession] = {}
        #: Statistics, as ManagerBase's: sessions created, expired, refused
        #: and the highest number live at once.
        self.session_counter = 0
        self.expired_sessions = 0
        self.rejected_sessions = 0
        self.max_active = 0
        self._sweeper: gevent.Greenlet | None = None
        self.store = type(self).session_store
        if self.store is not None:
            self.pathname = None  # the sessions live in the store

    @classmethod
    def for_context(cls, context: ManagedContext, spec: ContextSpec | None = None) -> StandardManager:
        """A manager configured from the context's merged web.xml and its
        ``work_dir`` (no persistence when the context has none), and from
        its ``<Context>`` (*spec*): the session cookie attributes and
        ``cookies`` (see :func:`context_cookie_rules`), ``<Manager
        maxActiveSessions pathname>``."""
        web_xml = context.web_xml
        session_config = web_xml.session_config
        timeout = session_config.session_timeout
        if timeout is None:
            timeout = web_xml.session_timeout
        if timeout is None:
            timeout = DEFAULT_SESSION_TIMEOUT
        params = web_xml.context_params
        sweep = _number_param(
            params, SWEEP_PARAM, DEFAULT_SWEEP_SECONDS, float, 0, "a number of seconds, 0 or more, e.g. 10 or 0.5"
        )
        max_active = _number_param(
            params, MAX_ACTIVE_PARAM, -1, int, -1, "an integer: -1 (no limit) or the largest number of live sessions"
        )
        work_dir = context.work_dir
        pathname = os.path.join(work_dir, cls.sessions_file) if work_dir else None
        cookie_config = session_config.cookie_config
        tracking_modes = session_config.tracking_modes
        if spec is not None:
            cookie_config, tracking_modes = context_cookie_rules(spec, cookie_config, tracking_modes)
            if spec.manager is not None:
                if spec.manager.max_active_sessions is not None:
                    max_active = spec.manager.max_active_sessions
                if spec.manager.pathname is not None:
                    pathname = manager_pathname(spec.manager.pathname, work_dir)
        return cls(
            context,
            max_inactive_interval=int(timeout) * 60,
            sweep_seconds=sweep,
            max_active_sessions=max_active,
            pathname=pathname,
            cookie_config=cookie_config,
            tracking_modes=tracking_modes,
        )

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
                f"live sessions allowed ({self.max_active_sessions})"
            )
        if session_id is None:
            session_id = self.generate_session_id()
        elif session_id in self.sessions:
            raise ValueError(f"a session with the id [{session_id[:8]}...] already exists")
        session = StandardSession(self, session_id)
        self.add(session)
        self.session_counter += 1
        self.context.fire(HttpSessionListener, "session_created", HttpSessionEvent(session))
        # <Cluster>: stored at once (a response written before the request
        # ends could bring the next request to another instance first).
        self.session_used(session)
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
        local = self.sessions.get(session_id)
        store = self.store
        if store is None:
            return local
        try:
            saved = store.load_session(self.context.path, session_id)
        except StoreUnavailableError:
            return local  # the store is down: what this process holds
        if saved is None:
            if local is not None and local.is_valid():
                # Gone from the store: invalidated or expired elsewhere.
                local.expire(notify=False)
            return None
        if local is None:
            local = StandardSession.from_saved(self, saved)
            self.add(local)
        else:
            local.refresh(saved)
        return local

    # -- the shared store (<Cluster>) ----------------------------------------
    def check_attribute(self, name: str, value: Any) -> None:
        """With a shared store, an attribute must be plain data (JSON's
        types: see catalina_py/session/store.py); TypeError names why not."""
        if self.store is None:
            return
        problem = plain_data_problem(value)
        if problem is not None:
            raise TypeError(
                f"session attribute [{name}]: {problem}; with a <Cluster> the session is stored in Redis as "
                "JSON, so attributes must be str, int, float, bool, None, list or dict with str keys"
            )

    def session_used(self, session: StandardSession) -> None:
        """A request using *session* ended: write it to the shared store
        (its expiry restarts there). Nothing without a store; logged, not
        raised, when the store is down."""
        store = self.store
        if store is None or not session.is_valid():
            return
        attributes = {}
        for name, value in session.attribute_items():
            if plain_data_problem(value) is None:  # changed in place since set_attribute
                attributes[name] = value
            else:
                log.warning("Session attribute [%s] is no longer plain data and was not stored", name)
        try:
            store.save_session(self.context.path, session.to_saved(attributes))
        except StoreUnavailableError:
            pass

    def session_invalidated(self, session: StandardSession) -> None:
        """``invalidate()``: the shared store forgets the session too."""
        store = self.store
        if store is None:
            return
        try:
            store.delete_session(self.context.path, session.get_id())
        except StoreUnavailableError:
            pass

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
        session.set_id(new_id, old_id)
        if self.store is not None:
            self.session_invalidated_id(old_id)
            self.session_used(session)
        return new_id

    def session_invalidated_id(self, session_id: str) -> None:
        """Forget *session_id* in the shared store (its id changed)."""
        store = self.store
        if store is None:
            return
        try:
            store.delete_session(self.context.path, session_id)
        except StoreUnavailableError:
            pass

    def process_expires(self) -> int:
        """Expire every session idle past its interval; returns how many."""
        expired = 0
        now = time.time()
        for session in list(self.sessions.values()):
            if self.store is not None and session.idle_expired(now):
                # Another instance may have used it since: the store's copy says.
                self.find_session(session.get_id())
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
        # What was not saved ends now, with its listeners told (as Tomcat);
        # with a shared store the sessions go on in it, so no one is told.
        notify = self.store is None
        for session in list(self.sessions.values()):
            try:
                if session.is_valid():
                    session.expire(notify=notify)
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
            saved.append(session.to_saved(self._plain_attributes(session)))
            written.append(session)
        if not saved:
            return 0
        write_sessions_file(self.pathname, saved, time.time())
        for session in written:
            session.expire(notify=False)
        log.info("Saved %d session(s) of context [%s] to [%s]", len(saved), self._context_name(), self.pathname)
        return len(saved)

    def _plain_attributes(self, session: StandardSession) -> dict[str, Any]:
        """The attributes of *session* that are plain JSON data (what
        survives a restart or a reload); each other one is logged."""
        attributes = {}
        for name, value in session.attribute_items():
            problem = plain_data_problem(value)
            if problem is not None:
                # The reason is worth adding when it is inside the value.
                kind = _type_name(value)
                detail = "" if problem == f"a {kind} is not plain data" else f" ({problem})"
                log.warning(
                    "Session [%s...] of context [%s]: the attribute [%s] of type [%s] "
                    "is not plain JSON data and was not saved%s",
                    session.get_id()[:8],
                    self._context_name(),
                    name,
                    kind,
                    detail,
                )
                continue
            attributes[name] = value
        return attributes

    # -- reload: handing the sessions to the new version of the webapp --------
    def copy_sessions_to(self, other: StandardManager) -> int:
        """Copy the live sessions into *other*, the manager of the new
        version of this webapp (a reload or redeploy), as :meth:`unload`
        and :meth:`load` would carry them across a restart: same ids and
        times, plain-data attributes only, no listener told. Sessions
        *other* already holds are left alone; with a shared store
        (``<Cluster>``) nothing is copied, the store holds them. The
        sessions stay valid here too, for the requests still running on
        this version. Returns how many were copied."""
        if self.store is not None or other.store is not None:
            return 0
        copied = 0
        for session in list(self.sessions.values()):
            if session.get_id() in other.sessions or not session.is_valid():
                continue
            other.add(StandardSession.from_saved(other, session.to_saved(self._plain_attributes(session))))
            copied += 1
        return copied

    def release_sessions(self) -> None:
        """End every session of this (old) version without telling the
        listeners, because they go on in the new version: the stop that
        follows then neither saves them nor calls ``session_destroyed``."""
        for session in list(self.sessions.values()):
            try:
                session.expire(notify=False)
            except Exception:
                log.exception("Error releasing session [%s...]", session.get_id()[:8])
        self.sessions.clear()

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
            log.warning("Ignoring the saved sessions file [%s] of context [%s]: %s", path, self._context_name(), exc)
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
            self.add(StandardSession.from_saved(self, entry))
            restored += 1
        if entries:
            log.info("Restored %d of %d saved session(s) of context [%s]", restored, len(entries), self._context_name())
        return restored

    # -- tracking: cookies and URLs (see catalina_py.session.tracking) ----------
    @property
    def tracking_modes(self) -> tuple[str, ...]:
        """The webapp's session tracking modes ("COOKIE", "URL")."""
        return self.tracking.tracking_modes

    def create_session_cookie(self, session_id: str, secure: bool) -> Cookie:
        """The session cookie for *session_id* (see :class:`SessionTracking`)."""
        return self.tracking.create_session_cookie(session_id, secure)

    def send_session_cookie(self, request: TrackedRequest, session_id: str) -> None:
        """Add (or replace) the session cookie on the request's response."""
        self.tracking.send_session_cookie(request, session_id)

    def parse_requested_session_id(self, request: TrackedRequest, path_params: dict[str, str] | None) -> None:
        """Set the request's requested session id from its URL and cookies."""
        self.tracking.parse_requested_session_id(request, path_params, self.is_live)

    def is_live(self, session_id: str | None) -> bool:
        """Whether *session_id* names a valid session of this context."""
        session = self.find_session(session_id)
        return session is not None and session.is_valid()

    def encode_url(self, request: TrackedRequest, url: str, redirect: bool = False) -> str:
        """*url* with ``;jsessionid=ID`` when the session must travel in it."""
        return self.tracking.encode_url(request, url, redirect)

    # -- helpers -------------------------------------------------------------
    def _context_name(self) -> str:
        return self.context.display_path()


_Number = TypeVar("_Number", int, float)


def _number_param(
    params: dict[str, str], name: str, default: _Number, kind: type[_Number], minimum: float, hint: str
) -> _Number:
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


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
