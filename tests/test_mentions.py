"""Mentions and keyword passages (CONTENT.md section 4): the phrase matcher."""

# Names in articles carry typographic apostrophes; they are the point here.
# ruff: noqa: RUF001

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.mentions import PhraseMatcher, phrase_key
from generator.model import Span

ACTORS = [
    ("Donald Trump", "trump"),
    ("Trump", "trump"),
    ("Melania Trump", "melania"),
    ("Khalil al-Hayya", "al-hayya"),
    ("al-Hayya", "al-hayya"),
    ("Hamas", "hamas"),
    ("IDF", "idf"),
    ("G7", "g7"),
]


def found(matcher: PhraseMatcher, text: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(text[s.start : s.end], s.owners) for s in matcher.find(text)]


@pytest.fixture(scope="module")
def actors() -> PhraseMatcher:
    return PhraseMatcher(ACTORS)


# --- whole phrases -------------------------------------------------------------


def test_possessive_curly_apostrophe_is_a_mention(actors: PhraseMatcher) -> None:
    assert found(actors, "Trump’s plan") == [("Trump", ("trump",))]


def test_possessive_straight_apostrophe_is_a_mention(actors: PhraseMatcher) -> None:
    assert found(actors, "Trump's plan") == [("Trump", ("trump",))]


def test_longer_word_is_not_a_mention(actors: PhraseMatcher) -> None:
    assert found(actors, "Trumpet and antiTrump and Hamasi") == []


def test_digit_after_is_a_boundary_violation(actors: PhraseMatcher) -> None:
    assert found(actors, "Trump2024 and 2Trump") == []


def test_digit_inside_phrase_matches_and_digits_bound_it(actors: PhraseMatcher) -> None:
    assert found(actors, "The G7 met; the G77 did not; nor G7a.") == [("G7", ("g7",))]


def test_punctuation_is_a_boundary(actors: PhraseMatcher) -> None:
    text = "(Hamas), “Hamas”, Hamas—IDF, al-Hayya, -Hamas-"
    assert [t for t, _ in found(actors, text)] == [
        "Hamas",
        "Hamas",
        "Hamas",
        "IDF",
        "al-Hayya",
        "Hamas",
    ]


def test_underscore_is_not_a_letter_or_digit(actors: PhraseMatcher) -> None:
    assert found(actors, "_Hamas_") == [("Hamas", ("hamas",))]


def test_phrase_at_start_and_end_of_text(actors: PhraseMatcher) -> None:
    assert found(actors, "Hamas") == [("Hamas", ("hamas",))]
    assert [t for t, _ in found(actors, "IDF and Hamas")] == ["IDF", "Hamas"]


@pytest.mark.parametrize("neighbour", ["ש", "é", "Ж", "中", "٣", "ß"])
def test_non_latin_letters_and_digits_are_boundary_violations(neighbour: str) -> None:
    matcher = PhraseMatcher([("Hamas", "hamas")])
    assert matcher.find(f"{neighbour}Hamas") == []
    assert matcher.find(f"Hamas{neighbour}") == []


def test_non_latin_phrase_bounded_by_spaces_is_found() -> None:
    matcher = PhraseMatcher([("חמאס", "hamas")])
    assert found(matcher, "ארגון חמאס הודיע") == [("חמאס", ("hamas",))]
    assert found(matcher, "ארגוןחמאס") == []


def test_combining_mark_after_phrase_is_not_a_letter() -> None:
    # U+0301 is a mark, not alphanumeric by str.isalnum(), so it bounds a phrase.
    matcher = PhraseMatcher([("Jose", "jose")])
    assert found(matcher, "Jose\u0301") == [("Jose", ("jose",))]


def test_phrase_starting_with_punctuation_needs_boundary_before() -> None:
    matcher = PhraseMatcher([("-fire", "x"), ("(UN)", "un")])
    assert found(matcher, "cease-fire") == []
    assert found(matcher, "a -fire and a(UN) and (UN)") == [("-fire", ("x",)), ("(UN)", ("un",))]


# --- leftmost-longest ----------------------------------------------------------


def test_longest_phrase_at_same_start_wins(actors: PhraseMatcher) -> None:
    assert found(actors, "Melania Trump spoke") == [("Melania Trump", ("melania",))]
    assert found(actors, "Donald Trump spoke") == [("Donald Trump", ("trump",))]


def test_shorter_phrase_is_found_where_longer_does_not_occur(actors: PhraseMatcher) -> None:
    assert found(actors, "Melania and Trump") == [("Trump", ("trump",))]


def test_longer_phrase_failing_boundary_falls_back_to_shorter() -> None:
    matcher = PhraseMatcher([("Trump", "trump"), ("Trump Tower", "tower")])
    assert found(matcher, "Trump Towers") == [("Trump", ("trump",))]


def test_overlap_earlier_start_wins_even_if_shorter() -> None:
    matcher = PhraseMatcher([("Ron Dermer", "dermer"), ("Dermer Strategic Affairs", "office")])
    assert found(matcher, "Ron Dermer Strategic Affairs") == [("Ron Dermer", ("dermer",))]


def test_phrase_inside_a_match_is_not_found_again(actors: PhraseMatcher) -> None:
    assert found(actors, "Khalil al-Hayya") == [("Khalil al-Hayya", ("al-hayya",))]


def test_adjacent_matches_are_all_found(actors: PhraseMatcher) -> None:
    assert [t for t, _ in found(actors, "Trump Hamas IDF")] == ["Trump", "Hamas", "IDF"]


def test_spans_are_offsets_into_the_original_text(actors: PhraseMatcher) -> None:
    text = "“Trump’s” — said Melania Trump’s aide to al-Hayya."
    spans = actors.find(text)
    assert spans == [
        Span(1, 6, ("trump",)),
        Span(17, 30, ("melania",)),
        Span(41, 49, ("al-hayya",)),
    ]
    assert [text[s.start : s.end] for s in spans] == ["Trump", "Melania Trump", "al-Hayya"]


# --- apostrophes, case, white space ----------------------------------------------


def test_curly_apostrophe_in_phrase_matches_straight_in_text() -> None:
    matcher = PhraseMatcher([("Ma’ariv", "maariv")])
    assert found(matcher, "Ma'ariv reported") == [("Ma'ariv", ("maariv",))]


def test_straight_apostrophe_in_phrase_matches_curly_in_text() -> None:
    matcher = PhraseMatcher([("Ma'ariv", "maariv")])
    assert found(matcher, "Ma’ariv reported") == [("Ma’ariv", ("maariv",))]


def test_left_quote_is_not_an_apostrophe() -> None:
    matcher = PhraseMatcher([("Ma'ariv", "maariv")])
    assert found(matcher, "Ma‘ariv") == []


def test_actor_matching_is_case_sensitive(actors: PhraseMatcher) -> None:
    assert found(actors, "HAMAS and hamas and trump") == []


def test_topic_keywords_ignore_case() -> None:
    topics = PhraseMatcher(
        [("ceasefire", "ceasefire"), ("IDF withdrawal", "withdrawal")], ignore_case=True
    )
    assert found(topics, "A CEASEFIRE, a Ceasefire; idf Withdrawal") == [
        ("CEASEFIRE", ("ceasefire",)),
        ("Ceasefire", ("ceasefire",)),
        ("idf Withdrawal", ("withdrawal",)),
    ]


def test_topic_keywords_still_need_whole_phrase() -> None:
    topics = PhraseMatcher([("aid", "aid")], ignore_case=True)
    assert found(topics, "Said AIDS aid") == [("aid", ("aid",))]


def test_ignore_case_handles_greek_final_sigma_and_dotted_capital_i() -> None:
    topics = PhraseMatcher([("ΟΔΟΣ", "road"), ("İstanbul", "ist")], ignore_case=True)
    text = "οδος, ΟΔΟΣ, istanbul, İSTANBUL"
    assert [t for t, _ in found(topics, text)] == ["οδος", "ΟΔΟΣ", "istanbul", "İSTANBUL"]


def test_white_space_in_a_phrase_must_be_as_written() -> None:
    matcher = PhraseMatcher([("Benjamin Netanyahu", "bibi")])
    text = "Benjamin Netanyahu, Benjamin\u00a0Netanyahu, Benjamin \n Netanyahu, Benjamin  Netanyahu"
    assert found(matcher, text) == [("Benjamin Netanyahu", ("bibi",))]


def test_phrase_with_leading_and_trailing_space_is_stripped() -> None:
    assert found(PhraseMatcher([("  Hamas ", "hamas")]), "Hamas.") == [("Hamas", ("hamas",))]


def test_blank_phrases_are_ignored() -> None:
    matcher = PhraseMatcher([("", "a"), ("   ", "b"), ("\t\n", "c")])
    assert matcher.find("any text at all") == []


def test_matcher_without_phrases_finds_nothing() -> None:
    assert PhraseMatcher([]).find("Hamas") == []


# --- owners --------------------------------------------------------------------


def test_phrase_with_several_owners_reports_them_sorted() -> None:
    topics = PhraseMatcher(
        [("hostages", "release"), ("Hostages", "exchange"), ("hostages", "exchange")],
        ignore_case=True,
    )
    assert topics.find("the hostages") == [Span(4, 12, ("exchange", "release"))]


def test_same_phrase_with_different_apostrophes_shares_owners() -> None:
    matcher = PhraseMatcher([("Ma’ariv", "b"), ("Ma'ariv", "a")])
    assert matcher.find("Ma'ariv") == [Span(0, 7, ("a", "b"))]


# --- phrase_key ----------------------------------------------------------------


def test_phrase_key_normalises_apostrophe_and_white_space() -> None:
    assert phrase_key("  Ma’ariv \t Daily ", ignore_case=False) == "Ma'ariv Daily"


def test_phrase_key_keeps_case_unless_ignore_case() -> None:
    assert phrase_key("Hamas", ignore_case=False) != phrase_key("HAMAS", ignore_case=False)
    assert phrase_key("Straße", ignore_case=True) == phrase_key("STRASSE", ignore_case=True)


def test_phrase_key_of_blank_phrase_is_empty() -> None:
    assert phrase_key(" \t ", ignore_case=False) == ""


# --- speed and hostile input -----------------------------------------------------


def test_many_phrases_over_long_text_is_fast() -> None:
    pairs = [(f"Name{i} Surname{i}", f"a{i}") for i in range(1500)]
    matcher = PhraseMatcher(pairs)
    text = " ".join(f"word{i} Name{i % 2000} Surname{i % 2000}" for i in range(100_000))
    start = time.perf_counter()
    spans = matcher.find(text)
    assert time.perf_counter() - start < 5.0
    assert len(spans) == 75_000


def test_prefix_chain_of_phrases_compiles_and_matches_longest() -> None:
    matcher = PhraseMatcher([("a" * k, f"p{k}") for k in range(1, 60)])
    assert matcher.find("a" * 59) == [Span(0, 59, ("p59",))]
    assert matcher.find("a" * 60) == []


def test_long_phrase_and_hostile_text_do_not_raise() -> None:
    matcher = PhraseMatcher([("x" * 5000, "x"), ("[", "bracket")])
    assert len(matcher.find("[" * 50_000)) == 50_000
    assert matcher.find("x" * 5001) == []


# --- properties ----------------------------------------------------------------

_TEXT_CHARS = st.sampled_from(list("abAB 'ʼ’.-\nÉé1İıΣσς")) | st.characters(codec="utf-8")
_PHRASES = st.lists(
    st.tuples(st.text(_TEXT_CHARS, min_size=1, max_size=6), st.sampled_from("xyz")),
    max_size=8,
)


def _norm(s: str, ignore_case: bool) -> str:
    s = " ".join(s.replace("’", "'").split())
    return s.replace("İ", "i").lower().replace("ς", "σ") if ignore_case else s


@settings(max_examples=400)
@given(_PHRASES, st.text(_TEXT_CHARS, max_size=80), st.booleans())
def test_every_span_is_a_bounded_occurrence_of_one_of_its_phrases(
    pairs: list[tuple[str, str]], text: str, ignore_case: bool
) -> None:
    spans = PhraseMatcher(pairs, ignore_case=ignore_case).find(text)
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        owners = {
            o
            for p, o in pairs
            if _norm(p, ignore_case) == _norm(text[span.start : span.end], ignore_case)
        }
        assert owners and span.owners == tuple(sorted(owners))
        assert span.start == 0 or not text[span.start - 1].isalnum()
        assert span.end == len(text) or not text[span.end].isalnum()


@settings(max_examples=400)
@given(_PHRASES, st.text(_TEXT_CHARS, max_size=80), st.booleans())
def test_spans_are_sorted_and_never_overlap(
    pairs: list[tuple[str, str]], text: str, ignore_case: bool
) -> None:
    spans = PhraseMatcher(pairs, ignore_case=ignore_case).find(text)
    for before, after in itertools.pairwise(spans):
        assert before.end <= after.start


@settings(max_examples=300)
@given(
    st.lists(st.text("abc' ", min_size=1, max_size=4), min_size=1, max_size=6),
    st.text("abc' .", max_size=30),
)
def test_matcher_agrees_with_naive_leftmost_longest(phrases: list[str], text: str) -> None:
    matcher = PhraseMatcher([(p, "o") for p in phrases])
    forms = {" ".join(p.split()) for p in phrases} - {""}
    expected: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        ends = [
            i + len(f)
            for f in forms
            if text.startswith(f, i)
            and (i == 0 or not text[i - 1].isalnum())
            and (i + len(f) == len(text) or not text[i + len(f)].isalnum())
        ]
        if ends:
            expected.append((i, max(ends)))
            i = max(ends)
        else:
            i += 1
    got = [(s.start, s.end) for s in matcher.find(text)]
    # The naive search compares phrases literally; skip texts where white-space
    # runs would let the matcher find more.
    if "  " not in text:
        assert got == expected


# --- a matcher for a few texts ---------------------------------------------------


@settings(max_examples=400)
@given(_PHRASES, st.lists(st.text(_TEXT_CHARS, max_size=40), min_size=1, max_size=3), st.booleans())
def test_a_matcher_made_within_texts_finds_what_the_whole_one_does_in_them(
    pairs: list[tuple[str, str]], texts: list[str], ignore_case: bool
) -> None:
    whole = PhraseMatcher(pairs, ignore_case=ignore_case)
    within = PhraseMatcher(pairs, ignore_case=ignore_case, within=texts)
    for text in texts:
        assert within.find(text) == whole.find(text)


@pytest.mark.parametrize("ignore_case", [False, True])
def test_a_matcher_made_within_texts_keeps_phrases_led_by_punctuation_or_digits(ignore_case: bool) -> None:
    pairs = [("'t Hooft", "a"), ("-Hayya", "b"), ("G7 summit", "c"), ("— ", "d"), ("7", "e"), ("Hamas", "f")]
    text = "At the G7 summit 't Hooft met al-Hayya — and 7 others."
    within = PhraseMatcher(pairs, ignore_case=ignore_case, within=[text])
    assert found(within, text) == found(PhraseMatcher(pairs, ignore_case=ignore_case), text)
    # "-Hayya" follows a letter in "al-Hayya": no whole phrase there.
    assert [owners for _, owners in found(within, text)] == [("c",), ("a",), ("d",), ("e",)]
