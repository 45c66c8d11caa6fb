"""The site's indexes, as sums of what each unit of the briefing contributes.

A *unit* is what one file (or, for a source, its summary and its article) makes
of the briefing: ``briefing``, ``source:<id>``, ``topic:<id>``, ``actor:<id>``.
Every index the pages read (who is mentioned where, which claims cite a block,
which claims name an actor, ...) is a function of the units' contributions
alone, kept as *parts*: for each key of the index, what each unit gives it.
Replacing one unit's contribution therefore updates the indexes exactly: its old
parts go, its new ones come, and nothing else is touched. A cold build adds
every unit to empty indexes; an edit replaces the units it changed. Both run the
same code, so an index patched by an edit cannot differ from a fresh one.

The order an index lists things in comes from the units' order (the briefing,
then sources, topics and actors by id), never from the order they were added.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from generator.frozen import record
from generator.lazy import Lazy
from generator.model import BlockRef, Claim, Span

K = TypeVar("K")
P = TypeVar("P")

Unit = str
"""A unit's id: ``briefing``, ``source:<id>``, ``topic:<id>`` or ``actor:<id>``."""

_RANK = {"briefing": 0, "source": 1, "topic": 2, "actor": 3}


def unit_order(unit: Unit) -> tuple[int, str]:
    """Where a unit's claims stand in the site's order of claims."""
    kind, _, ident = unit.partition(":")
    return _RANK[kind], ident


@record
class Contribution:
    """What one unit adds to the indexes: plain data, compared as a whole to
    tell whether an edit changed it."""

    mentions: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Actor id -> the numbers of the blocks of this source that mention it."""
    passages: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Topic id -> the blocks of this source its keywords mark."""
    pairs: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """(actor, other actor) -> the blocks of this source mentioning both."""
    cited: Mapping[str, tuple[tuple[int | None, str], ...]] = field(default_factory=dict)
    """Source id -> (block number or None for the whole source, claim key), in claim order."""
    by_actor: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Actor id -> keys of this unit's claims (not positions) that name it."""
    by_topic: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Actor id -> the actors (this one) affiliated with it."""
    positions: Mapping[str, tuple[Claim, ...]] = field(default_factory=dict)
    """Topic id -> this actor's positions on it."""
    citers: Mapping[str, bool] = field(default_factory=dict)
    """Source id -> True for every source this unit's claims name as written,
    found or not, draft or not: what its resolution depends on."""
    months: Mapping[str, int] = field(default_factory=dict)
    """A source's month (``2025-10``, or ``undated``) -> its date as an ordinal (0: none)."""


def contribution(claims: Iterable[Claim], *, names: Iterable[str] = (),
                 mentions: Mapping[int, tuple[Span, ...]] | None = None,
                 passages: Mapping[int, tuple[Span, ...]] | None = None,
                 published: dt.date | bool | None = False,
                 member_of: str | None = None, actor: str | None = None) -> Contribution:
    """A unit's contribution: its resolved ``claims`` (in order), the sources its
    claims ``names`` as written, for a source the mentions and keyword passages
    of its blocks and the day it was ``published`` (None: undated), for an actor
    its ``actor`` id and the id it is a ``member_of``."""
    cited: dict[str, list[tuple[int | None, str]]] = {}
    by_actor: dict[str, list[str]] = {}
    by_topic: dict[str, list[str]] = {}
    positions: dict[str, list[Claim]] = {}
    for claim in claims:
        for cite in claim.cite:
            cited.setdefault(cite.source, []).append((cite.n, claim.key))
        if claim.kind == "position":
            positions.setdefault(claim.topics[0].id, []).append(claim)
            continue
        for ref in claim.actors:
            by_actor.setdefault(ref.id, []).append(claim.key)
        for ref in claim.topics:
            by_topic.setdefault(ref.id, []).append(claim.key)
    return Contribution(
        mentions=_blocks_by_owner(mentions or {}),
        passages=_blocks_by_owner(passages or {}),
        pairs=_pairs(mentions or {}),
        cited={sid: tuple(entries) for sid, entries in cited.items()},
        by_actor={k: tuple(v) for k, v in by_actor.items()},
        by_topic={k: tuple(v) for k, v in by_topic.items()},
        members={member_of: (actor,)} if member_of is not None and actor is not None else {},
        positions={k: tuple(v) for k, v in positions.items()},
        citers=dict.fromkeys(sorted(set(names)), True),
        months={} if published is False else
        {published.isoformat()[:7]: published.toordinal()} if isinstance(published, dt.date) else {UNDATED: 0},
    )


UNDATED = "undated"
"""The month of sources without a date."""


def _blocks_by_owner(found: Mapping[int, tuple[Span, ...]]) -> dict[str, tuple[int, ...]]:
    out: dict[str, list[int]] = {}
    for n in sorted(found):
        for owner in sorted({o for span in found[n] for o in span.owners}):
            out.setdefault(owner, []).append(n)
    return {owner: tuple(ns) for owner, ns in sorted(out.items())}


def _pairs(found: Mapping[int, tuple[Span, ...]]) -> dict[tuple[str, str], int]:
    pairs: Counter[tuple[str, str]] = Counter()
    for spans in found.values():
        present = {o for s in spans for o in s.owners}
        if len(present) > 1:
            pairs.update(itertools.permutations(present, 2))
    return dict(sorted(pairs.items()))


# ---------------------------------------------------------------- the indexes

Parts = MutableMapping[str, dict[str, Any]]
"""An index's parts: key -> {unit (or source id) -> that unit's part}. Backed by
a plain dict, or by the build state (:mod:`generator.store`)."""


@dataclass(slots=True)
class Indexes:
    """Every index, as parts (see the module doc). Which keys an edit touched is
    returned by :meth:`replace`; the values pages read are made from the parts
    by the functions below.

    The parts may be shared with the previous build's site (the live preview
    keeps it in memory, and a failed build must leave it as it was), so an entry
    is copied the first time this build changes it, then changed in place."""

    mentions: Parts
    passages: Parts
    pairs: Parts
    """Actor -> {other actor -> count}: additive, so kept as totals."""
    cited: Parts
    by_actor: Parts
    by_topic: Parts
    members: Parts
    positions: Parts
    citers: Parts
    """Source id -> {unit: True} for each unit whose claims name it."""
    months: Parts
    """Month -> {source id: its date as an ordinal}."""
    _owned: set[tuple[str, str]] = field(default_factory=set, init=False)

    NAMES = ("mentions", "passages", "pairs", "cited", "by_actor", "by_topic", "members", "positions", "citers",
             "months")
    """The indexes, in the order of the fields."""
    """(index, key) of the entries this build has its own copy of."""

    def tables(self) -> dict[str, Parts]:
        """Each index's parts by name (the names :class:`Touched` uses)."""
        return {name: getattr(self, name) for name in self.NAMES}

    def replace(self, unit: Unit, old: Contribution | None, new: Contribution | None) -> Touched:
        """Put ``new`` in place of ``old`` as ``unit``'s contribution (None: none)."""
        touched = Touched()
        empty = Contribution()
        old, new = old or empty, new or empty
        if old == new:
            return touched
        # Mentions and passages are parted by source id: a source is their only unit.
        part = unit.partition(":")[2]
        for name, key_of in (("mentions", part), ("passages", part), ("cited", unit), ("by_actor", unit),
                             ("by_topic", unit), ("members", unit), ("positions", unit), ("citers", unit),
                             ("months", part)):
            before, after = getattr(old, name), getattr(new, name)
            if before != after:
                touched.keys[name] = self._replace_parts(name, key_of, before, after)
        if old.pairs != new.pairs:
            touched.keys["pairs"] = self._add_counts(old.pairs, new.pairs)
        return touched

    def _entry(self, name: str, key: str) -> dict[str, Any]:
        """This build's own copy of one entry, made on first use."""
        parts: Parts = getattr(self, name)
        if (name, key) in self._owned:
            entry: dict[str, Any] = parts[key]
            return entry
        entry = dict(parts.get(key) or {})
        parts[key] = entry
        self._owned.add((name, key))
        return entry

    def _drop_if_empty(self, name: str, key: str, entry: dict[str, Any]) -> None:
        if not entry:
            del getattr(self, name)[key]
            self._owned.discard((name, key))

    def _replace_parts(self, name: str, unit: str, before: Mapping[str, object],
                       after: Mapping[str, object]) -> set[str]:
        if not before:  # the unit's first contribution (each unit's, in a cold build)
            added = set()
            for key, now in after.items():
                if now is not None:
                    self._entry(name, key)[unit] = now
                    added.add(key)
            return added
        changed = set()
        for key in before.keys() | after.keys():
            was, now = before.get(key), after.get(key)
            if was == now:
                continue
            changed.add(key)
            entry = self._entry(name, key)
            if now is None:
                entry.pop(unit, None)
            else:
                entry[unit] = now
            self._drop_if_empty(name, key, entry)
        return changed

    def _add_counts(self, before: Mapping[tuple[str, str], int], after: Mapping[tuple[str, str], int]) -> set[str]:
        if not before:
            return self._add_first(after)
        delta: dict[str, Counter[str]] = {}
        for (a, b), n in before.items():
            delta.setdefault(a, Counter())[b] -= n
        for (a, b), n in after.items():
            delta.setdefault(a, Counter())[b] += n
        changed = set()
        for a, counts in delta.items():
            if not any(counts.values()):
                continue
            changed.add(a)
            entry = self._entry("pairs", a)
            for b, n in counts.items():
                total = entry.get(b, 0) + n
                if total:
                    entry[b] = total
                else:
                    entry.pop(b, None)
            self._drop_if_empty("pairs", a, entry)
        return changed

    def _add_first(self, after: Mapping[tuple[str, str], int]) -> set[str]:
        """:meth:`_add_counts` from nothing: only additions, with no counters of
        the differences. A contribution's counts are never below 1 (``_pairs``),
        so no total can come to nothing here."""
        entries: dict[str, dict[str, int]] = {}
        for (a, b), n in after.items():
            entry = entries.get(a)
            if entry is None:
                entry = entries[a] = self._entry("pairs", a)
            entry[b] = entry.get(b, 0) + n
        return set(entries)


@dataclass(slots=True)
class Touched:
    """The keys of each index whose value an edit may have changed."""

    keys: dict[str, set[str]] = field(default_factory=dict)

    def update(self, other: Touched) -> None:
        for name, keys in other.keys.items():
            self.keys.setdefault(name, set()).update(keys)


# ---------------------------------------------------------------- what pages read

def actor_blocks(parts: Mapping[str, tuple[int, ...]] | None) -> tuple[BlockRef, ...]:
    """An actor's (or topic's) blocks, each once, by source id then number."""
    if not parts:
        return ()
    return tuple((sid, n) for sid in sorted(parts) for n in parts[sid])


def co_mentioned(totals: Mapping[str, int] | None) -> tuple[tuple[str, int], ...]:
    """The actors mentioned in the same blocks as one actor, most often first."""
    if not totals:
        return ()
    return tuple(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))


def cited_blocks(parts: Mapping[str, tuple[tuple[int | None, str], ...]] | None
                 ) -> dict[int | None, tuple[str, ...]]:
    """For one source: block number (None for the whole source) -> the keys of the
    claims citing it, in claim order, each once."""
    out: dict[int | None, list[str]] = {}
    for unit in sorted(parts or {}, key=unit_order):
        assert parts is not None
        for n, key in parts[unit]:
            keys = out.setdefault(n, [])
            if key not in keys:
                keys.append(key)
    return {n: tuple(out[n]) for n in sorted(out, key=lambda n: n or 0)}


def by_date(parts: Mapping[str, int] | None) -> tuple[str, ...]:
    """A month's sources, newest first, ties by id."""
    if not parts:
        return ()
    return tuple(sid for sid, _ in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0])))


def in_unit_order(parts: Mapping[str, Sequence[P]] | None) -> tuple[P, ...]:
    """The parts of every unit, one after the other, in the units' order."""
    if not parts:
        return ()
    return tuple(itertools.chain.from_iterable(parts[u] for u in sorted(parts, key=unit_order)))


def in_id_order(parts: Mapping[str, Sequence[P]] | None) -> tuple[P, ...]:
    """The parts of every unit, by the unit's id (for parts keyed by plain ids)."""
    if not parts:
        return ()
    return tuple(itertools.chain.from_iterable(parts[u] for u in sorted(parts)))


def view(parts: Mapping[str, Any], make: Callable[[Any], Any], keys: Iterable[str] | None = None) -> Lazy[Any]:
    """An index as pages read it: for each of ``keys`` (default: the keys that have
    parts), the value made from its parts (``make(parts or None)``), on first read."""
    return Lazy(parts if keys is None else dict.fromkeys(keys), lambda key: make(parts.get(key)))
