"""Finding phrases in block text (CONTENT.md section 4, "Mentions").

Actor names and aliases (case-sensitive) and topic keywords (case-insensitive)
are found the same way, by a :class:`PhraseMatcher` built once over all phrases:

* a phrase matches only as a whole phrase: the text around it is not a Unicode
  letter or digit (``str.isalnum``), so ``Trump’s`` mentions Trump and
  ``Trumpet`` does not;
* one leftmost-longest pass: of overlapping matches the one that starts first
  wins, and of those the longest (``Melania Trump``, not ``Trump``);
* ``’`` and ``'`` are the same character; everything else, white space
  included, must be as written (the contract's "occurs as a whole phrase").

The matcher compiles every phrase into a single trie-shaped regular expression,
so a search costs one pass over the text however many phrases there are.
"""

# The typographic quotes, dashes and letters in docstrings and comments are
# what this module is about, not look-alike typos.
# ruff: noqa: RUF002, RUF003

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from generator.model import Span

# Neither a letter nor a digit before / after a match. `[^\W_]` is exactly
# `str.isalnum()` for every code point (`\w` is isalnum plus the underscore).
_NOT_AFTER_ALNUM = r"(?<![^\W_])"
_NOT_BEFORE_ALNUM = r"(?![^\W_])"
# The same "before" test made just after a match's first character: "these two
# characters are not an alphanumeric and one more". A pattern that opens with a
# choice of literal characters lets `re` skip ahead to them, while one that
# opens with a lookbehind runs it at every position. That pays when few places
# in the text start like a phrase (names are mostly capitalised: 2x faster on
# the benchmark) and costs when many do (lower-cased keywords against
# lower-cased text: 1.7x slower), so it is used for case-sensitive matching only.
_NOT_AFTER_ALNUM_1 = r"(?<![^\W_].)"
_RSQUO = "\u2019"  # ’, the apostrophe of typeset text


def phrase_key(phrase: str, ignore_case: bool) -> str:
    """Return the normal form that decides whether two phrases are the same:
    ``’`` as ``'``, white space runs as one space, ends stripped, and casefolded
    when ``ignore_case``. An empty result means the phrase is blank."""
    key = " ".join(phrase.replace(_RSQUO, "'").split())
    return key.casefold() if ignore_case else key


def _match_form(text: str, ignore_case: bool) -> str:
    """``text`` normalised for matching, code point for code point.

    The result has the same length as ``text`` (so match offsets are offsets
    into the original) and the same ``isalnum()`` at every position (so word
    boundaries are unchanged); both were checked over every code point.
    """
    text = text.replace(_RSQUO, "'")
    if not ignore_case:
        return text
    # `str.lower` maps one code point to one, except U+0130 (İ -> i + combining
    # dot), which is lowered to a plain i first; and it picks σ or ς for Σ by
    # context, so both sigmas are made σ afterwards.
    return text.replace("\u0130", "i").lower().replace("\u03c2", "\u03c3")


def _phrase_form(phrase: str, ignore_case: bool) -> str:
    """The form a phrase is stored under in the trie: its ends stripped, then
    :func:`_match_form`."""
    return _match_form(phrase.strip(), ignore_case)


class PhraseMatcher:
    """Finds a fixed set of phrases in text, each phrase owned by one or more ids.

    Build it once (the trie regex is compiled in the constructor) and call
    :meth:`find` on every block. Blank phrases are ignored; two phrases with the
    same normal form share one entry whose owners are all their owners.

    The constructor raises :class:`RecursionError` only for a set of several
    hundred phrases each a prefix of the next (the regex nests one group per
    such phrase and Python's regex parser recurses); real names never come close.
    """

    __slots__ = ("_ignore_case", "_owners", "_pattern")

    def __init__(self, pairs: Iterable[tuple[str, str]], *, ignore_case: bool = False,
                 within: Iterable[str] | None = None) -> None:
        """``within``: the only texts this matcher will be asked about. The phrases
        that occur nowhere in them are left out of its regex, which finds the same
        spans in those texts: a phrase that does not occur cannot match, and the
        others' leftmost-longest choice never depends on it. A few hundred
        phrases take 0.1 s to compile; the few that a handful of edited articles
        hold, a millisecond."""
        owners: dict[str, set[str]] = {}
        for phrase, owner in pairs:
            form = _phrase_form(phrase, ignore_case)
            if form:
                owners.setdefault(form, set()).add(owner)
        if within is not None:
            owners = _occurring(owners, [_match_form(text, ignore_case) for text in within])
        self._ignore_case = ignore_case
        self._owners: Mapping[str, tuple[str, ...]] = MappingProxyType(
            {form: tuple(sorted(ids)) for form, ids in owners.items()}
        )
        self._pattern = _compile(owners, ignore_case) if owners else None

    def find(self, text: str) -> list[Span]:
        """Return the phrases found in ``text``: non-overlapping spans, in text
        order, with offsets into ``text`` as given. Never raises."""
        if self._pattern is None:
            return []
        spans: list[Span] = []
        for m in self._pattern.finditer(_match_form(text, self._ignore_case)):
            form = m.group()
            spans.append(Span(m.start(), m.end(), self._owners[form]))
        return spans


def _occurring(owners: dict[str, set[str]], texts: list[str]) -> dict[str, set[str]]:
    """The entries of ``owners`` whose phrase form can match in one of ``texts``
    (in match form).

    A whole-phrase match of a form holds the form's first run of letters and
    digits as a whole word of the text: the run is bounded, left and right,
    either by the form's own characters that are not letters or digits or by
    the match's boundaries. So a form whose first run is no word of the texts
    cannot match, and is left out before the substring test, which costs a
    pass over the texts for each form (1,250 actor names over an article's
    30,000 characters: 20 ms; the word set, 1 ms)."""
    # One string to search: a form found only across two texts is kept for
    # nothing, which changes no match; none that occurs is left out.
    text = "\0".join(texts)
    words = set(_WORD.findall(text))
    kept: dict[str, set[str]] = {}
    for form, ids in owners.items():
        first = _WORD.search(form)
        if (first is None or first.group() in words) and form in text:
            kept[form] = ids
    return kept


_WORD = re.compile(r"[^\W_]+")
"""A run of letters and digits (``str.isalnum``, as the boundaries above)."""


def _compile(forms: Iterable[str], ignore_case: bool) -> re.Pattern[str]:
    """The one regex that finds every phrase form as a whole phrase."""
    if ignore_case:
        trie = _NOT_AFTER_ALNUM + _trie_regex(forms, after_first="")
    else:
        trie = _trie_regex(forms, after_first=_NOT_AFTER_ALNUM_1)
    # DOTALL only so that the "." of _NOT_AFTER_ALNUM_1 can never refuse a
    # character; a phrase's first character is never white space anyway.
    return re.compile(trie + _NOT_BEFORE_ALNUM, re.DOTALL)


class _Node:
    """A trie node: the next characters, and whether a phrase ends here."""

    __slots__ = ("children", "terminal")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.terminal = False


def _trie_regex(phrases: Iterable[str], after_first: str) -> str:
    """A regex matching exactly ``phrases`` (non-empty, not starting with white
    space), trie-shaped, preferring the longest; ``after_first`` is put after
    the first character.

    Siblings in the trie start with different characters, so at most one branch
    can go on at any point; a phrase that is a prefix of others becomes an
    optional greedy group, so the longer phrase is tried first and the regex
    backtracks to the shorter one only when the longer fails (including when it
    fails the word-boundary test that follows). With no two branches competing,
    the first match found at a position is the longest there.
    """
    root = _Node()
    for phrase in phrases:
        node = root
        for ch in phrase:
            node = node.children.setdefault(ch, _Node())
        node.terminal = True

    # Post-order without recursion: phrases are user input and may be long.
    built: dict[int, str] = {}
    stack: list[tuple[_Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in node.children.values())
            continue
        after = after_first if node is root else ""
        alternatives = [
            _char_regex(ch) + after + built.pop(id(child))
            for ch, child in sorted(node.children.items())
        ]
        if not alternatives:
            body = ""
        elif len(alternatives) == 1:
            body = alternatives[0]
        else:
            body = "(?:" + "|".join(alternatives) + ")"
        if node.terminal and body:
            body = "(?:" + body + ")?"
        built[id(node)] = body
    return built[id(root)]


def _char_regex(ch: str) -> str:
    """One trie edge: the character itself."""
    return re.escape(ch)
