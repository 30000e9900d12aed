"""Listener interfaces and their events, as ``jakarta.servlet`` and
``jakarta.servlet.http`` define them, in PEP 8 spelling.

A listener class (declared with ``<listener>`` in web.xml or decorated with
``@web_listener``) subclasses one or more of these and overrides the
methods it cares about; the defaults do nothing. The context calls every
listener that is an instance of the interface concerned, in declaration
order (and in reverse order for the ``*_destroyed`` events, as the spec
says).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .context import ServletContext


# -- events -------------------------------------------------------------------
class ServletContextEvent:
    """A webapp started or is stopping."""

    def __init__(self, context: ServletContext) -> None:
        self._context = context

    def get_servlet_context(self) -> ServletContext:
        return self._context


class ServletContextAttributeEvent(ServletContextEvent):
    """An attribute of the ServletContext was added, removed or replaced
    (``get_value`` is the old value for removed and replaced)."""

    def __init__(self, context: ServletContext, name: str, value: Any) -> None:
        super().__init__(context)
        self._name = name
        self._value = value

    def get_name(self) -> str:
        return self._name

    def get_value(self) -> Any:
        return self._value


class ServletRequestEvent(ServletContextEvent):
    """A request enters or leaves the webapp."""

    def __init__(self, context: ServletContext, request: Any) -> None:
        super().__init__(context)
        self._request = request

    def get_servlet_request(self) -> Any:
        return self._request


class ServletRequestAttributeEvent(ServletRequestEvent):
    """An attribute of a request was added, removed or replaced."""

    def __init__(self, context: ServletContext, request: Any, name: str, value: Any) -> None:
        super().__init__(context, request)
        self._name = name
        self._value = value

    def get_name(self) -> str:
        return self._name

    def get_value(self) -> Any:
        return self._value


class HttpSessionEvent:
    """A session was created or destroyed."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def get_session(self) -> Any:
        return self._session


class HttpSessionBindingEvent(HttpSessionEvent):
    """An attribute of a session was added, removed or replaced."""

    def __init__(self, session: Any, name: str, value: Any) -> None:
        super().__init__(session)
        self._name = name
        self._value = value

    def get_name(self) -> str:
        return self._name

    def get_value(self) -> Any:
        return self._value


# -- interfaces ------------------------------------------------------------
class EventListener:
    """Marker base of every listener interface."""


class ServletContextListener(EventListener):
    def context_initialized(self, event: ServletContextEvent) -> None:
        """The webapp is starting: before filters and load-on-startup servlets."""

    def context_destroyed(self, event: ServletContextEvent) -> None:
        """The webapp is stopping: after servlets and filters were destroyed."""


class ServletContextAttributeListener(EventListener):
    def attribute_added(self, event: ServletContextAttributeEvent) -> None:
        pass

    def attribute_removed(self, event: ServletContextAttributeEvent) -> None:
        pass

    def attribute_replaced(self, event: ServletContextAttributeEvent) -> None:
        pass


class ServletRequestListener(EventListener):
    def request_initialized(self, event: ServletRequestEvent) -> None:
        """A request enters the webapp (before its filters)."""

    def request_destroyed(self, event: ServletRequestEvent) -> None:
        """The request leaves the webapp."""


class ServletRequestAttributeListener(EventListener):
    def attribute_added(self, event: ServletRequestAttributeEvent) -> None:
        pass

    def attribute_removed(self, event: ServletRequestAttributeEvent) -> None:
        pass

    def attribute_replaced(self, event: ServletRequestAttributeEvent) -> None:
        pass


class HttpSessionListener(EventListener):
    def session_created(self, event: HttpSessionEvent) -> None:
        pass

    def session_destroyed(self, event: HttpSessionEvent) -> None:
        """Called before the session is invalidated (its attributes are still there)."""


class HttpSessionAttributeListener(EventListener):
    def attribute_added(self, event: HttpSessionBindingEvent) -> None:
        pass

    def attribute_removed(self, event: HttpSessionBindingEvent) -> None:
        pass

    def attribute_replaced(self, event: HttpSessionBindingEvent) -> None:
        pass


class HttpSessionIdListener(EventListener):
    def session_id_changed(self, event: HttpSessionEvent, old_session_id: str) -> None:
        pass


#: Listener interfaces a ``<listener>`` class must implement at least one of.
LISTENER_INTERFACES = (
    ServletContextListener,
    ServletContextAttributeListener,
    ServletRequestListener,
    ServletRequestAttributeListener,
    HttpSessionListener,
    HttpSessionAttributeListener,
    HttpSessionIdListener,
)
