"""Named attributes, shared by the request and the ServletContext (and,
later, the session): setting ``None`` removes, as the servlet spec says."""

from __future__ import annotations

from typing import Any


class AttributeHolder:
    """Mixin for objects with ``get_attribute``/``set_attribute``; the class
    must create ``self._attributes = {}``."""

    _attributes: dict[str, Any]

    def get_attribute(self, name: str) -> Any:
        return self._attributes.get(name)

    def set_attribute(self, name: str, value: Any) -> None:
        if value is None:
            self._attributes.pop(name, None)
        else:
            self._attributes[name] = value

    def remove_attribute(self, name: str) -> None:
        self._attributes.pop(name, None)

    def get_attribute_names(self) -> list[str]:
        return list(self._attributes)
