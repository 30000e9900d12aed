"""``RequestSessions``: the session half of the container's ``Request``
(Tomcat's ``Request.doGetSession`` and friends): the session id the client
asked for, and the session in use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..servlet.exceptions import IllegalStateError

if TYPE_CHECKING:  # pragma: no cover
    from .mapper import MappingData
    from .response import Response

__all__ = ["RequestSessions"]


class RequestSessions:
    """Mixed into ``Request``: ``get_session`` and the requested session id.
    The session manager (``catalina_py/session/``) sets the requested id
    when the adapter asks it to parse the request."""

    mapping: MappingData
    response: Response | None
    # What the client asked for (set through the context's manager), and the session in use.
    _requested_session_id: str | None = None
    _requested_session_cookie = False
    _requested_session_url = False
    _session: Any = None  # Any: a StandardSession (typed loosely: session/ is typed against the servlet API)

    # -- sessions (Tomcat's Request.doGetSession and friends) --------------
    def get_session(self, create: bool = True) -> Any:
        """The session of this request: the one already used, else the live
        session the client named (cookie or ``;jsessionid=``), else -- with
        *create* -- a new one (its cookie is added to the response). None
        without *create* when there is none. Creating a session once the
        response is committed raises ``IllegalStateError``."""
        session = self._session
        if session is not None:
            if session.is_valid():
                return session
            self._session = None
        context = self.mapping.context
        manager = None if context is None else getattr(context, "manager", None)
        if manager is None:
            return None
        if self._requested_session_id is not None:
            session = manager.find_session(self._requested_session_id)
            if session is not None and session.is_valid():
                session.access()
                self._session = session
                return session
        if not create:
            return None
        if self.response is not None and self.response.is_committed():
            raise IllegalStateError("cannot create a session after the response has been committed")
        session = manager.create_session()
        self._session = session
        manager.send_session_cookie(self, session.get_id())
        session.access()
        return session

    def get_requested_session_id(self) -> str | None:
        """The session id the client sent (cookie or URL), valid or not."""
        return self._requested_session_id

    def is_requested_session_id_valid(self) -> bool:
        """Whether the id the client sent names a live session of this webapp."""
        context = self.mapping.context
        manager = None if context is None else getattr(context, "manager", None)
        return manager is not None and manager.is_live(self._requested_session_id)

    def is_requested_session_id_from_cookie(self) -> bool:
        return self._requested_session_cookie

    def is_requested_session_id_from_url(self) -> bool:
        return self._requested_session_url

    def set_requested_session_id(
        self, session_id: str, *, from_cookie: bool | None = None, from_url: bool | None = None
    ) -> None:
        """Container side: record the session id the client sent, and (when
        given) whether it came in a cookie or the URL (Tomcat's
        ``setRequestedSessionId``/``Cookie``/``URL``); set by the manager
        while the adapter maps the request."""
        self._requested_session_id = session_id
        if from_cookie is not None:
            self._requested_session_cookie = from_cookie
        if from_url is not None:
            self._requested_session_url = from_url

    def change_session_id(self) -> str:
        """Give the request's session a new id (against session fixation)
        and return it; the old id no longer finds the session. The new
        cookie is sent; ``HttpSessionIdListener``\\ s are told."""
        session = self.get_session(False)
        if session is None:
            raise IllegalStateError("change_session_id(): this request has no session")
        manager = self.mapping.context.manager
        new_id = manager.change_session_id(session)
        if self._requested_session_id:
            self._requested_session_id = new_id
        manager.send_session_cookie(self, new_id)
        return new_id
