"""``ServletContext``: what a webapp sees of its own context."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from .attributes import AttributeHolder

if TYPE_CHECKING:  # pragma: no cover
    from ..container.context import StandardContext


class ServletContext(AttributeHolder):
    """The webapp-facing view of a :class:`StandardContext` (Tomcat's
    ``ApplicationContextFacade``)."""

    def __init__(self, context: "StandardContext") -> None:
        self._context = context
        self._attributes: dict[str, Any] = {}
        self._logger = logging.getLogger(f"catalina_py.webapp.{context.name or 'ROOT'}")

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

    def get_server_info(self) -> str:
        from .. import __version__
        return f"catalina_py/{__version__}"

    def get_major_version(self) -> int:
        return 6

    def get_minor_version(self) -> int:
        return 0

    def log(self, message: str, exc: BaseException | None = None) -> None:
        self._logger.info(message, exc_info=exc)

    def get_doc_base(self) -> str:
        return os.fspath(self._context.doc_base)
