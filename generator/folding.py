"""Quote folding (CONTENT.md section 2, "Citations").

A quoted citation must occur inside one numbered block of its source, compared
after *folding* both sides, so that an author who types straight quotes, a
hyphen for a dash or a line break inside a quote still matches the article.
Case is kept: a quote must have the article's capitalisation.
"""

# The typographic quotes, dashes and letters in docstrings and comments are
# what this module is about, not look-alike typos.
# ruff: noqa: RUF002, RUF003

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Sequence

_FOLD = tuple({
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),  # ‘ ’ ‚ ‛ ′
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),  # “ ” „ ‟ ″
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),  # ‐ ‑ ‒ – — ― −
}.items())


def fold(text: str) -> str:
    """Return ``text`` folded for comparing quotes: every run of white space as
    one space, the ends trimmed, ``‘ ’ ‚ ‛ ′`` as ``'``, ``“ ” „ ‟ ″`` as ``"``
    and ``‐ ‑ ‒ – — ― −`` as ``-``; case is kept."""
    # One replace per character the text holds, not str.translate: a table that
    # maps characters to strings makes translate run in Python's slow general
    # path, 25 times slower on article text (3.5 s of a 10,000-article build).
    if not text.isascii():
        for char, folded in _FOLD:
            if char in text:
                text = text.replace(char, folded)
    # Most blocks have their words one space apart already, which three tests
    # in C tell: a printable text holds no white space but the space (checked
    # for every code point), so it is as split and joined again when it has no
    # two spaces together and none at the ends. Splitting and joining every
    # block took most of the time folding took (0.34 s at 10,000 articles,
    # now 0.16 s).
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def blocks_containing(quote: str, folded: Sequence[tuple[int, str]]) -> list[int]:
    """Return the numbers of the blocks whose text contains ``quote``, in the
    order given.

    ``folded`` holds (block number, block text already passed through
    :func:`fold`) pairs, so that a source is folded once for all its quotes. A
    quote that folds to nothing is in no block (an empty string would otherwise
    be "in" every block).
    """
    needle = fold(quote)
    if not needle:
        return []
    return [n for n, text in folded if needle in text]


HINT_MAX_CHARS = 200_000
"""A quote not found in a source longer than this gets no hint: each hint makes a
few passes over the source, and a briefing may hold thousands of bad quotes."""


def why_not_found(quote: str, folded: Sequence[tuple[int, str]], headings: Sequence[str] = ()) -> str:
    """What is nearest to a quote that is in no numbered block, as a hint for its
    error ("" when nothing is near): a heading that holds it, the block that holds
    it in other capitals, the blocks it runs across, or the block that holds the
    most of its opening words; or the block that holds it once both are in Unicode
    NFC. ``headings``: the source's headings, as written."""
    needle = fold(quote)
    if not needle or sum(len(text) for _, text in folded) > HINT_MAX_CHARS:
        return ""
    if any(needle in fold(heading) for heading in headings):
        return "it is in a heading, and only paragraphs and list items can be cited"
    composed = unicodedata.normalize("NFC", needle)
    for n, text in folded:
        if composed in unicodedata.normalize("NFC", text):
            return (f"p{n} has the same letters with their accents encoded another way (Unicode NFC and"
                    " NFD); save the article and the YAML file in the same form (NFC)")
    lowered = needle.lower()
    for n, text in folded:
        low = text.lower()
        at = low.find(lowered)
        if at >= 0 and len(low) == len(text):  # offsets agree, so the text as written can be shown
            return f"p{n} has it with other capitals: \"{clip(text[at:at + len(needle)])}\"; case counts"
    for (n, text), (m, following) in itertools.pairwise(folded):
        if needle in f"{text} {following}":
            return f"it runs from p{n} into p{m}; quote words from one block, or cite each block"
    words = needle.split(" ")
    best, best_n = 0, 0
    for n, text in folded:
        k = _opening_words_in(words, text)
        if k > best:
            best, best_n = k, n
    if best >= 2 or (best == 1 and len(words) == 1):
        return (f"p{best_n} has its opening words \"{clip(' '.join(words[:best]))}\" but not"
                f" \"{clip(' '.join(words[best:best + 6]))}\" after them")
    return ""


def _opening_words_in(words: Sequence[str], text: str) -> int:
    """How many of ``words``, from the first, occur together in ``text``."""
    lo, hi = 0, len(words)  # a phrase in the text has every shorter opening in it too
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if " ".join(words[:mid]) in text:
            lo = mid
        else:
            hi = mid - 1
    return lo


def clip(text: str, limit: int = 60) -> str:
    """``text`` on one line (its white space folded), cut to ``limit`` characters
    with an ellipsis: a quote, a passage or a title shown short."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
