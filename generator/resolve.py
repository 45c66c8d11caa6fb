"""The resolve stage: :class:`Content` -> :class:`Site`.

Everything that needs the whole briefing is computed here, once: which block
each quote is in, who is mentioned where, which passages each topic's keywords
mark, every cross-reference checked, drafts left out, and the indexes pages are
made from. After this, rendering cannot meet a missing reference.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from generator import urls
from generator.citations import fold_source, resolve_citation
from generator.errors import Diagnostics, Location, did_you_mean
from generator.memo import Memo, digest
from generator.mentions import PhraseMatcher, phrase_key
from generator.model import (
    Actor,
    BlockRef,
    Citation,
    Claim,
    Content,
    Position,
    Ref,
    Site,
    Source,
    Span,
    Topic,
)


@dataclass(frozen=True, slots=True)
class _TextFacts:
    """What one source's text yields: its folded blocks (for quotes), and the
    actor mentions and topic-keyword hits per numbered block."""

    source: str
    folded: list[tuple[int, str]]
    mentions: dict[int, tuple[Span, ...]]
    passages: dict[int, tuple[Span, ...]]


@dataclass(frozen=True, slots=True)
class _Scope:
    """What references are checked against: every id that exists (for errors and
    did-you-means) and the ids that are published (the rest are drafts)."""

    content: Content
    published_sources: frozenset[str]
    published_actors: frozenset[str]
    published_topics: frozenset[str]
    folded: Mapping[str, Sequence[tuple[int, str]]]


def resolve(content: Content, diagnostics: Diagnostics, *, drafts: bool = False, memo: Memo | None = None) -> Site:
    """Resolve every reference of ``content``; problems go into ``diagnostics``.

    With ``drafts`` false, draft items are left out, and references to them are
    dropped with a warning. The returned site is meaningful only when no error
    was reported. With a ``memo``, the text analysis of a source whose blocks and
    phrases are those of an earlier build is remembered, not redone.
    """
    memo = memo if memo is not None else Memo()
    published_sources = _published(content.sources.values(), drafts)
    published_actors = _published(content.actors.values(), drafts)
    published_topics = _published(content.topics.values(), drafts)
    actors = {a.id: a for a in content.actors.values() if a.id in published_actors}
    topics = {t.id: t for t in content.topics.values() if t.id in published_topics}
    sources = {s.id: s for s in content.sources.values() if s.id in published_sources}

    actor_pairs = _actor_phrases(actors.values(), diagnostics)
    topic_pairs = [(k, t.id) for t in topics.values() for k in t.keywords]
    actor_matcher = _matcher(actor_pairs, False, "content/actors/", diagnostics)
    topic_matcher = _matcher(topic_pairs, True, "content/topics/", diagnostics)
    phrases = digest(actor_pairs, topic_pairs)

    def analyse(source: Source) -> _TextFacts:
        # Drafts are folded too, so that their citations are checked; only
        # published sources are searched for mentions and keywords.
        searched = source.id in published_sources
        return _TextFacts(source.id, fold_source(source),
                          _find(source, actor_matcher) if searched else {},
                          _find(source, topic_matcher) if searched else {})

    text_keys: dict[str, bytes] = {}

    def remembered(source: Source) -> _TextFacts:
        key = text_keys[source.id] = digest(phrases, source.id, source.blocks, source.id in published_sources)
        return memo.get("text", key, lambda: analyse(source))

    facts = [remembered(source) for source in content.sources.values()]
    scope = _Scope(content, published_sources, published_actors, published_topics,
                   folded={f.source: f.folded for f in facts})
    mentions = {f.source: f.mentions for f in facts if f.source in published_sources}
    passages = {f.source: f.passages for f in facts if f.source in published_sources}

    briefing = content.briefing
    briefing = replace(
        briefing,
        key_points=_claims(briefing.key_points, scope, diagnostics, urls.HOME),
        events=tuple(sorted(_claims(briefing.events, scope, diagnostics, urls.TIMELINE),
                            key=lambda c: c.date or briefing.as_of)),
    )
    sources = {sid: _resolve_source(s, scope, diagnostics) for sid, s in sources.items()}
    topics = {tid: _resolve_topic(t, scope, diagnostics) for tid, t in topics.items()}
    positions: dict[str, tuple[Claim, ...]] = {}
    resolved_actors: dict[str, Actor] = {}
    for aid, actor in actors.items():
        resolved_actors[aid], positions[aid] = _resolve_actor(actor, scope, diagnostics)

    claims = (
        *briefing.key_points,
        *briefing.events,
        *(c for s in sources.values() for c in s.key_points),
        *(c for t in topics.values() for c in t.key_points),
        *(c for aid in resolved_actors for c in positions[aid]),
    )
    return Site(
        briefing=briefing,
        sources=sources,
        actors=resolved_actors,
        topics=topics,
        claims=claims,
        mentions=mentions,
        passages=passages,
        actor_mentions=_index_blocks(mentions, resolved_actors),
        topic_passages=_index_blocks(passages, topics),
        cited_by=_cited_by(claims),
        claims_by_actor=_claims_by(claims, resolved_actors, lambda c: c.actors),
        claims_by_topic=_claims_by(claims, topics, lambda c: c.topics),
        co_mentions=_co_mentions(mentions, resolved_actors),
        text_keys={sid: text_keys[sid] for sid in sources},
    )


def _published(items: Iterable[Source | Actor | Topic], drafts: bool) -> frozenset[str]:
    return frozenset(i.id for i in items if drafts or not i.draft)


def _actor_phrases(actors: Iterable[Actor], diagnostics: Diagnostics) -> list[tuple[str, str]]:
    """(phrase, actor id) for every published actor; a phrase on two actors is an error."""
    owner: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for actor in actors:
        for phrase, at in zip(actor.phrases, actor.phrase_at or [actor.at] * len(actor.phrases),
                              strict=False):
            key = phrase_key(phrase, False)
            first = owner.get(key)
            if first is not None and first != actor.id:
                diagnostics.error(at, f"'{phrase}' also names actor '{first}'; a phrase can mention"
                                      " only one actor, so remove it from one of them")
                continue
            owner[key] = actor.id
            pairs.append((phrase, actor.id))
    return pairs


def _matcher(pairs: list[tuple[str, str]], ignore_case: bool, where: str,
             diagnostics: Diagnostics) -> PhraseMatcher:
    try:
        return PhraseMatcher(pairs, ignore_case=ignore_case)
    except RecursionError:
        # Python's regex compiler recurses once per shared prefix; only hundreds
        # of phrases each extending the previous one get here.
        diagnostics.error(Location(where), "too many phrases that each begin with another one"
                                           " (hundreds of nested prefixes); shorten the lists")
        return PhraseMatcher([], ignore_case=ignore_case)


def _find(source: Source, matcher: PhraseMatcher) -> dict[int, tuple[Span, ...]]:
    """Spans per numbered block of a source; headings are not searched."""
    return {block.n: tuple(spans) for block in source.blocks
            if block.n is not None and (spans := matcher.find(block.text))}


def _claims(claims: Iterable[Claim], scope: _Scope, diagnostics: Diagnostics, home: str) -> tuple[Claim, ...]:
    return tuple(_resolve_claim(c, scope, diagnostics, home) for c in claims)


def _resolve_claim(claim: Claim, scope: _Scope, diagnostics: Diagnostics, home: str) -> Claim:
    anchor = claim.key.rsplit("/", 1)[-1]
    return replace(
        claim,
        cite=_citations(claim.cite, scope, diagnostics),
        actors=_refs(claim.actors, "actor", scope.content.actors, scope.published_actors, diagnostics),
        topics=_refs(claim.topics, "topic", scope.content.topics, scope.published_topics, diagnostics),
        home=home,
        anchor=anchor,
    )


def _citations(cites: Iterable[Citation], scope: _Scope, diagnostics: Diagnostics) -> tuple[Citation, ...]:
    out = []
    for cite in cites:
        resolved = resolve_citation(cite, scope.content.sources, scope.folded, diagnostics)
        if resolved is None:
            continue
        if resolved.source not in scope.published_sources:
            diagnostics.warning(cite.at, f"source '{cite.source}' is a draft: this citation is left"
                                         " out of the published site")
            continue
        out.append(resolved)
    # The same block cited twice (by a quote and by number, say) is one citation;
    # a Citation also holds where it was written, so compare the target only.
    unique: dict[tuple[str, int | None], Citation] = {}
    for c in out:
        unique.setdefault((c.source, c.n), c)
    return tuple(unique.values())


def _refs(
    refs: Iterable[Ref],
    kind: str,
    existing: Mapping[str, object],
    published: frozenset[str],
    diagnostics: Diagnostics,
) -> tuple[Ref, ...]:
    return tuple(r for r in refs if _check_ref(r, kind, existing, published, diagnostics))


def _check_ref(
    ref: Ref, kind: str, existing: Mapping[str, object], published: frozenset[str], diagnostics: Diagnostics
) -> bool:
    """Whether a reference stays in the published site (unknown ids are errors,
    drafts are warnings)."""
    if ref.id not in existing:
        diagnostics.error(ref.at, f"unknown {kind} '{ref.id}'{did_you_mean(ref.id, existing)}"
                                  f" (no content/{kind}s/{ref.id}.yaml)")
        return False
    if ref.id not in published:
        diagnostics.warning(ref.at, f"{kind} '{ref.id}' is a draft: this reference is left out of"
                                    " the published site")
        return False
    return True


def _resolve_source(source: Source, scope: _Scope, diagnostics: Diagnostics) -> Source:
    home = urls.item_page("sources", source.id)
    return replace(source, key_points=_claims(source.key_points, scope, diagnostics, home))


def _resolve_topic(topic: Topic, scope: _Scope, diagnostics: Diagnostics) -> Topic:
    home = urls.item_page("topics", topic.id)
    related = _refs(topic.related, "topic", scope.content.topics, scope.published_topics, diagnostics)
    return replace(topic, key_points=_claims(topic.key_points, scope, diagnostics, home), related=related)


def _resolve_actor(actor: Actor, scope: _Scope, diagnostics: Diagnostics) -> tuple[Actor, tuple[Claim, ...]]:
    """The actor with references checked, and its positions as claims (so that
    they are cited, indexed and linked back like every other claim)."""
    affiliation = actor.affiliation
    if affiliation is not None and not _check_ref(
        affiliation, "actor", scope.content.actors, scope.published_actors, diagnostics
    ):
        affiliation = None
    home = urls.item_page("actors", actor.id)
    positions: list[Position] = []
    claims: list[Claim] = []
    for i, position in enumerate(actor.positions, 1):
        cite = _citations(position.cite, scope, diagnostics)
        if not _check_ref(position.topic, "topic", scope.content.topics, scope.published_topics, diagnostics):
            continue
        positions.append(replace(position, cite=cite))
        claims.append(Claim(
            key=f"actor/{actor.id}/position-{i}", kind="position", text=position.stance, cite=cite,
            actors=(Ref(actor.id, actor.at),), topics=(position.topic,), at=position.at,
            home=home, anchor=f"position-{i}",
        ))
    return replace(actor, affiliation=affiliation, positions=tuple(positions)), tuple(claims)


def _index_blocks(
    found: Mapping[str, Mapping[int, tuple[Span, ...]]], owners: Mapping[str, object]
) -> dict[str, tuple[BlockRef, ...]]:
    """Each owner's blocks, each block once, ordered by source id then number."""
    index: dict[str, list[BlockRef]] = {oid: [] for oid in owners}
    for sid in sorted(found):
        for n in sorted(found[sid]):
            for oid in sorted({o for span in found[sid][n] for o in span.owners}):
                index[oid].append((sid, n))
    return {oid: tuple(refs) for oid, refs in index.items()}


def _cited_by(claims: Iterable[Claim]) -> dict[tuple[str, int | None], tuple[str, ...]]:
    index: dict[tuple[str, int | None], list[str]] = defaultdict(list)
    for claim in claims:
        for cite in claim.cite:
            if claim.key not in index[(cite.source, cite.n)]:
                index[(cite.source, cite.n)].append(claim.key)
    return {k: tuple(v) for k, v in sorted(index.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))}


def _claims_by(
    claims: Iterable[Claim], owners: Mapping[str, object], get: Callable[[Claim], tuple[Ref, ...]]
) -> dict[str, tuple[str, ...]]:
    """Keys of the claims (not positions) that name each actor or topic."""
    index: dict[str, list[str]] = {oid: [] for oid in owners}
    for claim in claims:
        if claim.kind == "position":
            continue
        for ref in get(claim):
            index[ref.id].append(claim.key)
    return {oid: tuple(keys) for oid, keys in index.items()}


def _co_mentions(
    mentions: Mapping[str, Mapping[int, tuple[Span, ...]]], actors: Mapping[str, Actor]
) -> dict[str, tuple[tuple[str, int], ...]]:
    """For each actor, the actors mentioned in the same blocks, with how many blocks,
    most frequent first."""
    # One count of ordered pairs over all blocks (Counter counts in C), then
    # shared out (0.36 s at 10,000 articles; a Counter per actor, updated block by
    # block, took 0.53 s).
    pairs: Counter[tuple[str, str]] = Counter()
    for per_block in mentions.values():
        for spans in per_block.values():
            present = {o for s in spans for o in s.owners}
            if len(present) > 1:
                pairs.update(itertools.permutations(present, 2))
    counts: dict[str, list[tuple[str, int]]] = {aid: [] for aid in actors}
    for (a, b), n in pairs.items():
        counts[a].append((b, n))
    return {aid: tuple(sorted(c, key=lambda kv: (-kv[1], kv[0]))) for aid, c in counts.items()}
