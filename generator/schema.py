"""The briefing's YAML schema: located nodes -> model records.

One function per file kind. Each checks every key against the schema of
CONTENT.md section 2 (unknown keys, wrong types, missing required keys, bad ids,
impossible dates, bad enum values) and returns a record, or None when the file
is too broken to use. References between files are checked later, in resolve.
"""

from __future__ import annotations

import datetime as dt
import re

from generator import fields
from generator.citations import read_citations
from generator.errors import Diagnostics, Location
from generator.model import (
    ACTOR_KINDS,
    TOPIC_STATUSES,
    Actor,
    ActorKind,
    Briefing,
    Claim,
    ClaimKind,
    Position,
    Source,
    Topic,
    TopicStatus,
)
from generator.yamlload import Node, Scalar

# Every file may carry these: `draft: true` keeps it out of the build, `notes:`
# is the editor's and never published.
_COMMON = ("draft", "notes")
_BRIEFING_KEYS = ("title", "subtitle", "as_of", "summary", "key_points", "watch", "events",
                  "ingest", "base_url", "language", *_COMMON)
_SOURCE_KEYS = ("file", "title", "outlet", "published", "url", "summary", "key_points", *_COMMON)
_ACTOR_KEYS = ("name", "kind", "aliases", "role", "affiliation", "summary", "positions", *_COMMON)
_TOPIC_KEYS = ("title", "status", "summary", "keywords", "key_points", "open_questions", "related",
               *_COMMON)
_CLAIM_KEYS = ("text", "cite", "actors", "topics")
_POSITION_KEYS = ("topic", "stance", "cite")


def read_briefing(node: Node | None, at: Location, diagnostics: Diagnostics) -> Briefing | None:
    """``content/briefing.yaml`` as a :class:`Briefing`, or None if it is not a
    mapping of keys at all."""
    f = fields.fields(node, _BRIEFING_KEYS, ("title", "as_of"), "briefing.yaml", diagnostics, at)
    if f is None:
        return None
    title = fields.nonempty_text(f.get("title"), diagnostics, "title")
    as_of = fields.date(f.get("as_of"), diagnostics, "as_of")
    key_points = _claims(f.get("key_points"), "briefing/kp", "key_point", diagnostics)
    events = _claims(f.get("events"), "event", "event", diagnostics)
    drop = _drop_patterns(f.get("ingest"), diagnostics)
    base_url = fields.url(f.get("base_url"), diagnostics, "base_url")
    language = fields.language(f.get("language"), diagnostics)
    _draft_on_briefing(f.get("draft"), diagnostics)
    # A missing or bad title or as_of is reported above, so the build fails; the
    # record is still made, with stand-ins, so that the run goes on to check
    # every other file's references and quotes (all errors in one run). Nothing
    # of a failed build is kept or written.
    return Briefing(
        title=(title or "").strip(),
        as_of=as_of or dt.date.min,
        subtitle=(fields.text(f.get("subtitle"), diagnostics, "subtitle") or "").strip(),
        summary=fields.text(f.get("summary"), diagnostics, "summary") or "",
        key_points=key_points,
        watch=fields.text_list(f.get("watch"), diagnostics, "watch"),
        events=events,
        drop=drop,
        base_url=base_url or "",
        language=language or "en",
        at=at,
    )


def _draft_on_briefing(node: Node | None, diagnostics: Diagnostics) -> None:
    # Accepted because every file may carry it, but a draft briefing has no
    # meaning of its own: the whole site is the briefing.
    fields.boolean(node, diagnostics, "draft")


def _drop_patterns(node: Node | None, diagnostics: Diagnostics) -> tuple[str, ...]:
    if node is None:
        return ()
    f = fields.fields(node, ("drop",), (), "ingest", diagnostics, node.at)
    if f is None:
        return ()
    patterns = []
    for item in fields.items(f.get("drop"), diagnostics, "ingest.drop"):
        pattern = fields.nonempty_text(item, diagnostics, "each entry of ingest.drop")
        if pattern is None:
            continue
        try:
            re.compile(pattern)
        except re.error as exc:
            diagnostics.error(item.at, f"ingest.drop pattern '{pattern}' is not a valid regular"
                                       f" expression: {exc}")
            continue
        patterns.append(pattern)
    return tuple(patterns)


def read_source(node: Node | None, sid: str, at: Location, diagnostics: Diagnostics) -> Source | None:
    """``content/sources/<id>.yaml`` as a :class:`Source` with no blocks yet (the
    article is read by the caller, which knows the seeds folder)."""
    what = f"source '{sid}'"
    f = fields.fields(node, _SOURCE_KEYS, ("file", "title"), what, diagnostics, at)
    if f is None:
        return None
    file = _seed_name(f.get("file"), diagnostics)
    title = fields.nonempty_text(f.get("title"), diagnostics, "title")
    published = fields.date(f.get("published"), diagnostics, "published")
    url = fields.url(f.get("url"), diagnostics)
    key_points = _claims(f.get("key_points"), f"source/{sid}/kp", "key_point", diagnostics)
    draft = fields.boolean(f.get("draft"), diagnostics, "draft")
    if file is None or title is None:
        return None
    return Source(
        id=sid,
        file=file,
        title=title.strip(),
        blocks=(),
        outlet=(fields.text(f.get("outlet"), diagnostics, "outlet") or "").strip(),
        published=published,
        url=url or "",
        summary=fields.text(f.get("summary"), diagnostics, "summary") or "",
        key_points=key_points,
        draft=draft,
        at=at,
        file_at=file_node.at if (file_node := f.get("file")) is not None else at,
    )


def _seed_name(node: Node | None, diagnostics: Diagnostics) -> str | None:
    name = fields.nonempty_text(node, diagnostics, "file")
    if name is None:
        return None
    assert node is not None
    if "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        diagnostics.error(node.at, f"file '{name}' must be the plain name of a file inside seeds/"
                                   " (no folders, no '..')")
        return None
    if not name.endswith((".txt", ".md")):
        diagnostics.error(node.at, f"file '{name}' must be a .txt or .md article")
        return None
    return name


def read_actor(node: Node | None, aid: str, at: Location, diagnostics: Diagnostics) -> Actor | None:
    """``content/actors/<id>.yaml`` as an :class:`Actor`, or None if unusable."""
    f = fields.fields(node, _ACTOR_KEYS, ("name",), f"actor '{aid}'", diagnostics, at)
    if f is None:
        return None
    name = fields.nonempty_text(f.get("name"), diagnostics, "name")
    kind = fields.choice(f.get("kind"), ACTOR_KINDS, diagnostics, "kind")
    aliases = fields.located_text_list(f.get("aliases"), diagnostics, "aliases")
    affiliation = fields.ref(f.get("affiliation"), diagnostics, "affiliation")
    positions = fields.each(f.get("positions"), lambda n, _: _position(n, diagnostics), diagnostics,
                            "positions")
    draft = fields.boolean(f.get("draft"), diagnostics, "draft")
    if affiliation is not None and affiliation.id == aid:
        diagnostics.error(affiliation.at, f"actor '{aid}' cannot be affiliated with itself")
        affiliation = None
    if name is None:
        return None
    return Actor(
        id=aid,
        name=name.strip(),
        kind=_actor_kind(kind),
        aliases=tuple(a for a, _ in aliases),
        phrase_at=(f.values["name"].at, *(at for _, at in aliases)),
        role=(fields.text(f.get("role"), diagnostics, "role") or "").strip(),
        affiliation=affiliation,
        summary=fields.text(f.get("summary"), diagnostics, "summary") or "",
        positions=positions,
        draft=draft,
        at=at,
    )


def _actor_kind(value: str | None) -> ActorKind:
    for kind in ACTOR_KINDS:
        if kind == value:
            return kind
    return "person"


def _position(node: Node, diagnostics: Diagnostics) -> Position | None:
    f = fields.fields(node, _POSITION_KEYS, ("topic", "stance"), "a position", diagnostics, node.at)
    if f is None:
        return None
    topic = fields.ref(f.get("topic"), diagnostics, "topic")
    stance = fields.nonempty_text(f.get("stance"), diagnostics, "stance")
    cite = read_citations(f.get("cite"), diagnostics)
    if topic is None or stance is None:
        return None
    return Position(topic, stance, cite, node.at)


def read_topic(node: Node | None, tid: str, at: Location, diagnostics: Diagnostics) -> Topic | None:
    """``content/topics/<id>.yaml`` as a :class:`Topic`, or None if unusable."""
    f = fields.fields(node, _TOPIC_KEYS, ("title",), f"topic '{tid}'", diagnostics, at)
    if f is None:
        return None
    title = fields.nonempty_text(f.get("title"), diagnostics, "title")
    status = fields.choice(f.get("status"), TOPIC_STATUSES, diagnostics, "status")
    keywords = fields.located_text_list(f.get("keywords"), diagnostics, "keywords")
    key_points = _claims(f.get("key_points"), f"topic/{tid}/kp", "key_point", diagnostics)
    related = fields.ref_list(f.get("related"), diagnostics, "related")
    draft = fields.boolean(f.get("draft"), diagnostics, "draft")
    for ref in related:
        if ref.id == tid:
            diagnostics.error(ref.at, f"topic '{tid}' cannot be related to itself")
    if title is None:
        return None
    return Topic(
        id=tid,
        title=title.strip(),
        status=_status(status),
        summary=fields.text(f.get("summary"), diagnostics, "summary") or "",
        keywords=tuple(k for k, _ in keywords),
        keyword_at=tuple(at for _, at in keywords),
        key_points=key_points,
        open_questions=fields.text_list(f.get("open_questions"), diagnostics, "open_questions"),
        related=tuple(r for r in related if r.id != tid),
        draft=draft,
        at=at,
    )


def _status(value: str | None) -> TopicStatus:
    for status in TOPIC_STATUSES:
        if status == value:
            return status
    return "open"


def _claims(node: Node | None, prefix: str, kind: ClaimKind, diagnostics: Diagnostics) -> tuple[Claim, ...]:
    what = "events" if kind == "event" else "key_points"
    return fields.each(node, lambda n, i: _claim(n, f"{prefix}-{i + 1}", kind, diagnostics),
                       diagnostics, what)


def _claim(node: Node, key: str, kind: ClaimKind, diagnostics: Diagnostics) -> Claim | None:
    is_event = kind == "event"
    if isinstance(node, Scalar) and not is_event and node.kind != "null":
        diagnostics.error(node.at, "a key point must be a mapping with at least 'text'"
                                   " (write '- text: ...' and add 'cite:' for its evidence)")
        return None
    allowed = (*_CLAIM_KEYS, "date") if is_event else _CLAIM_KEYS
    required = ("text", "date") if is_event else ("text",)
    what = "an event" if is_event else "a claim"
    f = fields.fields(node, allowed, required, what, diagnostics, node.at)
    if f is None:
        return None
    text = fields.nonempty_text(f.get("text"), diagnostics, "text")
    date = fields.date(f.get("date"), diagnostics, "date") if is_event else None
    cite = read_citations(f.get("cite"), diagnostics)
    actors = fields.ref_list(f.get("actors"), diagnostics, "actors")
    topics = fields.ref_list(f.get("topics"), diagnostics, "topics")
    if text is None or (is_event and date is None):
        return None
    return Claim(key=key, kind=kind, text=text, cite=cite, actors=actors, topics=topics,
                 at=node.at, date=date)
