"""The briefing as plain, frozen data.

The ``model`` stage (``generator.schema``) turns located YAML into these records;
the ``resolve`` stage fills in what can only be known once everything is loaded
(which block a quote is in, who is mentioned where) and returns a :class:`Site`.
Records link to each other by id, never by reference: a claim holds actor ids,
the site holds ``actors: Mapping[id, Actor]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import field
from typing import Literal, NamedTuple

from generator.errors import Location
from generator.frozen import record

BlockKind = Literal["paragraph", "item", "heading"]
ActorKind = Literal["person", "organisation", "country", "group"]
TopicStatus = Literal["open", "agreed", "disputed", "stalled", "resolved"]
ClaimKind = Literal["key_point", "event", "position"]

ACTOR_KINDS: tuple[ActorKind, ...] = ("person", "organisation", "country", "group")
TOPIC_STATUSES: tuple[TopicStatus, ...] = ("open", "agreed", "disputed", "stalled", "resolved")


@record
class Block:
    """One block of an article, in reading order.

    ``n`` is the block's number (1, 2, ...) for paragraphs and list items, the
    numbered blocks that citations point at; headings have ``n = None``.
    ``text`` is plain text (Markdown articles are reduced to their text).
    """

    kind: BlockKind
    n: int | None
    text: str


@record
class Span:
    """A phrase found in a block's text: ``text[start:end]`` belongs to ``owners``
    (an actor id for mentions; one or more topic ids for keyword passages)."""

    start: int
    end: int
    owners: tuple[str, ...]


@record
class Ref:
    """A reference by id to an actor or topic, with the place it was written."""

    id: str
    at: Location


@record
class Citation:
    """A reference from a claim to a source.

    As written, ``n`` is set for ``"id#pN"``, ``quote`` for the quote forms, and
    neither for a whole source. After ``resolve`` a quote's block is known, so
    ``quote is not None`` implies ``n is not None``.
    """

    source: str
    n: int | None
    quote: str | None
    at: Location


@record
class Claim:
    """A statement with its evidence: key points, timeline events and (once
    resolved) actors' positions, whose ``text`` is the stance.

    ``key`` is unique in the site and stable across builds of the same input
    (``briefing/kp-2``, ``event-4``, ``source/<id>/kp-1``, ``topic/<id>/kp-3``,
    ``actor/<id>/position-1``); ``home`` is the page the claim is shown on and
    ``anchor`` its id there (both set by resolve).
    """

    key: str
    kind: ClaimKind
    text: str
    cite: tuple[Citation, ...]
    actors: tuple[Ref, ...]
    topics: tuple[Ref, ...]
    at: Location
    date: dt.date | None = None
    home: str = ""
    anchor: str = ""


@record
class Position:
    """An actor's stance on a topic (Markdown), with its evidence."""

    topic: Ref
    stance: str
    cite: tuple[Citation, ...]
    at: Location


@record
class Briefing:
    """``content/briefing.yaml``."""

    title: str
    as_of: dt.date
    subtitle: str = ""
    summary: str = ""
    key_points: tuple[Claim, ...] = ()
    watch: tuple[str, ...] = ()
    events: tuple[Claim, ...] = ()
    drop: tuple[str, ...] = ()
    base_url: str = ""
    language: str = "en"
    at: Location = field(default_factory=lambda: Location("content/briefing.yaml"))


@record
class Source:
    """One article: its YAML summary (``content/sources/<id>.yaml``) and its blocks."""

    id: str
    file: str
    title: str
    blocks: tuple[Block, ...]
    outlet: str = ""
    published: dt.date | None = None
    url: str = ""
    summary: str = ""
    key_points: tuple[Claim, ...] = ()
    draft: bool = False
    at: Location = field(default_factory=lambda: Location(""))
    file_at: Location = field(default_factory=lambda: Location(""))
    """Where ``file`` is written: the errors about the article point there."""

    @property
    def numbered(self) -> int:
        """How many numbered blocks (paragraphs and items) the article has."""
        return sum(1 for b in self.blocks if b.n is not None)


@record
class Actor:
    """``content/actors/<id>.yaml``."""

    id: str
    name: str
    kind: ActorKind = "person"
    aliases: tuple[str, ...] = ()
    role: str = ""
    affiliation: Ref | None = None
    summary: str = ""
    positions: tuple[Position, ...] = ()
    draft: bool = False
    at: Location = field(default_factory=lambda: Location(""))
    phrase_at: tuple[Location, ...] = ()
    """Where the name and each alias are written, parallel to :attr:`phrases`."""

    @property
    def phrases(self) -> tuple[str, ...]:
        """The name and the aliases: every phrase that mentions this actor."""
        return (self.name, *self.aliases)


@record
class Topic:
    """``content/topics/<id>.yaml``."""

    id: str
    title: str
    status: TopicStatus = "open"
    summary: str = ""
    keywords: tuple[str, ...] = ()
    key_points: tuple[Claim, ...] = ()
    open_questions: tuple[str, ...] = ()
    related: tuple[Ref, ...] = ()
    draft: bool = False
    at: Location = field(default_factory=lambda: Location(""))
    keyword_at: tuple[Location, ...] = ()
    """Where each keyword is written, parallel to :attr:`keywords`."""


BlockRef = tuple[str, int]
"""A numbered block: (source id, block number)."""


class SourceHead(NamedTuple):
    """What lists of sources show of one: small enough to keep for every source."""

    id: str
    title: str
    outlet: str
    published: dt.date | None
    numbered: int
    """How many numbered blocks its article has."""


def source_head(source: Source) -> SourceHead:
    return SourceHead(source.id, source.title, source.outlet, source.published, source.numbered)


@record
class Site:
    """The resolved briefing: only what is published, every reference checked.

    Mappings are by id, sorted. ``mentions[source][n]`` and ``passages[source][n]``
    are the actor mentions and topic-keyword hits in numbered block ``n``;
    ``cited_by[source][n]`` the keys of the claims citing block ``n`` (``None``:
    the source as a whole). The other indexes are computed once, when the site
    is made (see :mod:`generator.indexes`), so that rendering looks nothing up.
    The mappings may read what they hold lazily from the last build's state
    (see :mod:`generator.update`); they never change.
    """

    briefing: Briefing
    sources: Mapping[str, Source]
    heads: Mapping[str, SourceHead]
    """What lists show of each source (without reading the source)."""
    actors: Mapping[str, Actor]
    topics: Mapping[str, Topic]
    positions: Mapping[str, tuple[Claim, ...]]
    """Each actor's positions, as claims."""
    mentions: Mapping[str, Mapping[int, tuple[Span, ...]]]
    passages: Mapping[str, Mapping[int, tuple[Span, ...]]]
    actor_mentions: Mapping[str, tuple[BlockRef, ...]]
    topic_passages: Mapping[str, tuple[BlockRef, ...]]
    cited_by: Mapping[str, Mapping[int | None, tuple[str, ...]]]
    cited_counts: Mapping[str, int]
    """For each cited source, how many of its blocks (or itself as a whole) are cited."""
    claims_by_actor: Mapping[str, tuple[str, ...]]
    """Keys of the claims (not positions) that name each actor, in claim order."""
    claims_by_topic: Mapping[str, tuple[str, ...]]
    co_mentions: Mapping[str, tuple[tuple[str, int], ...]]
    members: Mapping[str, tuple[str, ...]]
    """The actors affiliated with each actor."""
    positions_by_topic: Mapping[str, tuple[Claim, ...]]
    months: Mapping[str, tuple[str, ...]]
    """The months sources were published in (``2025-10``, or ``undated``) -> their
    ids, newest first."""

    @property
    def claims(self) -> tuple[Claim, ...]:
        """Every claim, in the site's order: the briefing's key points and events,
        then each source's, each topic's key points, each actor's positions."""
        b = self.briefing
        return (*b.key_points, *b.events,
                *(c for s in self.sources.values() for c in s.key_points),
                *(c for t in self.topics.values() for c in t.key_points),
                *(c for aid in self.actors for c in self.positions.get(aid, ())))

    def claim(self, key: str) -> Claim | None:
        """The claim with this key, or None."""
        kind, _, rest = key.partition("/")
        if kind == "briefing" or key.startswith("event-"):
            claims: Iterable[Claim] = (*self.briefing.key_points, *self.briefing.events)
        elif kind == "source" and (source := self.sources.get(rest.split("/", 1)[0])) is not None:
            claims = source.key_points
        elif kind == "topic" and (topic := self.topics.get(rest.split("/", 1)[0])) is not None:
            claims = topic.key_points
        elif kind == "actor":
            claims = self.positions.get(rest.split("/", 1)[0], ())
        else:
            return None
        return next((c for c in claims if c.key == key), None)
