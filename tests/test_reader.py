"""Reading an article (CONTENT.md section 3): .txt and .md text -> blocks."""

# Articles are full of typographic quotes; they are the point of these tests.
# ruff: noqa: RUF001

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.model import Block
from generator.reader import DEFAULT_DROP, clean, compile_drop, read_markdown, read_txt

SEEDS = Path(__file__).resolve().parent.parent / "seeds"  # the repo's seed articles
DROP = compile_drop([])
BODY = "This is a body sentence of the article."


def txt(text: str, extra: tuple[str, ...] = ()) -> list[Block]:
    return read_txt(text, compile_drop(extra))


def texts(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks]


def kinds(blocks: list[Block]) -> list[tuple[str, int | None]]:
    return [(b.kind, b.n) for b in blocks]


# --- clean -------------------------------------------------------------------


def test_clean_drops_leading_bom() -> None:
    assert clean("\ufeffHello") == "Hello"


@pytest.mark.parametrize("ch", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_clean_drops_zero_width_character_anywhere(ch: str) -> None:
    assert clean(f"{ch}Ham{ch}as{ch}") == "Hamas"


def test_clean_keeps_other_invisible_looking_characters() -> None:
    # Only the five listed characters go; a no-break space is real white space.
    assert clean("a\u00a0b\u00adc") == "a\u00a0b\u00adc"


def test_bom_does_not_stop_first_line_being_an_item() -> None:
    assert kinds(txt("\ufeff- first\n- second")) == [("item", 1), ("item", 2)]


def test_zero_width_space_inside_word_is_removed_from_block_text() -> None:
    assert texts(txt(f"Net\u200banyahu spoke. {BODY}")) == [f"Netanyahu spoke. {BODY}"]


def test_line_of_only_zero_width_characters_is_empty_and_skipped() -> None:
    assert txt(f"{BODY}\n\u200b\u2060\n{BODY}") == [
        Block("paragraph", 1, BODY),
        Block("paragraph", 2, BODY),
    ]


# --- lines -------------------------------------------------------------------


def test_lines_are_stripped_and_empty_lines_skipped() -> None:
    assert txt(f"\n\n   {BODY}  \t\n\n") == [Block("paragraph", 1, BODY)]


def test_whitespace_only_lines_are_skipped() -> None:
    assert texts(txt(f"{BODY}\n \t \u00a0 \u3000\n{BODY}")) == [BODY, BODY]


def test_windows_and_old_mac_line_endings_split_lines() -> None:
    assert texts(txt(f"{BODY}\r\n{BODY}\r{BODY}")) == [BODY, BODY, BODY]


def test_empty_text_has_no_blocks() -> None:
    assert txt("") == []
    assert read_markdown("") == []


# --- boilerplate ---------------------------------------------------------------


def test_default_drop_patterns_are_the_five_of_the_contract() -> None:
    assert DEFAULT_DROP == (
        r"\d+ View gallery",
        r"\(Photo: .*\)",
        r"\(from .*\)",
        r"Ask me anything",
        r"Explore related questions",
    )


@pytest.mark.parametrize(
    "line",
    [
        "1 View gallery",
        "12 View gallery",
        "(Photo: AP Photo/Ariel Schalit, REUTERS/Ronen Zvulun)",
        "(from X)",
        "(from Truth Social)",
        "Ask me anything",
        "Explore related questions",
    ],
)
def test_default_boilerplate_line_is_dropped(line: str) -> None:
    assert texts(txt(f"{BODY}\n{line}\n{BODY}")) == [BODY, BODY]


@pytest.mark.parametrize(
    "line",
    ["1 VIEW GALLERY", "(photo: AP)", "(FROM x)", "ASK ME ANYTHING", "explore Related Questions"],
)
def test_default_boilerplate_is_matched_ignoring_case(line: str) -> None:
    assert texts(txt(f"{BODY}\n{line}\n{BODY}")) == [BODY, BODY]


def test_boilerplate_is_matched_after_stripping_the_line() -> None:
    assert texts(txt(f"{BODY}\n   1 View gallery \t\n{BODY}")) == [BODY, BODY]


@pytest.mark.parametrize(
    "line",
    [
        "See 1 View gallery",
        "1 View gallery here",
        "View gallery",
        "(Photo: AP) and more text",
        "He said (from X)",
        "Ask me anything you like",
    ],
)
def test_boilerplate_pattern_must_match_the_whole_line(line: str) -> None:
    assert line in texts(txt(f"{BODY}\n{line}\n{BODY}"))


def test_extra_drop_pattern_drops_matching_line() -> None:
    extra = (r"Read more:.*",)
    assert texts(txt(f"{BODY}\nRead more: the next story\n{BODY}", extra)) == [BODY, BODY]


def test_extra_drop_pattern_is_case_insensitive() -> None:
    assert texts(txt(f"{BODY}\nSUBSCRIBE NOW\n{BODY}", ("Subscribe now",))) == [BODY, BODY]


def test_extra_drop_pattern_matches_whole_line_only() -> None:
    got = texts(txt(f"{BODY}\nPlease subscribe now to read on.\n{BODY}", ("subscribe now",)))
    assert got == [BODY, "Please subscribe now to read on.", BODY]


def test_compile_drop_puts_defaults_first_then_extra() -> None:
    patterns = compile_drop(["Advertisement"])
    assert [p.pattern for p in patterns] == [*DEFAULT_DROP, "Advertisement"]
    assert all(p.flags & re.IGNORECASE for p in patterns)


def test_dropped_line_does_not_count_as_next_line_for_heading() -> None:
    # `(from X)` is dropped, so the candidate is followed by the body: a heading.
    blocks = txt(f"Trump’s statement: ‘Close to peace’\n(from X)\n{BODY}")
    assert kinds(blocks) == [("heading", None), ("paragraph", 1)]


def test_dropped_candidate_does_not_make_previous_candidate_a_paragraph() -> None:
    blocks = txt(f"Short title\nAsk me anything\n{BODY}")
    assert kinds(blocks) == [("heading", None), ("paragraph", 1)]


# --- list items ----------------------------------------------------------------


@pytest.mark.parametrize("marker", ["- ", "* ", "• "])
def test_each_list_marker_makes_an_item_with_the_rest_of_the_line(marker: str) -> None:
    assert txt(f"{marker}unhindered entry of humanitarian aid") == [
        Block("item", 1, "unhindered entry of humanitarian aid")
    ]


def test_item_text_is_stripped_after_the_marker() -> None:
    assert texts(txt("-    withdrawal arrangements   ")) == ["withdrawal arrangements"]


@pytest.mark.parametrize("line", ["-no space", "*emphasis*", "•bullet", "+ plus", "1. numbered"])
def test_line_without_a_listed_marker_and_space_is_not_an_item(line: str) -> None:
    assert [b.kind for b in txt(f"{line}\n{BODY}")] != ["item", "paragraph"]


def test_lone_dash_is_not_an_item() -> None:
    # "- " needs something after it; a stripped "-" is just a short line.
    assert txt(f"-\n{BODY}")[0] == Block("heading", None, "-")


def test_long_item_is_an_item_not_a_paragraph() -> None:
    item = "- " + "word " * 40
    assert txt(item)[0].kind == "item"


def test_item_ending_without_punctuation_is_never_a_heading() -> None:
    assert kinds(txt(f"- short item\n{BODY}")) == [("item", 1), ("paragraph", 2)]


# --- headings ------------------------------------------------------------------


def test_short_unpunctuated_line_before_body_is_heading() -> None:
    assert txt(f"Kushner’s Arrival Signals Progress\n{BODY}") == [
        Block("heading", None, "Kushner’s Arrival Signals Progress"),
        Block("paragraph", 1, BODY),
    ]


def test_candidate_of_80_code_points_can_be_heading() -> None:
    line = "H" * 80
    assert txt(f"{line}\n{BODY}")[0].kind == "heading"


def test_line_of_81_code_points_is_paragraph() -> None:
    line = "H" * 81
    assert txt(f"{line}\n{BODY}")[0] == Block("paragraph", 1, line)


def test_heading_length_counts_code_points_not_bytes() -> None:
    # 80 code points but 240 UTF-8 bytes.
    line = "ש" * 40 + "—" * 40
    assert len(line.encode()) > 80
    assert txt(f"{line}\n{BODY}")[0].kind == "heading"


def test_heading_length_is_measured_after_stripping() -> None:
    line = "   " + "H" * 80 + "   "
    assert txt(f"{line}\n{BODY}")[0].kind == "heading"


@pytest.mark.parametrize("end", [".", "!", "?", ":", ";", ","])
def test_line_ending_in_terminal_punctuation_is_paragraph(end: str) -> None:
    assert txt(f"Short line{end}\n{BODY}")[0] == Block("paragraph", 1, f"Short line{end}")


@pytest.mark.parametrize("closer", ["”", "’", '"', "'", ")", "]", "»"])
def test_closing_quote_or_bracket_is_looked_past(closer: str) -> None:
    assert txt(f"He said “stop{closer}.\n{BODY}")[0].kind == "paragraph"
    assert txt(f"He said “stop.{closer}\n{BODY}")[0].kind == "paragraph"
    assert txt(f"A quote “Close to peace{closer}\n{BODY}")[0].kind == "heading"


def test_several_closers_are_looked_past() -> None:
    assert txt(f"He said (“stop.”)]\n{BODY}")[0].kind == "paragraph"


def test_line_of_only_closers_is_a_candidate() -> None:
    assert txt(f"”)\n{BODY}")[0] == Block("heading", None, "”)")


@pytest.mark.parametrize("end", ["-", "—", "…", "'s", "1", "»x"])
def test_other_endings_leave_a_candidate(end: str) -> None:
    assert txt(f"Short line{end}\n{BODY}")[0].kind == "heading"


def test_candidate_on_last_line_is_paragraph() -> None:
    assert txt(f"{BODY}\nThe end") == [
        Block("paragraph", 1, BODY),
        Block("paragraph", 2, "The end"),
    ]


def test_candidate_alone_is_paragraph() -> None:
    assert txt("Just a title") == [Block("paragraph", 1, "Just a title")]


def test_candidate_followed_by_candidate_is_paragraph() -> None:
    assert txt(f"First short line\nSecond short line\n{BODY}") == [
        Block("paragraph", 1, "First short line"),
        Block("heading", None, "Second short line"),
        Block("paragraph", 2, BODY),
    ]


def test_candidate_followed_by_boilerplate_then_end_is_paragraph() -> None:
    assert kinds(txt(f"{BODY}\nCautious Optimism\nAsk me anything")) == [
        ("paragraph", 1),
        ("paragraph", 2),
    ]


def test_heading_before_a_list_item_is_heading() -> None:
    assert kinds(txt("Guarantees\n- an international monitoring mechanism")) == [
        ("heading", None),
        ("item", 1),
    ]


def test_heading_before_a_long_unpunctuated_line_is_heading() -> None:
    long_line = "word " * 20  # over 80 code points, so not a candidate
    assert txt(f"Title\n{long_line}")[0].kind == "heading"


def test_heading_before_a_short_punctuated_line_is_heading() -> None:
    assert kinds(txt("Title\nThese include:")) == [("heading", None), ("paragraph", 1)]


# --- numbering -----------------------------------------------------------------


def test_paragraphs_and_items_are_numbered_densely_and_headings_are_not() -> None:
    blocks = txt(
        f"{BODY}\nA Heading\n{BODY}\nThese include:\n- one\n- two\n"
        f"Another Heading\n1 View gallery\n{BODY}\nAsk me anything"
    )
    assert kinds(blocks) == [
        ("paragraph", 1),
        ("heading", None),
        ("paragraph", 2),
        ("paragraph", 3),
        ("item", 4),
        ("item", 5),
        ("heading", None),
        ("paragraph", 6),
    ]


# --- features of the real seed articles ----------------------------------------

YNET_LIKE = """\ufeffIsrael has allocated several days for negotiations in Sharm el-Sheikh.

Prime Minister Benjamin Netanyahu instructed Israel’s negotiating team.

1 View gallery

(Photo: AP Photo/Ariel Schalit, REUTERS/Ronen Zvulun, Joshua Sukoff/shutterstock)

Trump’s statement: ‘Close to peace’

(from X)

The talks, which began Monday, are currently focused on technical coordination.
"""

DPA_LIKE = """The next 48 hours are considered crucial.
Intensive Consultations and American Involvement
Recent hours have been marked by increased diplomatic activity.
Guarantees and Monitoring Mechanisms
These include:
- an international monitoring mechanism for the ceasefire
- unhindered entry of humanitarian aid
Cautious Optimism
Palestinian sources report “cautious optimism” among their ranks.
Ask me anything
Explore related questions
"""


def test_ynet_like_article_drops_gallery_photo_and_from_lines() -> None:
    assert read_txt(YNET_LIKE, DROP) == [
        Block(
            "paragraph", 1, "Israel has allocated several days for negotiations in Sharm el-Sheikh."
        ),
        Block(
            "paragraph",
            2,
            "Prime Minister Benjamin Netanyahu instructed Israel’s negotiating team.",
        ),
        Block("heading", None, "Trump’s statement: ‘Close to peace’"),
        Block(
            "paragraph",
            3,
            "The talks, which began Monday, are currently focused on technical coordination.",
        ),
    ]


def test_dpa_like_article_has_headings_intro_paragraph_and_items() -> None:
    assert kinds(read_txt(DPA_LIKE, DROP)) == [
        ("paragraph", 1),
        ("heading", None),
        ("paragraph", 2),
        ("heading", None),
        ("paragraph", 3),
        ("item", 4),
        ("item", 5),
        ("heading", None),
        ("paragraph", 6),
    ]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not present")
def test_real_seed_articles_read_without_boilerplate() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        blocks = read_txt(path.read_text(encoding="utf-8"), DROP)
        numbers = [b.n for b in blocks if b.n is not None]
        assert numbers == list(range(1, len(numbers) + 1))
        for b in blocks:
            assert not any(p.fullmatch(b.text) for p in DROP), (path.name, b)
    heading = "Trump’s statement: ‘Close to peace’"
    first = read_txt((SEEDS / "000_18a2df93fbfc8f27.txt").read_text(encoding="utf-8"), DROP)
    assert Block("heading", None, heading) in first


# --- Markdown ------------------------------------------------------------------


def test_markdown_paragraphs_and_headings() -> None:
    assert read_markdown("# Title\n\nFirst para\ncontinues.\n\n## Sub\n\nSecond.") == [
        Block("heading", None, "Title"),
        Block("paragraph", 1, "First para continues."),
        Block("heading", None, "Sub"),
        Block("paragraph", 2, "Second."),
    ]


def test_markdown_setext_heading_is_heading() -> None:
    assert read_markdown("Title\n=====\n\nBody.") == [
        Block("heading", None, "Title"),
        Block("paragraph", 1, "Body."),
    ]


def test_markdown_list_items_are_items() -> None:
    assert read_markdown("Intro:\n\n- one\n- two\n\n1. three\n2. four") == [
        Block("paragraph", 1, "Intro:"),
        Block("item", 2, "one"),
        Block("item", 3, "two"),
        Block("item", 4, "three"),
        Block("item", 5, "four"),
    ]


def test_markdown_loose_item_with_two_paragraphs_is_one_item() -> None:
    assert read_markdown("- first part\n\n  second part\n- next") == [
        Block("item", 1, "first part second part"),
        Block("item", 2, "next"),
    ]


def test_markdown_nested_items_follow_their_parent() -> None:
    text = "- parent\n  - child one\n  - child two\n\n  parent again\n- sibling"
    assert read_markdown(text) == [
        Block("item", 1, "parent parent again"),
        Block("item", 2, "child one"),
        Block("item", 3, "child two"),
        Block("item", 4, "sibling"),
    ]


def test_markdown_blockquote_paragraphs_are_paragraphs() -> None:
    assert read_markdown("> quoted one\n>\n> quoted two\n\nafter") == [
        Block("paragraph", 1, "quoted one"),
        Block("paragraph", 2, "quoted two"),
        Block("paragraph", 3, "after"),
    ]


def test_markdown_code_html_and_rules_are_not_blocks() -> None:
    text = "Before.\n\n```\nfenced code\n```\n\n    indented code\n\n---\n\nAfter."
    assert read_markdown(text) == [
        Block("paragraph", 1, "Before."),
        Block("paragraph", 2, "After."),
    ]


def test_markdown_raw_html_is_text_not_markup() -> None:
    # With HTML off, markdown-it-py reads tags as text; nothing is lost.
    assert texts(read_markdown("<div>hello</div>")) == ["<div>hello</div>"]


def test_markdown_inline_markup_is_flattened_to_plain_text() -> None:
    text = "Some *em* and **strong**, `code`, [a link](https://x.test) and ![alt *text*](i.png)."
    assert texts(read_markdown(text)) == ["Some em and strong, code, a link and alt text."]


def test_markdown_breaks_become_one_space() -> None:
    assert texts(read_markdown("soft\nbreak, hard  \nbreak, slash\\\nbreak")) == [
        "soft break, hard break, slash break"
    ]


def test_markdown_entities_and_escapes_are_decoded() -> None:
    assert texts(read_markdown(r"AT&amp;T \*not em\*")) == ["AT&T *not em*"]


def test_markdown_reference_link_keeps_text_drops_definition() -> None:
    assert texts(read_markdown("See [the plan][p].\n\n[p]: https://x.test")) == ["See the plan."]


def test_markdown_empty_list_item_is_left_out() -> None:
    assert read_markdown("-\n- real") == [Block("item", 1, "real")]


def test_markdown_heading_inside_item_is_part_of_the_item() -> None:
    assert read_markdown("- # Big\n  text") == [Block("item", 1, "Big text")]


def test_markdown_cleans_zero_width_characters_and_bom() -> None:
    assert read_markdown("\ufeff# Ti\u200btle\n\nBo\u2060dy") == [
        Block("heading", None, "Title"),
        Block("paragraph", 1, "Body"),
    ]


def test_markdown_does_not_drop_boilerplate_or_guess_headings() -> None:
    # Boilerplate and heading guessing are .txt rules; Markdown says what it means.
    assert read_markdown("Short title\n\n1 View gallery") == [
        Block("paragraph", 1, "Short title"),
        Block("paragraph", 2, "1 View gallery"),
    ]


# --- hostile input -------------------------------------------------------------


def _elapsed(fn: object, *args: object) -> float:
    assert callable(fn)
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


@pytest.mark.parametrize("ch", ["[", "*", "_", "`", "<", "!["])
def test_markdown_cost_of_a_run_of_one_delimiter_is_linear(ch: str) -> None:
    # markdown-it-py spends ~12 us per unmatched bracket (`[` 0.6 s, `![` 1.1 s for
    # 100 KB on a quiet machine), linearly; the others take milliseconds. A wall
    # clock bound failed on a loaded machine (5.3 s for 50 KB of `![`), so the
    # cost is compared with the same run a quarter as long, measured just before:
    # quadratic would be 16 times as much.
    small = _elapsed(read_markdown, ch * (12_500 // len(ch)))
    large = _elapsed(read_markdown, ch * (50_000 // len(ch)))
    assert large < 8 * small + 0.5


def test_markdown_deep_nesting_does_not_raise() -> None:
    for text in ["> " * 5000 + "x", "- " * 5000 + "x", "![" * 2000 + "a" + "](b)" * 2000]:
        assert all(b.text for b in read_markdown(text))


def test_txt_ten_megabytes_reads_quickly() -> None:
    text = (BODY + "\n") * 250_000 + "Short line\n" * 10_000
    assert len(text) > 10_000_000
    assert _elapsed(read_txt, text, DROP) < 10.0


def test_txt_very_long_line_near_boilerplate_reads_quickly() -> None:
    for line in ["(Photo: " + "x" * 2_000_000, "1" * 2_000_000 + " View galler", "(" * 2_000_000]:
        start = time.perf_counter()
        blocks = read_txt(line, DROP)
        assert time.perf_counter() - start < 2.0
        assert len(blocks) == 1


# --- properties ----------------------------------------------------------------

_ARTICLE_CHARS = st.characters(codec="utf-8") | st.sampled_from(
    list("-*• \n\r\t.:;,!?”’\"')]»[]#>`_\ufeff\u200b()0123456789")
)


def _assert_dense(blocks: list[Block]) -> None:
    numbers = [b.n for b in blocks if b.kind != "heading"]
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(b.n is None for b in blocks if b.kind == "heading")
    assert all(b.text and b.text == b.text.strip() for b in blocks)


@settings(max_examples=300)
@given(st.text(_ARTICLE_CHARS))
def test_txt_reader_never_raises_and_numbers_densely(text: str) -> None:
    _assert_dense(read_txt(text, DROP))


@settings(max_examples=300)
@given(st.text(_ARTICLE_CHARS))
def test_markdown_reader_never_raises_and_numbers_densely(text: str) -> None:
    _assert_dense(read_markdown(text))


@given(st.lists(st.text(_ARTICLE_CHARS, max_size=100), max_size=20))
def test_txt_blocks_come_from_kept_lines_in_order(lines: list[str]) -> None:
    blocks = read_txt("\n".join(lines), DROP)
    kept = [
        s
        for line in clean("\n".join(lines)).splitlines()
        if (s := line.strip()) and not any(p.fullmatch(s) for p in DROP)
    ]
    assert len(blocks) == len(kept)
    for block, line in zip(blocks, kept, strict=True):
        assert line.endswith(block.text)
        assert (block.kind == "item") == line.startswith(("- ", "* ", "• "))
