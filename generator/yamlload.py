"""YAML text -> a tree of located nodes, safely.

We build the tree ourselves from libyaml's event stream instead of letting PyYAML
construct Python objects, because we need three things PyYAML's loaders do not
give: the line and column of every key and list entry (so a reference error can
point at the exact place), duplicate keys as errors, and hard bounds on input
that would otherwise exhaust memory or the stack (alias bombs, deep nesting).
Nothing is ever constructed from a tag, so ``!!python/...`` is just an error.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from generator.errors import Diagnostics, Location
from generator.frozen import record

if TYPE_CHECKING:
    import yaml

# Bounds that no hand-written briefing comes near; each is there to turn hostile
# input into an error instead of exhausting memory, time or the stack.
MAX_DEPTH = 64
MAX_NODES = 200_000

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str": "str",
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "timestamp",
}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}



@functools.cache
def _yaml() -> tuple[ModuleType, Any, Any]:
    """PyYAML, its C loader and a resolver, imported on first use: a build that
    reads no YAML file again (an article edit) does not pay for the import."""
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.resolver.Resolver()


@record
class Scalar:
    """A scalar as written. ``kind`` is what YAML 1.1 would make of it (``str``,
    ``int``, ``float``, ``bool``, ``null``, ``timestamp``); ``text`` is the
    characters themselves, so a schema can read ``title: 1984`` as the text 1984."""

    text: str
    kind: str
    at: Location


@record
class Seq:
    """A sequence; ``at`` is where it starts."""

    items: tuple[Node, ...]
    at: Location


@record
class Map:
    """A mapping with scalar keys, in file order; keys are unique."""

    items: tuple[tuple[Scalar, Node], ...]
    at: Location

    def get(self, key: str) -> Node | None:
        for k, v in self.items:
            if k.text == key:
                return v
        return None


Node = Scalar | Seq | Map


def describe(node: Node) -> str:
    """A short human name for what a node is, for "expected X, found Y" messages."""
    if isinstance(node, Map):
        return "a mapping"
    if isinstance(node, Seq):
        return "a list"
    return {"null": "nothing", "bool": "true/false", "int": "a number", "float": "a number",
            "timestamp": "a date"}.get(node.kind, "text")


@dataclass(slots=True)
class _Frame:
    """A collection being built: its start, its items and (for maps) the pending key."""

    is_map: bool
    at: Location
    anchor: str | None
    items: list[object]
    key: Scalar | None = None
    duplicate: bool = False
    seen: dict[str, Location] | None = None
    size: int = 1
    """Its size so far: itself and the sizes of its entries (a map's values,
    not its keys); an alias counts as the whole tree it stands for."""


class _Abort(Exception):
    """Stop building this file; the reason is already in the diagnostics."""


def load_yaml(text: str, path: str, diagnostics: Diagnostics) -> Node | None:
    """Parse one YAML document into located nodes.

    Returns the root node, or None for an empty document or when the file has
    errors (which are added to ``diagnostics``). Never raises for bad input.
    """
    yaml = _yaml()[0]
    try:
        return _Builder(path, diagnostics).build(text)
    except _Abort:
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _at(path, mark)
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        if "maximum nesting depth" in problem:
            # libyaml (0.2.5 and later) stops deep nesting itself, before the
            # events reach our own bound: the same problem, said the same way.
            diagnostics.error(where, f"nested more than {MAX_DEPTH} levels deep")
        else:
            diagnostics.error(where, f"YAML syntax: {problem}{_hint(problem, _char_at(text, mark))}")
    except yaml.YAMLError as exc:
        diagnostics.error(Location(path, 1, 1), f"YAML syntax: {exc}")
    except RecursionError:  # libyaml itself is iterative; this is a last line of defence
        diagnostics.error(Location(path, 1, 1), f"nested more than {MAX_DEPTH} levels deep")
    return None


def _char_at(text: str, mark: yaml.Mark | None) -> str:
    """The character a syntax error points at (libyaml's messages do not name it)."""
    if mark is None:
        return ""
    lines = text.split("\n")
    if mark.line >= len(lines) or mark.column >= len(lines[mark.line]):
        return ""
    return lines[mark.line][mark.column]


def _hint(problem: str, char: str = "") -> str:
    if "tab" in problem or char == "\t":
        return "; indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "; a value containing ': ' must be quoted"
    return ""


def _at(path: str, mark: Any) -> Location:
    if mark is None:
        return Location(path, 1, 1)
    return Location(path, mark.line + 1, mark.column + 1)


class _Builder:
    """Builds the node tree from parser events with an explicit stack (no recursion).

    Its loop is the one a large briefing spends its reading in (10,000 summary
    files), so it asks the parser for events itself and tells them apart by
    class: PyYAML's ``parse`` generator and a chain of ``isinstance`` tests cost
    as much again as libyaml's parsing."""

    def __init__(self, path: str, diagnostics: Diagnostics) -> None:
        self.path = path
        self.diagnostics = diagnostics
        self.anchors: dict[str, tuple[Node, int]] = {}
        """Anchored nodes with their sizes, for the alias budget: an alias costs as
        much as the tree it stands for, so a "billion laughs" stops early."""
        self.nodes = 0
        self.stack: list[_Frame] = []
        self.root: Node | None = None
        self.documents = 0
        yaml, _, resolver = _yaml()
        self._resolve, self._scalar_node = resolver.resolve, yaml.ScalarNode

    def error(self, at: Location, message: str) -> None:
        self.diagnostics.error(at, message)

    def build(self, text: str) -> Node | None:
        yaml, loader_class, _ = _yaml()
        scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
        start_map, start_seq = yaml.MappingStartEvent, yaml.SequenceStartEvent
        end_map, end_seq = yaml.MappingEndEvent, yaml.SequenceEndEvent
        document, end = yaml.DocumentStartEvent, yaml.StreamEndEvent
        loader = loader_class(text)
        try:
            next_event = loader.get_event
            while True:
                event = next_event()
                kind = event.__class__
                if kind is scalar:
                    self._scalar(event)
                elif kind is end_map or kind is end_seq:
                    self._close()
                elif kind is start_map or kind is start_seq:
                    self._open(event, kind is start_map)
                elif kind is alias:
                    self._alias(event)
                elif kind is document:
                    self.documents += 1
                    if self.documents > 1:
                        self.error(_at(self.path, event.start_mark),
                                   "more than one YAML document ('---'); a file holds one")
                        raise _Abort
                elif kind is end or event is None:
                    break
        finally:
            loader.dispose()
        return self.root

    def _count(self, n: int, at: Location) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            self.error(at, f"document too large: more than {MAX_NODES:,} values"
                           " (anchors and aliases count once per use)")
            raise _Abort

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        mark: Any = event.start_mark  # always set by libyaml
        at = Location(self.path, mark.line + 1, mark.column + 1)
        self._count(1, at)
        implicit = event.implicit
        if implicit[0]:  # plain, untagged: YAML 1.1 decides what it is
            tag = self._resolve(self._scalar_node, event.value, implicit)
        elif event.tag in (None, "!"):
            tag = "tag:yaml.org,2002:str"
        else:
            tag = event.tag
        kind = _STANDARD_TAGS.get(tag)
        if kind is None:
            self.error(at, f"tag '{_short_tag(tag)}' is not allowed: briefing files hold"
                           " plain text, numbers, dates, lists and mappings only")
            kind = "str"  # reported; read on as text so later checks still run
        self._add(Scalar(event.value, kind, at), event.anchor, 1)

    def _alias(self, event: yaml.AliasEvent) -> None:
        at = _at(self.path, event.start_mark)
        found = self.anchors.get(event.anchor or "")
        if found is None:
            # libyaml reports undefined aliases itself; an anchor still open is a cycle.
            self.error(at, f"alias '*{event.anchor}' refers to the collection it is in")
            raise _Abort
        node, size = found
        self._count(size, at)
        self._add(node, None, size)

    def _open(self, event: yaml.SequenceStartEvent | yaml.MappingStartEvent, is_map: bool) -> None:
        at = _at(self.path, event.start_mark)
        self._count(1, at)
        if len(self.stack) >= MAX_DEPTH:
            self.error(at, f"nested more than {MAX_DEPTH} levels deep")
            raise _Abort
        if not event.implicit and event.tag not in (None, "!") and event.tag not in _COLLECTION_TAGS:
            self.error(at, f"tag '{_short_tag(event.tag)}' is not allowed: briefing files hold"
                           " plain text, numbers, dates, lists and mappings only")
        self.stack.append(_Frame(is_map, at, event.anchor, [], seen={} if is_map else None))

    def _close(self) -> None:
        frame = self.stack.pop()
        items = tuple(frame.items)
        node: Node = Map(items, frame.at) if frame.is_map else Seq(items, frame.at)  # type: ignore[arg-type]
        self._add(node, frame.anchor, frame.size)

    def _add(self, node: Node, anchor: str | None, size: int) -> None:
        if anchor:
            self.anchors[anchor] = (node, size)
        if not self.stack:
            self.root = node
            return
        top = self.stack[-1]
        if not top.is_map:
            top.items.append(node)
            top.size += size
        elif top.key is None:
            if not isinstance(node, Scalar):
                self.error(node.at, "a key must be plain text, not a list or mapping")
                raise _Abort
            assert top.seen is not None
            first = top.seen.get(node.text)
            if first is not None:
                self.error(node.at, f"duplicate key '{node.text}' (first at line {first.line});"
                                    " remove one of them")
            else:
                top.seen[node.text] = node.at
            top.key, top.duplicate = node, first is not None
        else:
            if not top.duplicate:  # the first of duplicate keys is the one kept
                top.items.append((top.key, node))
                top.size += size
            top.key = None


def _short_tag(tag: str | None) -> str:
    if tag and tag.startswith("tag:yaml.org,2002:"):
        return "!!" + tag.removeprefix("tag:yaml.org,2002:")
    return tag or "?"
