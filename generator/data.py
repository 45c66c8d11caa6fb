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
import json
from collections.abc import Callable, Iterator
from typing import Any

from generator.model import Block, BlockRef, Citation, Claim, Site


def briefing_json(site: Site, *, drafts: bool = False, data: dict[str, Any] | None = None) -> Iterator[bytes]:
    """The file's bytes, in pieces (see :func:`json_pieces`); ``data`` is
    :func:`briefing_data`'s result when the caller already has it."""
    return json_pieces(data if data is not None else briefing_data(site, drafts=drafts))


_PIECE = 256
"""List items encoded at a time by :func:`json_pieces`."""


def json_pieces(value: Any) -> Iterator[bytes]:
    """``value`` as compact UTF-8 JSON and a trailing newline, in pieces that join
    to exactly the bytes of ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``
    (with each :class:`Later` written as the list it makes).

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
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_deferred)


class Later:
    """A long list in :func:`briefing_data` (a source's blocks, an actor's
    mentions, a topic's passages), made into JSON objects only as the file is
    written (:func:`json_pieces`). Made up front, at 10,000 articles, the blocks'
    dicts took 24 MiB and the mentions' and passages' 60 MiB (tracemalloc), held
    while every page was rendered, for a file written in pieces."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], list[dict[str, Any]]]) -> None:
        self.make = make


def _deferred(value: object) -> Any:
    if isinstance(value, Later):
        return value.make()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _blocks(blocks: tuple[Block, ...]) -> list[dict[str, Any]]:
    return [{"kind": blk.kind, "n": blk.n, "text": blk.text} for blk in blocks]


def _block_refs(refs: tuple[BlockRef, ...]) -> list[dict[str, Any]]:
    return [{"source": sid, "n": n} for sid, n in refs]


def briefing_data(site: Site, *, drafts: bool = False) -> dict[str, Any]:
    """The briefing as one object for :func:`json_pieces`: JSON data, except the
    long lists (each a :class:`Later`, listed when written). ``drafts`` records
    that the build included drafts, so that a public build never takes it as its
    baseline."""
    b = site.briefing
    return {
        "title": b.title,
        "drafts": drafts,
        "subtitle": b.subtitle,
        "as_of": b.as_of.isoformat(),
        "language": b.language,
        "summary": b.summary,
        "watch": list(b.watch),
        "sources": [
            {
                "id": s.id,
                "title": s.title,
                "file": s.file,
                "outlet": s.outlet,
                "published": s.published.isoformat() if s.published else None,
                "url": s.url,
                "summary": s.summary,
                "blocks": Later(functools.partial(_blocks, s.blocks)),
            }
            for s in sorted(site.sources.values(), key=lambda s: s.id)
        ],
        "actors": [
            {
                "id": a.id,
                "name": a.name,
                "kind": a.kind,
                "aliases": list(a.aliases),
                "role": a.role,
                "affiliation": a.affiliation.id if a.affiliation else None,
                "summary": a.summary,
                "mentions": Later(functools.partial(_block_refs, site.actor_mentions.get(a.id, ()))),
                "positions": [
                    {"topic": p.topic.id, "stance": p.stance, "cite": _cites(p.cite)} for p in a.positions
                ],
            }
            for a in sorted(site.actors.values(), key=lambda a: a.id)
        ],
        "topics": [
            {
                "id": t.id,
                "title": t.title,
                "status": t.status,
                "summary": t.summary,
                "keywords": list(t.keywords),
                "related": [r.id for r in t.related],
                "open_questions": list(t.open_questions),
                "passages": Later(functools.partial(_block_refs, site.topic_passages.get(t.id, ()))),
            }
            for t in sorted(site.topics.values(), key=lambda t: t.id)
        ],
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
