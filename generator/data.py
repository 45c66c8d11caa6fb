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

import json
from typing import Any

from generator.model import Citation, Claim, Site


def briefing_json(site: Site, *, drafts: bool = False, data: dict[str, Any] | None = None) -> str:
    """The JSON text (compact UTF-8 JSON and a trailing newline); ``data`` is
    :func:`briefing_data`'s result when the caller already has it."""
    # Compact, because json's C encoder only runs without indent (pretty-printing
    # took seconds on large briefings); ``python -m json.tool`` makes it readable.
    data = data if data is not None else briefing_data(site, drafts=drafts)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def briefing_data(site: Site, *, drafts: bool = False) -> dict[str, Any]:
    """The briefing as one JSON-ready object. ``drafts`` records that the build
    included drafts, so that a public build never takes it as its baseline."""
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
                "blocks": [{"kind": blk.kind, "n": blk.n, "text": blk.text} for blk in s.blocks],
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
                "mentions": [{"source": sid, "n": n} for sid, n in site.actor_mentions.get(a.id, ())],
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
                "passages": [{"source": sid, "n": n} for sid, n in site.topic_passages.get(t.id, ())],
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
