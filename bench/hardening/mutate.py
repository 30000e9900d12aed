"""A small byte-level mutation engine shared by the fuzzers.

:class:`Mutator` takes a seed input and applies one to a few random edits:
bit flips, byte replacements (random or "interesting" bytes: CR, LF, NUL,
SP, HT, DEL, 0x80, 0xFF, ':' ...), insertions (random bytes or tokens from a
dictionary), deletions, duplications of a range, swaps, truncation and
splices with another corpus entry. Everything is driven by the
``random.Random`` it is given, so a seed reproduces a run.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

__all__ = ["INTERESTING_BYTES", "Mutator", "random_splits"]

#: Bytes that tend to sit on a parser's decision boundaries.
INTERESTING_BYTES = b'\r\n\x00 \t\x7f\x80\xff:;,="\\/?#%0aAzZ\x0b\x0c\x01\x1f'


def random_splits(rng: random.Random, data: bytes, max_pieces: int = 6) -> list[bytes]:
    """Cut *data* at up to ``max_pieces - 1`` random points (sorted, distinct)."""
    if len(data) < 2:
        return [data] if data else []
    k = rng.randint(1, max_pieces - 1)
    points = sorted(set(rng.randrange(1, len(data)) for _ in range(k)))
    pieces = []
    last = 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


class Mutator:
    """Applies random edits to byte strings.

    *corpus* supplies splice partners; *dictionary* holds tokens worth
    inserting whole (``Transfer-Encoding``, ``chunked``, ``\\r\\n\\r\\n`` ...).
    """

    def __init__(self, rng: random.Random, corpus: Sequence[bytes], dictionary: Sequence[bytes] = ()) -> None:
        self.rng = rng
        self.corpus = corpus
        self.dictionary = list(dictionary) or [b"\r\n"]
        self._ops: list[Callable[[bytearray], None]] = [
            self._flip_bit,
            self._set_byte,
            self._set_interesting,
            self._insert_random,
            self._insert_token,
            self._insert_token,
            self._delete_range,
            self._duplicate_range,
            self._swap_ranges,
            self._truncate,
            self._splice,
        ]

    def mutate(self, data: bytes, max_edits: int = 4) -> tuple[bytes, list[str]]:
        """Return an edited copy of *data* and the names of the edits made."""
        buf = bytearray(data)
        names = []
        for _ in range(self.rng.randint(1, max_edits)):
            op = self.rng.choice(self._ops)
            op(buf)
            names.append(op.__name__.lstrip("_"))
        return bytes(buf), names

    # -- edits ---------------------------------------------------------------

    def _pos(self, buf: bytearray) -> int:
        return self.rng.randrange(len(buf) + 1)

    def _flip_bit(self, buf: bytearray) -> None:
        if buf:
            i = self.rng.randrange(len(buf))
            buf[i] ^= 1 << self.rng.randrange(8)

    def _set_byte(self, buf: bytearray) -> None:
        if buf:
            buf[self.rng.randrange(len(buf))] = self.rng.randrange(256)

    def _set_interesting(self, buf: bytearray) -> None:
        if buf:
            buf[self.rng.randrange(len(buf))] = self.rng.choice(INTERESTING_BYTES)

    def _insert_random(self, buf: bytearray) -> None:
        n = self.rng.choice((1, 1, 2, 3, 8))
        i = self._pos(buf)
        buf[i:i] = bytes(self.rng.randrange(256) for _ in range(n))

    def _insert_token(self, buf: bytearray) -> None:
        i = self._pos(buf)
        buf[i:i] = self.rng.choice(self.dictionary)

    def _delete_range(self, buf: bytearray) -> None:
        if buf:
            i = self.rng.randrange(len(buf))
            n = self.rng.choice((1, 1, 2, 4, 16))
            del buf[i : i + n]

    def _duplicate_range(self, buf: bytearray) -> None:
        if buf:
            i = self.rng.randrange(len(buf))
            n = self.rng.choice((1, 2, 8, 32, 128))
            chunk = buf[i : i + n]
            j = self._pos(buf)
            buf[j:j] = chunk

    def _swap_ranges(self, buf: bytearray) -> None:
        if len(buf) >= 4:
            i, j = sorted(self.rng.sample(range(len(buf)), 2))
            n = min(self.rng.choice((1, 2, 4, 8)), j - i)
            a, b = bytes(buf[i : i + n]), bytes(buf[j : j + n])
            buf[j : j + n] = a
            buf[i : i + n] = b

    def _truncate(self, buf: bytearray) -> None:
        if buf:
            del buf[self.rng.randrange(len(buf)) :]

    def _splice(self, buf: bytearray) -> None:
        other = self.rng.choice(self.corpus)
        i = self._pos(buf)
        j = self.rng.randrange(len(other) + 1)
        buf[i:] = other[j:]
