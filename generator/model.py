"""The briefing as plain, frozen data.

The ``model`` stage (``generator.schema``) turns located YAML into these records;
the ``resolve`` stage fills in what can only be known once everything is loaded
(which block a quote is in, who is mentioned where) and returns a :class:`Site`.
Records link to each other by id, never by reference: a claim holds actor ids,
the site holds ``actors: Mapping[id, Actor]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from generator.errors import Location
from generator.frozen import pickled_by_fields

BlockKind = Literal["paragraph", "item", "heading"]
ActorKind = Literal["person", "organisation", "country", "group"]
TopicStatus = Literal["open", "agreed", "disputed", "stalled", "resolved"]
ClaimKind = Literal["key_point", "event", "position"]

ACTOR_KINDS: tuple[ActorKind, ...] = ("person", "organisation", "country", "group")
TOPIC_STATUSES: tuple[TopicStatus, ...] = ("open", "agreed", "disputed", "stalled", "resolved")


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Block:
    """One block of an article, in reading order.

    ``n`` is the block's number (1, 2, ...) for paragraphs and list items, the
    numbered blocks that citations point at; headings have ``n = None``.
    ``text`` is plain text (Markdown articles are reduced to their text).
    """

    kind: BlockKind
    n: int | None
    text: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Span:
    """A phrase found in a block's text: ``text[start:end]`` belongs to ``owners``
    (an actor id for mentions; one or more topic ids for keyword passages)."""

    start: int
    end: int
    owners: tuple[str, ...]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Ref:
    """A reference by id to an actor or topic, with the place it was written."""

    id: str
    at: Location


@pickled_by_fields
@dataclass(frozen=True, slots=True)
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


@pickled_by_fields
@dataclass(frozen=True, slots=True)
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


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Position:
    """An actor's stance on a topic (Markdown), with its evidence."""

    topic: Ref
    stance: str
    cite: tuple[Citation, ...]
    at: Location


@pickled_by_fields
@dataclass(frozen=True, slots=True)
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


@pickled_by_fields
@dataclass(frozen=True, slots=True)
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

    @property
    def numbered(self) -> int:
        """How many numbered blocks (paragraphs and items) the article has."""
        return sum(1 for b in self.blocks if b.n is not None)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
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


@pickled_by_fields
@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the ``model`` stage read, drafts included, before resolution."""

    briefing: Briefing
    sources: Mapping[str, Source]
    actors: Mapping[str, Actor]
    topics: Mapping[str, Topic]


BlockRef = tuple[str, int]
"""A numbered block: (source id, block number)."""


@dataclass(frozen=True, slots=True)
class Site:
    """The resolved briefing: only what is published, every reference checked.

    Mappings are sorted by id. ``mentions[source][n]`` and ``passages[source][n]``
    are the actor mentions and topic-keyword hits in numbered block ``n``; the
    ``*_by_*`` indexes are computed once here so that rendering looks nothing up.
    """

    briefing: Briefing
    sources: Mapping[str, Source]
    actors: Mapping[str, Actor]
    topics: Mapping[str, Topic]
    claims: tuple[Claim, ...]
    mentions: Mapping[str, Mapping[int, tuple[Span, ...]]]
    passages: Mapping[str, Mapping[int, tuple[Span, ...]]]
    actor_mentions: Mapping[str, tuple[BlockRef, ...]]
    topic_passages: Mapping[str, tuple[BlockRef, ...]]
    cited_by: Mapping[tuple[str, int | None], tuple[str, ...]]
    claims_by_actor: Mapping[str, tuple[str, ...]]
    claims_by_topic: Mapping[str, tuple[str, ...]]
    co_mentions: Mapping[str, tuple[tuple[str, int], ...]]
    text_keys: Mapping[str, bytes] = field(default_factory=dict)
    """For each source, the key its text analysis is remembered by: a digest of
    its blocks and of every actor's and topic's phrases. Whatever comes from the
    text (its blocks, ``mentions``, ``passages``) is the same while it is."""
