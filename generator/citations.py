"""Citations: reading the three written forms, and finding the block each points at.

Written forms (CONTENT.md section 2)::

    {source: <id>, quote: "<verbatim words>"}   or   "<id>: <verbatim words>"
    "<id>#p<N>"                                 numbered block N
    "<id>"                                      the source as a whole
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace

from generator import fields
from generator.errors import Diagnostics, did_you_mean
from generator.folding import blocks_containing, clip, fold, why_not_found
from generator.model import Citation, Source
from generator.yamlload import Map, Node, Scalar, describe

_BLOCK = re.compile(r"([a-z0-9]+(?:-[a-z0-9]+)*)#p(\d+)")
_QUOTE = re.compile(r"([a-z0-9]+(?:-[a-z0-9]+)*):\s*(.*)", re.DOTALL)
_FORMS = "'<id>', '<id>#p<N>', '<id>: <verbatim words>' or {source: <id>, quote: <words>}"


def read_citations(node: Node | None, diagnostics: Diagnostics) -> tuple[Citation, ...]:
    """The citations of a ``cite`` list, as written (not yet checked against sources)."""
    return fields.each(node, lambda item, _: _read_one(item, diagnostics), diagnostics, "cite")


def _read_one(node: Node, diagnostics: Diagnostics) -> Citation | None:
    if isinstance(node, Map):
        return _read_mapping(node, diagnostics)
    if not isinstance(node, Scalar) or node.kind == "null":
        diagnostics.error(node.at, f"a citation must be {_FORMS}, found {describe(node)}")
        return None
    written = node.text.strip()
    if m := _BLOCK.fullmatch(written):
        return Citation(m[1], int(m[2]), None, node.at)
    if fields.ID_RE.fullmatch(written):
        return Citation(written, None, None, node.at)
    if (m := _QUOTE.fullmatch(written)) and m[2].strip():
        return Citation(m[1], None, m[2], node.at)
    diagnostics.error(node.at, f"cannot read citation '{written}': write {_FORMS}")
    return None


def _read_mapping(node: Map, diagnostics: Diagnostics) -> Citation | None:
    keys = [k.text for k, _ in node.items]
    if len(node.items) == 1 and keys[0] not in ("source", "quote"):
        key, value = node.items[0]
        words = value.text if isinstance(value, Scalar) else "..."
        diagnostics.error(key.at, f"this citation was read as a mapping '{key.text}: ...' because it"
                                  f" is not quoted; write it as a quoted string:"
                                  f" - \"{key.text}: {words}\"")
        return None
    found = fields.fields(node, ("source", "quote"), ("source", "quote"), "a citation", diagnostics, node.at)
    if found is None:
        return None
    source = fields.ident(found.get("source"), diagnostics, "source")
    quote = fields.nonempty_text(found.get("quote"), diagnostics, "quote")
    if source is None or quote is None:
        return None
    return Citation(source, None, quote, node.at)


def resolve_citation(
    citation: Citation,
    sources: Mapping[str, Source],
    folded: Mapping[str, Sequence[tuple[int, str]]],
    diagnostics: Diagnostics,
    *,
    unread: AbstractSet[str] = frozenset(),
) -> Citation | None:
    """The citation with its block found, or None (reported) when it does not resolve.
    ``unread``: the sources whose summary or article could not be read.

    ``folded`` holds each source's numbered blocks as (n, folded text), computed
    once per build rather than once per quote.
    """
    source = sources.get(citation.source)
    if source is None:
        if citation.source in unread:
            diagnostics.error(citation.at, f"source '{citation.source}' could not be read, so this citation"
                                           " cannot be checked; fix the errors reported for"
                                           f" content/sources/{citation.source}.yaml or its article")
        else:
            diagnostics.error(citation.at, f"unknown source '{citation.source}'"
                                           f"{did_you_mean(citation.source, sources)}")
        return None
    if citation.quote is not None:
        found = blocks_containing(citation.quote, folded[source.id])
        if not found:
            headings = [b.text for b in source.blocks if b.n is None]
            near = why_not_found(citation.quote, folded[source.id], headings)
            diagnostics.error(citation.at, f"quote not found in source '{source.id}'"
                                           f" ({source.file}): \"{clip(citation.quote, 80)}\"; "
                                           + (f"{near}" if near else "quotes must be verbatim words from"
                                                                    " one paragraph or list item"))
            return None
        return replace(citation, n=found[0])
    if citation.n is not None and not 1 <= citation.n <= source.numbered:
        diagnostics.error(citation.at, f"source '{source.id}' has no block p{citation.n}; it has"
                                       f" p1 to p{source.numbered}")
        return None
    return citation


def fold_source(source: Source) -> list[tuple[int, str]]:
    """The numbered blocks of a source as (n, folded text), for quote lookups."""
    return [(b.n, fold(b.text)) for b in source.blocks if b.n is not None]


