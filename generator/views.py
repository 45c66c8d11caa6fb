"""The resolved site as the page builders read it, and which of it an edit changed.

Each *view* is a mapping the page builders (:mod:`generator.context`) read
through a :class:`reads.Recorded`, so that what every page read is known. Some
views are the site's own mappings (``sources``, ``actor_mentions``); others are
small parts of them (``heads``: what a citation shows of a source; ``texts``:
one block's text), so that a page that shows only a source's title is not built
again when the source's text changes.

:func:`changed_entries` says which entries of which views differ between the
last good build's site and this one's, from what :func:`update.update` did
again: for every entry those units and index keys could reach, the old and the
new value are compared. Nothing else can differ, since every view is a function
of the units and the indexes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from generator.lazy import derived
from generator.model import Briefing, Claim, Site, Source, SourceHead
from generator.reads import Entry, Recorded, Views
from generator.update import Changed

_MISSING = object()


class Head(NamedTuple):
    """What a citation, a passage or a list shows of a source."""

    id: str
    title: str
    outlet: str
    published: dt.date | None


def head(source: SourceHead) -> Head:
    return Head(source.id, source.title, source.outlet, source.published)


def meta(briefing: Briefing) -> dict[str, Any]:
    """What every page shows of the briefing."""
    return {"title": briefing.title, "subtitle": briefing.subtitle, "as_of": briefing.as_of,
            "language": briefing.language, "direction": direction(briefing.language),
            "has_timeline": bool(briefing.events)}


# Written right to left: the languages whose usual script is, and the scripts
# (ISO 15924). A tag's script subtag, when it has one, decides (``uz-Arab``,
# ``ku-Latn``); otherwise its language does.
_RTL_LANGUAGES = frozenset({"ar", "arc", "azb", "ckb", "dv", "fa", "he", "iw", "ks", "mzn", "nqo", "prs",
                            "ps", "sd", "syr", "ug", "ur", "yi"})
_RTL_SCRIPTS = frozenset({"Adlm", "Arab", "Hebr", "Mand", "Nkoo", "Rohg", "Samr", "Syrc", "Thaa"})


def direction(language: str) -> str:
    """``rtl`` for a BCP 47 tag whose text is written right to left, else ``ltr``."""
    subtags = language.split("-")
    script = next((s for s in subtags[1:] if len(s) == 4 and s.isalpha()), None)
    if script is not None:
        return "rtl" if script.title() in _RTL_SCRIPTS else "ltr"
    return "rtl" if subtags[0].lower() in _RTL_LANGUAGES else "ltr"


class _Blocks(Mapping[tuple[str, int], Any]):
    """One value per numbered block, (source id, n) -> ``per_source(sid)[n]``."""

    __slots__ = ("_per_source",)

    def __init__(self, per_source: Callable[[str], Mapping[int, Any] | None]) -> None:
        self._per_source = per_source

    def __getitem__(self, key: tuple[str, int]) -> Any:
        found = self._per_source(key[0])
        if found is None:
            raise KeyError(key)
        return found[key[1]]

    def __iter__(self) -> Iterator[tuple[str, int]]:
        raise TypeError("block views are read by key only")

    def __len__(self) -> int:
        raise TypeError("block views are read by key only")


def _texts(sources: Mapping[str, Source]) -> Callable[[str], Mapping[int, str] | None]:
    made: dict[str, dict[int, str]] = {}

    def texts(sid: str) -> Mapping[int, str] | None:
        found = made.get(sid)
        if found is None:
            source = sources.get(sid)
            if source is None:
                return None
            found = made[sid] = {b.n: b.text for b in source.blocks if b.n is not None}
        return found
    return texts


class _Claims(Mapping[str, Claim]):
    """Every claim by key."""

    __slots__ = ("_site",)

    def __init__(self, site: Site) -> None:
        self._site = site

    def __getitem__(self, key: str) -> Claim:
        found = self._site.claim(key)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(c.key for c in self._site.claims)

    def __len__(self) -> int:
        return len(self._site.claims)


def _cited_count(site: Site) -> Callable[[SourceHead], int]:
    def count(source: SourceHead) -> int:
        return site.cited_counts.get(source.id, 0)
    return count


# The views: name -> how to make it from a site. Views keyed by (source id,
# block number) are listed in BLOCK_VIEWS.
_MAKERS: dict[str, Callable[[Site], Mapping[Any, Any]]] = {
    "sources": lambda s: s.sources,
    "heads": lambda s: derived(s.heads, head),
    "numbered": lambda s: derived(s.heads, lambda src: src.numbered),
    "published": lambda s: derived(s.heads, lambda src: src.published),
    "summaries": lambda s: derived(s.sources, lambda src: src.summary),
    "actors": lambda s: s.actors,
    "actor_names": lambda s: derived(s.actors, lambda a: a.name),
    "topics": lambda s: s.topics,
    "topic_heads": lambda s: derived(s.topics, lambda t: (t.title, t.status)),
    "mentions": lambda s: s.mentions,
    "passages": lambda s: s.passages,
    "texts": lambda s: _Blocks(_texts(s.sources)),
    "block_mentions": lambda s: _Blocks(lambda sid: s.mentions.get(sid)),
    "block_passages": lambda s: _Blocks(lambda sid: s.passages.get(sid)),
    "actor_mentions": lambda s: s.actor_mentions,
    "topic_passages": lambda s: s.topic_passages,
    "claims_by_actor": lambda s: s.claims_by_actor,
    "claims_by_topic": lambda s: s.claims_by_topic,
    "co_mentions": lambda s: s.co_mentions,
    "members": lambda s: s.members,
    "positions_by_actor": lambda s: s.positions,
    "positions_by_topic": lambda s: s.positions_by_topic,
    "claims": _Claims,
    "cited_by": lambda s: s.cited_by,
    "cited_blocks": lambda s: derived(s.heads, _cited_count(s)),
    "site": lambda s: {"briefing": s.briefing, "meta": meta(s.briefing)},
    "months": lambda s: s.months,
}


class SiteViews:
    """Every view of one site, read through ``views`` (see the module doc)."""

    def __init__(self, site: Site, views: Views) -> None:
        made = {name: views.view(name, make(site)) for name, make in _MAKERS.items()}
        self.sources: Recorded[str, Source] = made["sources"]
        self.heads: Recorded[str, Head] = made["heads"]
        self.numbered: Recorded[str, int] = made["numbered"]
        self.published: Recorded[str, dt.date | None] = made["published"]
        self.summaries: Recorded[str, str] = made["summaries"]
        self.actors = made["actors"]
        self.actor_names: Recorded[str, str] = made["actor_names"]
        self.topics = made["topics"]
        self.topic_heads: Recorded[str, tuple[str, str]] = made["topic_heads"]
        self.mentions = made["mentions"]
        self.passages = made["passages"]
        self.texts: Recorded[tuple[str, int], str] = made["texts"]
        self.block_mentions = made["block_mentions"]
        self.block_passages = made["block_passages"]
        self.actor_mentions = made["actor_mentions"]
        self.topic_passages = made["topic_passages"]
        self.claims_by_actor = made["claims_by_actor"]
        self.claims_by_topic = made["claims_by_topic"]
        self.co_mentions = made["co_mentions"]
        self.members = made["members"]
        self.positions_by_actor = made["positions_by_actor"]
        self.positions_by_topic = made["positions_by_topic"]
        self.claims: Recorded[str, Claim] = made["claims"]
        self.cited_by = made["cited_by"]
        self.cited_blocks: Recorded[str, int] = made["cited_blocks"]
        self.months: Recorded[str, tuple[str, ...]] = made["months"]
        self._site = made["site"]

    @property
    def briefing(self) -> Briefing:
        found: Briefing = self._site["briefing"]
        return found

    @property
    def meta(self) -> Mapping[str, Any]:
        found: Mapping[str, Any] = self._site["meta"]
        return found


# ---------------------------------------------------------------- what changed

# Which views each kind of unit reaches, and which index feeds which views.
_BY_UNIT = {
    "source": ("sources", "heads", "numbered", "published", "summaries", "mentions", "passages"),
    "actor": ("actors", "actor_names", "positions_by_actor"),
    "topic": ("topics", "topic_heads"),
}
# Views of the indexes that have an entry for every unit of a kind: besides the
# index keys an edit touched, they change when such a unit comes or goes.
_KEYED_BY_UNIT = {
    "source": ("cited_blocks",),
    "actor": ("actor_mentions", "claims_by_actor", "co_mentions", "members"),
    "topic": ("topic_passages", "claims_by_topic", "positions_by_topic"),
}
_BY_INDEX = {
    "mentions": ("actor_mentions",), "passages": ("topic_passages",), "pairs": ("co_mentions",),
    "cited": ("cited_by", "cited_blocks"), "by_actor": ("claims_by_actor",), "by_topic": ("claims_by_topic",),
    "members": ("members",), "positions": ("positions_by_topic",), "months": ("months",),
}


def changed_entries(changed: Changed, site: Site) -> set[Entry] | None:
    """The entries of the views whose values differ between ``changed.previous``
    and ``site`` (None for a cold build: everything is new). An entry stands for
    a view read whole, ``("*", view)``, whenever any of its entries changed."""
    old_site = changed.previous
    if changed.fresh or old_site is None:
        return None
    old = {name: make(old_site) for name, make in _MAKERS.items()}
    new = {name: make(site) for name, make in _MAKERS.items()}
    found: set[Entry] = set()

    def compare(view: str, keys: Iterable[Hashable]) -> None:
        before, after = old[view], new[view]
        for key in keys:
            if before.get(key, _MISSING) != after.get(key, _MISSING):
                found.add((view, key))

    for unit in changed.units:
        kind, _, ident = unit.partition(":")
        if kind == "briefing":
            compare("site", ("briefing", "meta"))
            _compare_claims(found, _unit_claims(old_site, unit), _unit_claims(site, unit))
            continue
        for view in _BY_UNIT[kind]:
            compare(view, (ident,))
        if (ident in getattr(old_site, kind + "s")) != (ident in getattr(site, kind + "s")):
            for view in _KEYED_BY_UNIT[kind]:
                compare(view, (ident,))
        _compare_claims(found, _unit_claims(old_site, unit), _unit_claims(site, unit))
        if kind == "source":
            _compare_blocks(found, old_site, site, ident)
    for index, keys in changed.touched.keys.items():
        for view in _BY_INDEX.get(index, ()):
            compare(view, keys)
    found.update(("*", view) for view, _ in list(found))
    return found


def _unit_claims(site: Site, unit: str) -> Mapping[str, Claim]:
    kind, _, ident = unit.partition(":")
    claims: Iterable[Claim] = ()
    if kind == "briefing":
        claims = (*site.briefing.key_points, *site.briefing.events)
    elif kind == "source" and ident in site.sources:
        claims = site.sources[ident].key_points
    elif kind == "topic" and ident in site.topics:
        claims = site.topics[ident].key_points
    elif kind == "actor" and ident in site.positions:
        claims = site.positions[ident]
    return {c.key: c for c in claims}


def _compare_claims(found: set[Entry], before: Mapping[str, Claim], after: Mapping[str, Claim]) -> None:
    for key in before.keys() | after.keys():
        if before.get(key) != after.get(key):
            found.add(("claims", key))


def _compare_blocks(found: set[Entry], old_site: Site, site: Site, sid: str) -> None:
    """The blocks of one source whose text, mentions or keyword passages differ."""
    for view, get in (("texts", _block_texts), ("block_mentions", _block_spans("mentions")),
                      ("block_passages", _block_spans("passages"))):
        before, after = get(old_site, sid), get(site, sid)
        for n in before.keys() | after.keys():
            if before.get(n, _MISSING) != after.get(n, _MISSING):
                found.add((view, (sid, n)))


def _block_texts(site: Site, sid: str) -> Mapping[int, str]:
    source = site.sources.get(sid)
    return {} if source is None else {b.n: b.text for b in source.blocks if b.n is not None}


def _block_spans(name: str) -> Callable[[Site, str], Mapping[int, Any]]:
    def get(site: Site, sid: str) -> Mapping[int, Any]:
        found: Mapping[int, Any] | None = getattr(site, name).get(sid)
        return found or {}
    return get


def json_changes(entries: set[Entry]) -> set[str]:
    """The parts of ``data/briefing.json`` (``data.layout``) that an edit that
    changed ``entries`` changed."""
    parts: set[str] = set()
    for view, key in entries:
        if not isinstance(key, str):
            continue
        if view == "site" and key == "briefing":
            parts.add("head")
        elif view == "sources":
            parts.add(f"source:{key}")
        elif view in ("actors", "actor_mentions"):
            parts.add(f"actor:{key}")
        elif view in ("topics", "topic_passages"):
            parts.add(f"topic:{key}")
        elif view == "claims":
            parts.add(f"claims:{_claim_unit(key)}")
    return parts


def _claim_unit(key: str) -> str:
    """The unit a claim belongs to, from its key (see ``model.Claim``)."""
    kind, _, rest = key.partition("/")
    if kind == "briefing" or key.startswith("event-"):
        return "briefing"
    return f"{kind}:{rest.split('/', 1)[0]}"
