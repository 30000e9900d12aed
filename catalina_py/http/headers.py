"""An ordered, case-insensitive multi-map of HTTP header fields.

:class:`Headers` holds the header (or trailer) fields of one request the way
they arrived: in order, with repeated names kept as separate fields. Names and
values are ``str`` (the wire bytes decoded as latin-1, values with the
surrounding optional whitespace already stripped by the parser). Lookups are
case-insensitive and cost one dict access: a dict from the lower-cased name to
the list of its values is kept alongside the ordered list of fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .grammar import list_contains

__all__ = ["Headers"]


class Headers:
    """Ordered multi-map of header fields with case-insensitive lookup.

    ``Headers([("Host", "a"), ("Accept", "*/*")])`` builds one from pairs;
    iteration yields ``(name, value)`` pairs in arrival order.
    """

    __slots__ = ("_items", "_index")

    def __init__(self, items: Iterable[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str]] = []
        self._index: dict[str, list[str]] = {}
        if items:
            for name, value in items:
                self.add(name, value)

    @classmethod
    def from_parsed(cls, items: list[tuple[str, str]], index: dict[str, list[str]]) -> Headers:
        """Wrap lists the parser already built (no copy, no checks)."""
        headers = cls.__new__(cls)
        headers._items = items
        headers._index = index
        return headers

    # -- lookup ---------------------------------------------------------

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of ``name``, or ``default`` if absent."""
        values = self._index.get(name.lower())
        if values:
            return values[0]
        return default

    def get_all(self, name: str) -> list[str]:
        """Return every value of ``name`` in arrival order (a new list)."""
        values = self._index.get(name.lower())
        return list(values) if values else []

    def has_token(self, name: str, token: str) -> bool:
        """True if the comma-separated values of ``name`` contain ``token``.

        Used for list-valued fields such as ``Connection: keep-alive,
        Upgrade``; the comparison ignores case and surrounding whitespace.
        """
        values = self._index.get(name.lower())
        if not values:
            return False
        return list_contains(values, token.lower())

    def names(self) -> list[str]:
        """Distinct field names in order, spelt as first seen."""
        seen: set[str] = set()
        result: list[str] = []
        for name, _ in self._items:
            lower = name.lower()
            if lower not in seen:
                seen.add(lower)
                result.append(name)
        return result

    def items(self) -> list[tuple[str, str]]:
        """All ``(name, value)`` pairs in arrival order (a new list)."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._items == other._items
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"

    # -- mutation -------------------------------------------------------

    def add(self, name: str, value: str) -> None:
        """Append a field, keeping any earlier fields of the same name."""
        self._items.append((name, value))
        lower = name.lower()
        values = self._index.get(lower)
        if values is None:
            self._index[lower] = [value]
        else:
            values.append(value)

    def set(self, name: str, value: str) -> None:
        """Replace every field called ``name`` by one field ``name: value``.

        The new field takes the place of the first old one (or goes to the
        end if there was none).
        """
        lower = name.lower()
        if lower not in self._index:
            self.add(name, value)
            return
        new_items: list[tuple[str, str]] = []
        placed = False
        for item in self._items:
            if item[0].lower() == lower:
                if not placed:
                    new_items.append((name, value))
                    placed = True
            else:
                new_items.append(item)
        self._items = new_items
        self._index[lower] = [value]

    def remove(self, name: str) -> None:
        """Remove every field called ``name`` (no error if there is none)."""
        lower = name.lower()
        if self._index.pop(lower, None) is None:
            return
        self._items = [item for item in self._items if item[0].lower() != lower]
