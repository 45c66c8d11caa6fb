"""Read-only mappings whose values are made on first read.

The site's mappings (``model.Site``) and the views pages read (``views``) hold
one value per source, actor or topic, made from the build state only when a page
asks for it: an edit of a 10,000-article briefing reads a few dozen of them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, TypeVar

V = TypeVar("V")

_NOT_YET = object()


class Lazy(Mapping[str, V]):
    """``make(key)`` for each of ``keys`` (any collection of strings: a dict, a
    set, another mapping), made on first read and kept."""

    __slots__ = ("_keys", "_made", "_make")

    def __init__(self, keys: Collection[str], make: Callable[[str], V]) -> None:
        self._keys = keys
        self._make = make
        self._made: dict[str, Any] = {}

    def __getitem__(self, key: str) -> V:
        found = self._made.get(key, _NOT_YET)
        if found is _NOT_YET:
            if key not in self._keys:
                raise KeyError(key)
            found = self._made[key] = self._make(key)
        value: V = found
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys


def derived(base: Mapping[str, Any], make: Callable[[Any], V]) -> Lazy[V]:
    """``make(base[key])`` for each key of ``base``."""
    return Lazy(base, lambda key: make(base[key]))
