"""``ApplicationContext``: the container's ``ServletContext`` of one
``StandardContext`` (Tomcat's ``ApplicationContext``)."""

from __future__ import annotations

import codecs
import logging
import os
from typing import TYPE_CHECKING, Any, BinaryIO

from .. import __version__
from ..servlet.attributes import AttributeHolder
from ..servlet.context import ServletContext
from ..servlet.exceptions import IllegalStateError
from ..servlet.listeners import ServletContextAttributeEvent
from .dispatcher import ApplicationDispatcher, get_named_dispatcher, get_request_dispatcher, servlet_context_for

if TYPE_CHECKING:  # pragma: no cover
    from .types import WebappContext as StandardContext

#: Marks "no such attribute" (``None`` is never stored).
_MISSING = object()


class ApplicationContext(AttributeHolder, ServletContext):
    """The webapp-facing view of a :class:`StandardContext` (Tomcat's
    ``ApplicationContext`` and its facade)."""

    def __init__(self, context: StandardContext) -> None:
        self._context = context
        self._attributes: dict[str, Any] = {}
        self._logger = logging.getLogger(f"catalina_py.webapp.{context.name or 'ROOT'}")

    @property
    def standard_context(self) -> StandardContext:
        """The container's context this is the view of."""
        return self._context

    # -- attributes, with ServletContextAttributeListener events ---------
    def set_attribute(self, name: str, value: Any) -> None:
        """Bind ``value`` to ``name`` (``None`` removes it) and notify the
        ServletContextAttributeListeners: ``attribute_added``, or
        ``attribute_replaced`` with the *old* value, as Tomcat's
        ``ApplicationContext.setAttribute`` does."""
        if not isinstance(name, str):
            raise TypeError(f"attribute name must be a str, got {type(name).__name__}")
        if value is None:
            self.remove_attribute(name)
            return
        old = self._attributes.get(name, _MISSING)
        self._attributes[name] = value
        if getattr(self._context, "_context_attribute_listeners", None):
            self._notify_attribute(
                "attribute_added" if old is _MISSING else "attribute_replaced", name, value if old is _MISSING else old
            )

    def remove_attribute(self, name: str) -> None:
        """Unbind ``name``; ``attribute_removed`` (with the removed value)
        if it was bound."""
        old = self._attributes.pop(name, _MISSING)
        if old is not _MISSING and getattr(self._context, "_context_attribute_listeners", None):
            self._notify_attribute("attribute_removed", name, old)

    def _notify_attribute(self, method: str, name: str, value: Any) -> None:
        event = ServletContextAttributeEvent(self, name, value)
        listeners = self._context._context_attribute_listeners  # type: ignore[attr-defined]  # reach: its list
        for listener in listeners:
            try:
                getattr(listener, method)(event)
            except Exception:
                logging.getLogger("catalina_py.container").exception(
                    "Listener %s.%s of context [%s] raised",
                    type(listener).__name__,
                    method,
                    self._context.display_path(),
                )

    def get_context_path(self) -> str:
        return self._context.path

    def get_servlet_context_name(self) -> str | None:
        return self._context.web_xml.display_name

    def get_init_parameter(self, name: str) -> str | None:
        return self._context.web_xml.context_params.get(name)

    def get_init_parameter_names(self) -> list[str]:
        return list(self._context.web_xml.context_params)

    def get_mime_type(self, file: str) -> str | None:
        return self._context.get_mime_type(file)

    def get_real_path(self, path: str) -> str | None:
        """The file for a webapp path, or None if it would leave the webapp."""
        return self._context.resolve_path(path)

    # -- character encodings (Servlet 4.0; Tomcat's ApplicationContext) -----
    def get_request_character_encoding(self) -> str | None:
        return self._context.request_character_encoding

    def set_request_character_encoding(self, encoding: str | None) -> None:
        self._check_starting("set_request_character_encoding")
        if encoding is not None:
            codecs.lookup(encoding)
        self._context.request_character_encoding = encoding

    def get_response_character_encoding(self) -> str | None:
        return self._context.response_character_encoding

    def set_response_character_encoding(self, encoding: str | None) -> None:
        self._check_starting("set_response_character_encoding")
        if encoding is not None:
            codecs.lookup(encoding)
        self._context.response_character_encoding = encoding

    def _check_starting(self, method: str) -> None:
        # Tomcat: only while the context initialises (listeners, initializers).
        if self._context.is_available():
            raise IllegalStateError(
                f"{method}() is only allowed while the context [{self._context.display_path()}] "
                "is starting (from a ServletContextListener or an initializer)"
            )

    # -- resources and dispatchers (Tomcat's ApplicationContext) ----------
    def get_resource(self, path: str) -> str | None:
        """A ``file://`` URL of the webapp resource at *path* ("/x/y.txt"),
        or None if there is none or it would be outside the webapp.

        :raises ValueError: *path* does not start with ``/``.
        """
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"a resource path must start with '/' (got {path!r})")
        archive = self._context.resources
        if archive is not None:
            # Served from its WAR: a jar: URL of the entry, as Tomcat's.
            resource = archive.get(path)
            if resource is None:
                return None
            import pathlib

            entry = path.lstrip("/") + ("/" if resource.is_directory and not path.endswith("/") else "")
            return f"jar:{pathlib.Path(archive.archive).as_uri()}!/{entry}"
        full = self._context.resolve_path(path)
        if full is None or not os.path.exists(full):
            return None
        import pathlib

        url = pathlib.Path(full).as_uri()
        return url + "/" if os.path.isdir(full) and not url.endswith("/") else url

    def get_resource_as_stream(self, path: str) -> BinaryIO | None:
        """The webapp file at *path* opened for binary reading (the caller
        closes it), or None if *path* is not a file inside the webapp."""
        if not isinstance(path, str) or not path.startswith("/"):
            return None
        archive = self._context.resources
        if archive is not None:
            resource = archive.get(path)
            return None if resource is None or resource.is_directory else resource.open()
        full = self._context.resolve_path(path)
        if full is None or not os.path.isfile(full):
            return None
        try:
            return open(full, "rb")
        except OSError:
            return None

    def get_resource_paths(self, path: str) -> set[str] | None:
        """The resources directly inside the webapp folder *path*, as
        webapp paths (folders end with ``/``); None if it is not a folder.

        :raises ValueError: *path* does not start with ``/``.
        """
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"a resource path must start with '/' (got {path!r})")
        prefix = path if path.endswith("/") else path + "/"
        archive = self._context.resources
        if archive is not None:
            names = archive.list(path)
            return None if names is None else {prefix + name for name in names}
        full = self._context.resolve_path(path)
        if full is None or not os.path.isdir(full):
            return None
        result = set()
        for name in os.listdir(full):
            entry = self._context.resolve_path(prefix + name)
            if entry is None:  # a symlink out of the webapp
                continue
            result.add(prefix + name + ("/" if os.path.isdir(entry) else ""))
        return result

    def get_request_dispatcher(self, path: str) -> ApplicationDispatcher | None:
        """A ``RequestDispatcher`` for the context-relative *path* (a query
        string may follow), or None if it leaves the webapp or nothing maps it.

        :raises ValueError: *path* does not start with ``/``.
        """
        return get_request_dispatcher(self._context, path)

    def get_named_dispatcher(self, name: str) -> ApplicationDispatcher | None:
        """A ``RequestDispatcher`` for the servlet called *name*, or None."""
        return get_named_dispatcher(self._context, name)

    def get_context(self, uripath: str) -> ServletContext | None:
        """The ServletContext of the webapp on this host that serves
        *uripath* ("/other/x"): this one always, another one only when
        this context is declared with ``crossContext="true"``; else None."""
        return servlet_context_for(self._context, uripath)

    def get_server_info(self) -> str:
        return f"catalina_py/{__version__}"

    def get_major_version(self) -> int:
        return 6

    def get_minor_version(self) -> int:
        return 0

    def log(self, message: str, exc: BaseException | None = None) -> None:
        self._logger.info(message, exc_info=exc)

    def get_doc_base(self) -> str:
        return os.fspath(self._context.doc_base)
