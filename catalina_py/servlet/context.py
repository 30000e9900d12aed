"""``ServletContext``: what a webapp sees of its own context (the interface,
``jakarta.servlet.ServletContext`` in PEP 8 spelling).

The container's implementation is
``catalina_py.container.application_context.ApplicationContext`` (Tomcat's
``ApplicationContext``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:  # pragma: no cover
    from .mapping import RequestDispatcher

__all__ = ["ENVIRONMENT_ATTRIBUTE", "JAVA_COMP_ENV", "TEMPDIR", "ServletContext"]

#: The context attribute naming the webapp's temporary directory, a path
#: (``ServletContext.TEMPDIR``): its work directory, where multipart
#: uploads are written by default.
TEMPDIR = "jakarta.servlet.context.tempdir"

#: The context attribute holding the ``<Environment>`` entries of the
#: webapp's ``<Context>`` (name -> value), read by
#: :meth:`ServletContext.get_environment`.
ENVIRONMENT_ATTRIBUTE = "catalina_py.naming.environment"

#: The JNDI prefix Tomcat's webapps look entries up under; accepted (and
#: stripped) by :meth:`ServletContext.get_environment`.
JAVA_COMP_ENV = "java:comp/env/"


class ServletContext(ABC):
    """The webapp's view of its context: attributes, init parameters,
    resources and dispatchers."""

    # -- attributes ------------------------------------------------------
    @abstractmethod
    def get_attribute(self, name: str) -> Any:
        """The attribute bound to *name*, or None."""

    @abstractmethod
    def get_attribute_names(self) -> list[str]:
        """The names of the bound attributes."""

    @abstractmethod
    def set_attribute(self, name: str, value: Any) -> None:
        """Bind ``value`` to ``name`` (``None`` removes it) and notify the
        ServletContextAttributeListeners: ``attribute_added``, or
        ``attribute_replaced`` with the *old* value."""

    @abstractmethod
    def remove_attribute(self, name: str) -> None:
        """Unbind ``name``; ``attribute_removed`` (with the removed value)
        if it was bound."""

    # -- the webapp --------------------------------------------------------
    @abstractmethod
    def get_context_path(self) -> str:
        """The context path (``""`` for ROOT)."""

    @abstractmethod
    def get_servlet_context_name(self) -> str | None:
        """The ``<display-name>`` of web.xml."""

    @abstractmethod
    def get_init_parameter(self, name: str) -> str | None:
        """A ``<context-param>``, or None."""

    @abstractmethod
    def get_init_parameter_names(self) -> list[str]:
        """The names of the ``<context-param>``\\ s."""

    @abstractmethod
    def get_mime_type(self, file: str) -> str | None:
        """The MIME type of the file name *file*, or None."""

    @abstractmethod
    def get_real_path(self, path: str) -> str | None:
        """The file for a webapp path, or None if it would leave the webapp."""

    # -- the <Context>'s environment entries (Tomcat's java:comp/env) -----
    def get_environment(self, name: str) -> Any:
        """The value of the ``<Environment name=...>`` entry of the webapp's
        ``<Context>`` (converted to the Python type its ``type`` names:
        str, int, float or bool), or None. *name* may carry Tomcat's JNDI
        prefix: ``get_environment("java:comp/env/maxItems")`` is
        ``get_environment("maxItems")``."""
        entries = self.get_attribute(ENVIRONMENT_ATTRIBUTE)
        if not isinstance(entries, Mapping):
            return None
        if name.startswith(JAVA_COMP_ENV):
            name = name[len(JAVA_COMP_ENV) :]
        return entries.get(name)

    def get_environment_names(self) -> list[str]:
        """The names of the ``<Environment>`` entries, in document order."""
        entries = self.get_attribute(ENVIRONMENT_ATTRIBUTE)
        return list(entries) if isinstance(entries, Mapping) else []

    # -- character encodings (Servlet 4.0) ----------------------------------
    @abstractmethod
    def get_request_character_encoding(self) -> str | None:
        """The encoding of request bodies that name none
        (``<request-character-encoding>``), or None."""

    @abstractmethod
    def set_request_character_encoding(self, encoding: str | None) -> None:
        """Set it, while the context is starting (a listener or an
        initializer); IllegalStateError once it has started, LookupError
        for an unknown encoding."""

    @abstractmethod
    def get_response_character_encoding(self) -> str | None:
        """The encoding of responses that set none
        (``<response-character-encoding>``), or None (ISO-8859-1 then)."""

    @abstractmethod
    def set_response_character_encoding(self, encoding: str | None) -> None:
        """As :meth:`set_request_character_encoding`, for responses."""

    # -- resources and dispatchers -------------------------------------------
    @abstractmethod
    def get_resource(self, path: str) -> str | None:
        """A ``file://`` URL of the webapp resource at *path* ("/x/y.txt"),
        or None if there is none or it would be outside the webapp.

        :raises ValueError: *path* does not start with ``/``.
        """

    @abstractmethod
    def get_resource_as_stream(self, path: str) -> BinaryIO | None:
        """The webapp file at *path* opened for binary reading (the caller
        closes it), or None if *path* is not a file inside the webapp."""

    @abstractmethod
    def get_resource_paths(self, path: str) -> set[str] | None:
        """The resources directly inside the webapp folder *path*, as
        webapp paths (folders end with ``/``); None if it is not a folder.

        :raises ValueError: *path* does not start with ``/``.
        """

    @abstractmethod
    def get_request_dispatcher(self, path: str) -> RequestDispatcher | None:
        """A ``RequestDispatcher`` for the context-relative *path* (a query
        string may follow), or None if it leaves the webapp or nothing maps it.

        :raises ValueError: *path* does not start with ``/``.
        """

    @abstractmethod
    def get_named_dispatcher(self, name: str) -> RequestDispatcher | None:
        """A ``RequestDispatcher`` for the servlet called *name*, or None."""

    @abstractmethod
    def get_context(self, uripath: str) -> ServletContext | None:
        """The ServletContext of the webapp on this host that serves
        *uripath* ("/other/x"): this one always, another one only when
        this context is declared with ``crossContext="true"``; else None."""

    # -- the container -------------------------------------------------------
    @abstractmethod
    def get_server_info(self) -> str:
        """``catalina_py/<version>``."""

    @abstractmethod
    def get_major_version(self) -> int:
        """The Servlet API's major version (6)."""

    @abstractmethod
    def get_minor_version(self) -> int:
        """The Servlet API's minor version."""

    @abstractmethod
    def log(self, message: str, exc: BaseException | None = None) -> None:
        """Write *message* (and *exc*) to the webapp's log."""

    @abstractmethod
    def get_doc_base(self) -> str:
        """The webapp's folder (not in the Jakarta API; Tomcat's docBase)."""
