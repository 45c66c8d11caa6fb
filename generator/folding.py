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
