"""The resolve stage, one unit at a time: records as written -> records resolved.

Which block each quote is in, who is mentioned where and which passages each
topic's keywords mark, every cross-reference checked against a :class:`Scope`,
drafts left out with a warning. Each function resolves one unit (the briefing,
a source, a topic, an actor) and is pure given its scope; which units a build
resolves, and the indexes made of them, are :mod:`generator.update`'s and
:mod:`generator.indexes`' business. After this, rendering cannot meet a missing
reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import NamedTuple

from generator import urls
from generator.citations import resolve_citation
from generator.errors import Diagnostics, Location, did_you_mean
from generator.frozen import record
from generator.memo import digest
from generator.mentions import PhraseMatcher, phrase_key
from generator.model import Actor, Briefing, Citation, Claim, Position, Ref, Source, Span, Topic


@record
class Scope:
    """What references are checked against: every id that exists (for errors and
    did-you-means), the ids that are published (the rest are drafts), and the
    sources' numbered blocks folded for quote lookups. The mappings may read
    what they hold lazily (see :mod:`generator.update`)."""

    sources: Mapping[str, Source]
    """Every source whose article could be read, drafts included."""
    folded: Mapping[str, Sequence[tuple[int, str]]]
    actors: Mapping[str, object]
    topics: Mapping[str, object]
    published_sources: AbstractSet[str]
    published_actors: AbstractSet[str]
    published_topics: AbstractSet[str]
    unread: Mapping[str, AbstractSet[str]]
    """The ids of each kind (``source``, ``actor``, ``topic``) whose file exists
    but could not be read: a reference to one says so, not that it is unknown."""


def analyse(source: Source, actors: PhraseMatcher, topics: PhraseMatcher
            ) -> tuple[dict[int, tuple[Span, ...]], dict[int, tuple[Span, ...]]]:
    """The actor mentions and the topic-keyword hits in each numbered block of a source."""
    return _find(source, actors), _find(source, topics)


def resolve_briefing(briefing: Briefing, scope: Scope, diagnostics: Diagnostics) -> Briefing:
    """The briefing with its key points and events resolved, the events by date."""
    return replace(
        briefing,
        key_points=_claims(briefing.key_points, scope, diagnostics, urls.HOME),
        events=tuple(sorted(_claims(briefing.events, scope, diagnostics, urls.TIMELINE),
                            key=lambda c: c.date or briefing.as_of)),
    )


def resolve_source(source: Source, scope: Scope, diagnostics: Diagnostics) -> tuple[Claim, ...]:
    """A source's key points, resolved."""
    return _claims(source.key_points, scope, diagnostics, urls.item_page("sources", source.id))


def resolve_topic(topic: Topic, scope: Scope, diagnostics: Diagnostics) -> Topic:
    """The topic with its key points and related topics resolved."""
    home = urls.item_page("topics", topic.id)
    related = _refs(topic.related, "topic", scope, diagnostics)
    return replace(topic, key_points=_claims(topic.key_points, scope, diagnostics, home), related=related)


def resolve_actor(actor: Actor, scope: Scope, diagnostics: Diagnostics) -> tuple[Actor, tuple[Claim, ...]]:
    """The actor with references checked, and its positions as claims (so that
    they are cited, indexed and linked back like every other claim)."""
    affiliation = actor.affiliation
    if affiliation is not None and not _check_ref(affiliation, "actor", scope, diagnostics):
        affiliation = None
    home = urls.item_page("actors", actor.id)
    positions: list[Position] = []
    claims: list[Claim] = []
    for i, position in enumerate(actor.positions, 1):
        cite = _citations(position.cite, scope, diagnostics)
        if not _check_ref(position.topic, "topic", scope, diagnostics):
            continue
        positions.append(replace(position, cite=cite))
        claims.append(Claim(
            key=f"actor/{actor.id}/position-{i}", kind="position", text=position.stance, cite=cite,
            actors=(Ref(actor.id, actor.at),), topics=(position.topic,), at=position.at,
            home=home, anchor=f"position-{i}",
        ))
    return replace(actor, affiliation=affiliation, positions=tuple(positions)), tuple(claims)


class Phrases(NamedTuple):
    """What text analysis looks for: (phrase, actor id) for every published actor's
    name and alias, (keyword, topic id) for every published topic's keyword, and
    a digest of both (text analysis depends on nothing else)."""

    actors: list[tuple[str, str]]
    topics: list[tuple[str, str]]
    key: bytes


def phrases(actors: Iterable[Actor], topics: Iterable[Topic], diagnostics: Diagnostics) -> Phrases:
    """The phrases of the published ``actors`` and ``topics``; a phrase on two
    actors is an error."""
    actor_pairs = _actor_phrases(actors, diagnostics)
    topic_pairs = [(k, t.id) for t in topics for k in t.keywords]
    return Phrases(actor_pairs, topic_pairs, digest(actor_pairs, topic_pairs))


def matchers(found: Phrases, diagnostics: Diagnostics, within: Sequence[str] | None = None
             ) -> tuple[PhraseMatcher, PhraseMatcher]:
    """The actor and topic matchers; ``within``: the only texts they will search
    (see :class:`PhraseMatcher`)."""
    return (_matcher(found.actors, False, "content/actors/", diagnostics, within),
            _matcher(found.topics, True, "content/topics/", diagnostics, within))


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
             diagnostics: Diagnostics, within: Sequence[str] | None) -> PhraseMatcher:
    try:
        return PhraseMatcher(pairs, ignore_case=ignore_case, within=within)
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


def _claims(claims: Iterable[Claim], scope: Scope, diagnostics: Diagnostics, home: str) -> tuple[Claim, ...]:
    return tuple(_resolve_claim(c, scope, diagnostics, home) for c in claims)


def _resolve_claim(claim: Claim, scope: Scope, diagnostics: Diagnostics, home: str) -> Claim:
    anchor = claim.key.rsplit("/", 1)[-1]
    return replace(
        claim,
        cite=_citations(claim.cite, scope, diagnostics),
        actors=_refs(claim.actors, "actor", scope, diagnostics),
        topics=_refs(claim.topics, "topic", scope, diagnostics),
        home=home,
        anchor=anchor,
    )


def _citations(cites: Iterable[Citation], scope: Scope, diagnostics: Diagnostics) -> tuple[Citation, ...]:
    out = []
    for cite in cites:
        resolved = resolve_citation(cite, scope.sources, scope.folded, diagnostics,
                                     unread=scope.unread.get("source", frozenset()))
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


def _refs(refs: Iterable[Ref], kind: str, scope: Scope, diagnostics: Diagnostics) -> tuple[Ref, ...]:
    return tuple(r for r in refs if _check_ref(r, kind, scope, diagnostics))


def _check_ref(ref: Ref, kind: str, scope: Scope, diagnostics: Diagnostics) -> bool:
    """Whether a reference (to an actor or a topic) stays in the published site
    (unknown ids are errors, drafts are warnings)."""
    existing, published = (scope.actors, scope.published_actors) if kind == "actor" else \
        (scope.topics, scope.published_topics)
    if ref.id not in existing:
        if ref.id in scope.unread.get(kind, ()):
            diagnostics.error(ref.at, f"{kind} '{ref.id}' could not be read, so this reference cannot be"
                                      f" checked; fix the errors reported for content/{kind}s/{ref.id}.yaml")
        else:
            diagnostics.error(ref.at, f"unknown {kind} '{ref.id}'{did_you_mean(ref.id, existing)}"
                                      f" (no content/{kind}s/{ref.id}.yaml)")
        return False
    if ref.id not in published:
        diagnostics.warning(ref.at, f"{kind} '{ref.id}' is a draft: this reference is left out of"
                                    " the published site")
        return False
    return True
