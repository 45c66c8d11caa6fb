"""Results of the build's pure steps, remembered while a process lives.

A :class:`Memo` maps a *key* to a result. The key is a digest of everything the
result is computed from (a Markdown string, the actor graph's nodes and edges,
a template's source), so a stale result cannot be found; there is no
dependency graph to keep up to date by hand. The live preview keeps one memo
for all its builds. Results of the kinds listed as ``kept`` (the graph's
layout: 0.26 s at 500 actors) are also kept in the build state
(:mod:`generator.store`), for the next ``briefing build``.

Entries the latest build did not use are dropped when it settles, so the memo
holds about what one build needs, however long the server runs.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")


def digest(*parts: object) -> bytes:
    """A key for plain, acyclic data (str, bytes, numbers, tuples, lists, dicts,
    frozen dataclasses of those). Equal pickles mean equal data, so a key never
    names two different inputs. The pickler runs in "fast" mode, without its memo:
    otherwise the bytes would depend on which equal strings happen to be one
    object, and equal data could get different keys. It is also several times
    faster than JSON."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: see above (the data has no cycles)
    pickler.dump(parts)
    return hashlib.blake2b(buffer.getbuffer(), digest_size=20).digest()


class Journal(NamedTuple):
    """What a memo's :meth:`Memo.get` computed, as (kind, key, value), and which
    remembered results it found, as (kind, key)."""

    computed: list[tuple[str, bytes, Any]]
    found: list[tuple[str, bytes]]


class Memo:
    """Results by (kind, key); those of the ``kept`` kinds also in ``saved``
    (a table of the build state), by ``kind:key`` in hexadecimal."""

    def __init__(self, saved: MutableMapping[str, Any] | None = None, kept: Iterable[str] = ()) -> None:
        self._kept: dict[tuple[str, bytes], Any] = {}
        self._used: dict[tuple[str, bytes], Any] = {}
        self._saved = saved
        self._saved_kinds = frozenset(kept)
        self.hits = 0
        self.misses = 0
        self._journal = Journal([], [])
        """What :meth:`get` computed and found since :meth:`take_journal`."""

    def get(self, kind: str, key: bytes, compute: Callable[[], T]) -> T:
        """The remembered result for ``key``, or ``compute()``'s (then remembered)."""
        slot = (kind, key)
        if slot in self._used:
            self.hits += 1
            value: T = self._used[slot]
            return value
        if slot in self._kept:
            self.hits += 1
            value = self._kept[slot]
            self._journal.found.append(slot)
        elif (saved := self._saved_value(kind, key)) is not None:
            self.hits += 1
            value = saved
        else:
            self.misses += 1
            value = compute()
            self._journal.computed.append((kind, key, value))
            self._save(kind, key, value)
        self._used[slot] = value
        return value

    def _saved_value(self, kind: str, key: bytes) -> Any:
        if self._saved is None or kind not in self._saved_kinds:
            return None
        return self._saved.get(_saved_key(kind, key))

    def _save(self, kind: str, key: bytes, value: object) -> None:
        if self._saved is not None and kind in self._saved_kinds:
            self._saved[_saved_key(kind, key)] = value

    def take_journal(self) -> Journal:
        """What :meth:`get` computed and found since the last call. A forked worker's
        memo is its own copy: what it computes, and which remembered results it
        used (and so must be kept), reach the build's memo only when the worker
        sends them back (:meth:`replay`)."""
        journal, self._journal = self._journal, Journal([], [])
        return journal

    def replay(self, journal: Journal) -> None:
        """Learn what another process's memo computed and found (see :meth:`take_journal`)."""
        for kind, key, value in journal.computed:
            self._used[(kind, key)] = value
            self._save(kind, key, value)
        for slot in journal.found:
            if slot not in self._used and slot in self._kept:
                self._used[slot] = self._kept[slot]

    def settle(self, succeeded: bool) -> None:
        """End of a build. After a success only what it used is kept; after a
        failure the older entries stay too (the next build will likely need them)."""
        if succeeded:
            self._kept = self._used
        else:
            self._kept.update(self._used)
        self._used = {}
        self._journal = Journal([], [])
        self.hits = self.misses = 0

    def with_saved(self, saved: MutableMapping[str, Any] | None, kept: Iterable[str]) -> Memo:
        """This memo, keeping the ``kept`` kinds in ``saved`` for this build."""
        self._saved = saved
        self._saved_kinds = frozenset(kept)
        return self


def _saved_key(kind: str, key: bytes) -> str:
    """A kept result's key in the build state (keys may be whole texts: a digest)."""
    return f"{kind}:{hashlib.blake2b(key, digest_size=16).hexdigest()}"


def user_cache() -> Path:
    """This user's own cache folder: ``$XDG_CACHE_HOME/briefing`` or ``~/.cache/briefing``.

    What would run as code if it were tampered with (compiled templates) lives
    here, never in the briefing folder: a briefing may come from someone else."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "briefing"


def code_salt(package: Path, extra: Mapping[str, str]) -> str:
    """A digest of the generator's own source files and the given versions (of
    the libraries whose behaviour shapes the results)."""
    h = hashlib.blake2b(digest_size=16)
    for name, version in sorted(extra.items()):
        h.update(f"{name}={version}\0".encode())
    for path in sorted(package.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
