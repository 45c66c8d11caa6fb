"""What each page is made from, recorded while its context is built.

A one-article edit changes a handful of pages, yet finding them by building and
digesting every page's context was most of an edit at 10,000 articles. So the
page builders (:mod:`generator.context`) read the resolved site only through a
:class:`Reads`: mappings that log each entry a page reads. The build keeps a
page's log (its *read set*) with the digest of what the page was made from
(see ``render.Renderer``). In the next build, a page whose read set has the same
versions would get the same context, so it is not built at all.

Why a page kept this way cannot be stale:

* Page builders see the site only through these mappings: the builder holds no
  other reference to the site, and a page's context is a pure function of what
  it reads (and of the builder's settings, which are part of the key).
* An entry's version is the digest of its value, or, for what comes from an
  article's text, the key its text analysis is remembered by (which names that
  value: see ``resolve``). A missing entry has a version of its own.
* Reading a whole mapping (iterating, counting) is not logged entry by entry:
  it marks the page as reading everything, and such a page is always built.

The cache tests (an edit of every input kind gives the bytes of a cold build)
are the guard that the builders keep to this.
"""

from __future__ import annotations

import dataclasses
import marshal
from collections.abc import Callable, Hashable, ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any, Generic, TypeVar, overload

from generator.frozen import pickled_by_fields
from generator.memo import digest

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")

Entry = tuple[str, Hashable]
"""One entry read: (the mapping's name, the key)."""

ReadSet = tuple[tuple[str, tuple[Hashable, ...]], ...]
"""What one page read: for each mapping it read from (by name, in the order first
read), the keys it read (in the same order). Keys are ids (strings)."""

Version = Callable[[Any, Any], bytes]
"""The version of a present entry, from its key and value."""

_MISSING = b"missing"


class ReadLog:
    """The entries read since :meth:`start`, in the order first read, and whether
    a whole mapping was read."""

    __slots__ = ("entries", "whole")

    def __init__(self) -> None:
        self.entries: dict[Entry, None] = {}
        self.whole = False

    def start(self) -> None:
        self.entries = {}
        self.whole = False

    def read_set(self) -> ReadSet | None:
        """What was read since :meth:`start`; None if that was a whole mapping."""
        if self.whole:
            return None
        groups: dict[str, list[Hashable]] = {}
        for name, key in self.entries:
            groups.setdefault(name, []).append(key)
        return tuple((name, tuple(keys)) for name, keys in groups.items())


class Recorded(Mapping[K, V], Generic[K, V]):
    """A read-only mapping that logs every read into a :class:`ReadLog`."""

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

    def __iter__(self) -> Iterator[K]:
        self._log.whole = True
        return iter(self._data)

    def __len__(self) -> int:
        self._log.whole = True
        return len(self._data)

    def keys(self) -> KeysView[K]:
        self._log.whole = True
        return self._data.keys()

    def values(self) -> ValuesView[V]:
        self._log.whole = True
        return self._data.values()

    def items(self) -> ItemsView[K, V]:
        self._log.whole = True
        return self._data.items()


class Reads:
    """The mappings one set of page builders reads through, sharing one log, and
    the versions of their entries (each worked out once per build and process)."""

    def __init__(self) -> None:
        self.log = ReadLog()
        self._data: dict[str, Mapping[Any, Any]] = {}
        self._version: dict[str, Version] = {}
        self._known: dict[Entry, bytes] = {}

    def mapping(self, name: str, data: Mapping[K, V], version: Version | None = None) -> Recorded[K, V]:
        """``data``, read through the log as ``name``. An entry's version is the
        digest of its value, or ``version(key, value)`` when given: that must change
        whenever the value does."""
        if name in self._data:
            raise ValueError(f"two mappings named {name!r}")
        self._data[name] = data
        if version is not None:
            self._version[name] = version
        return Recorded(name, data, self.log)

    def version(self, entry: Entry) -> bytes:
        """The version of one entry as the data now stands."""
        found = self._known.get(entry)
        if found is None:
            name, key = entry
            data = self._data[name]
            if key not in data:
                found = _MISSING
            else:
                version = self._version.get(name)
                value = data[key]
                found = version(key, value) if version is not None else digest(value)
            self._known[entry] = found
        return found

    def inputs(self, read_set: ReadSet, *more: object) -> bytes:
        """A key for everything a page with this read set is made from: the versions
        of its entries, and ``more`` (its template, the builder's settings)."""
        return digest(more, read_set, [self.version((name, key)) for name, keys in read_set for key in keys])


@pickled_by_fields
@dataclasses.dataclass(frozen=True, slots=True)
class Record:
    """What the build remembers of a page: where it went, its template, what it
    read (:attr:`read_set`), the key of those reads' versions (see
    :meth:`Reads.inputs`), and the digest of its template and context."""

    path: str
    template: str
    reads: bytes
    """The read set, marshalled: the memo holds one for every page, and as tuples
    of strings they took 40 MB at 10,000 articles and 0.4 s more to load, in the
    one process, for data only the rendering workers read."""
    inputs: bytes
    made_from: bytes

    @classmethod
    def of(cls, path: str, template: str, read_set: ReadSet, inputs: bytes, made_from: bytes) -> Record | None:
        """The record of a page, or None when a key it read is not plain data (ids
        are strings; such a page is simply built every time)."""
        try:
            reads = marshal.dumps(read_set)  # type: ignore[arg-type]  # checked here
        except ValueError:
            return None
        return cls(path, template, reads, inputs, made_from)

    @property
    def read_set(self) -> ReadSet:
        found: ReadSet = marshal.loads(self.reads)
        return found
