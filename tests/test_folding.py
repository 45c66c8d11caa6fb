"""Quote folding for citations (CONTENT.md section 2)."""

# Typographic quotes and dashes are what folding is about.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.folding import blocks_containing, fold
from generator.reader import compile_drop, read_txt


@pytest.mark.parametrize("ch", ["‘", "’", "‚", "‛", "′"])
def test_single_quotes_and_prime_fold_to_apostrophe(ch: str) -> None:
    assert fold(f"Trump{ch}s") == "Trump's"


@pytest.mark.parametrize("ch", ["“", "”", "„", "‟", "″"])
def test_double_quotes_and_double_prime_fold_to_straight_double_quote(ch: str) -> None:
    assert fold(f"{ch}peace{ch}") == '"peace"'


@pytest.mark.parametrize("ch", ["‐", "‑", "‒", "–", "—", "―", "−"])
def test_dashes_and_minus_fold_to_hyphen_minus(ch: str) -> None:
    assert fold(f"bloodshed{ch}something") == "bloodshed-something"


def test_other_quote_like_characters_are_kept() -> None:
    assert (
        fold("«guillemets» ‹single› `tick` ʼmodifier") == "«guillemets» ‹single› `tick` ʼmodifier"
    )


def test_white_space_runs_become_one_space_and_ends_are_trimmed() -> None:
    assert fold("  cautious \t\n optimism\u00a0\u2003now \r\n") == "cautious optimism now"


def test_case_is_kept() -> None:
    assert fold("Cautious OPTIMISM") == "Cautious OPTIMISM"


def test_fold_is_idempotent_on_a_sample() -> None:
    once = fold(" “Close  to peace” — Trump’s ")
    assert once == '"Close to peace" - Trump\'s'
    assert fold(once) == once


def _folded(*texts: str) -> list[tuple[int, str]]:
    return [(n, fold(t)) for n, t in enumerate(texts, start=1)]


def test_quote_with_straight_quotes_finds_block_with_curly_quotes() -> None:
    blocks = _folded("Israeli sources described “cautious optimism,” noting…", "Other.")
    assert blocks_containing('described "cautious optimism,"', blocks) == [1]


def test_quote_spanning_a_line_break_is_found() -> None:
    blocks = _folded("Time is running out—or there will be bloodshed.")
    assert blocks_containing("running out-or there\n  will", blocks) == [1]


def test_spaces_around_a_dash_are_not_folded_away() -> None:
    blocks = _folded("Time is running out—or there will be bloodshed.")
    assert blocks_containing("running out - or", blocks) == []


def test_quote_case_must_match() -> None:
    assert blocks_containing("time is running out", _folded("Time is running out")) == []


def test_quote_in_several_blocks_lists_them_in_order() -> None:
    blocks = [(3, "the hostages"), (1, "free the hostages"), (7, "no")]
    assert blocks_containing("hostages", blocks) == [3, 1]


def test_quote_not_in_any_block_is_in_none() -> None:
    assert blocks_containing("ceasefire", _folded("a truce", "a pause")) == []


@pytest.mark.parametrize("quote", ["", "   ", "\n\t"])
def test_empty_quote_matches_nothing(quote: str) -> None:
    assert blocks_containing(quote, _folded("anything", "")) == []


def test_quote_must_lie_inside_one_block() -> None:
    assert blocks_containing("end. Start", _folded("The end.", "Start again.")) == []


def test_quote_from_real_article_line_with_dashes_and_quotes() -> None:
    text = (
        "Trump urged all sides “to act quickly,” warning of “bloodshed—something nobody wants.”\n"
    )
    blocks = read_txt(text, compile_drop([]))
    folded = [(b.n, fold(b.text)) for b in blocks if b.n is not None]
    assert blocks_containing('"bloodshed-something nobody wants."', folded) == [1]


_CHARS = st.characters(codec="utf-8") | st.sampled_from(list("‘’‚‛′“”„‟″‐‑‒–—―− \t\n\u00a0"))


@given(st.text(_CHARS), st.data())
def test_any_substring_of_a_folded_block_is_found_in_it(text: str, data: st.DataObject) -> None:
    folded = fold(text)
    i = data.draw(st.integers(0, len(folded)))
    j = data.draw(st.integers(i, len(folded)))
    quote = folded[i:j]
    found = blocks_containing(quote, [(1, "other"), (2, folded)])
    if fold(quote):
        assert 2 in found
    else:
        assert found == []


@given(st.text(_CHARS), st.data())
def test_any_substring_of_the_raw_block_text_is_found_in_it(text: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, len(text)))
    if fold(text[i:j]):
        assert blocks_containing(text[i:j], [(5, fold(text))]) == [5]


@given(st.text(_CHARS))
def test_fold_is_idempotent_and_trimmed(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.strip()
    assert "  " not in folded


_WHITE = st.sampled_from([chr(c) for c in range(0x3000 + 1) if chr(c).isspace()])  # U+3000 is the last


@given(st.lists(st.text(_CHARS) | _WHITE | st.just(" ")).map("".join))
def test_fold_is_every_white_space_run_as_one_space_and_the_ends_trimmed(text: str) -> None:
    # The definition, spelt out: replaced characters, then split and joined.
    replaced = text
    for typographic, plain in (("‘’‚‛′", "'"), ("“”„‟″", '"'), ("‐‑‒–—―−", "-")):
        for char in typographic:
            replaced = replaced.replace(char, plain)
    assert fold(text) == " ".join(replaced.split())


def test_every_white_space_character_is_folded() -> None:
    for code in range(0x110000):
        char = chr(code)
        if char.isspace():
            assert fold(f"a{char}b") == "a b", hex(code)
