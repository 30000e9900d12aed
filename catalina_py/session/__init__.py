"""HTTP sessions, as Tomcat's ``org.apache.catalina.session`` package:
:class:`StandardManager` (one per context) and :class:`StandardSession`.

A servlet gets its session with ``request.get_session()``; the rest of this
package is the container's side. See ``docs/sessions.md``.
"""

from .manager import (
    DEFAULT_SWEEP_SECONDS,
    MAX_ACTIVE_PARAM,
    SESSIONS_FILE,
    SWEEP_PARAM,
    StandardManager,
    TooManyActiveSessionsError,
)
from .session import HttpSessionBindingListener, StandardSession

#: The servlet API's name for the session type (``jakarta.servlet.http.HttpSession``).
HttpSession = StandardSession

__all__ = [
    "DEFAULT_SWEEP_SECONDS",
    "MAX_ACTIVE_PARAM",
    "SESSIONS_FILE",
    "SWEEP_PARAM",
    "HttpSession",
    "HttpSessionBindingListener",
    "StandardManager",
    "StandardSession",
    "TooManyActiveSessionsError",
]
