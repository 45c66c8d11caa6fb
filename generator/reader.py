"""Article text -> blocks (CONTENT.md section 3, "Reading an article").

Two readers, one per seed format, both pure functions of the text:

* :func:`read_txt` reads plain text line by line: boilerplate lines are dropped,
  ``- ``/``* ``/``• `` lines are list items, short unpunctuated lines followed by
  body text are headings, everything else is a paragraph.
* :func:`read_markdown` lets markdown-it-py parse the text and keeps its
  paragraphs, list items and headings as plain text.

Paragraphs and list items are numbered 1..N in reading order (``Block.n``), the
numbers citations point at; headings get ``n = None``. Neither reader raises on
any input, and both run in time linear in the size of the text.
"""

# The typographic quotes, dashes and letters in docstrings and comments are
# what this module is about, not look-alike typos.
# ruff: noqa: RUF003

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from generator.model import Block, BlockKind

if TYPE_CHECKING:
    from markdown_it.token import Token

DEFAULT_DROP: tuple[str, ...] = (
    r"\d+ View gallery",
    r"\(Photo: .*\)",
    r"\(from .*\)",
    r"Ask me anything",
    r"Explore related questions",
)
"""Boilerplate lines every ``.txt`` article loses (``ingest.drop`` adds more)."""

# U+FEFF is both the BOM and ZERO WIDTH NO-BREAK SPACE, so dropping it anywhere
# also drops a leading BOM.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")

_LIST_MARKERS = ("- ", "* ", "• ")
_HEADING_MAX = 80
# Looked past at the end of a line before checking its last character, so that
# `He said: “Go.”` still counts as ending in a full stop.
_CLOSERS = "\u201d\u2019\"')]\u00bb"  # ” ’ " ' ) ] »
_TERMINALS = frozenset(".!?:;,")


def compile_drop(extra: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    """Return the boilerplate patterns: :data:`DEFAULT_DROP` then ``extra``.

    Each is compiled case-insensitively and is meant to be applied with
    ``fullmatch`` to a stripped line. Raises :class:`re.error` for an invalid
    pattern; callers validate ``ingest.drop`` before they get here.
    """
    return tuple(re.compile(p, re.IGNORECASE) for p in (*DEFAULT_DROP, *extra))


def clean(text: str) -> str:
    """Return ``text`` without a BOM and without the zero-width characters
    U+200B, U+200C, U+200D, U+2060 and U+FEFF, wherever they are."""
    # A character-class regex runs in C; str.translate with a mapping looks up
    # every character in a dict, which dominated reading large briefings.
    return _INVISIBLE_RE.sub("", text)


def read_txt(text: str, drop: Sequence[re.Pattern[str]]) -> list[Block]:
    """Return the blocks of a plain-text article, in reading order.

    ``drop`` are the boilerplate patterns (see :func:`compile_drop`); a stripped
    line that one of them matches in full is left out before any other rule
    looks at it. Never raises.
    """
    lines = [
        line
        for raw in clean(text).splitlines()
        if (line := raw.strip()) and not any(p.fullmatch(line) for p in drop)
    ]
    items = [line.startswith(_LIST_MARKERS) for line in lines]
    candidates = [
        not item and _is_heading_candidate(line) for line, item in zip(lines, items, strict=True)
    ]

    parsed: list[tuple[BlockKind, str]] = []
    for i, line in enumerate(lines):
        if items[i]:
            # The marker is two code points; the rest is non-empty because the
            # line was stripped and is longer than its marker.
            parsed.append(("item", line[2:].lstrip()))
        elif candidates[i] and i + 1 < len(lines) and not candidates[i + 1]:
            parsed.append(("heading", line))
        else:
            parsed.append(("paragraph", line))
    return _number(parsed)


def _is_heading_candidate(line: str) -> bool:
    """Whether a (non-item, stripped, non-empty) line may be a heading."""
    if len(line) > _HEADING_MAX:
        return False
    core = line.rstrip(_CLOSERS)
    # A line made only of closing quotes/brackets ends in no punctuation at all.
    return not core or core[-1] not in _TERMINALS


def read_markdown(text: str) -> list[Block]:
    """Return the blocks of a Markdown article, in reading order.

    The blocks are markdown-it-py's (CommonMark, raw HTML off) paragraphs, list
    items and headings, as plain text. A list item is one block holding the text
    of its own paragraphs, joined by a space; the items of a list nested in it
    follow it as blocks of their own. Paragraphs in block quotes are paragraphs;
    code, HTML and thematic breaks are not blocks. A block whose plain text is
    empty (an empty list item, an image without alt text) is left out, since
    there is nothing in it to cite. Never raises.
    """
    # A fresh parser per call costs about 0.1 ms and keeps the module free of
    # shared mutable objects (markdown-it caches its rule chains lazily).
    from markdown_it import MarkdownIt  # only for .md articles, and only when one is read

    tokens = MarkdownIt("commonmark", {"html": False}).parse(clean(text))

    # Reading order is the order of the opening tokens, but an item's text is
    # only complete at its closing token, so each item reserves its place first.
    slots: list[tuple[BlockKind, list[str]]] = []
    open_items: list[int] = []
    container = ""
    for token in tokens:
        if token.type == "list_item_open":
            open_items.append(len(slots))
            slots.append(("item", []))
        elif token.type == "list_item_close":
            open_items.pop()
        elif token.type in ("paragraph_open", "heading_open"):
            container = token.type
        elif token.type == "inline":
            plain = _plain_text(token.children or [])
            if open_items:
                # Whatever text sits directly in an item (its paragraphs, even a
                # heading or a quote inside it) is that item's text.
                slots[open_items[-1]][1].append(plain)
            elif container == "heading_open":
                slots.append(("heading", [plain]))
            else:
                slots.append(("paragraph", [plain]))
    parsed: list[tuple[BlockKind, str]] = [
        (kind, joined) for kind, parts in slots if (joined := " ".join(p for p in parts if p))
    ]
    return _number(parsed)


def _plain_text(children: Sequence[Token]) -> str:
    """The plain text of an inline token's children: text and code as written,
    image alt text, link text without the URL, line breaks as one space."""
    out: list[str] = []
    # Images nest their alt text as children; walk with an explicit stack so
    # that no input can exhaust the interpreter's recursion limit.
    stack: list[Iterator[Token]] = [iter(children)]
    while stack:
        for token in stack[-1]:
            if token.type in ("text", "code_inline"):
                out.append(token.content)
            elif token.type in ("softbreak", "hardbreak"):
                out.append(" ")
            elif token.type == "image" and token.children:
                stack.append(iter(token.children))
                break
        else:
            stack.pop()
    return "".join(out).strip()


def _number(parsed: Sequence[tuple[BlockKind, str]]) -> list[Block]:
    """Number paragraphs and items 1..N in order; headings get ``None``."""
    blocks: list[Block] = []
    n = 0
    for kind, text in parsed:
        if kind == "heading":
            blocks.append(Block(kind, None, text))
        else:
            n += 1
            blocks.append(Block(kind, n, text))
    return blocks
