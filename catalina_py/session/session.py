"""``StandardSession``: one HTTP session, as Tomcat's
``org.apache.catalina.session.StandardSession`` (and the
``jakarta.servlet.http.HttpSession`` API it implements, in PEP 8 spelling).

Times are **seconds since the epoch as floats** (``time.time()``), like the
rest of catalina_py's API (``get_date_header``), where Tomcat uses
milliseconds; intervals are whole seconds, as in the servlet API.

A session is *valid* from its creation until it is invalidated or expires.
Expiry is checked lazily by :meth:`StandardSession.is_valid` (on every
lookup) and regularly by the manager's background sweep, as Tomcat does.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Protocol

from ..servlet.exceptions import IllegalStateError
from ..servlet.listeners import (
    EventListener,
    HttpSessionAttributeListener,
    HttpSessionBindingEvent,
    HttpSessionEvent,
    HttpSessionIdListener,
    HttpSessionListener,
)
from .store import SavedSession

if TYPE_CHECKING:  # pragma: no cover
    from ..servlet.context import ServletContext


class SessionContext(Protocol):
    """What a session and its manager need of their web application (the
    StandardContext): its listeners and its ServletContext."""

    def fire(self, interface: type, method: str, event: Any, *args: Any, reverse: bool = False) -> None:
        """Call *method* on every listener implementing *interface*."""

    def get_servlet_context(self) -> ServletContext:
        """The web application's ServletContext."""


class SessionOwner(Protocol):
    """What a session needs of the manager that made it (the
    StandardManager), so that this module does not import the manager."""

    @property
    def context(self) -> SessionContext:
        """The web application the sessions belong to."""

    @property
    def log(self) -> logging.Logger:
        """Where a session logs what its attribute listeners raise."""

    @property
    def max_inactive_interval(self) -> int:
        """Seconds of inactivity before a new session expires."""

    def remove(self, session: StandardSession, expired: bool = False) -> None:
        """Forget *session* (it expired or was invalidated)."""

    def check_attribute(self, name: str, value: Any) -> None:
        """Raise TypeError when *value* cannot be stored (a shared store
        keeps plain data only); nothing otherwise."""

    def session_invalidated(self, session: StandardSession) -> None:
        """``invalidate()`` ended *session* (a shared store forgets it)."""


class HttpSessionBindingListener(EventListener):
    """An attribute *value* that wants to know when it is bound to or
    unbound from a session (``jakarta.servlet.http.HttpSessionBindingListener``).
    Unlike the other listeners it is not declared in web.xml: the object
    stored with ``set_attribute`` is told directly."""

    def value_bound(self, event: HttpSessionBindingEvent) -> None:
        """The object was stored in a session under ``event.get_name()``."""

    def value_unbound(self, event: HttpSessionBindingEvent) -> None:
        """The object was removed, replaced, or its session ended."""


class StandardSession:
    """One HTTP session of one web application.

    Created by :meth:`StandardManager.create_session` (never directly by a
    webapp: it calls ``request.get_session()``).
    """

    def __init__(self, manager: SessionOwner, session_id: str, creation_time: float | None = None) -> None:
        now = time.time() if creation_time is None else creation_time
        self._manager = manager
        self._id = session_id
        self._creation_time = now
        #: When the last request using the session ended (Tomcat's lastAccessedTime).
        self._last_accessed_time = now
        #: When the current (or last) request started using it (thisAccessedTime).
        self._this_accessed_time = now
        self._max_inactive_interval = manager.max_inactive_interval
        self._attributes: dict[str, Any] = {}
        self._is_new = True
        self._valid = True
        self._expiring = False
        #: The authenticated user cached by an authenticator and how they
        #: logged in (Tomcat's ``Session.getPrincipal``/``getAuthType``), and
        #: the authenticators' notes (``getNote``: a FORM login's saved
        #: request); none of them is an attribute, nor saved with the session.
        self.principal: Any = None
        self.auth_type: str | None = None
        self.notes: dict[str, Any] = {}

    # -- identity and times --------------------------------------------------
    def get_id(self) -> str:
        """The session identifier (also after invalidation, as Tomcat)."""
        return self._id

    def get_creation_time(self) -> float:
        """Seconds since the epoch when the session was created."""
        self._check_valid("get_creation_time")
        return self._creation_time

    def get_last_accessed_time(self) -> float:
        """Seconds since the epoch of the last request that used this
        session (the end of the last completed one, as Tomcat by default)."""
        self._check_valid("get_last_accessed_time")
        return self._last_accessed_time

    def get_max_inactive_interval(self) -> int:
        """Seconds of inactivity after which the session expires; zero or
        negative: never."""
        return self._max_inactive_interval

    def set_max_inactive_interval(self, interval: int) -> None:
        """Set the inactivity timeout in seconds (zero or negative: never expires)."""
        if isinstance(interval, bool) or not isinstance(interval, int):
            raise TypeError(f"the interval must be an int number of seconds, not {type(interval).__name__}")
        self._max_inactive_interval = interval

    def is_new(self) -> bool:
        """True until the client has come back with the session id (until the
        request that created the session has ended)."""
        self._check_valid("is_new")
        return self._is_new

    def get_servlet_context(self) -> ServletContext:
        """The ServletContext of the web application the session belongs to."""
        return self._manager.context.get_servlet_context()

    # -- attributes ----------------------------------------------------------
    def get_attribute(self, name: str) -> Any:
        """The value bound under *name*, or None."""
        self._check_valid("get_attribute")
        return self._attributes.get(name)

    def get_attribute_names(self) -> list[str]:
        """The names of every bound attribute."""
        self._check_valid("get_attribute_names")
        return list(self._attributes)

    def set_attribute(self, name: str, value: Any) -> None:
        """Bind *value* under *name*; None removes the attribute, as the spec
        says. Fires ``HttpSessionAttributeListener.attribute_added`` (event
        value: the new value) or ``attribute_replaced`` (event value: the old
        value), and tells :class:`HttpSessionBindingListener` values."""
        if not isinstance(name, str):
            raise TypeError(f"a session attribute name must be a str, not {type(name).__name__}")
        if value is None:
            self.remove_attribute(name)
            return
        self._check_valid("set_attribute")
        self._manager.check_attribute(name, value)
        old = self._attributes.get(name)
        if isinstance(value, HttpSessionBindingListener) and value is not old:
            self._call(value, "value_bound", HttpSessionBindingEvent(self, name, value))
        self._attributes[name] = value
        if isinstance(old, HttpSessionBindingListener) and old is not value:
            self._call(old, "value_unbound", HttpSessionBindingEvent(self, name, old))
        context = self._manager.context
        if old is None:
            context.fire(HttpSessionAttributeListener, "attribute_added", HttpSessionBindingEvent(self, name, value))
        else:
            context.fire(HttpSessionAttributeListener, "attribute_replaced", HttpSessionBindingEvent(self, name, old))

    def remove_attribute(self, name: str) -> None:
        """Unbind *name* (nothing happens if it is not bound); fires
        ``attribute_removed`` with the removed value."""
        self._check_valid("remove_attribute")
        self._remove_attribute(name, notify=True)

    def _remove_attribute(self, name: str, notify: bool) -> None:
        value = self._attributes.pop(name, None)
        if value is None or not notify:
            return
        event = HttpSessionBindingEvent(self, name, value)
        if isinstance(value, HttpSessionBindingListener):
            self._call(value, "value_unbound", event)
        self._manager.context.fire(HttpSessionAttributeListener, "attribute_removed", event)

    # -- end of life ---------------------------------------------------------
    def invalidate(self) -> None:
        """End the session now: ``session_destroyed`` is fired while the
        attributes are still there, then every attribute is removed (with
        its events). Any later use raises :class:`IllegalStateError`."""
        self._check_valid("invalidate")
        self.expire(notify=True)
        self._manager.session_invalidated(self)

    def is_valid(self) -> bool:
        """Container side: whether the session may still be used. Expires it
        first if it has been idle longer than its max inactive interval."""
        if not self._valid:
            return False
        if self._expiring:
            return True
        interval = self._max_inactive_interval
        if interval > 0 and time.time() - self._this_accessed_time >= interval:
            self.expire(notify=True)
        return self._valid

    def expire(self, notify: bool = True) -> None:
        """Container side: end the session (Tomcat's ``expire``). With
        *notify* the listeners are told; without, it just goes (used after
        the sessions were saved on stop, as StandardManager.unload does)."""
        if not self._valid or self._expiring:
            return
        self._expiring = True
        try:
            context = self._manager.context
            if notify:
                context.fire(HttpSessionListener, "session_destroyed", HttpSessionEvent(self), reverse=True)
            self._manager.remove(self, expired=True)
        finally:
            self._valid = False
            self._expiring = False
        for name in list(self._attributes):
            self._remove_attribute(name, notify)

    def access(self) -> None:
        """Container side: a request starts using this session."""
        self._this_accessed_time = time.time()

    def end_access(self) -> None:
        """Container side: the request using this session has ended."""
        self._is_new = False
        now = time.time()
        self._this_accessed_time = now
        self._last_accessed_time = now

    def set_id(self, new_id: str, old_id: str | None) -> None:
        """Container side, called by the manager when it changes the id (as
        Tomcat's ``StandardSession.setId``); fires
        ``HttpSessionIdListener.session_id_changed`` when *old_id* is given."""
        self._id = new_id
        if old_id is not None:
            self._manager.context.fire(HttpSessionIdListener, "session_id_changed", HttpSessionEvent(self), old_id)

    # -- persistence (container side, see StandardManager.unload/load) -------
    def attribute_items(self) -> list[tuple[str, Any]]:
        """Container side: every (name, value) bound, without the validity
        check of :meth:`get_attribute_names` (used when saving)."""
        return list(self._attributes.items())

    def to_saved(self, attributes: dict[str, Any]) -> SavedSession:
        """Container side: this session's state as a :class:`SavedSession`
        record, with *attributes* (the plain-data ones the manager kept)."""
        return SavedSession(
            id=self._id,
            creation_time=self._creation_time,
            last_accessed_time=self._last_accessed_time,
            this_accessed_time=self._this_accessed_time,
            max_inactive_interval=self._max_inactive_interval,
            is_new=self._is_new,
            attributes=attributes,
        )

    def refresh(self, saved: SavedSession) -> None:
        """Container side: take the times and attributes of a newer copy
        (a shared store's, written by another instance). No listener is
        told: the change happened elsewhere."""
        self._last_accessed_time = saved.last_accessed_time
        self._this_accessed_time = max(self._this_accessed_time, saved.this_accessed_time)
        self._max_inactive_interval = saved.max_inactive_interval
        self._is_new = self._is_new and saved.is_new
        self._attributes = dict(saved.attributes)

    def idle_expired(self, now: float) -> bool:
        """Container side: whether this copy has been idle past its interval
        (without expiring it, unlike :meth:`is_valid`)."""
        interval = self._max_inactive_interval
        return interval > 0 and now - self._this_accessed_time >= interval

    @classmethod
    def from_saved(cls, manager: SessionOwner, saved: SavedSession) -> StandardSession:
        """Container side: a session restored from a saved record (no
        listener is told: it goes on from before the restart)."""
        session = cls(manager, saved.id, saved.creation_time)
        session._last_accessed_time = saved.last_accessed_time
        session._this_accessed_time = saved.this_accessed_time
        session._max_inactive_interval = saved.max_inactive_interval
        session._is_new = saved.is_new
        session._attributes = dict(saved.attributes)
        return session

    # -- helpers -------------------------------------------------------------
    def _check_valid(self, method: str) -> None:
        if not self.is_valid():
            raise IllegalStateError(f"{method}(): the session [{self._id[:8]}...] has been invalidated")

    def _call(self, target: Any, method: str, event: HttpSessionBindingEvent) -> None:
        try:
            getattr(target, method)(event)
        except Exception:
            self._manager.log.exception(
                "%s.%s raised for session attribute [%s]", type(target).__name__, method, event.get_name()
            )

    def __repr__(self) -> str:
        state = "valid" if self._valid else "invalid"
        return f"<StandardSession {self._id[:8]}... {state}>"


__all__ = ["HttpSessionBindingListener", "SessionContext", "SessionOwner", "StandardSession"]
