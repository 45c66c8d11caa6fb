"""``data/briefing.json``: the whole published briefing as data.

The shape is the one of CONTENT.md section 5, with a few more keys a reader of
the data would want (subtitle, summary, kinds, statuses, positions). Sources,
actors and topics are sorted by id; mentions and passages list each numbered
block once, by source id then block number. Claims are listed in a fixed order:
the briefing's key points, the events (by date), then each source's, then each
topic's key points. Nothing draft and no ``notes`` can appear: the site holds
neither.
"""

from __future__ import annotations

import functools
import hashlib
import json
from array import array
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from generator import packing
from generator.frozen import record
from generator.model import Block, BlockRef, Citation, Claim, Site
from generator.output import Copy

Part = tuple[str, Callable[[], bytes]]
"""One part of the file: its id and how to make its bytes."""

_SOURCES, _ACTORS, _TOPICS, _CLAIMS, _END = '"sources":[', '],"actors":[', '],"topics":[', '],"claims":[', "]}\n"


def layout(site: Site, *, drafts: bool = False) -> Iterator[bytes | Part]:
    """The file as literal bytes and parts: ``head`` (the briefing's own fields),
    one part per source, actor and topic (``source:<id>``, ...), one per
    unit for its claims (``claims:<unit>``, empty when it has none: left out);
    consecutive parts of one list are separated by commas, which the caller
    writes. Joined, they are exactly the
    bytes of ``json.dumps(briefing_data(site), ensure_ascii=False,
    separators=(",", ":"))`` and a newline; parts let an edit write again only
    the parts it changed (``output.Staging.put_parts``)."""
    b = site.briefing
    yield ("head", functools.partial(make_part, site, "head", drafts=drafts))
    yield ("," + _SOURCES).encode()
    for sid in sorted(site.sources):
        yield (f"source:{sid}", functools.partial(_part, _source, site, sid))
    yield _ACTORS.encode()
    for aid in sorted(site.actors):
        yield (f"actor:{aid}", functools.partial(_part, _actor, site, aid))
    yield _TOPICS.encode()
    for tid in sorted(site.topics):
        yield (f"topic:{tid}", functools.partial(_part, _topic, site, tid))
    yield _CLAIMS.encode()
    yield ("claims:briefing", functools.partial(_claims_part, (*b.key_points, *b.events)))
    for sid in sorted(site.sources):
        yield (f"claims:source:{sid}", functools.partial(_source_claims, site, sid))
    for tid in sorted(site.topics):
        yield (f"claims:topic:{tid}", functools.partial(_topic_claims, site, tid))
    yield _END.encode()


def make_part(site: Site, pid: str, *, drafts: bool = False) -> bytes:
    """The bytes of one part of :func:`layout`, by its id."""
    kind, _, ident = pid.partition(":")
    if kind == "head":
        b = site.briefing
        head = {"title": b.title, "drafts": drafts, "subtitle": b.subtitle, "as_of": b.as_of.isoformat(),
                "language": b.language, "summary": b.summary, "watch": list(b.watch)}
        return _dumps(head)[:-1].encode("utf-8")
    if kind == "source":
        return _part(_source, site, ident)
    if kind == "actor":
        return _part(_actor, site, ident)
    if kind == "topic":
        return _part(_topic, site, ident)
    unit_kind, _, unit = ident.partition(":")  # "claims:<unit>"
    if unit_kind == "briefing":
        return _claims_part((*site.briefing.key_points, *site.briefing.events))
    if unit_kind == "source":
        return _source_claims(site, unit)
    return _topic_claims(site, unit)


def _part(make: Callable[[Site, str], dict[str, Any]], site: Site, ident: str) -> bytes:
    return _dumps(make(site, ident)).encode("utf-8")


def _claims_part(claims: tuple[Claim, ...]) -> bytes:
    """A unit's claims, comma-separated; empty for none (such a part is left out)."""
    return _dumps([_claim(c) for c in claims])[1:-1].encode("utf-8")


def _source_claims(site: Site, sid: str) -> bytes:
    return _claims_part(site.sources[sid].key_points)


def _topic_claims(site: Site, tid: str) -> bytes:
    return _claims_part(site.topics[tid].key_points)


@record
class PartMap:
    """Where each part is in a ``briefing.json`` the build wrote, and a digest of
    each; ``digest`` names the whole file's content (a digest of its parts'
    digests: hashing the 62 MB of a 10,000-article briefing took 0.12 s).

    Kept by column (ids, offsets, lengths, digests), in the order of the file,
    empty parts left out: an edit replaces a part or two of 30,000, and columns
    are loaded, shifted and saved again without a Python step per part."""

    digest: str
    ids: list[str]
    offsets: array[int]
    lengths: array[int]
    digests: bytes
    """16 bytes per part."""
    size: int
    units: bytes
    """A digest of the ids of the sources, actors and topics: with the same ones,
    the file has the same parts in the same order."""

    @classmethod
    def of(cls, ids: list[str], offsets: array[int], lengths: array[int], digests: bytes, size: int,
           units: bytes) -> PartMap:
        whole = hashlib.sha256("\0".join(ids).encode())
        whole.update(b"\1")
        whole.update(digests)
        return cls(whole.hexdigest(), ids, offsets, lengths, digests, size, units)

    def index(self) -> dict[str, int]:
        """Each part's place among the columns, by id."""
        return {pid: i for i, pid in enumerate(self.ids)}

    def places(self, pids: Collection[str]) -> dict[str, int] | None:
        """The place of each of ``pids`` among the columns (see :meth:`index`);
        None when one has none. A few are searched for one by one: the index
        of the 30,000 parts of a 10,000-article briefing took 4 to 7 ms of each
        edit, a search 0.3 ms."""
        if len(pids) > _SEARCHED:
            index = self.index()
            return {pid: index[pid] for pid in pids} if all(pid in index for pid in pids) else None
        found = {}
        for pid in pids:
            try:
                found[pid] = self.ids.index(pid)
            except ValueError:
                return None
        return found

    def packed(self) -> tuple[str, int, bytes, bytes]:
        """The map as the build state keeps it (see :mod:`generator.packing`)."""
        return self.digest, self.size, self.units, packing.columns(self.ids, [], [self.offsets, self.lengths],
                                                                   [self.digests])

    @classmethod
    def unpacked(cls, found: object) -> PartMap | None:
        if not (isinstance(found, tuple) and len(found) == 4):
            return None
        digest, size, units, table = found
        ids, _, (offsets, lengths), (digests,) = packing.uncolumns(table)
        if not len(offsets) == len(lengths) == len(ids) == len(digests) // _DIGEST:
            return None
        return cls(digest, ids, offsets, lengths, digests, size, units)


_DIGEST = 16
_SEARCHED = 8
"""Up to this many parts are found by a search each (see :meth:`PartMap.places`)."""


def _units(site: Site) -> bytes:
    ids = "\1".join("\0".join(sorted(ids)) for ids in (site.sources, site.actors, site.topics))
    return hashlib.blake2b(ids.encode(), digest_size=16).digest()


class Splice:
    """The file's bytes as ``layout`` makes them, copying from the file it
    replaces (``old`` describes it) every part not in ``changed``: iterate for
    the bytes and copies, then read :attr:`map`. With no ``old``, or ``changed``
    None, every part is made."""

    def __init__(self, site: Site, *, drafts: bool, old: PartMap | None, changed: set[str] | None) -> None:
        self._site = site
        self._drafts = drafts
        self._old = old if changed is not None else None
        self._changed = changed or set()
        self.map: PartMap | None = None

    def __iter__(self) -> Iterator[bytes | Copy]:
        old = self._old
        units = _units(self._site)
        places = old.places(self._changed) if old is not None and old.units == units else None
        if old is not None and places is not None:
            made = {pid: make_part(self._site, pid, drafts=self._drafts) for pid in self._changed}
            if all(made.values()):
                yield from self._replaced(old, places, made, units)
                return
        yield from self._spliced(old.index() if old is not None else {}, units)

    def _replaced(self, old: PartMap, index: Mapping[str, int], made: dict[str, bytes], units: bytes
                  ) -> Iterator[bytes | Copy]:
        """The same parts in the same order, a few of them made again: the old
        file with those ranges replaced (the common edit). ``index``: the place
        of each part made again in ``old`` (see :meth:`PartMap.places`)."""
        places = sorted(index[pid] for pid in made)
        at = 0
        for i in places:
            offset = old.offsets[i]
            if offset > at:
                yield Copy(at, offset - at)
            yield made[old.ids[i]]
            at = offset + old.lengths[i]
        if at < old.size:
            yield Copy(at, old.size - at)
        offsets, lengths, digests = array("q", old.offsets), array("q", old.lengths), bytearray(old.digests)
        shift = 0
        for n, i in enumerate(places):
            data = made[old.ids[i]]
            offsets[i] += shift
            shift += len(data) - lengths[i]
            lengths[i] = len(data)
            digests[_DIGEST * i:_DIGEST * (i + 1)] = _part_digest(data)
            upto = places[n + 1] if n + 1 < len(places) else len(offsets)
            if shift and upto > i + 1:  # the parts after it, up to the next one made again
                offsets[i + 1:upto] = array("q", map(shift.__add__, old.offsets[i + 1:upto]))
        self.map = PartMap.of(old.ids, offsets, lengths, bytes(digests), old.size + shift, units)

    def _spliced(self, index: dict[str, int], units: bytes) -> Iterator[bytes | Copy]:
        was = self._old
        old = index if was is not None else None
        ids: list[str] = []
        offsets, lengths, digests = array("q"), array("q"), bytearray()
        at = 0
        pending: list[int] = []  # a run of copies to make in one go: [start, end]
        first = True
        for item in layout(self._site, drafts=self._drafts):
            if isinstance(item, bytes):
                if pending:
                    yield Copy(pending[0], pending[1] - pending[0])
                    pending = []
                yield item
                at += len(item)
                first = True
                continue
            pid, make = item
            known = old.get(pid) if old is not None else None
            if old is not None and pid not in self._changed:
                if known is None:
                    continue  # empty before, and unchanged
                assert was is not None
                offset, length = was.offsets[known], was.lengths[known]
                digest = was.digests[_DIGEST * known:_DIGEST * (known + 1)]
                data = None
            else:
                data = make()
                if not data:
                    continue
                offset, length, digest = -1, len(data), _part_digest(data)
            if not first:
                if pending and data is None and offset == pending[1] + 1:
                    pending[1] = offset  # the comma between them is in the old file too
                else:
                    if pending:
                        yield Copy(pending[0], pending[1] - pending[0])
                        pending = []
                    yield b","
                at += 1
            first = False
            if data is None:
                if pending and pending[1] == offset:
                    pending[1] = offset + length
                else:
                    if pending:
                        yield Copy(pending[0], pending[1] - pending[0])
                    pending = [offset, offset + length]
            else:
                if pending:
                    yield Copy(pending[0], pending[1] - pending[0])
                    pending = []
                yield data
            ids.append(pid)
            offsets.append(at)
            lengths.append(length)
            digests += digest
            at += length
        if pending:
            yield Copy(pending[0], pending[1] - pending[0])
        self.map = PartMap.of(ids, offsets, lengths, bytes(digests), at, units)


def _part_digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def briefing_json(site: Site, *, drafts: bool = False) -> Iterator[bytes]:
    """The file's bytes, in pieces (every part made)."""
    first = True
    for item in layout(site, drafts=drafts):
        if isinstance(item, bytes):
            first = True
            yield item
            continue
        data = item[1]()
        if not data:
            continue
        if not first:
            yield b","
        first = False
        yield data


_PIECE = 256
"""List items encoded at a time by :func:`json_pieces`."""


def json_pieces(value: Any) -> Iterator[bytes]:
    """``value`` as compact UTF-8 JSON and a trailing newline, in pieces that join
    to exactly the bytes of ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``
    (the carried baseline, ``data/previous.json``).

    Compact, because json's C encoder only runs without indent (pretty-printing
    took seconds on large briefings); ``python -m json.tool`` makes it readable.
    In pieces, to be written as they come: the whole text as one ``str`` takes up
    to four bytes a character, twice over with the newline added, then the UTF-8
    copy: about 250 MB at once for the 62 MB file of a 10,000-article briefing."""
    for piece in _pieces(value, depth=0):
        yield piece.encode("utf-8")
    yield b"\n"


def _pieces(value: Any, depth: int) -> Iterator[str]:
    """The JSON text of ``value``; the outer two levels of dicts (with string keys)
    and lists are split, the rest encoded whole by the C encoder."""
    if depth < 2 and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + _dumps(key) + ":"
            yield from _pieces(item, depth + 1)
        yield "}"
    elif depth < 2 and isinstance(value, list) and value:
        yield "["
        for start in range(0, len(value), _PIECE):
            yield ("," if start else "") + _dumps(value[start:start + _PIECE])[1:-1]
        yield "]"
    else:
        yield _dumps(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _blocks(blocks: tuple[Block, ...]) -> list[dict[str, Any]]:
    return [{"kind": blk.kind, "n": blk.n, "text": blk.text} for blk in blocks]


def _block_refs(refs: tuple[BlockRef, ...]) -> list[dict[str, Any]]:
    return [{"source": sid, "n": n} for sid, n in refs]


def _source(site: Site, sid: str) -> dict[str, Any]:
    s = site.sources[sid]
    return {"id": s.id, "title": s.title, "file": s.file, "outlet": s.outlet,
            "published": s.published.isoformat() if s.published else None, "url": s.url, "summary": s.summary,
            "blocks": _blocks(s.blocks)}


def _actor(site: Site, aid: str) -> dict[str, Any]:
    a = site.actors[aid]
    return {"id": a.id, "name": a.name, "kind": a.kind, "aliases": list(a.aliases), "role": a.role,
            "affiliation": a.affiliation.id if a.affiliation else None, "summary": a.summary,
            "mentions": _block_refs(site.actor_mentions.get(a.id, ())),
            "positions": [{"topic": p.topic.id, "stance": p.stance, "cite": _cites(p.cite)} for p in a.positions]}


def _topic(site: Site, tid: str) -> dict[str, Any]:
    t = site.topics[tid]
    return {"id": t.id, "title": t.title, "status": t.status, "summary": t.summary, "keywords": list(t.keywords),
            "related": [r.id for r in t.related], "open_questions": list(t.open_questions),
            "passages": _block_refs(site.topic_passages.get(t.id, ()))}


def briefing_data(site: Site, *, drafts: bool = False) -> dict[str, Any]:
    """The briefing as one object: what ``data/briefing.json`` holds (see
    :func:`layout`). ``drafts`` records that the build included drafts, so that
    a public build never takes it as its baseline."""
    b = site.briefing
    return {
        "title": b.title,
        "drafts": drafts,
        "subtitle": b.subtitle,
        "as_of": b.as_of.isoformat(),
        "language": b.language,
        "summary": b.summary,
        "watch": list(b.watch),
        "sources": [_source(site, sid) for sid in sorted(site.sources)],
        "actors": [_actor(site, aid) for aid in sorted(site.actors)],
        "topics": [_topic(site, tid) for tid in sorted(site.topics)],
        "claims": [_claim(c) for c in site.claims if c.kind != "position"],
    }


def _claim(claim: Claim) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": claim.key,
        "kind": claim.kind,
        "text": claim.text,
        "cite": _cites(claim.cite),
        "actors": [r.id for r in claim.actors],
        "topics": [r.id for r in claim.topics],
    }
    if claim.date is not None:
        out["date"] = claim.date.isoformat()
    return out


def _cites(cites: tuple[Citation, ...]) -> list[dict[str, Any]]:
    return [{"source": c.source, "n": c.n} for c in cites]
