"""What each page is made from, recorded while its context is built.

The page builders (:mod:`generator.context`) read the resolved site only
through :class:`Recorded` mappings (*views*), which log every entry a page reads
into a :class:`ReadLog`; reading a whole view (iterating it, counting it) is
logged as reading the view itself. A page's log is its *read set*. The build
keeps every page's read set, and an index from each entry to the pages that
read it (see ``pages.Readers``). After an edit, the pages to build again are
the readers of the entries that changed: nothing else can have a different
context.

Why a page left alone cannot be stale:

* Page builders see the site only through these views: a builder holds no other
  reference to the site, and a page's context is a pure function of what it
  reads and of the build's settings (which are part of every page's record).
* Which entries changed is worked out by comparing each entry's old and new
  values (see ``context.changed_entries``), for every entry the edit could
  touch; a view read whole changes when any of its entries does, or its keys.
* A page made from something that is not a view (what changed since the
  previous edition, the health report) is marked as always built.

The cache tests (an edit of every kind, then the bytes of a cold build) are the
guard that the builders keep to this.
"""

from __future__ import annotations

import marshal
from collections.abc import Hashable, ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any, Generic, TypeVar, overload

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")

Entry = tuple[str, Hashable]
"""One entry read: (the view's name, the key). ``("*", name)`` is the whole view."""

WHOLE = "*"


class ReadLog:
    """The entries read since :meth:`start`, in the order first read; ``always``
    when the page read something that is not a view."""

    __slots__ = ("always", "entries")

    def __init__(self) -> None:
        self.entries: dict[Entry, None] = {}
        self.always = False

    def start(self) -> None:
        self.entries = {}
        self.always = False

    def read_set(self) -> tuple[Entry, ...] | None:
        """What was read since :meth:`start`; None for a page that is always built."""
        return None if self.always else tuple(self.entries)


class Recorded(Mapping[K, V], Generic[K, V]):
    """A read-only view that logs every read into a :class:`ReadLog`."""

    __slots__ = ("_data", "_log", "_name")

    def __init__(self, name: str, data: Mapping[K, V], log: ReadLog) -> None:
        self._name = name
        self._data = data
        self._log = log

    def __getitem__(self, key: K) -> V:
        self._log.entries[(self._name, key)] = None
        return self._data[key]

    @overload
    def get(self, key: K, /) -> V | None: ...
    @overload
    def get(self, key: K, /, default: V | D) -> V | D: ...

    def get(self, key: K, /, default: Any = None) -> Any:
        self._log.entries[(self._name, key)] = None
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        self._log.entries[(self._name, key)] = None
        return key in self._data

    def _whole(self) -> None:
        self._log.entries[(WHOLE, self._name)] = None

    def __iter__(self) -> Iterator[K]:
        self._whole()
        return iter(self._data)

    def __len__(self) -> int:
        self._whole()
        return len(self._data)

    def keys(self) -> KeysView[K]:
        self._whole()
        return self._data.keys()

    def values(self) -> ValuesView[V]:
        self._whole()
        return self._data.values()

    def items(self) -> ItemsView[K, V]:
        self._whole()
        return self._data.items()


class Views:
    """The views one set of page builders reads through, sharing one log."""

    def __init__(self) -> None:
        self.log = ReadLog()
        self.names: set[str] = set()

    def view(self, name: str, data: Mapping[K, V]) -> Recorded[K, V]:
        """``data``, read through the log as ``name``."""
        if name in self.names or name == WHOLE:
            raise ValueError(f"two views named {name!r}")
        self.names.add(name)
        return Recorded(name, data, self.log)


def pack(read_set: tuple[Entry, ...]) -> bytes | None:
    """A read set as bytes to keep (None if a key is not plain data: ids are
    strings and block numbers ints, so such a page is simply built every time)."""
    try:
        return marshal.dumps(read_set)  # type: ignore[arg-type]  # checked here
    except ValueError:
        return None


def unpack(data: bytes) -> tuple[Entry, ...]:
    found: tuple[Entry, ...] = marshal.loads(data)
    return found
